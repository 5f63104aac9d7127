//! Timelines: messages merged by id from live frames, replays and history pages, paging back,
//! trimming, and the point the next connection resumes from.

use super::*;

#[test]
fn bodies_are_kept_as_written() {
    let mut state = connected("alice");
    let body = "<img src=x onerror=alert(1)>";
    state.apply(room_message(1, "lobby", "bob", body), 0);
    match &state.active_rows()[0] {
        Row::Message { body: shown, .. } => assert_eq!(shown, body),
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_conversations_are_trimmed() {
    let mut state = connected("alice");
    for id in 0..(MAX_LINES as u64 + 5) {
        state.apply(room_message(id + 1, "lobby", "bob", "x"), 0);
    }
    assert_eq!(state.active_rows().len(), MAX_LINES);
}

#[test]
fn the_resume_point_is_the_highest_id_received() {
    let mut state = ChatState::new("alice", "t");
    // A page's first connection replays nothing.
    assert_eq!(state.resume_after(), None);
    state.apply(welcome_with("alice", &["lobby"], Vec::new(), 40), 0);
    assert_eq!(state.resume_after(), Some(40));
    state.apply(room_message(42, "lobby", "bob", "hi"), 1);
    let frame = state.send(&ConvKey::lobby(), "yo", 2).unwrap().unwrap();
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&frame)),
            id: 45,
            at: 3,
        },
        3,
    );
    assert_eq!(state.resume_after(), Some(45));
    // History pages are old news: they do not move it.
    let req = match state.due(4, false).pop() {
        Some(ClientFrame::History { req, .. }) => req,
        other => panic!("{other:?}"),
    };
    state.apply(page(room("lobby"), &[44, 45, 46], false, req), 5);
    assert_eq!(state.resume_after(), Some(45));
    // A welcome never moves it back.
    state.connection_lost();
    state.apply(welcome_with("alice", &["lobby"], Vec::new(), 30), 6);
    assert_eq!(state.resume_after(), Some(45));
    state.apply(welcome_with("alice", &["lobby"], Vec::new(), 50), 7);
    assert_eq!(state.resume_after(), Some(50));
}

#[test]
fn history_pages_merge_by_id_with_live_and_replayed_messages() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    // A live message before the first page arrives.
    state.apply(room_message(60, "lobby", "bob", "live"), 1);
    let out = state.due(2, false);
    let first = match out.as_slice() {
        [ClientFrame::History {
            target,
            before: None,
            req,
            ..
        }] if *target == room("lobby") => req.clone(),
        other => panic!("{other:?}"),
    };
    // Asked once, not again while it is on its way.
    assert!(state.due(3, false).is_empty());
    assert_eq!(state.older_request(&lobby), None);
    state.apply(page(room("lobby"), &[50, 55, 60], false, first), 4);
    assert_eq!(ids(&state, &lobby), [50, 55, 60]);
    assert!(state.due(5, false).is_empty());
    // Scrolling to the top asks for what is before the oldest held.
    let older = state.older_request(&lobby).unwrap();
    let req = match &older {
        ClientFrame::History {
            before: Some(50),
            req,
            ..
        } => req.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(state.older_request(&lobby), None);
    // Replayed and live messages, some twice, out of the blue.
    state.apply(room_message(61, "lobby", "bob", "x"), 6);
    state.apply(room_message(55, "lobby", "bob", "again"), 7);
    state.apply(page(room("lobby"), &[20, 30, 50], true, req), 8);
    assert_eq!(ids(&state, &lobby), [20, 30, 50, 55, 60, 61]);
    // Nothing older exists: no more requests.
    assert!(state.conversation(&lobby).unwrap().complete);
    assert_eq!(state.older_request(&lobby), None);
    // The rows keep their sequence numbers, so the view keeps its keys.
    let seqs: Vec<u64> = state.active_rows().iter().map(Row::seq).collect();
    state.apply(room_message(62, "lobby", "bob", "y"), 9);
    let later: Vec<u64> = state.active_rows().iter().map(Row::seq).collect();
    assert_eq!(&later[..seqs.len()], &seqs[..]);
}

#[test]
fn a_lost_connection_forgets_the_history_request_and_asks_again() {
    let mut state = connected("alice");
    assert_eq!(state.due(1, false).len(), 1);
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 5 });
    assert!(state.due(2, false).is_empty());
    state.apply(welcome("alice", &["alice"], &[("lobby", &[])]), 6);
    assert_eq!(state.due(7, false).len(), 1);
}

#[test]
fn a_refused_history_request_is_not_repeated() {
    let mut state = connected("alice");
    state.open_direct("nobody");
    let req = match state.due(1, false).pop() {
        Some(ClientFrame::History {
            target: Target::User { to },
            req,
            ..
        }) if to == "nobody" => req,
        other => panic!("{other:?}"),
    };
    state.apply(
        ServerFrame::Error {
            code: ErrorCode::UnknownUser,
            message: "no such user".into(),
            req,
        },
        2,
    );
    assert!(state.due(3, false).is_empty());
    assert_eq!(state.older_request(&ConvKey::Direct("nobody".into())), None);
}

#[test]
fn a_replay_cut_is_paged_in_with_history() {
    let mut state = connected("alice");
    let req = match state.due(1, false).pop() {
        Some(ClientFrame::History { req, .. }) => req,
        other => panic!("{other:?}"),
    };
    state.apply(page(room("lobby"), &[1, 2, 3], true, req), 2);
    // Back after 3; the server replays only 100 and 101, and says so first.
    state.connection_lost();
    state.apply(welcome_with("alice", &["lobby"], Vec::new(), 101), 3);
    state.apply(
        ServerFrame::ReplayCut {
            after: 3,
            before: 100,
        },
        4,
    );
    state.apply(room_message(100, "lobby", "bob", "x"), 5);
    state.apply(room_message(101, "lobby", "bob", "y"), 6);
    let gap = Some(Gap {
        after: 3,
        before: 100,
    });
    assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().gap, gap);
    // The gap is asked for at once, page by page, from its newest end.
    let mut asked = Vec::new();
    let mut pages = vec![(50..100).collect::<Vec<u64>>(), (4..50).collect()];
    while let Some(ClientFrame::History { before, req, .. }) = state.due(7, false).pop() {
        asked.push(before);
        let ids = pages.remove(0);
        state.apply(page(room("lobby"), &ids, false, req), 8);
    }
    assert_eq!(asked, [Some(100), Some(50)]);
    assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().gap, None);
    let all: Vec<u64> = (1..=3).chain(4..100).chain([100, 101]).collect();
    assert_eq!(ids(&state, &ConvKey::lobby()), all);
}

#[test]
fn a_conversation_without_a_page_needs_no_gap() {
    let mut state = connected("alice");
    state.connection_lost();
    state.apply(welcome_with("alice", &["lobby"], Vec::new(), 101), 1);
    state.apply(
        ServerFrame::ReplayCut {
            after: 3,
            before: 100,
        },
        2,
    );
    state.apply(room_message(100, "lobby", "bob", "x"), 3);
    // Its newest page comes first, as for any conversation opened; older pages follow it.
    assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().gap, None);
    match state.due(4, false).pop() {
        Some(ClientFrame::History { before: None, .. }) => {}
        other => panic!("{other:?}"),
    }
}
