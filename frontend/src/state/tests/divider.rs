//! The "New" divider: taken from the read marker when a conversation is opened, kept while it
//! stays open, gone when nothing was unread.

use super::*;

fn joined_rust(state: &mut ChatState) -> ConvKey {
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()],
        },
        0,
    );
    ConvKey::Room("rust".into())
}

#[test]
fn opening_a_conversation_with_unread_messages_places_the_divider_at_the_marker() {
    let mut state = connected("alice");
    let rust = joined_rust(&mut state);
    state.apply(room_message(1, "rust", "bob", "old"), 1);
    state.due(2, true);
    state.activate(&rust);
    state.due(3, true);
    state.activate(&ConvKey::lobby());
    state.due(4, true);
    // Read up to 1 in #rust; two more arrive while elsewhere.
    state.apply(room_message(2, "rust", "bob", "new one"), 5);
    state.apply(room_message(3, "rust", "bob", "new two"), 6);
    state.activate(&rust);
    assert_eq!(
        state.new_after(),
        None,
        "not decided before the page sees it"
    );
    state.due(2_000, true);
    assert_eq!(state.new_after(), Some(1));
    assert_eq!(state.total_unread(), 0, "opening still marks it read");
    // It stays put while the conversation is open, whatever arrives and is read.
    state.apply(room_message(4, "rust", "bob", "live"), 2_100);
    state.due(4_000, true);
    assert_eq!(state.new_after(), Some(1));
}

#[test]
fn nothing_unread_means_no_divider() {
    let mut state = connected("alice");
    let rust = joined_rust(&mut state);
    state.activate(&rust);
    state.due(10, true);
    assert_eq!(state.new_after(), None);
    // A message arriving while we watch does not bring a divider.
    state.apply(room_message(1, "rust", "bob", "hi"), 20);
    state.due(2_000, true);
    assert_eq!(state.new_after(), None);
}

#[test]
fn a_hidden_page_decides_when_it_is_seen() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "bob", "while away"), 1);
    state.due(2, false);
    assert_eq!(state.new_after(), None);
    state.due(3, true);
    assert_eq!(state.new_after(), Some(0));
}

#[test]
fn the_marker_from_welcome_places_the_divider_on_a_reload() {
    let mut state = ChatState::new("alice", "t");
    state.apply(
        welcome_with("alice", &["lobby"], vec![info(room("lobby"), 7, 5, 2)], 7),
        0,
    );
    state.due(1, true);
    assert_eq!(state.new_after(), Some(5));
}

#[test]
fn leaving_and_coming_back_takes_the_divider_afresh() {
    let mut state = connected("alice");
    let rust = joined_rust(&mut state);
    state.apply(room_message(1, "rust", "bob", "one"), 1);
    state.activate(&rust);
    state.due(2, true);
    assert_eq!(state.new_after(), Some(0));
    state.activate(&ConvKey::lobby());
    state.due(3, true);
    state.activate(&rust);
    state.due(2_000, true);
    assert_eq!(
        state.new_after(),
        None,
        "all was read: no divider this time"
    );
}
