//! Editing and deleting: which message Up edits, what may be edited or deleted (a room's
//! owner deletes anyone's), an unchanged text sends nothing.

use super::*;

fn with_owner(owner: Option<&str>) -> ChatState {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()],
            settings: shared::RoomSettings {
                owner: owner.map(str::to_owned),
                ..Default::default()
            },
        },
        0,
    );
    state.activate(&ConvKey::Room("rust".into()));
    state.apply(room_message(1, "rust", "bob", "theirs"), 0);
    state
}

#[test]
fn up_edits_our_newest_message_that_can_still_change() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    assert_eq!(state.last_editable(), None);
    state.apply(room_message(1, "lobby", "alice", "first"), 0);
    state.apply(room_message(2, "lobby", "alice", "second"), 0);
    state.apply(room_message(3, "lobby", "bob", "not mine"), 0);
    // Not yet confirmed: it has no id to edit.
    state.send(&lobby, "on its way", 1).unwrap();
    assert_eq!(state.last_editable(), Some(2));
    state.apply(
        ServerFrame::MessageDeleted {
            id: 2,
            change_id: 4,
            place: shared::changes::Place::Room {
                room: "lobby".into(),
            },
        },
        2,
    );
    assert_eq!(state.last_editable(), Some(1));
    assert_eq!(state.start_edit(1).as_deref(), Some("first"));
    assert_eq!(state.editing(), Some(1));
    assert_eq!(
        state.compose_note().as_deref(),
        Some("Editing your message")
    );
    state.open_direct("bob");
    assert_eq!(state.editing(), None, "only in its conversation");
    state.activate(&lobby);
    state.cancel_edit();
    assert_eq!(state.editing(), None);
}

#[test]
fn only_our_own_messages_are_edited() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "bob", "theirs"), 0);
    assert_eq!(state.start_edit(1), None);
    assert_eq!(state.start_edit(99), None);
    assert_eq!(state.editing(), None);
}

#[test]
fn an_unchanged_or_empty_edit_sends_nothing() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "alice", "same"), 0);
    state.start_edit(1);
    assert_eq!(state.save_edit("  ", 1), Err(BodyProblem::Empty));
    assert_eq!(state.editing(), Some(1), "still editing after a refusal");
    assert_eq!(state.save_edit("same\n", 1), Ok(None));
    assert_eq!(state.editing(), None);
    assert!(!state.has_queued());
}

#[test]
fn a_reply_in_progress_and_an_edit_exclude_each_other() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "alice", "mine"), 0);
    state.reply_to(1);
    state.start_edit(1);
    assert_eq!(state.replying(), None);
    state.reply_to(1);
    assert_eq!(state.editing(), None);
    assert!(state.replying().is_some());
}

#[test]
fn we_delete_our_own_messages_and_in_a_room_we_own_anyones() {
    let mut state = with_owner(Some("bob"));
    assert!(!state.may_delete(false));
    assert_eq!(state.delete(1, 0), None);
    let mut state = with_owner(Some("Alice"));
    assert!(state.may_delete(false));
    let frame = state.delete(1, 0).unwrap();
    assert_eq!(
        frame,
        ClientFrame::Delete {
            id: 1,
            req: Some(req_of(&frame))
        }
    );
    state.apply(ack(&req_of(&frame), 2), 1);
    let rust = ConvKey::Room("rust".into());
    assert!(message(&state, &rust, 1).details.deleted);
    assert_eq!(state.delete(1, 2), None, "a tombstone is deleted already");
}

#[test]
fn the_welcome_says_who_owns_each_room() {
    let mut state = ChatState::new("alice", "t");
    let mut frame = welcome("alice", &["alice"], &[("lobby", &[]), ("rust", &["alice"])]);
    if let ServerFrame::Welcome { rooms, .. } = &mut frame {
        rooms[1].settings.owner = Some("alice".into());
    }
    state.apply(frame, 0);
    state.activate(&ConvKey::Room("rust".into()));
    assert!(state.may_delete(false));
    state.activate(&ConvKey::lobby());
    assert!(!state.may_delete(false));
    assert!(state.may_delete(true));
}
