//! Our sends: one at a time, in the order written, paced; waiting (not failed) while the
//! connection is down; re-sent by themselves after `rate_limited` with the same request id,
//! nothing overtaking them; failed only for a true reason, retried one by one or all at once.

use super::*;

fn reasons(state: &ChatState) -> Vec<Option<String>> {
    state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::Message { reason, .. } => Some(reason),
            Row::System { .. } => None,
        })
        .collect()
}

fn bodies(state: &ChatState) -> Vec<String> {
    state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::Message { body, .. } => Some(body),
            Row::System { .. } => None,
        })
        .collect()
}

fn body_of(frame: &ClientFrame) -> &str {
    match frame {
        ClientFrame::RoomMessage { body, .. } | ClientFrame::PrivateMessage { body, .. } => body,
        other => panic!("not a message: {other:?}"),
    }
}

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
            reply_to: None,
            attachments: Vec::new(),
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
fn sends_go_one_at_a_time_in_order_each_after_the_previous_answer() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let first = state.send(&lobby, "one", 0).unwrap().unwrap();
    // The second waits for the first's answer, shown as on its way, not failed.
    assert_eq!(state.send(&lobby, "two", 1).unwrap(), None);
    assert_eq!(state.send(&lobby, "three", 2).unwrap(), None);
    assert_eq!(statuses(&state), [Status::Pending; 3]);
    assert!(state.due(3, true).iter().all(|f| f.req() != Some("t-2")));
    let out = state.apply(ack(&req_of(&first), 1), 4);
    assert_eq!(out.len(), 1);
    assert_eq!(body_of(&out[0]), "two");
    let out = state.apply(ack(&req_of(&out[0]), 2), 5);
    assert_eq!(body_of(&out[0]), "three");
    let out2 = state.apply(ack(&req_of(&out[0]), 3), 6);
    assert!(out2.is_empty());
    assert_eq!(statuses(&state), [Status::Confirmed; 3]);
}

#[test]
fn quick_sends_are_paced_within_the_servers_budget() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    // 40 messages written at once; the server answers at once. Within the first second at
    // most the burst the pacer allows (half the server's 20) plus its rate (8 a second) go.
    let mut out = state.send(&lobby, "m0", 0).unwrap();
    for i in 1..40 {
        assert_eq!(state.send(&lobby, &format!("m{i}"), 0).unwrap(), None);
    }
    let mut sent = Vec::new();
    let mut id = 0;
    for now in (0..=1_000).step_by(10) {
        if out.is_none() {
            out = state.next_send(now);
        }
        while let Some(frame) = out.take() {
            sent.push(body_of(&frame).to_owned());
            id += 1;
            out = state.apply(ack(&req_of(&frame), id), now).pop();
        }
    }
    assert!(
        (17..=19).contains(&sent.len()),
        "{} in a second",
        sent.len()
    );
    let expected: Vec<String> = (0..sent.len()).map(|i| format!("m{i}")).collect();
    assert_eq!(sent, expected);
}

#[test]
fn a_rate_limited_send_goes_again_by_itself_with_the_same_req_and_nothing_overtakes_it() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let first = state.send(&lobby, "one", 0).unwrap().unwrap();
    assert_eq!(state.send(&lobby, "two", 1).unwrap(), None);
    let out = state.apply(
        refusal(
            ErrorCode::RateLimited,
            "too many frames; slow down",
            &req_of(&first),
        ),
        10,
    );
    // Nothing goes at once: not the refused one, and not the one behind it.
    assert!(out.is_empty());
    assert!(state.notices().is_empty(), "a rate limit is no failure");
    assert_eq!(statuses(&state), [Status::Pending, Status::Pending]);
    assert!(state
        .due(100, true)
        .iter()
        .all(|f| f.req().is_none() || !matches!(f, ClientFrame::RoomMessage { .. })));
    // After the back-off, the same message with the same req, then the next.
    let again = state
        .next_send(10 + 200)
        .expect("sent again after the back-off");
    assert_eq!(again, first);
    // Then the next, when the pacer has a token again.
    let mut out = state.apply(ack(&req_of(&again), 7), 220);
    out.extend(state.next_send(400));
    assert_eq!(body_of(&out[0]), "two");
    state.apply(ack(&req_of(&out[0]), 8), 410);
    assert_eq!(bodies(&state), ["one", "two"]);
    assert_eq!(statuses(&state), [Status::Confirmed; 2]);
}

#[test]
fn a_send_refused_for_its_rate_too_often_fails_with_that_reason() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let frame = state.send(&lobby, "one", 0).unwrap().unwrap();
    let mut now = 0;
    for _ in 0..MAX_RATE_REFUSALS {
        state.apply(
            refusal(ErrorCode::RateLimited, "slow down", &req_of(&frame)),
            now,
        );
        now += 10_000;
        if let Some(again) = state.next_send(now) {
            assert_eq!(again, frame);
        }
    }
    assert_eq!(statuses(&state), [Status::Failed]);
    let reason = reasons(&state)[0].clone().unwrap();
    assert!(reason.starts_with("Rate limited"), "{reason}");
    assert_eq!(state.notices().len(), 1);
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
    let reason = reasons(&state)[0].clone().unwrap();
    assert!(reason.starts_with("No answer from the server"), "{reason}");
    let seq = state.active_rows()[0].seq();
    let again = state.retry(&lobby, seq, 20_000).unwrap();
    // The same request id: if the first attempt got through, the server stores it once.
    assert_eq!(req_of(&again), req_of(&first));
    assert_eq!(statuses(&state), [Status::Pending]);
    state.apply(ack(&req_of(&again), 2), 20_002);
    assert_eq!(statuses(&state), [Status::Confirmed]);
    // Retrying a confirmed message does nothing.
    assert_eq!(state.retry(&lobby, seq, 20_003), None);
}

#[test]
fn a_dropped_connection_makes_sends_wait_not_fail_and_they_go_after_the_welcome() {
    let mut state = connected("alice");
    let frame = state.send(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 10 });
    assert_eq!(statuses(&state), [Status::Waiting]);
    assert_eq!(reasons(&state), [None]);
    assert!(state.notices().is_empty());
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 0), 20);
    assert_eq!(out, std::slice::from_ref(&frame));
    assert_eq!(statuses(&state), [Status::Pending]);
    state.apply(ack(&req_of(&frame), 9), 21);
    assert_eq!(statuses(&state), [Status::Confirmed]);
}

#[test]
fn sending_while_disconnected_waits_for_the_connection() {
    let mut state = connected("alice");
    state.set_link(Link::Reconnecting { retry_at: 10 });
    let out = state.send(&ConvKey::lobby(), "hi", 0).unwrap();
    assert_eq!(out, None);
    assert_eq!(statuses(&state), [Status::Waiting]);
    assert_eq!(Status::Waiting.label(), Some("Waiting for connection"));
    assert!(state.notices().is_empty());
    assert_eq!(state.failed_count(), 0);
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 0), 20);
    assert_eq!(out.len(), 1);
    assert_eq!(body_of(&out[0]), "hi");
}

#[test]
fn a_frame_that_could_not_be_handed_over_waits_for_the_connection() {
    let mut state = connected("alice");
    let frame = state.send(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
    state.send_failed(&frame);
    state.connection_lost();
    assert_eq!(statuses(&state), [Status::Waiting]);
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 0), 20);
    assert_eq!(out, [frame]);
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
fn a_server_error_for_a_send_marks_it_failed_with_the_true_reason() {
    let mut state = connected("alice");
    state.open_direct("bob");
    let bob = ConvKey::Direct("bob".into());
    let frame = state.send(&bob, "psst", 0).unwrap().unwrap();
    assert_eq!(
        frame,
        ClientFrame::PrivateMessage {
            reply_to: None,
            attachments: Vec::new(),
            to: "bob".into(),
            body: "psst".into(),
            req: frame.req().map(str::to_owned)
        }
    );
    state.apply(
        refusal(
            ErrorCode::UnknownUser,
            "nobody is called bob",
            &req_of(&frame),
        ),
        100,
    );
    assert_eq!(statuses(&state), [Status::Failed]);
    assert_eq!(reasons(&state), [Some("nobody is called bob".to_owned())]);
    assert_eq!(state.notices()[0].text, "Not sent: nobody is called bob");
    let id = state.notices()[0].id;
    assert!(!state.tick(100 + NOTICE_MS - 1));
    assert!(state.tick(100 + NOTICE_MS));
    assert!(state.notices().is_empty());
    state.notify("x".into(), 0);
    state.dismiss(id + 1);
    assert!(state.notices().is_empty());
}

#[test]
fn refusals_say_what_was_wrong() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let frame = state.send(&lobby, "one", 0).unwrap().unwrap();
    let out = state.apply(
        refusal(
            ErrorCode::NotMember,
            "you are not in room lobby",
            &req_of(&frame),
        ),
        1,
    );
    assert!(out.is_empty());
    let frame = state.send(&lobby, "two", 2).unwrap().unwrap();
    state.apply(refusal(ErrorCode::BodyTooLong, "", &req_of(&frame)), 3);
    assert_eq!(
        reasons(&state),
        [
            Some("You are not a member of this room (you are not in room lobby).".to_owned()),
            Some("Too long.".to_owned())
        ]
    );
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
fn several_failures_make_one_notice_with_a_count_and_retry_all_sends_them_in_order() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let mut reqs = Vec::new();
    for (i, body) in ["one", "two", "three"].into_iter().enumerate() {
        let frame = state.send(&lobby, body, i as Millis).unwrap().unwrap();
        reqs.push(req_of(&frame));
        state.apply(
            refusal(
                ErrorCode::NotMember,
                "you are not in room lobby",
                &req_of(&frame),
            ),
            i as Millis,
        );
    }
    assert_eq!(statuses(&state), [Status::Failed; 3]);
    assert_eq!(state.failed_count(), 3);
    assert_eq!(state.notices().len(), 1, "{:?}", state.notices());
    assert!(state.notices()[0].label().ends_with("(×3)"));
    // Retry all: the first goes now, the others after it, each with its own req.
    let first = state.retry_all(10).unwrap();
    assert_eq!(req_of(&first), reqs[0]);
    assert_eq!(state.failed_count(), 0);
    let second = state.apply(ack(&reqs[0], 1), 11).pop().unwrap();
    assert_eq!(req_of(&second), reqs[1]);
    let third = state.apply(ack(&reqs[1], 2), 12).pop().unwrap();
    assert_eq!(req_of(&third), reqs[2]);
    state.apply(ack(&reqs[2], 3), 13);
    assert_eq!(bodies(&state), ["one", "two", "three"]);
    assert_eq!(statuses(&state), [Status::Confirmed; 3]);
}

#[test]
fn unacknowledged_sends_go_out_again_after_a_reconnect_with_the_same_req() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let first = state.send(&lobby, "one", 0).unwrap().unwrap();
    assert_eq!(state.send(&lobby, "two", 1).unwrap(), None);
    state.connection_lost();
    assert_eq!(statuses(&state), [Status::Waiting, Status::Waiting]);
    state.set_link(Link::Reconnecting { retry_at: 5 });
    // Written while away: it goes out with the others.
    assert_eq!(state.send(&lobby, "three", 2).unwrap(), None);
    let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 10), 10);
    assert_eq!(out, std::slice::from_ref(&first));
    assert_eq!(
        statuses(&state),
        [Status::Pending, Status::Pending, Status::Pending]
    );
    // The server had stored the first: the replay brings it, then its ack (original id).
    state.apply(room_message(9, "lobby", "alice", "one"), 11);
    let second = state.apply(ack(&req_of(&first), 9), 12).pop().unwrap();
    assert_eq!(body_of(&second), "two");
    let third = state.apply(ack(&req_of(&second), 11), 13).pop().unwrap();
    assert_eq!(body_of(&third), "three");
    assert_eq!(bodies(&state), ["one", "two", "three"]);
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
        refusal(ErrorCode::NotMember, "not in lobby", &req_of(&frame)),
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

#[test]
fn files_go_on_the_message_and_an_empty_body_may_carry_them() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    let cat = shared::Attachment {
        id: "f1".into(),
        name: "cat.png".into(),
        content_type: "image/png".into(),
        size: 1234,
    };
    // No files, no text: refused as before.
    assert!(state.send_files(&lobby, "  ", Vec::new(), 0).is_err());
    let frame = state
        .send_files(&lobby, "", vec![cat.clone()], 0)
        .unwrap()
        .unwrap();
    match &frame {
        ClientFrame::RoomMessage {
            attachments, body, ..
        } => {
            assert_eq!(attachments, &["f1".to_owned()]);
            assert_eq!(body, "");
        }
        other => panic!("not a room message: {other:?}"),
    }
    // Our own line shows them before the server answers.
    match &state.active_rows()[0] {
        Row::Message { details, .. } => assert_eq!(details.attachments, [cat]),
        other => panic!("not a message: {other:?}"),
    }
}
