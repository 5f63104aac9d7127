//! Writing to clients that do not read: the byte budget of a connection's queue (1013), the
//! deadline of a write that makes no progress, and close frames that start at a frame
//! boundary when a write is cut short (sign-out, shutdown, the client's own close).
//!
//! The clients here have a small receive buffer (`Endpoint::connect_small_window`) and stop
//! reading, so the server's writes stall after little data. Their bodies are 4,000 control
//! characters, which JSON writes as six bytes each (`\u0001`): a history page of 100 of them
//! is about 2.4 MB.

use std::time::Duration;

use serde_json::json;
use shared::{close, ServerFrame};
use testkit::{spawn_app_with, Client, Ended, Storage};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::chat_server;

/// A body of the most characters, each written by JSON as six bytes.
fn heavy_body() -> String {
    "\u{1}".repeat(shared::limits::MAX_BODY_CHARS)
}

/// Posts `count` heavy messages to the lobby, in rounds of 50 (so that `client`'s own queue,
/// which gets each one back, never fills).
async fn fill_lobby(client: &mut Client, count: usize) {
    let body = heavy_body();
    for round in 0..count.div_ceil(50) {
        let this_round = (round * 50..count.min(round * 50 + 50)).collect::<Vec<_>>();
        for i in &this_round {
            client
                .send_json(json!({"type": "room_message", "room": "lobby", "body": body, "req": i.to_string()}))
                .await;
        }
        for _ in &this_round {
            client
                .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
                .await;
        }
    }
}

/// Asks for `pages` pages of the lobby's 100 latest messages, without reading the answers.
async fn ask_history(client: &mut Client, pages: usize) {
    for i in 0..pages {
        client
            .send_json(
                json!({"type": "history", "room": "lobby", "limit": 100, "req": format!("h{i}")}),
            )
            .await;
    }
}

/// A process's resident set and its peak, in bytes (from `/proc/<pid>/status`).
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("a field of /proc/<pid>/status")
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The value of a counter in the server's `/metrics`.
async fn counter(endpoint: &testkit::Endpoint, name: &str) -> u64 {
    let (_, metrics) = endpoint.scrape().await;
    metrics.value(name) as u64
}

#[tokio::test]
async fn a_client_asking_for_more_than_it_reads_is_closed_1013_and_memory_stays_bounded() {
    let storage = Storage::from_env().await;
    let server = chat_server(&storage).start().await;
    let pid = server.pid().expect("the server runs");
    let (_, mut writer) = server.user("writer").await;
    fill_lobby(&mut writer, 100).await;
    let token = server.claim("hoarder").await;
    let mut hoarder = server.connect_small_window(&token, None, 4096).await;
    let (before, _) = rss(pid);

    // 100 pages of about 2.4 MB each, never read: 240 MB if the server queued them all.
    const PAGES: usize = 100;
    let sent_before = counter(&server, "chat_frames_sent_total").await;
    ask_history(&mut hoarder, PAGES).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let over = counter(&server, "chat_queue_bytes_exceeded_total").await;
        let sent = counter(&server, "chat_frames_sent_total").await;
        if over > 0 || sent >= sent_before + PAGES as u64 {
            break;
        }
        assert!(Instant::now() < deadline, "the server answered neither way");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_, peak) = rss(pid);
    let grew = peak.saturating_sub(before);
    eprintln!(
        "server RSS {} MiB before, peak {} MiB (+{} MiB)",
        before >> 20,
        peak >> 20,
        grew >> 20
    );
    assert_eq!(counter(&server, "chat_queue_bytes_exceeded_total").await, 1);
    // The budget (4 MiB by default) and a page being built: nowhere near 240 MB.
    assert!(grew < 48 << 20, "the server grew by {} MiB", grew >> 20);
    // What was queued, then the close code that tells it to reconnect.
    assert_eq!(
        hoarder.until_closed().await,
        Ended::Closed(Some(close::TRY_AGAIN_LATER))
    );
    writer.assert_alive("writer").await;
}

#[tokio::test]
async fn a_write_that_makes_no_progress_for_the_idle_timeout_drops_the_connection() {
    let app = spawn_app_with(|c| {
        c.idle_timeout_secs = 1;
        c.ping_interval_secs = 1;
        // The byte budget is not what ends it here.
        c.queue_bytes = 256 << 20;
    })
    .await;
    let (_, mut writer) = app.user("writer").await;
    fill_lobby(&mut writer, 100).await;
    // It would not answer pings either (it reads nothing from here on).
    writer.close().await;
    let token = app.claim("stalled").await;
    let mut stalled = app.connect_small_window(&token, None, 4096).await;

    // About 10 MB, more than the socket buffers hold: the writes stall, and stay stalled.
    ask_history(&mut stalled, 4).await;
    let asked = Instant::now();
    let metrics = app.state.hub.metrics();
    let deadline = asked + Duration::from_secs(15);
    while metrics.write_timeouts.get() == 0 {
        assert!(
            Instant::now() < deadline,
            "still connected {:?} after the writes stalled",
            asked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("dropped {:?} after asking", asked.elapsed());
    app.wait_for_connections(0).await;
    assert_eq!(metrics.write_timeouts.get(), 1);
    // No close frame after a half-written frame: the connection just ends.
    assert_eq!(stalled.until_closed().await, Ended::Dropped);
}

/// A client resuming from the start, with a backlog of `messages` heavy messages (about 24 KB
/// each) that it does not read: the replay stalls part-way.
async fn stalled_replay(app: &testkit::TestApp, messages: usize) -> (String, Client) {
    let token = app.claim("resumer").await;
    let (_, mut writer) = app.user("writer").await;
    fill_lobby(&mut writer, messages).await;
    writer.close().await;
    let mut resumer = app.connect_small_window(&token, Some(0), 4096).await;
    // The replay has begun (then the client reads no more, and it stalls part-way).
    let first = resumer.recv().await;
    assert!(testkit::is_message(&first), "{first:?}");
    (token, resumer)
}

#[tokio::test]
async fn signing_out_mid_replay_closes_with_4001_after_the_frame_begun() {
    let app = spawn_app_with(|_| {}).await;
    let (token, mut resumer) = stalled_replay(&app, 300).await;
    assert_eq!(app.sign_out(&token).await, 204);
    assert_eq!(
        resumer.until_closed().await,
        Ended::Closed(Some(close::SESSION_ENDED))
    );
}

#[tokio::test]
async fn shutting_down_mid_replay_closes_with_1001_after_the_frame_begun() {
    let app = spawn_app_with(|_| {}).await;
    let (_, mut resumer) = stalled_replay(&app, 300).await;
    let stopping = tokio::spawn(app.shutdown());
    assert_eq!(
        resumer.until_closed().await,
        Ended::Closed(Some(close::GOING_AWAY))
    );
    stopping.await.unwrap();
}

#[tokio::test]
async fn a_client_close_mid_write_is_answered_after_the_frame_begun() {
    let app = spawn_app_with(|c| c.queue_bytes = 256 << 20).await;
    let (_, mut writer) = app.user("writer").await;
    fill_lobby(&mut writer, 100).await;
    let token = app.claim("leaver").await;
    let mut leaver = app.connect_small_window(&token, None, 4096).await;
    // About 10 MB of answers, then the client's close, while the server is writing them.
    ask_history(&mut leaver, 4).await;
    leaver
        .ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .expect("close");
    assert_eq!(
        leaver.until_closed().await,
        Ended::Closed(Some(u16::from(CloseCode::Normal)))
    );
}
