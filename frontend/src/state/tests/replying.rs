//! Replying: the bar's quote, the send's `reply_to` and its quote shown at once.

use super::*;

#[test]
fn a_reply_carries_reply_to_and_shows_the_quote_at_once() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let long = "x".repeat(150);
    state.apply(room_message(7, "lobby", "bob", &long), 0);
    state.reply_to(7);
    let quote = state.replying().unwrap();
    assert_eq!((quote.id, quote.from.as_str()), (7, "bob"));
    let note = state.compose_note().unwrap();
    assert_eq!(note, format!("Replying to bob: {}", "x".repeat(100)));
    assert_eq!(quote.text.chars().count(), shared::changes::QUOTE_CHARS);
    let frame = state.send(&lobby, "agreed", 1).unwrap().unwrap();
    assert_eq!(
        frame,
        ClientFrame::RoomMessage {
            room: "lobby".into(),
            body: "agreed".into(),
            reply_to: Some(7),
            attachments: Vec::new(),
            req: Some(req_of(&frame)),
        }
    );
    assert_eq!(state.replying(), None, "the bar goes with the send");
    let Row::Message { details, .. } = &state.active_rows()[1] else {
        panic!("a message row");
    };
    assert_eq!(details.reply.as_ref(), Some(&quote));
    // The next message answers nothing.
    let next = state.apply(ack(&req_of(&frame), 8), 2).pop();
    assert_eq!(next, None);
    match state.send(&lobby, "more", 3).unwrap().unwrap() {
        ClientFrame::RoomMessage { reply_to, .. } => assert_eq!(reply_to, None),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_private_reply_carries_reply_to_too() {
    let mut state = connected("alice");
    state.open_direct("bob");
    let bob = ConvKey::Direct("bob".into());
    state.apply(
        ServerFrame::PrivateMessage {
            id: 3,
            from: "bob".into(),
            to: "alice".into(),
            body: "lunch?".into(),
            at: 0,
            details: Default::default(),
        },
        0,
    );
    state.reply_to(3);
    match state.send(&bob, "yes", 1).unwrap().unwrap() {
        ClientFrame::PrivateMessage { reply_to, to, .. } => {
            assert_eq!((reply_to, to.as_str()), (Some(3), "bob"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_reply_is_cancelled_kept_per_conversation_and_not_to_a_tombstone() {
    let mut state = connected("alice");
    state.apply(room_message(7, "lobby", "bob", "hi"), 0);
    state.reply_to(7);
    state.open_direct("bob");
    assert_eq!(state.replying(), None, "another conversation");
    state.activate(&ConvKey::lobby());
    assert!(state.replying().is_some());
    state.cancel_reply();
    assert_eq!(state.replying(), None);
    state.apply(
        ServerFrame::MessageDeleted {
            id: 7,
            change_id: 8,
            place: shared::changes::Place::Room {
                room: "lobby".into(),
            },
        },
        1,
    );
    state.reply_to(7);
    assert_eq!(state.replying(), None);
}
