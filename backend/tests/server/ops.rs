//! What an operator sees: `/metrics` after real traffic, and logs that hold no secrets.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shared::ServerFrame;
use testkit::{spawn_app, Endpoint, Engine, Storage};

use crate::chat_server;

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
    alice.sync().await;

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
    // Every queued frame went out in some batch, and no batch was empty.
    assert!(m["chat_write_batches_total"] >= 1.0);
    assert!(m["chat_write_batches_total"] <= m["chat_frames_sent_total"]);
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

    if app.engine() == Engine::Postgres {
        // No lists file to fall behind: no gauge.
        assert!(!m.contains_key("chat_store_lists_behind_ids"), "{m:?}");
        return;
    }
    // SQLite's lists file covers the stored message within a round or two (one a second).
    assert!(m["chat_store_lists_behind_ids"] <= 1.0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, now) = scrape(&app).await;
        if now["chat_store_lists_behind_ids"] == 0.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the lists file stays behind");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Everything the server logs, at every level, from every thread (the runtime's workers, the
/// blocking pool that hashes passwords, the database's), while a user claims a name with a
/// password, connects with the token in the URL and in a header, talks, and signs out, must
/// hold neither the token nor the password. The real binary, so that its whole output is read.
#[tokio::test]
async fn no_token_or_password_reaches_the_logs() {
    let storage = Storage::from_env().await;
    let mut app = chat_server(&storage)
        .env("RUST_LOG", "trace")
        .env("LOG_FORMAT", "json")
        .capture_output()
        .start()
        .await;
    let password = "correct horse battery staple";
    let response = app
        .post_session(json!({"name": "carol", "password": password}))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    let token = body["token"].as_str().expect("a token").to_owned();
    let wrong = app
        .post_session(json!({"name": "carol", "password": "wrong horse battery"}))
        .await;
    assert_eq!(wrong.status(), 401);
    let signed_in = app
        .post_session(json!({"name": "carol", "password": password}))
        .await;
    assert_eq!(signed_in.status(), 200);

    let mut by_url = app.connect(&token).await;
    let mut by_header = app.connect_bearer(&token).await;
    by_url
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "hello", "req": "r"}))
        .await;
    by_url.recv_ack("r").await;
    by_header
        .recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;
    let http = app.http().clone();
    let who = http
        .get(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET /api/session");
    assert_eq!(who.status(), 200);
    let out = http
        .delete(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE /api/session");
    assert_eq!(out.status(), 204);
    by_url.until_closed().await;
    by_header.until_closed().await;
    // SIGTERM, so that everything it logs is written before the log is read.
    let (status, _) = app.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");

    let logs = app.log_text();
    for expected in ["session opened", "connected", "signed out"] {
        assert!(logs.contains(expected), "no {expected:?} logged:\n{logs}");
    }
    for line in logs.lines() {
        assert!(!line.contains(&token), "the token was logged: {line}");
        assert!(!line.contains(password), "the password was logged: {line}");
        assert!(
            !line.contains("horse battery"),
            "a password was logged: {line}"
        );
    }
}
