//! Read receipts: asked for once per connection when a conversation is open and loaded, kept
//! up by live frames (markers only move forward), shown under our last message someone saw.

use std::collections::BTreeMap;

use super::*;

fn receipts(target: Target, readers: &[(&str, u64)]) -> ServerFrame {
    ServerFrame::Receipts {
        target,
        readers: readers
            .iter()
            .map(|(n, up)| ((*n).to_owned(), *up))
            .collect::<BTreeMap<_, _>>(),
        more: false,
        req: None,
    }
}

fn is_receipts(frame: &ClientFrame) -> bool {
    matches!(frame, ClientFrame::Receipts { .. })
}

/// Opens `key`, answers its history request with messages `(id, from)`, and returns what the
/// state wants to send next.
fn open_with(state: &mut ChatState, key: &ConvKey, messages: &[(u64, &str)]) -> Vec<ClientFrame> {
    state.activate(key);
    let asked = state.due(0, false);
    let req = asked
        .iter()
        .find_map(|f| match f {
            ClientFrame::History { req, .. } => req.clone(),
            _ => None,
        })
        .expect("a history request");
    let target = state.conversation(key).unwrap().target();
    state.apply(
        ServerFrame::History {
            messages: messages
                .iter()
                .map(|(id, from)| stored(*id, target.clone(), from))
                .collect(),
            target,
            complete: true,
            req: Some(req),
        },
        1,
    );
    state.due(2, false)
}

/// The seen line's message id and names in `key`.
fn seen(state: &ChatState, key: &ConvKey) -> Option<(u64, Vec<String>)> {
    let seen = state.receipt(key)?;
    let conv = state.conversation(key).unwrap();
    let line = conv.lines.iter().find(|l| l.seq == seen.seq).unwrap();
    Some((line.message().unwrap().id.unwrap(), seen.names))
}

#[test]
fn a_private_conversation_shows_seen_under_our_last_message_the_other_read() {
    let mut state = connected("alice");
    state.open_direct("bob");
    let bob = ConvKey::Direct("bob".into());
    let next = open_with(&mut state, &bob, &[(1, "bob"), (2, "alice"), (3, "alice")]);
    let asked: Vec<&ClientFrame> = next.iter().filter(|f| is_receipts(f)).collect();
    assert_eq!(
        asked,
        [&ClientFrame::Receipts {
            target: Target::User { to: "bob".into() },
            req: None,
        }]
    );
    // Once per connection.
    assert!(!state.due(3, false).iter().any(is_receipts));
    assert_eq!(seen(&state, &bob), None);

    // Bob has read up to 2: "seen" under 2 (3 is not seen yet).
    state.apply(
        receipts(Target::User { to: "bob".into() }, &[("bob", 2)]),
        4,
    );
    assert_eq!(seen(&state, &bob), Some((2, vec!["bob".to_owned()])));
    // Live: he reads on; a stale frame moves nothing back; we are never our own reader.
    state.apply(
        receipts(Target::User { to: "bob".into() }, &[("bob", 3)]),
        5,
    );
    state.apply(
        receipts(Target::User { to: "bob".into() }, &[("bob", 1)]),
        6,
    );
    state.apply(
        receipts(Target::User { to: "bob".into() }, &[("Alice", 9)]),
        7,
    );
    assert_eq!(seen(&state, &bob), Some((3, vec!["bob".to_owned()])));
    assert_eq!(state.conversation(&bob).unwrap().seen_by(3), ["bob"]);
    // His own messages never show it: a new one of his after ours changes nothing.
    state.apply(
        ServerFrame::PrivateMessage {
            details: Default::default(),
            id: 4,
            from: "bob".into(),
            to: "alice".into(),
            body: "yes".into(),
            at: 4,
        },
        8,
    );
    assert_eq!(seen(&state, &bob).map(|(id, _)| id), Some(3));

    // A new connection asks again.
    state.connection_lost();
    state.apply(welcome("alice", &["alice", "bob"], &[("lobby", &[])]), 9);
    assert!(state.due(10, false).iter().any(is_receipts));
}

#[test]
fn a_room_shows_who_saw_our_last_message_seen() {
    let mut state = ChatState::new("alice", "t");
    state.apply(
        welcome(
            "alice",
            &["alice", "bob", "carol", "dave"],
            &[("lobby", &[]), ("rust", &["alice", "bob", "carol", "dave"])],
        ),
        0,
    );
    let rust = ConvKey::Room("rust".into());
    let next = open_with(
        &mut state,
        &rust,
        &[(1, "alice"), (2, "bob"), (3, "alice"), (4, "carol")],
    );
    assert!(next.iter().any(is_receipts));
    // Nobody has reached 3 yet: "seen" stays under 1, by those past it.
    state.apply(receipts(room("rust"), &[("bob", 2), ("dave", 1)]), 3);
    assert_eq!(
        seen(&state, &rust),
        Some((1, vec!["bob".to_owned(), "dave".to_owned()]))
    );
    state.apply(receipts(room("rust"), &[("carol", 4)]), 4);
    state.apply(receipts(room("rust"), &[("bob", 3)]), 5);
    assert_eq!(
        seen(&state, &rust),
        Some((3, vec!["bob".to_owned(), "carol".to_owned()]))
    );
    // Receipts for a conversation we do not hold are dropped.
    state.apply(receipts(room("go"), &[("bob", 3)]), 6);
    assert!(state.conversation(&ConvKey::Room("go".into())).is_none());
}

#[test]
fn receipts_are_asked_for_once_a_loaded_conversation_holds_a_stored_message_of_ours() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    // Only others' messages: nothing to be seen, nothing asked.
    let next = open_with(&mut state, &lobby, &[(1, "bob")]);
    assert!(!next.iter().any(is_receipts), "{next:?}");
    // Ours, once stored, is worth asking about.
    let sent = state
        .send(&lobby, "hello", 3)
        .expect("a send")
        .expect("sent now");
    let req = req_of(&sent);
    assert!(!state.due(4, false).iter().any(is_receipts));
    state.apply(
        ServerFrame::Ack {
            req: Some(req),
            id: 2,
            at: 5,
        },
        5,
    );
    assert!(state.due(6, false).iter().any(is_receipts));
}
