//! Who is online, and who is typing where.

use super::*;

#[test]
fn welcome_sets_who_is_online_and_the_rooms() {
    let mut state = ChatState::new("alice", "t");
    assert_eq!(state.link(), Link::Connecting);
    state.apply(
        welcome(
            "Alice",
            &["Alice", "bob"],
            &[("lobby", &[]), ("rust", &["Alice"])],
        ),
        0,
    );
    assert!(state.is_connected());
    assert_eq!(state.me(), "Alice");
    let people = state.people();
    assert_eq!(people.len(), 2);
    assert!(people.iter().any(|p| p.name == "Alice" && p.is_me));
    let rooms: Vec<String> = state.rooms().into_iter().map(|r| r.title).collect();
    assert_eq!(rooms, ["lobby", "rust"]);
    assert!(state.rooms().iter().all(|r| r.available));
}

fn presence(online: &[&str], offline: &[&str]) -> ServerFrame {
    ServerFrame::Presence {
        online_count: None,
        online: online.iter().map(|s| s.to_string()).collect(),
        offline: offline.iter().map(|s| s.to_string()).collect(),
        away: Vec::new(),
        last_seen: Default::default(),
    }
}

#[test]
fn presence_changes_update_the_online_list() {
    let mut state = connected("alice");
    state.open_direct("carol");
    state.apply(presence(&["Carol"], &[]), 1);
    assert!(state.is_online("carol"));
    assert!(state.directs()[0].available);
    state.apply(presence(&[], &["Carol"]), 2);
    assert!(!state.is_online("CAROL"));
    assert_eq!(state.people().len(), 2);
    let texts: Vec<String> = state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::System { text, .. } => Some(text),
            Row::Message { .. } => None,
        })
        .collect();
    assert!(texts.is_empty(), "presence is no timeline line: {texts:?}");
}

#[test]
fn presence_is_unknown_while_the_connection_is_down_and_restored_by_the_next_welcome() {
    let mut state = connected("alice");
    state.open_direct("bob");
    assert!(state.presence_known());
    assert!(state.is_online("bob"));
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 1_000 });
    assert!(!state.presence_known());
    assert!(!state.is_online("bob"), "nobody shows online while down");
    let people = state.people();
    assert_eq!(people.len(), 2, "the last known list stays, greyed");
    assert!(people.iter().all(|p| !p.online));
    assert!(state.directs().iter().all(|d| !d.available));
    // The next welcome says who is online now.
    state.apply(
        welcome("alice", &["alice", "carol"], &[("lobby", &[])]),
        2_000,
    );
    assert!(state.presence_known());
    assert!(!state.is_online("bob"));
    assert!(state.is_online("carol"));
    assert!(state.people().iter().all(|p| p.online));
}

#[test]
fn a_presence_frame_applies_many_changes_and_repeats_are_no_news() {
    let mut state = connected("alice");
    assert!(state.is_online("bob"), "the welcome lists bob");
    state.open_direct("bob");
    state.open_direct("dave");
    state.open_direct("erin");
    state.apply(
        ServerFrame::Typing {
            from: "erin".into(),
            target: Target::User { to: "alice".into() },
        },
        1,
    );
    // Bob and we were online already; frank was never known to be online.
    state.apply(presence(&["alice", "bob", "dave", "erin"], &["frank"]), 2);
    state.apply(presence(&["dave"], &["erin"]), 3);
    let mut people: Vec<String> = state.people().into_iter().map(|p| p.name).collect();
    people.sort();
    assert_eq!(people, ["alice", "bob", "dave"]);
    let erin = ConvKey::Direct("erin".into());
    assert_eq!(
        state.typing_text(&erin),
        None,
        "typing ends with going offline"
    );
    // No "is online" / "went offline" lines anywhere.
    for name in ["bob", "dave", "erin"] {
        state.activate(&ConvKey::Direct(name.into()));
        let system = state
            .active_rows()
            .into_iter()
            .filter(|r| matches!(r, Row::System { .. }))
            .count();
        assert_eq!(system, 0, "a presence line with {name}");
    }
}

#[test]
fn typing_shows_for_four_seconds_or_until_the_message() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let typing = |from: &str| ServerFrame::Typing {
        from: from.into(),
        target: Target::Room {
            room: "lobby".into(),
        },
    };
    state.apply(typing("bob"), 1_000);
    assert_eq!(state.typing_text(&lobby).as_deref(), Some("bob is typing…"));
    state.apply(typing("carol"), 1_500);
    assert_eq!(
        state.typing_text(&lobby).as_deref(),
        Some("bob and carol are typing…")
    );
    state.apply(typing("dave"), 1_500);
    assert_eq!(
        state.typing_text(&lobby).as_deref(),
        Some("Several people are typing…")
    );
    state.apply(room_message(1, "lobby", "dave", "done"), 1_600);
    assert!(state.tick(1_000 + TYPING_SHOWN_MS));
    assert_eq!(
        state.typing_text(&lobby).as_deref(),
        Some("carol is typing…")
    );
    state.tick(1_500 + TYPING_SHOWN_MS);
    assert_eq!(state.typing_text(&lobby), None);
    // Private typing goes to the conversation with the typer, if there is one.
    state.open_direct("bob");
    state.apply(
        ServerFrame::Typing {
            from: "bob".into(),
            target: Target::User { to: "alice".into() },
        },
        9_000,
    );
    assert_eq!(
        state.typing_text(&ConvKey::Direct("bob".into())).as_deref(),
        Some("bob is typing…")
    );
    state.apply(
        ServerFrame::Presence {
            online_count: None,
            online: Vec::new(),
            offline: vec!["bob".into()],
            away: Vec::new(),
            last_seen: Default::default(),
        },
        9_001,
    );
    assert_eq!(state.typing_text(&ConvKey::Direct("bob".into())), None);
}

#[test]
fn typing_frames_go_only_where_they_can_arrive() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    assert_eq!(
        state.typing_frame(&lobby),
        Some(ClientFrame::Typing {
            target: Target::Room {
                room: "lobby".into()
            }
        })
    );
    state.open_direct("Bob");
    assert_eq!(
        state.typing_frame(&ConvKey::Direct("bob".into())),
        Some(ClientFrame::Typing {
            target: Target::User { to: "bob".into() }
        })
    );
    state.open_direct("zed");
    assert_eq!(state.typing_frame(&ConvKey::Direct("zed".into())), None);
    // Private messages to someone offline are stored for them.
    assert_eq!(state.send_blocker(&ConvKey::Direct("zed".into())), None);
    state.set_link(Link::Connecting);
    assert_eq!(state.typing_frame(&lobby), None);
}

fn joined(room: &str, members: &[&str], online: &[&str], away: &[&str]) -> ServerFrame {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    ServerFrame::RoomJoined {
        room: room.into(),
        members: names(members),
        online: names(online),
        away: names(away),
        settings: Default::default(),
    }
}

#[test]
fn the_count_of_everyone_online_comes_with_welcome_and_presence() {
    let mut state = ChatState::new("alice", "t");
    let mut frame = welcome("alice", &["alice"], &[("lobby", &[])]);
    if let ServerFrame::Welcome { online_count, .. } = &mut frame {
        *online_count = 212;
    }
    state.apply(frame, 0);
    assert_eq!(state.online_count(), 212);
    assert_eq!(state.people().len(), 1, "only those of interest are listed");
    // A count alone, with both lists empty.
    state.apply(
        ServerFrame::Presence {
            online: Vec::new(),
            offline: Vec::new(),
            away: Vec::new(),
            last_seen: Default::default(),
            online_count: Some(215),
        },
        1,
    );
    assert_eq!(state.online_count(), 215);
    // A frame without one leaves it.
    state.apply(presence(&["bob"], &[]), 2);
    assert_eq!(state.online_count(), 215);
}

#[test]
fn a_room_joined_and_a_conversations_page_bring_who_is_online() {
    let mut state = connected("alice");
    state.apply(
        joined(
            "rust",
            &["alice", "carol", "dave"],
            &["alice", "carol", "dave"],
            &["dave"],
        ),
        1,
    );
    assert!(state.is_online("carol"));
    assert_eq!(state.availability("dave"), Availability::Away);
    state.apply(
        ServerFrame::Conversations {
            conversations: vec![info(Target::User { to: "erin".into() }, 5, 5, 0)],
            complete: true,
            online: vec!["erin".into()],
            away: vec!["erin".into()],
            req: None,
        },
        2,
    );
    assert_eq!(state.availability("erin"), Availability::Away);
    assert!(state
        .directs()
        .iter()
        .any(|d| d.title == "erin" && d.available));
}

#[test]
fn leaving_a_room_forgets_the_presence_of_those_no_longer_of_interest() {
    let mut state = connected("alice");
    state.apply(
        joined(
            "rust",
            &["alice", "carol", "dave", "erin"],
            &["carol", "dave", "erin"],
            &["erin"],
        ),
        1,
    );
    state.apply(joined("go", &["alice", "Dave"], &["Dave"], &[]), 2);
    // A private conversation with erin keeps her of interest.
    state.open_direct("erin");
    state.apply(
        ServerFrame::RoomLeft {
            room: "rust".into(),
            by: None,
            banned: false,
        },
        3,
    );
    assert!(!state.is_online("carol"), "carol was only in rust");
    assert_eq!(state.availability("carol"), Availability::Offline(None));
    assert!(state.is_online("dave"), "dave is in go too");
    assert_eq!(state.availability("erin"), Availability::Away);
    assert!(state.is_online("alice"), "we stay");
    let mut people: Vec<String> = state.people().into_iter().map(|p| p.name).collect();
    people.sort();
    assert_eq!(people, ["Dave", "alice", "erin"]);
    // Dave leaves go, the last room we shared.
    state.apply(
        ServerFrame::MemberLeft {
            room: "go".into(),
            user: "dave".into(),
            by: None,
            banned: false,
        },
        4,
    );
    assert!(!state.is_online("dave"));
}
