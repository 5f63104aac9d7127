//! Drafts: one per conversation, never carried across, kept through storage.

use crate::state::drafts::Drafts;
use crate::state::ConvKey;

fn lobby() -> ConvKey {
    ConvKey::lobby()
}

fn bob() -> ConvKey {
    ConvKey::Direct("bob".into())
}

#[test]
fn each_conversation_keeps_its_own_draft() {
    let mut drafts = Drafts::default();
    assert!(drafts.set(&lobby(), "half a message for everyone"));
    assert_eq!(drafts.get(&bob()), "", "a new conversation starts empty");
    assert!(drafts.set(&bob(), "just for bob"));
    assert_eq!(drafts.get(&lobby()), "half a message for everyone");
    assert_eq!(drafts.get(&bob()), "just for bob");
    // A room and a person of the same name are different conversations.
    assert_eq!(drafts.get(&ConvKey::Room("bob".into())), "");
}

#[test]
fn sending_or_emptying_drops_the_draft() {
    let mut drafts = Drafts::default();
    drafts.set(&lobby(), "hello");
    drafts.set(&bob(), "hi bob");
    assert!(drafts.clear(&lobby()));
    assert_eq!(drafts.get(&lobby()), "");
    assert!(!drafts.clear(&lobby()), "nothing left to clear");
    assert!(drafts.set(&bob(), ""));
    assert!(drafts.is_empty());
}

#[test]
fn unchanged_text_needs_no_write() {
    let mut drafts = Drafts::default();
    assert!(drafts.set(&lobby(), "same"));
    assert!(!drafts.set(&lobby(), "same"));
    assert!(drafts.set(&lobby(), "same!"));
}

#[test]
fn drafts_survive_storage() {
    let mut drafts = Drafts::default();
    drafts.set(&lobby(), "multi\nline \"quoted\" <b>text</b> ✓");
    drafts.set(&bob(), "for bob");
    let back = Drafts::from_json(&drafts.to_json());
    assert_eq!(back, drafts);
    assert_eq!(back.get(&lobby()), "multi\nline \"quoted\" <b>text</b> ✓");
}

#[test]
fn unreadable_storage_means_no_drafts() {
    assert!(Drafts::from_json("not json").is_empty());
    assert!(Drafts::from_json("[1,2]").is_empty());
    assert!(Drafts::from_json(r#"{"room-lobby":""}"#).is_empty());
}

#[test]
fn storage_is_per_user_whatever_the_case() {
    assert_eq!(Drafts::storage_key("Bob"), Drafts::storage_key("bob"));
    assert_ne!(Drafts::storage_key("alice"), Drafts::storage_key("bob"));
}

#[test]
fn huge_drafts_are_not_kept() {
    let mut drafts = Drafts::default();
    drafts.set(&lobby(), "short");
    drafts.set(
        &lobby(),
        &"x".repeat(crate::state::drafts::MAX_SAVED_CHARS + 1),
    );
    assert_eq!(drafts.get(&lobby()), "");
}
