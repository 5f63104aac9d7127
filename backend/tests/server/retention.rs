//! Retention: `--retention-days` and a room's own retention (set by its owner alone) delete
//! old messages on the task's schedule, with their search entries; history and a resuming
//! client get what is left.

use std::time::Duration;

use backend::clock::now_ms;
use backend::message::{Destination, NewMessage};
use serde_json::json;
use shared::{ErrorCode, RoomName, ServerFrame, UserName};
use testkit::{spawn_app_with, TestApp, ARRIVES_WITHIN};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Stores, straight into the store, a message from `from` in `room` sent `days_ago` days ago;
/// returns its id.
async fn old_message(app: &TestApp, from: &str, room: &str, body: &str, days_ago: u64) -> u64 {
    let stored = app
        .state
        .store
        .append(&[NewMessage {
            from: UserName::parse(from).unwrap(),
            to: Destination::Room(RoomName::parse(room).unwrap()),
            body: body.to_owned(),
            at: now_ms() - days_ago * DAY_MS,
            req: None,
            reply_to: None,
            change: None,
            attachments: Vec::new(),
        }])
        .await
        .expect("stored");
    stored[0].message().expect("a message").id
}

/// Waits until `room`'s history, read by `client`, is `expected`.
async fn history_becomes(client: &mut testkit::Client, room: &str, expected: &[u64]) {
    let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
    loop {
        let (ids, _) = client.history(json!({ "room": room })).await;
        if ids == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{room}: {ids:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn messages_older_than_the_retention_are_deleted_and_a_resume_gets_what_is_left() {
    let app = spawn_app_with(|config| {
        config.retention_days = Some(7);
        config.retention_interval_secs = 1;
        config.retention_batch = 2;
    })
    .await;
    let (token, mut alice) = app.user("alice").await;
    // Five old enough (more than two batches), one not quite, then a live one.
    let mut old = Vec::new();
    for i in 0..5 {
        old.push(old_message(&app, "alice", "lobby", &format!("ancient {i}"), 8).await);
    }
    let recent = old_message(&app, "alice", "lobby", "ancient but kept", 6).await;
    let live = alice.say("lobby", "ancient live", "l1").await;
    history_becomes(&mut alice, "lobby", &[recent, live]).await;
    // Their search entries went with them.
    let mut found = alice.search_ids(json!({"query": "ancient"})).await;
    found.sort_unstable();
    assert_eq!(found, [recent, live]);
    // A client resuming from before the cut gets what is left, in order.
    let mut resumed = app.connect_after(&token, old[0] - 1).await;
    let replayed: Vec<u64> = resumed
        .sync()
        .await
        .iter()
        .filter_map(testkit::message_id)
        .collect();
    assert_eq!(replayed, [recent, live]);
}

#[tokio::test]
async fn a_rooms_owner_sets_its_retention_and_nobody_else_can() {
    let app = spawn_app_with(|config| config.retention_interval_secs = 1).await;
    let (_, mut owner) = app.user("olga").await;
    let (_, mut member) = app.user("max").await;
    owner.join("ops").await;
    member.join("ops").await;
    let in_ops = old_message(&app, "olga", "ops", "old ops", 3).await;
    let in_lobby = old_message(&app, "olga", "lobby", "old lobby", 3).await;

    member
        .send_json(json!({"type": "retention", "room": "ops", "days": 1, "req": "m1"}))
        .await;
    let refused = member
        .recv_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await;
    assert!(
        matches!(refused, ServerFrame::Error { code: ErrorCode::NotAllowed, req: Some(ref r), .. } if r == "m1"),
        "{refused:?}"
    );
    owner
        .send_json(json!({"type": "retention", "room": "ops", "days": 0, "req": "o0"}))
        .await;
    let refused = owner
        .recv_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await;
    assert!(
        matches!(
            refused,
            ServerFrame::Error {
                code: ErrorCode::InvalidFrame,
                ..
            }
        ),
        "{refused:?}"
    );
    // Only its members hear of it: not the lobby's others.
    let (_, mut outsider) = app.user("otto").await;
    owner
        .send_json(json!({"type": "retention", "room": "ops", "days": 1, "req": "o1"}))
        .await;
    let answer = owner
        .recv_until(|f| matches!(f, ServerFrame::Retention { .. }))
        .await;
    assert_eq!(
        answer,
        ServerFrame::Retention {
            room: "ops".into(),
            days: Some(1),
            req: Some("o1".into())
        }
    );
    let told = member
        .recv_until(|f| matches!(f, ServerFrame::Retention { .. }))
        .await;
    assert_eq!(
        told,
        ServerFrame::Retention {
            room: "ops".into(),
            days: Some(1),
            req: None
        }
    );
    outsider
        .assert_none_of("retention", |f| matches!(f, ServerFrame::Retention { .. }))
        .await;
    history_becomes(&mut member, "ops", &[]).await;
    // The lobby keeps its old message: the server has no retention of its own here.
    let (ids, _) = member.history(json!({"room": "lobby"})).await;
    assert_eq!(ids, [in_lobby]);
    assert!(in_ops < in_lobby);
}
