//! Blocking: the server's `blocked` list collapses the room messages of those it names (and
//! only theirs, never ours), and the toggle asks to block or unblock.

use super::*;

/// Which rows of the open conversation are drawn collapsed, by sender.
fn collapsed(state: &ChatState) -> Vec<(String, bool)> {
    state
        .active_rows()
        .into_iter()
        .filter_map(|row| match row {
            Row::Message { from, blocked, .. } => Some((from, blocked)),
            Row::System { .. } => None,
        })
        .collect()
}

#[test]
fn the_blocked_list_collapses_their_room_messages_only() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "Bob", "hi"), 1);
    state.apply(room_message(2, "lobby", "carol", "hello"), 2);
    assert!(!state.blocks("bob"));
    assert_eq!(
        collapsed(&state),
        [("Bob".to_owned(), false), ("carol".to_owned(), false)]
    );

    // Asking changes nothing until the server says so.
    let frame = state.toggle_block("Bob");
    assert!(matches!(&frame, ClientFrame::Block { user, req: Some(_) } if user == "Bob"));
    assert!(!state.blocks("bob"));
    state.apply(
        ServerFrame::Blocked {
            users: vec!["Bob".into()],
            req: None,
        },
        3,
    );
    assert!(state.blocks("BOB"));
    state.apply(room_message(3, "lobby", "bob", "again"), 4);
    assert_eq!(
        collapsed(&state),
        [
            ("Bob".to_owned(), true),
            ("carol".to_owned(), false),
            ("bob".to_owned(), true)
        ]
    );
    // The row's key changes, so the list draws it again.
    let key_before = state.active_rows()[0].key();
    assert!(key_before.ends_with("-1"), "{key_before}");

    let frame = state.toggle_block("bob");
    assert!(matches!(&frame, ClientFrame::Unblock { user, .. } if user == "bob"));
    state.apply(
        ServerFrame::Blocked {
            users: Vec::new(),
            req: None,
        },
        5,
    );
    assert!(collapsed(&state).iter().all(|(_, blocked)| !blocked));
}

#[test]
fn our_own_messages_are_never_collapsed() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::Blocked {
            users: vec!["alice".into()],
            req: None,
        },
        1,
    );
    state.apply(room_message(1, "lobby", "alice", "mine"), 2);
    assert_eq!(collapsed(&state), [("alice".to_owned(), false)]);
}
