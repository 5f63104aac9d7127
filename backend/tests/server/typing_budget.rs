//! `typing` notices do not cost the budget of messages: a client that announces typing before
//! every message, at the default limit of 10 messages a second, has none refused.

use std::time::Duration;

use serde_json::json;
use shared::ServerFrame;
use testkit::spawn_app_with;

#[tokio::test]
async fn typing_before_every_message_at_ten_a_second_loses_no_message() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 10;
        c.rate_burst = 20;
    })
    .await;
    let (_, mut typist) = app.user("typist").await;
    let (_, mut reader) = app.user("reader").await;
    // 5 s at 10 a second: 50 messages and 50 notices, 100 frames where the budget of one
    // kind allows 20 + 50.
    let total = 50;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for i in 0..total {
        tick.tick().await;
        typist
            .send_json(json!({"type": "typing", "room": "lobby"}))
            .await;
        typist
            .send_json(json!({"type": "room_message", "room": "lobby", "body": format!("m{i}"), "req": format!("r{i}")}))
            .await;
    }
    let (mut acked, mut refused) = (0, Vec::new());
    while acked + refused.len() < total {
        match typist.recv().await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error { code, req, .. } => refused.push((code, req)),
            _ => {}
        }
    }
    println!(
        "{total} messages with a typing notice each: {acked} acknowledged, {refused:?} refused"
    );
    assert!(refused.is_empty(), "refused: {refused:?}");
    let bodies: Vec<String> = reader
        .messages(total)
        .await
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    let sent: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, sent);
}
