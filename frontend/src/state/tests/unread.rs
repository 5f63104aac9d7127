//! The conversation list: unread counts, read markers, and private conversations coming and
//! going.

use super::*;

#[test]
fn messages_elsewhere_count_as_unread_until_opened() {
    let mut state = connected("alice");
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
    state.apply(room_message(1, "rust", "bob", "one"), 1);
    state.apply(room_message(2, "rust", "bob", "two"), 2);
    state.apply(room_message(3, "lobby", "bob", "seen"), 3);
    // Our own message from another tab is not unread.
    state.apply(room_message(4, "rust", "alice", "mine"), 4);
    let rust = ConvKey::Room("rust".into());
    assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
    // Lobby is open: what arrives there is read once the page is seen.
    assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().unread(), 1);
    state.due(5, true);
    assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().unread(), 0);
    assert_eq!(state.total_unread(), 2);
    assert_eq!(state.announcement(), "bob (#lobby): seen");
    state.activate(&rust);
    // Opening it asks for its history; seen on a visible page, it is marked read.
    assert_eq!(state.total_unread(), 2);
    let out = state.due(2_000, true);
    assert!(matches!(&out[0], ClientFrame::History { before: None, .. }));
    assert_eq!(
        out[1],
        ClientFrame::Read {
            target: room("rust"),
            up_to: 4,
            req: None,
        }
    );
    assert_eq!(state.total_unread(), 0);
    let own: Vec<bool> = state
        .active_rows()
        .iter()
        .filter_map(|r| match r {
            Row::Message { own, .. } => Some(*own),
            Row::System { .. } => None,
        })
        .collect();
    assert_eq!(own, [false, false, true]);
    // The same message id twice is shown once.
    state.apply(room_message(4, "rust", "alice", "mine"), 5);
    assert_eq!(state.active_rows().len(), 3);
}

#[test]
fn private_messages_open_a_conversation_with_the_other_person() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::PrivateMessage {
            details: Default::default(),
            id: 1,
            from: "Bob".into(),
            to: "alice".into(),
            body: "hi alice".into(),
            at: 10,
        },
        10,
    );
    let bob = ConvKey::Direct("bob".into());
    let directs = state.directs();
    assert_eq!(directs.len(), 1);
    assert_eq!(directs[0].title, "Bob");
    assert_eq!(directs[0].unread, 1);
    assert_eq!(state.announcement(), "Bob (private): hi alice");
    // A message we sent to bob from another tab lands in the same conversation.
    state.apply(
        ServerFrame::PrivateMessage {
            details: Default::default(),
            id: 2,
            from: "alice".into(),
            to: "Bob".into(),
            body: "from my phone".into(),
            at: 11,
        },
        11,
    );
    assert_eq!(state.conversation(&bob).unwrap().lines.len(), 2);
    assert_eq!(state.conversation(&bob).unwrap().unread(), 1);
    state.open_direct("BOB");
    assert_eq!(state.active(), &bob);
    // A hidden page marks nothing read.
    assert!(!state
        .due(12, false)
        .iter()
        .any(|f| matches!(f, ClientFrame::Read { .. })));
    assert_eq!(state.total_unread(), 1);
    state.due(13, true);
    assert_eq!(state.total_unread(), 0);
    // No conversation with oneself.
    state.open_direct("Alice");
    assert_eq!(state.active(), &bob);
    state.close_direct(&bob);
    assert_eq!(state.active(), &ConvKey::lobby());
    assert!(state.directs().is_empty());
}

#[test]
fn welcome_sets_unread_counts_and_lists_private_conversations() {
    let mut state = ChatState::new("alice", "t");
    state.apply(
        welcome_with(
            "alice",
            &["lobby", "rust"],
            vec![
                info(room("lobby"), 41, 41, 0),
                info(room("rust"), 39, 30, 4),
                info(Target::User { to: "Carol".into() }, 40, 0, 1),
            ],
            41,
        ),
        0,
    );
    let rust = ConvKey::Room("rust".into());
    let carol = ConvKey::Direct("carol".into());
    assert_eq!(state.conversation(&rust).unwrap().unread(), 4);
    // Carol is offline, and the conversation is there, under her name.
    assert!(!state.is_online("carol"));
    let directs = state.directs();
    assert_eq!(directs.len(), 1);
    assert_eq!((directs[0].title.as_str(), directs[0].unread), ("Carol", 1));
    assert!(!directs[0].available);
    assert_eq!(state.total_unread(), 5);
    // A new message from someone else counts on top; our own does not.
    state.apply(room_message(42, "rust", "bob", "new"), 1);
    state.apply(room_message(43, "rust", "alice", "mine"), 2);
    assert_eq!(state.conversation(&rust).unwrap().unread(), 5);
    // Another tab read rust: the marker moves, the count follows.
    state.apply(
        ServerFrame::Read {
            target: room("rust"),
            up_to: 43,
        },
        3,
    );
    assert_eq!(state.conversation(&rust).unwrap().unread(), 0);
    // A marker never moves back.
    state.apply(
        ServerFrame::Read {
            target: room("rust"),
            up_to: 10,
        },
        4,
    );
    assert_eq!(state.conversation(&rust).unwrap().read_up_to, 43);
    // The next welcome replaces the counts.
    state.connection_lost();
    state.apply(
        welcome_with(
            "alice",
            &["lobby", "rust"],
            vec![info(room("rust"), 50, 43, 2)],
            50,
        ),
        5,
    );
    assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
    assert_eq!(state.conversation(&carol).unwrap().unread(), 1);
}

#[test]
fn unread_is_counted_from_the_marker_once_the_messages_are_held() {
    let mut state = ChatState::new("alice", "t");
    state.apply(
        welcome_with(
            "alice",
            &["lobby", "rust"],
            vec![info(room("rust"), 40, 10, 3)],
            40,
        ),
        0,
    );
    let rust = ConvKey::Room("rust".into());
    state.activate(&rust);
    let req = match state.due(1, false).pop() {
        Some(ClientFrame::History { req, .. }) => req,
        other => panic!("{other:?}"),
    };
    state.apply(page(room("rust"), &[5, 10, 20, 30, 40], true, req), 2);
    assert_eq!(state.conversation(&rust).unwrap().unread(), 3);
    // Another tab read up to 20: two of the held messages are left.
    state.apply(
        ServerFrame::Read {
            target: room("rust"),
            up_to: 20,
        },
        3,
    );
    assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
}

#[test]
fn read_markers_go_out_for_the_open_conversation_forward_only_and_throttled() {
    let mut state = connected("alice");
    let reads = |frames: Vec<ClientFrame>| -> Vec<u64> {
        frames
            .into_iter()
            .filter_map(|f| match f {
                ClientFrame::Read { up_to, .. } => Some(up_to),
                _ => None,
            })
            .collect()
    };
    state.apply(room_message(5, "lobby", "bob", "a"), 0);
    assert_eq!(reads(state.due(1_000, true)), [5]);
    // Nothing new: nothing to say.
    assert!(reads(state.due(5_000, true)).is_empty());
    state.apply(room_message(6, "lobby", "bob", "b"), 5_001);
    state.apply(room_message(7, "lobby", "bob", "c"), 5_002);
    assert_eq!(reads(state.due(5_003, true)), [7]);
    state.apply(room_message(8, "lobby", "bob", "d"), 5_004);
    // At most one a second; the page counts it read at once.
    assert!(reads(state.due(5_500, true)).is_empty());
    assert_eq!(state.total_unread(), 0);
    assert_eq!(reads(state.due(6_003, true)), [8]);
    // Our own messages need no marker.
    state.apply(room_message(9, "lobby", "alice", "mine"), 8_000);
    assert!(reads(state.due(9_000, true)).is_empty());
    // Not while disconnected.
    state.apply(room_message(10, "lobby", "bob", "e"), 9_001);
    state.set_link(Link::Reconnecting { retry_at: 10_000 });
    assert!(reads(state.due(9_500, true)).is_empty());
}

#[test]
fn private_conversations_with_someone_offline_can_be_opened_and_written_to() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "rust".into(),
            members: vec!["alice".into(), "Dave".into()],
        },
        0,
    );
    state.activate(&ConvKey::Room("rust".into()));
    let members = state.active_members();
    assert_eq!(members.len(), 2);
    assert!(members.iter().any(|p| p.name == "Dave" && !p.online));
    assert!(members.iter().any(|p| p.name == "alice" && p.is_me));
    state.open_direct("Dave");
    let dave = ConvKey::Direct("dave".into());
    assert_eq!(state.active(), &dave);
    let frame = state.send(&dave, "when you are back", 1).unwrap();
    assert!(matches!(
        frame,
        Some(ClientFrame::PrivateMessage { ref to, .. }) if to == "Dave"
    ));
    // Names against the rules open nothing.
    state.open_direct("not a name");
    assert_eq!(state.active(), &dave);
}

#[test]
fn counts_are_shown_up_to_where_the_server_stops_counting() {
    use shared::limits::UNREAD_COUNTED;
    assert_eq!(count_label(7), "7");
    assert_eq!(count_label(UNREAD_COUNTED - 1), "999");
    assert_eq!(count_label(UNREAD_COUNTED), "1000+");
    assert_eq!(count_label(UNREAD_COUNTED + 3), "1000+");
    assert_eq!(
        crate::state::notify::title(UNREAD_COUNTED + 3),
        "(1000+) Chat"
    );
    assert_eq!(crate::state::notify::title(2), "(2) Chat");
}
