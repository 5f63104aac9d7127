//! Changes the server announces (`message_edited`, `message_deleted`, `reaction`), live or
//! replayed: applied to the message held, to the quotes of it, and counted towards the resume
//! point; and our own changes, which wait their turn among our sends.

use shared::changes::{MessageDetails, Place, Quote};

use super::*;

fn in_lobby() -> Place {
    Place::Room {
        room: "lobby".into(),
    }
}

fn edited(id: u64, change_id: u64, place: Place, body: &str) -> ServerFrame {
    ServerFrame::MessageEdited {
        id,
        change_id,
        place,
        body: body.into(),
        edited_at: 5_000 + change_id,
    }
}

fn reaction(id: u64, change_id: u64, emoji: &str, user: &str, added: bool) -> ServerFrame {
    ServerFrame::Reaction {
        id,
        change_id,
        place: in_lobby(),
        emoji: emoji.into(),
        user: user.into(),
        added,
    }
}

/// A reply from `from`, with the quote the server sends.
fn reply(id: u64, from: &str, to: u64, text: &str) -> ServerFrame {
    match room_message(id, "lobby", from, "answer") {
        ServerFrame::RoomMessage {
            id,
            room,
            from,
            body,
            at,
            ..
        } => ServerFrame::RoomMessage {
            id,
            room,
            from,
            body,
            at,
            details: MessageDetails {
                reply: Some(Quote::of(to, "bob".into(), text, false)),
                ..MessageDetails::default()
            },
        },
        other => other,
    }
}

#[test]
fn an_edit_replaces_the_text_marks_it_edited_and_redraws_the_row() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "bob", "helo"), 0);
    let key_before = state.active_rows()[0].key();
    state.apply(edited(1, 2, in_lobby(), "hello @alice"), 1);
    let m = message(&state, &lobby, 1);
    assert_eq!(m.body, "hello @alice");
    assert_eq!(m.details.edited_at, Some(5_002));
    assert!(m.mentions_me, "an edit can add a mention");
    assert_ne!(state.active_rows()[0].key(), key_before);
    assert_eq!(
        state.resume_after(),
        Some(2),
        "a change's id is a resume point"
    );
}

#[test]
fn a_deletion_leaves_a_tombstone_without_text_or_reactions_and_empties_quotes() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "bob", "secret"), 0);
    state.apply(reaction(1, 2, "👍", "carol", true), 0);
    state.apply(reply(3, "carol", 1, "secret"), 0);
    state.apply(
        ServerFrame::MessageDeleted {
            id: 1,
            change_id: 4,
            place: in_lobby(),
        },
        1,
    );
    let m = message(&state, &lobby, 1);
    assert!(m.details.deleted);
    assert_eq!(m.body, "");
    assert!(m.details.reactions.is_empty());
    let quote = message(&state, &lobby, 3).details.reply.clone().unwrap();
    assert!(quote.deleted);
    assert_eq!(quote.text, "");
    assert_eq!(quote.from, "bob", "the quote still says whose it was");
}

#[test]
fn quotes_follow_an_edit_of_the_original_even_when_it_is_not_held() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(reply(9, "carol", 1, "old"), 0);
    state.apply(edited(1, 10, in_lobby(), "new"), 1);
    let quote = message(&state, &lobby, 9).details.reply.clone().unwrap();
    assert_eq!(quote.text, "new");
    assert!(!quote.deleted);
}

#[test]
fn reactions_are_set_operations_in_the_order_they_first_appeared() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "bob", "hi"), 0);
    for (n, (emoji, user, added)) in [
        ("🎉", "bob", true),
        ("👍", "carol", true),
        ("👍", "carol", true),
        ("👍", "alice", true),
        ("🎉", "bob", false),
        ("🎉", "bob", false),
        ("😮", "dave", false),
    ]
    .into_iter()
    .enumerate()
    {
        state.apply(reaction(1, 2 + n as u64, emoji, user, added), 1);
    }
    let reactions = &message(&state, &lobby, 1).details.reactions;
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0].emoji, "👍");
    assert_eq!(reactions[0].users, ["carol", "alice"]);
}

#[test]
fn changes_to_a_private_message_find_the_conversation_from_either_side() {
    let mut state = connected("alice");
    let bob = ConvKey::Direct("bob".into());
    for (id, from, to) in [(1, "Bob", "alice"), (2, "alice", "Bob")] {
        state.apply(
            ServerFrame::PrivateMessage {
                id,
                from: from.into(),
                to: to.into(),
                body: "x".into(),
                at: 0,
                details: MessageDetails::default(),
            },
            0,
        );
        let place = Place::Private {
            from: from.into(),
            to: to.into(),
        };
        state.apply(edited(id, 10 + id, place, "y"), 1);
        assert_eq!(message(&state, &bob, id).body, "y");
    }
}

#[test]
fn replayed_and_paged_messages_come_as_they_stand_now() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.activate(&lobby);
    let req = req_of(&state.due(0, false)[0]);
    let mut tombstone = stored(1, room("lobby"), "bob");
    tombstone.body.clear();
    tombstone.details.deleted = true;
    let mut edited = stored(2, room("lobby"), "bob");
    edited.details.edited_at = Some(7);
    state.apply(
        ServerFrame::History {
            target: room("lobby"),
            messages: vec![tombstone, edited],
            complete: true,
            req: Some(req),
        },
        1,
    );
    assert!(message(&state, &lobby, 1).details.deleted);
    assert_eq!(message(&state, &lobby, 2).details.edited_at, Some(7));
    let Row::Message { details, id, .. } = &state.active_rows()[1] else {
        panic!("a message row");
    };
    assert_eq!((*id, details.edited_at), (Some(2), Some(7)));
}

#[test]
fn our_changes_wait_behind_our_sends_and_apply_when_acknowledged() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "alice", "mine"), 0);
    let send = state.send(&lobby, "next", 1).unwrap().unwrap();
    assert_eq!(state.start_edit(1).as_deref(), Some("mine"));
    assert_eq!(
        state.save_edit("mine, fixed", 2),
        Ok(None),
        "behind the send"
    );
    let edit = state.apply(ack(&req_of(&send), 2), 3).pop().unwrap();
    assert_eq!(
        edit,
        ClientFrame::Edit {
            id: 1,
            body: "mine, fixed".into(),
            req: Some(req_of(&edit)),
        }
    );
    assert_eq!(message(&state, &lobby, 1).body, "mine", "shown once stored");
    state.apply(ack(&req_of(&edit), 3), 4);
    let m = message(&state, &lobby, 1);
    assert_eq!(m.body, "mine, fixed");
    assert_eq!(m.details.edited_at, Some(1_003));
    assert_eq!(state.resume_after(), Some(3));
}

#[test]
fn a_change_refused_for_its_rate_goes_again_with_the_same_req() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "bob", "hi"), 0);
    let react = state.toggle_reaction(1, "👍", 0).unwrap();
    let out = state.apply(
        refusal(ErrorCode::RateLimited, "slow down", &req_of(&react)),
        1,
    );
    assert!(out.is_empty());
    assert!(state.notices().is_empty());
    let again = (2..10_000).find_map(|now| state.next_send(now)).unwrap();
    assert_eq!(again, react);
}

#[test]
fn a_change_waits_for_the_connection_and_goes_again_after_the_welcome() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "alice", "mine"), 0);
    let delete = state.delete(1, 0).unwrap();
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 5 });
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 1), 10);
    assert_eq!(out, std::slice::from_ref(&delete));
    // No answer in time: it goes again after the next welcome, with the same req.
    assert!(state.tick(10 + ACK_TIMEOUT_MS));
    state.connection_lost();
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 1), 20_000);
    assert_eq!(out, [delete]);
}

#[test]
fn a_refused_change_is_dropped_with_the_servers_reason() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "alice", "mine"), 0);
    let delete = state.delete(1, 0).unwrap();
    let message_text = "only its author, or the room's owner, deletes a message";
    state.apply(
        refusal(ErrorCode::NotAllowed, message_text, &req_of(&delete)),
        1,
    );
    assert_eq!(state.notices()[0].text, format!("Not sent: {message_text}"));
    assert!(!self::message(&state, &lobby, 1).details.deleted);
    state.connection_lost();
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 1), 10);
    assert!(out.is_empty(), "not sent again");
}
