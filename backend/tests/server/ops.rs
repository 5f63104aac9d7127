//! What an operator sees: `/metrics` after real traffic.

use std::collections::HashMap;

use serde_json::json;
use shared::ServerFrame;

use crate::helpers::{spawn_app, Endpoint};

/// `GET /metrics`: the content type and the samples, `name{labels}` to value.
async fn scrape(endpoint: &Endpoint) -> (String, HashMap<String, f64>) {
    let response = reqwest::get(endpoint.url("/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("a body");
    let samples = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').expect("name and value");
            (key.to_owned(), value.parse().expect("a number"))
        })
        .collect();
    (content_type, samples)
}

#[tokio::test]
async fn metrics_follow_a_conversation() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.drain().await;

    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "hi", "req": "m1"}))
        .await;
    alice.recv_ack("m1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;

    let (content_type, m) = scrape(&app).await;
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert_eq!(m["chat_connections"], 2.0);
    assert_eq!(m["chat_users_online"], 2.0);
    assert_eq!(m["chat_rooms"], 1.0, "the lobby");
    assert_eq!(m["chat_connections_opened_total"], 2.0);
    assert!(m["chat_frames_received_total"] >= 1.0);
    assert!(m["chat_messages_stored_total"] >= 1.0);
    // bob's arrival to alice, the message to bob, alice's ack. (Welcomes are written
    // straight to the socket, not queued.)
    assert!(m["chat_frames_sent_total"] >= 3.0);
    assert!(m["chat_fanout_seconds_count"] >= 1.0);
    assert!(m["chat_store_append_seconds_count"] >= 1.0);
    assert_eq!(
        m["chat_fanout_seconds_count"],
        m["chat_fanout_seconds_bucket{le=\"+Inf\"}"]
    );
    // Nothing went wrong, so none of these moved.
    assert_eq!(m["chat_slow_consumers_disconnected_total"], 0.0);
    assert_eq!(m["chat_rate_limited_total"], 0.0);
    assert_eq!(m["chat_flood_disconnects_total"], 0.0);

    // A resent message is acknowledged again but not stored again.
    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "hi", "req": "m1"}))
        .await;
    alice.recv_ack("m1").await;
    let (_, again) = scrape(&app).await;
    assert_eq!(
        again["chat_messages_stored_total"],
        m["chat_messages_stored_total"]
    );
    assert_eq!(
        again["chat_fanout_seconds_count"],
        m["chat_fanout_seconds_count"]
    );
}
