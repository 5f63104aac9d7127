//! The sign-in name box's live check.

use crate::state::name_check::{check_name, NameCheck};

#[test]
fn an_ordinary_name_says_nothing() {
    assert_eq!(check_name("alice"), NameCheck::default());
    assert_eq!(check_name(""), NameCheck::default());
    assert_eq!(check_name("José"), NameCheck::default());
    assert_eq!(check_name("王芳"), NameCheck::default());
}

#[test]
fn the_counter_shows_near_the_limit_and_over_it() {
    assert_eq!(check_name(&"a".repeat(19)).counter, None);
    assert_eq!(
        check_name(&"a".repeat(20)).counter.as_deref(),
        Some("20/24")
    );
    let full = check_name(&"a".repeat(24));
    assert_eq!(full.counter.as_deref(), Some("24/24"));
    assert_eq!(full.problem, None);
    // Characters, not bytes; white space around the name does not count.
    assert_eq!(
        check_name(&format!("  {}  ", "王".repeat(21)))
            .counter
            .as_deref(),
        Some("21/24")
    );
}

#[test]
fn too_long_says_by_how_much_and_nothing_is_cut() {
    let check = check_name(&"a".repeat(200));
    assert_eq!(check.counter.as_deref(), Some("200/24"));
    assert_eq!(
        check.problem.as_deref(),
        Some("Names are at most 24 characters (this one has 200)")
    );
}

#[test]
fn bad_characters_are_named() {
    assert_eq!(
        check_name("bob😀").problem.as_deref(),
        Some("Names are letters, digits, ‘_’, ‘-’ and ‘.’; ‘😀’ is not allowed")
    );
    assert!(check_name("a\u{200B}b")
        .problem
        .unwrap()
        .contains("invisible character U+200B"));
}
