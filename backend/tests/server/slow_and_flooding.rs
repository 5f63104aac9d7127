//! Limits: a slow reader is cut off without slowing anyone, floods are refused, then closed.

use serde_json::json;
use shared::{close, ErrorCode, ServerFrame};

use testkit::{is_offline, is_online, lists, presence, spawn_app_with, Ended};

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_and_others_keep_up() {
    let app = spawn_app_with(|c| {
        c.queue_frames = 32;
        c.rate_per_sec = 100_000;
        c.rate_burst = 100_000;
    })
    .await;
    let (_, mut sender) = app.member("sender").await;
    let (_, mut reader) = app.member("reader").await;
    let (_, mut stalled) = app.member("stalled").await;
    sender.sync().await;
    reader.sync().await;
    stalled.sync().await;

    // `stalled` now reads nothing. Its socket buffers fill, then its queue, then it is cut off.
    let body = "z".repeat(3_900);
    let mut received = 0;
    for i in 0..2_000 {
        sender
            .send_json(json!({"type": "room_message", "room": "lobby", "body": body, "req": i.to_string()}))
            .await;
        // The reader keeps up with every message: each arrives within `recv`'s deadline (a
        // wall-clock bound on the whole loop would only measure how loaded the machine is).
        let frame = reader
            .recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
            .await;
        assert!(matches!(frame, ServerFrame::RoomMessage { .. }));
        received += 1;
        if app.state.hub.metrics().slow_consumers_disconnected.get() > 0 {
            break;
        }
    }
    assert!(
        app.state.hub.metrics().slow_consumers_disconnected.get() == 1,
        "the stalled client was not cut off after {received} messages"
    );
    // The others hear that the stalled client left, and carry on.
    let frame = reader
        .recv_until(|f| matches!(f, ServerFrame::Presence { .. }))
        .await;
    assert_eq!(lists(frame), presence(&[], &["stalled"]));
    reader.assert_alive("reader").await;
    sender.assert_alive("sender").await;
    // When the stalled client reads again, it finds what was queued, then the close code
    // that tells it to reconnect.
    assert_eq!(
        stalled.until_closed().await,
        Ended::Closed(Some(close::TRY_AGAIN_LATER))
    );
}

#[tokio::test]
async fn flooding_is_rate_limited_then_disconnected() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 1;
        c.rate_burst = 5;
        c.flood_limit = 10;
    })
    .await;
    let (_, mut flooder) = app.member("flooder").await;
    let (_, mut bob) = app.member("bob").await;
    // Not a ping round trip: that would spend a frame of the burst.
    flooder.recv_until(is_online("bob")).await;
    // Joining the team spent a frame of the flooder's budget: let it come back (1 a second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    for i in 0..5 {
        flooder
            .send_json(json!({"type": "room_message", "room": "lobby", "body": "spam", "req": i.to_string()}))
            .await;
    }
    for _ in 0..5 {
        let frame = flooder.recv().await;
        assert!(matches!(frame, ServerFrame::Ack { .. }), "{frame:?}");
    }
    flooder
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "one too many"}))
        .await;
    let frame = flooder.recv().await;
    assert!(
        matches!(
            frame,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        ),
        "{frame:?}"
    );
    for _ in 0..5 {
        let frame = bob.recv().await;
        assert!(
            matches!(frame, ServerFrame::RoomMessage { .. }),
            "{frame:?}"
        );
    }
    bob.assert_quiet().await;

    // Keep going regardless: closed with 1008.
    for _ in 0..20 {
        flooder
            .send_json(json!({"type": "room_message", "room": "lobby", "body": "spam"}))
            .await;
    }
    assert_eq!(
        flooder.until_closed().await,
        Ended::Closed(Some(close::POLICY_VIOLATION))
    );
    bob.recv_until(is_offline("flooder")).await;
}
