//! Our sends: pending until their `ack`, failed after a timeout, a lost connection or a refusal,
//! retried and re-sent with the request id they always had.

use super::*;

#[test]
fn a_sent_message_is_pending_until_its_ack() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let frame = state.send(&lobby, "hello\n", 100).unwrap().unwrap();
    let req = req_of(&frame);
    assert!(req.starts_with("t-"));
    assert_eq!(
        frame,
        ClientFrame::RoomMessage {
            room: "lobby".into(),
            body: "hello".into(),
            req: Some(req.clone())
        }
    );
    assert_eq!(statuses(&state), [Status::Pending]);
    let key_before = state.active_rows()[0].seq();
    state.apply(
        ServerFrame::Ack {
            req: Some(req),
            id: 41,
            at: 150,
        },
        160,
    );
    assert_eq!(statuses(&state), [Status::Confirmed]);
    assert_eq!(state.active_rows()[0].seq(), key_before);
    // Nothing left to time out.
    state.tick(100_000);
    assert_eq!(statuses(&state), [Status::Confirmed]);
}

#[test]
fn a_send_without_ack_fails_after_ten_seconds_and_can_be_retried() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let first = state.send(&lobby, "hi", 1_000).unwrap().unwrap();
    assert!(!state.tick(1_000 + ACK_TIMEOUT_MS - 1));
    assert_eq!(statuses(&state), [Status::Pending]);
    assert!(state.tick(1_000 + ACK_TIMEOUT_MS));
    assert_eq!(statuses(&state), [Status::Failed]);
    match &state.active_rows()[0] {
        Row::Message { reason, .. } => assert!(reason.is_some()),
        other => panic!("{other:?}"),
    }
    let seq = state.active_rows()[0].seq();
    let again = state.retry(&lobby, seq, 20_000).unwrap();
    // The same request id: if the first attempt got through, the server stores it once.
    assert_eq!(req_of(&again), req_of(&first));
    assert_eq!(statuses(&state), [Status::Pending]);
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&again)),
            id: 2,
            at: 20_001,
        },
        20_002,
    );
    assert_eq!(statuses(&state), [Status::Confirmed]);
    // Retrying a confirmed message does nothing.
    assert_eq!(state.retry(&lobby, seq, 20_003), None);
}

#[test]
fn a_dropped_connection_fails_pending_sends_and_a_late_ack_still_confirms() {
    let mut state = connected("alice");
    let frame = state.send(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
    state.connection_lost();
    assert_eq!(statuses(&state), [Status::Failed]);
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&frame)),
            id: 9,
            at: 5,
        },
        6,
    );
    assert_eq!(statuses(&state), [Status::Confirmed]);
}

#[test]
fn sending_while_disconnected_fails_at_once() {
    let mut state = connected("alice");
    state.set_link(Link::Reconnecting { retry_at: 10 });
    let out = state.send(&ConvKey::lobby(), "hi", 0).unwrap();
    assert_eq!(out, None);
    assert_eq!(statuses(&state), [Status::Failed]);
    assert_eq!(
        state.retry(&ConvKey::lobby(), state.active_rows()[0].seq(), 1),
        None
    );
    assert_eq!(state.notices().len(), 1);
}

#[test]
fn a_frame_that_could_not_be_handed_over_fails() {
    let mut state = connected("alice");
    let frame = state.send(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
    state.send_failed(&frame);
    assert_eq!(statuses(&state), [Status::Failed]);
}

#[test]
fn drafts_over_the_limit_or_empty_are_refused_without_a_trace() {
    let mut state = connected("alice");
    let long = "x".repeat(shared::limits::MAX_BODY_CHARS + 1);
    assert!(matches!(
        state.send(&ConvKey::lobby(), &long, 0),
        Err(BodyProblem::TooLong { over: 1, .. })
    ));
    assert_eq!(
        state.send(&ConvKey::lobby(), " \n ", 0),
        Err(BodyProblem::Empty)
    );
    assert!(state.active_rows().is_empty());
}

#[test]
fn a_server_error_for_a_send_marks_it_failed_and_shows_a_notice_for_a_while() {
    let mut state = connected("alice");
    state.open_direct("bob");
    let bob = ConvKey::Direct("bob".into());
    let frame = state.send(&bob, "psst", 0).unwrap().unwrap();
    assert_eq!(
        frame,
        ClientFrame::PrivateMessage {
            to: "bob".into(),
            body: "psst".into(),
            req: frame.req().map(str::to_owned)
        }
    );
    state.apply(
        ServerFrame::Error {
            code: ErrorCode::UnknownUser,
            message: "nobody is called bob".into(),
            req: frame.req().map(str::to_owned),
        },
        100,
    );
    assert_eq!(statuses(&state), [Status::Failed]);
    assert_eq!(state.notices()[0].text, "nobody is called bob");
    let id = state.notices()[0].id;
    assert!(!state.tick(100 + NOTICE_MS - 1));
    assert!(state.tick(100 + NOTICE_MS));
    assert!(state.notices().is_empty());
    state.notify("x".into(), 0);
    state.dismiss(id + 1);
    assert!(state.notices().is_empty());
}

#[test]
fn errors_without_text_still_say_something() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: String::new(),
            req: None,
        },
        0,
    );
    assert_eq!(state.notices()[0].text, "rate limited");
}

#[test]
fn unacknowledged_sends_go_out_again_after_a_reconnect_with_the_same_req() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let first = state.send(&lobby, "one", 0).unwrap().unwrap();
    let second = state.send(&lobby, "two", 1).unwrap().unwrap();
    state.connection_lost();
    assert_eq!(statuses(&state), [Status::Failed, Status::Failed]);
    state.set_link(Link::Reconnecting { retry_at: 5 });
    // Written while away: it goes out with the others.
    assert_eq!(state.send(&lobby, "three", 2).unwrap(), None);
    let third_req = state.active_conversation().unwrap().lines[2]
        .message()
        .unwrap()
        .delivery
        .req()
        .unwrap()
        .to_owned();
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 10), 10);
    let reqs: Vec<String> = out.iter().map(req_of).collect();
    assert_eq!(reqs, [req_of(&first), req_of(&second), third_req]);
    assert_eq!(out[0], first);
    assert_eq!(statuses(&state), [Status::Pending; 3]);
    // The server had stored the first: the replay brings it, then its ack (original id).
    state.apply(room_message(9, "lobby", "alice", "one"), 11);
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&first)),
            id: 9,
            at: 1_009,
        },
        12,
    );
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&second)),
            id: 11,
            at: 1_011,
        },
        13,
    );
    let bodies: Vec<String> = state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::Message { body, .. } => Some(body),
            Row::System { .. } => None,
        })
        .collect();
    assert_eq!(bodies, ["one", "two", "three"]);
    assert_eq!(ids(&state, &lobby), [9, 11]);
    assert_eq!(
        statuses(&state),
        [Status::Confirmed, Status::Confirmed, Status::Pending]
    );
}

#[test]
fn a_refused_send_is_not_sent_again_by_itself_but_retry_keeps_its_req() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let frame = state.send(&lobby, "hi", 0).unwrap().unwrap();
    state.apply(
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            req: frame.req().map(str::to_owned),
        },
        1,
    );
    state.connection_lost();
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 0), 2);
    assert!(out.is_empty());
    assert_eq!(statuses(&state), [Status::Failed]);
    let seq = state.active_rows()[0].seq();
    assert_eq!(state.retry(&lobby, seq, 3), Some(frame));
}

#[test]
fn acks_keep_messages_in_id_order() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let frame = state.send(&lobby, "mine", 5_000).unwrap().unwrap();
    // Someone else's message overtakes ours on the way (its time is later than ours).
    state.apply(room_message(20, "lobby", "bob", "theirs"), 5_001);
    state.apply(
        ServerFrame::Ack {
            req: Some(req_of(&frame)),
            id: 21,
            at: 900,
        },
        5_002,
    );
    assert_eq!(ids(&state, &lobby), [20, 21]);
}
