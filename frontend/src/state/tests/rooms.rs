//! Rooms: joining, leaving, their members, and what the server lists after a reconnect.

use super::*;

#[test]
fn after_a_reconnect_the_server_lists_our_rooms_and_nothing_is_joined_again() {
    let mut state = connected("alice");
    for room in ["rust", "ops"] {
        state.apply(
            ServerFrame::RoomJoined {
                online: Vec::new(),
                away: Vec::new(),
                settings: shared::RoomSettings::default(),
                room: room.into(),
                members: vec!["alice".into()],
            },
            1,
        );
    }
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 500 });
    // Another tab left #ops meanwhile; #rust is still ours.
    let out = state.apply(
        welcome(
            "alice",
            &["alice"],
            &[("lobby", &[]), ("rust", &["alice", "carol"])],
        ),
        600,
    );
    assert!(out.is_empty(), "{out:?}");
    let rust = ConvKey::Room("rust".into());
    assert!(state.send_blocker(&rust).is_none());
    assert_eq!(state.conversation(&rust).unwrap().members.len(), 2);
    assert!(state.conversation(&ConvKey::Room("ops".into())).is_none());
    // Presence is fresh: bob went away while we were disconnected.
    assert!(!state.is_online("bob"));
}

#[test]
fn members_coming_and_going_are_shown_as_system_lines() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "rust".into(),
            members: vec!["alice".into()],
        },
        0,
    );
    let rust = ConvKey::Room("rust".into());
    state.activate(&rust);
    state.apply(
        ServerFrame::MemberJoined {
            room: "rust".into(),
            user: "bob".into(),
        },
        1,
    );
    assert_eq!(state.conversation(&rust).unwrap().members.len(), 2);
    state.apply(
        ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "bob".into(),
            by: None,
            banned: false,
        },
        2,
    );
    let texts: Vec<String> = state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::System { text, .. } => Some(text),
            Row::Message { .. } => None,
        })
        .collect();
    assert_eq!(texts, ["bob joined", "bob left"]);
    assert_eq!(state.conversation(&rust).unwrap().members.len(), 1);
}

#[test]
fn joining_checks_the_name_and_opens_the_room_when_confirmed() {
    let mut state = connected("alice");
    assert_eq!(
        state.join_request("no spaces"),
        Err("The room name may only contain letters, digits, '_' and '-'.".into())
    );
    let frame = state.join_request(" Rust ").unwrap().unwrap();
    assert!(matches!(&frame, ClientFrame::Join { room, req: Some(_) } if room == "rust"));
    assert_eq!(state.active(), &ConvKey::lobby());
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "rust".into(),
            members: vec!["alice".into()],
        },
        0,
    );
    let rust = ConvKey::Room("rust".into());
    assert_eq!(state.active(), &rust);
    // Joining again just opens it.
    state.activate(&ConvKey::lobby());
    assert_eq!(state.join_request("rust"), Ok(None));
    assert_eq!(state.active(), &rust);
    // Leaving: lobby never, others through the server.
    assert_eq!(state.leave_request("lobby", 1), None);
    assert!(matches!(
        state.leave_request("rust", 1),
        Some(ClientFrame::Leave { .. })
    ));
    state.apply(
        ServerFrame::RoomLeft {
            room: "rust".into(),
            by: None,
            banned: false,
        },
        1,
    );
    assert_eq!(state.active(), &ConvKey::lobby());
    assert_eq!(state.rooms().len(), 1);
}

#[test]
fn a_refused_join_does_not_steal_focus_later() {
    let mut state = connected("alice");
    let frame = state.join_request("many").unwrap().unwrap();
    state.apply(
        ServerFrame::Error {
            code: ErrorCode::TooManyRooms,
            message: "too many rooms".into(),
            req: frame.req().map(str::to_owned),
        },
        0,
    );
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "many".into(),
            members: vec![],
        },
        1,
    );
    assert_eq!(state.active(), &ConvKey::lobby());
}
