//! What an operator sees: `/metrics` after real traffic, and logs that hold no secrets.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shared::ServerFrame;
use testkit::exposition::{Kind, CHAT_FAMILIES};
use testkit::{spawn_app, Engine, Storage};

use crate::chat_server;

#[tokio::test]
async fn metrics_follow_a_conversation() {
    let app = spawn_app().await;
    let (_, before) = app.scrape().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;

    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "hi", "req": "m1"}))
        .await;
    alice.recv_ack("m1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;

    let (content_type, m) = app.scrape().await;
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    // The names and types dashboards rely on.
    for (name, kind) in CHAT_FAMILIES.into_iter().chain([
        ("process_cpu_seconds_total", Kind::Counter),
        ("process_resident_memory_bytes", Kind::Gauge),
        ("process_open_fds", Kind::Gauge),
        ("process_max_fds", Kind::Gauge),
        ("process_start_time_seconds", Kind::Gauge),
    ]) {
        assert_eq!(m.kind(name), Some(kind), "{name}");
    }
    assert_eq!(m.value("chat_connections"), 2.0);
    assert_eq!(m.value("chat_users_online"), 2.0);
    assert_eq!(m.value("chat_rooms"), 1.0, "the lobby");
    // The counters moved with the conversation.
    assert_eq!(before.value("chat_connections_opened_total"), 0.0);
    assert_eq!(m.value("chat_connections_opened_total"), 2.0);
    assert!(m.value("chat_frames_received_total") > before.value("chat_frames_received_total"));
    assert!(m.value("chat_messages_stored_total") >= 1.0);
    // bob's arrival to alice, the message to bob, alice's ack. (Welcomes are written
    // straight to the socket, not queued.)
    assert!(m.value("chat_frames_sent_total") >= 3.0);
    // Every queued frame went out in some batch, and no batch was empty.
    assert!(m.value("chat_write_batches_total") >= 1.0);
    assert!(m.value("chat_write_batches_total") <= m.value("chat_frames_sent_total"));
    let (fanout, _, fanouts) = m.histogram("chat_fanout_seconds");
    let (_, _, appends) = m.histogram("chat_store_append_seconds");
    assert!(fanouts >= 1);
    assert!(appends >= 1);
    assert_eq!(
        fanout.last().map(|&(le, n)| (le, n as u64)),
        Some((f64::INFINITY, fanouts))
    );
    // Nothing went wrong, so none of these moved.
    assert_eq!(m.value("chat_slow_consumers_disconnected_total"), 0.0);
    assert_eq!(m.value("chat_rate_limited_total"), 0.0);
    assert_eq!(m.value("chat_flood_disconnects_total"), 0.0);

    // A resent message is acknowledged again but not stored again.
    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "hi", "req": "m1"}))
        .await;
    alice.recv_ack("m1").await;
    let (_, again) = app.scrape().await;
    assert_eq!(
        again.value("chat_messages_stored_total"),
        m.value("chat_messages_stored_total")
    );
    assert_eq!(again.histogram("chat_fanout_seconds").2, fanouts);

    if app.engine() == Engine::Postgres {
        // No lists file to fall behind: no gauge.
        assert!(m.family("chat_store_lists_behind_ids").is_none(), "{m:?}");
        return;
    }
    // SQLite's lists file covers the stored message within a round or two (one a second).
    assert!(m.value("chat_store_lists_behind_ids") <= 1.0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, now) = app.scrape().await;
        if now.value("chat_store_lists_behind_ids") == 0.0 {
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
