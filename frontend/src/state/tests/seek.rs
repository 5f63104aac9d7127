//! Finding a quoted message: at once when held, else by paging in older history until it is,
//! giving up with a notice when it cannot be there.

use super::*;

/// Lobby open with its newest page (`ids`) held.
fn loaded(ids: &[u64], complete: bool) -> ChatState {
    let mut state = connected("alice");
    state.activate(&ConvKey::lobby());
    let req = req_of(&state.due(0, false)[0]);
    state.apply(page(room("lobby"), ids, complete, Some(req)), 0);
    state
}

#[test]
fn a_held_message_is_found_at_once() {
    let mut state = loaded(&[5, 6], false);
    assert_eq!(state.seek(5, 1), None);
    assert_eq!(state.sought(), Some(5));
    state.found();
    assert_eq!(state.sought(), None);
}

#[test]
fn older_pages_are_asked_for_until_the_message_is_held() {
    let mut state = loaded(&[50, 51], false);
    let first = state.seek(10, 1).unwrap();
    assert!(matches!(
        first,
        ClientFrame::History {
            before: Some(50),
            ..
        }
    ));
    assert_eq!(state.sought(), None);
    // Each page that does not bring it asks for the next one.
    let out = state.apply(
        page(room("lobby"), &[30, 40], false, Some(req_of(&first))),
        2,
    );
    let second = out
        .into_iter()
        .chain(state.due(2, false))
        .find(|f| matches!(f, ClientFrame::History { .. }))
        .unwrap();
    assert!(matches!(
        second,
        ClientFrame::History {
            before: Some(30),
            ..
        }
    ));
    state.apply(
        page(room("lobby"), &[10, 20], false, Some(req_of(&second))),
        3,
    );
    assert_eq!(state.sought(), Some(10));
    assert!(state.due(3, false).is_empty(), "nothing more to load");
}

#[test]
fn a_message_that_cannot_be_there_ends_the_search_with_a_notice() {
    let mut state = loaded(&[5, 6], true);
    assert_eq!(state.seek(2, 1), None);
    assert_eq!(state.sought(), None);
    assert_eq!(state.notices().len(), 1);
    // Older messages are held without it.
    let mut state = loaded(&[5, 7], false);
    assert_eq!(state.seek(6, 1), None);
    assert_eq!(state.notices().len(), 1);
}

#[test]
fn opening_another_conversation_ends_the_search() {
    let mut state = loaded(&[50], false);
    let frame = state.seek(10, 1).unwrap();
    state.open_direct("bob");
    state.apply(page(room("lobby"), &[10], false, Some(req_of(&frame))), 2);
    state.due(2, false);
    state.activate(&ConvKey::lobby());
    assert_eq!(state.sought(), None);
}
