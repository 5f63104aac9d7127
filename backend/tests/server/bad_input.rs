//! Bad input is answered with an error code, and the connection keeps working.

use futures_util::SinkExt;
use serde_json::json;
use shared::{close, ErrorCode, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{presence, spawn_app, spawn_app_with, Ended};

#[tokio::test]
async fn each_bad_frame_gets_its_code_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, _bob) = app.user("bob").await;
    alice.drain().await;

    let long_body = "x".repeat(shared::limits::MAX_BODY_CHARS + 1);
    let long_req = "r".repeat(shared::limits::MAX_REQ_CHARS + 1);
    let cases: Vec<(String, ErrorCode, Option<&str>)> = vec![
        ("{not json".into(), ErrorCode::MalformedJson, None),
        ("[1,2,3]".into(), ErrorCode::InvalidFrame, None),
        (
            json!({"type": "shout", "req": "a"}).to_string(),
            ErrorCode::UnknownType,
            Some("a"),
        ),
        (
            json!({"body": "no type", "req": "b"}).to_string(),
            ErrorCode::InvalidFrame,
            Some("b"),
        ),
        (
            json!({"type": "room_message", "room": "lobby", "req": "c"}).to_string(),
            ErrorCode::InvalidFrame,
            Some("c"),
        ),
        (
            json!({"type": "room_message", "room": 7, "body": "x", "req": "d"}).to_string(),
            ErrorCode::InvalidFrame,
            Some("d"),
        ),
        (
            json!({"type": "room_message", "room": "lobby", "body": long_body, "req": "e"})
                .to_string(),
            ErrorCode::BodyTooLong,
            Some("e"),
        ),
        (
            json!({"type": "room_message", "room": "lobby", "body": "  \n ", "req": "f"})
                .to_string(),
            ErrorCode::EmptyBody,
            Some("f"),
        ),
        (
            json!({"type": "room_message", "room": "nowhere", "body": "x", "req": "g"}).to_string(),
            ErrorCode::NotMember,
            Some("g"),
        ),
        (
            json!({"type": "room_message", "room": "bad room!", "body": "x", "req": "h"})
                .to_string(),
            ErrorCode::InvalidRoomName,
            Some("h"),
        ),
        (
            json!({"type": "private_message", "to": "nobody", "body": "x", "req": "i"}).to_string(),
            ErrorCode::UnknownUser,
            Some("i"),
        ),
        (
            json!({"type": "private_message", "to": "<script>", "body": "x", "req": "k"})
                .to_string(),
            ErrorCode::InvalidUserName,
            Some("k"),
        ),
        (
            json!({"type": "join", "room": "", "req": "l"}).to_string(),
            ErrorCode::InvalidRoomName,
            Some("l"),
        ),
        (
            json!({"type": "leave", "room": "lobby", "req": "m"}).to_string(),
            ErrorCode::CannotLeaveLobby,
            Some("m"),
        ),
        (
            json!({"type": "leave", "room": "elsewhere", "req": "n"}).to_string(),
            ErrorCode::NotMember,
            Some("n"),
        ),
        (
            json!({"type": "typing", "room": "elsewhere"}).to_string(),
            ErrorCode::NotMember,
            None,
        ),
        (
            json!({"type": "typing"}).to_string(),
            ErrorCode::InvalidFrame,
            None,
        ),
        (
            json!({"type": "history", "room": "elsewhere", "req": "o"}).to_string(),
            ErrorCode::NotMember,
            Some("o"),
        ),
        (
            json!({"type": "history", "to": "nobody", "req": "p"}).to_string(),
            ErrorCode::UnknownUser,
            Some("p"),
        ),
        (
            json!({"type": "history", "room": "lobby", "limit": 0, "req": "q"}).to_string(),
            ErrorCode::InvalidFrame,
            Some("q"),
        ),
        (
            json!({"type": "read", "room": "elsewhere", "up_to": 3}).to_string(),
            ErrorCode::NotMember,
            None,
        ),
        (
            json!({"type": "ping", "req": long_req}).to_string(),
            ErrorCode::InvalidFrame,
            None,
        ),
    ];
    for (i, (text, code, req)) in cases.into_iter().enumerate() {
        alice.send_text(&text).await;
        let frame = alice.recv().await;
        let ServerFrame::Error {
            code: got,
            req: got_req,
            message,
        } = &frame
        else {
            panic!("case {i} ({text:.60}): expected an error, got {frame:?}");
        };
        assert_eq!(*got, code, "case {i} ({text:.60}): {message}");
        assert_eq!(got_req.as_deref(), req, "case {i}: req");
        assert!(!message.is_empty());
        alice.assert_alive(&format!("after-{i}")).await;
    }

    alice
        .ws
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    let frame = alice.recv().await;
    assert!(
        matches!(
            frame,
            ServerFrame::Error {
                code: ErrorCode::BinaryNotSupported,
                ..
            }
        ),
        "{frame:?}"
    );
    alice.assert_alive("after-binary").await;

    // Nothing of all that reached anyone else, and Alice can still talk.
    alice
        .send_json(
            json!({"type": "room_message", "room": "lobby", "body": "still here", "req": "ok"}),
        )
        .await;
    let frame = alice.recv().await;
    assert!(matches!(frame, ServerFrame::Ack { .. }), "{frame:?}");
}

#[tokio::test]
async fn a_frame_over_the_hard_limit_closes_with_1009() {
    let app = spawn_app_with(|c| c.max_frame_bytes = 16 * 1024).await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.drain().await;
    let huge = json!({"type": "room_message", "room": "lobby", "body": "x".repeat(20 * 1024)});
    alice.send_json(huge).await;
    assert_eq!(
        alice.until_closed().await,
        Ended::Closed(Some(close::MESSAGE_TOO_BIG))
    );
    // Bob saw Alice leave, and nothing of the oversized message.
    let frame = bob.recv().await;
    assert_eq!(frame, presence(&[], &["alice"]));
    bob.assert_alive("bob").await;
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    // tungstenite's client will not send bad UTF-8 as text, so write the frame by hand:
    // FIN + text opcode, masked, 2-byte payload 0xC3 0x28 (an invalid sequence).
    use tokio::io::AsyncWriteExt;
    let mask = [1u8, 2, 3, 4];
    let payload = [0xC3u8 ^ mask[0], 0x28 ^ mask[1]];
    let mut frame = vec![0x81, 0x80 | 2];
    frame.extend_from_slice(&mask);
    frame.extend_from_slice(&payload);
    match alice.ws.get_mut() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp.write_all(&frame).await.unwrap(),
        _ => unreachable!("tests use plain TCP"),
    }
    assert_eq!(
        alice.until_closed().await,
        Ended::Closed(Some(close::INVALID_PAYLOAD))
    );
}
