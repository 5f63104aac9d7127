//! Bad input is answered with an error code, and the connection keeps working.

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shared::{close, ErrorCode, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

use testkit::{lists, presence, spawn_app, spawn_app_with, Ended};

#[tokio::test]
async fn each_bad_frame_gets_its_code_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;

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

    // Nothing of all that reached anyone else: whatever it caused would be queued for bob
    // before his pong.
    let frames = bob.sync().await;
    assert!(frames.is_empty(), "bob got {frames:?}");
    // And Alice can still talk; the next thing bob hears is her.
    alice
        .send_json(
            json!({"type": "room_message", "room": "lobby", "body": "still here", "req": "ok"}),
        )
        .await;
    let frame = alice.recv().await;
    assert!(matches!(frame, ServerFrame::Ack { .. }), "{frame:?}");
    let frame = bob.recv().await;
    assert!(
        matches!(&frame, ServerFrame::RoomMessage { body, from, .. } if body == "still here" && from == "alice"),
        "{frame:?}"
    );
    bob.assert_quiet().await;
}

#[tokio::test]
async fn a_frame_over_the_hard_limit_closes_with_1009() {
    let app = spawn_app_with(|c| c.max_frame_bytes = 16 * 1024).await;
    let (_, mut alice) = app.member("alice").await;
    let (_, mut bob) = app.member("bob").await;
    alice.sync().await;
    let huge = json!({"type": "room_message", "room": "lobby", "body": "x".repeat(20 * 1024)});
    alice.send_json(huge).await;
    assert_eq!(
        alice.until_closed().await,
        Ended::Closed(Some(close::MESSAGE_TOO_BIG))
    );
    // Bob saw Alice leave, and nothing of the oversized message.
    let frame = bob.recv().await;
    assert_eq!(lists(frame), presence(&[], &["alice"]));
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

/// A masked client frame, as a client library would write it.
fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x5a, 0x01, 0xc3, 0x7e];
    let mut frame = vec![if fin { 0x80 | opcode } else { opcode }];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    frame
}

#[tokio::test]
async fn fragments_pings_and_a_clients_close_are_handled_as_rfc_6455_says() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let (_, mut alice) = app.member("alice").await;
    let (_, mut bob) = app.member("bob").await;
    alice.sync().await;

    // A room message in three fragments, a ping between them, written a few bytes at a time.
    let text = json!({"type": "room_message", "room": "lobby", "body": "in pieces", "req": "f1"})
        .to_string();
    let (a, rest) = text.as_bytes().split_at(10);
    let (b, c) = rest.split_at(20);
    let bytes = [
        client_frame(false, 0x1, a),
        client_frame(true, 0x9, b"between"),
        client_frame(false, 0x0, b),
        client_frame(true, 0x0, c),
    ]
    .concat();
    for piece in bytes.chunks(7) {
        match alice.ws.get_mut() {
            tokio_tungstenite::MaybeTlsStream::Plain(tcp) => {
                tcp.write_all(piece).await.unwrap();
                tcp.flush().await.unwrap();
            }
            _ => unreachable!("tests use plain TCP"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // The ping is answered with its payload, before the message completes.
    let pong = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match alice.ws.next().await {
                Some(Ok(Message::Pong(payload))) => break payload,
                Some(Ok(Message::Ping(_))) => continue,
                other => panic!("expected the pong, got {other:?}"),
            }
        }
    })
    .await
    .expect("a pong in time");
    assert_eq!(&pong[..], b"between");
    alice.recv_ack("f1").await;
    let frame = bob.recv().await;
    assert!(
        matches!(&frame, ServerFrame::RoomMessage { body, from, .. } if body == "in pieces" && from == "alice"),
        "{frame:?}"
    );

    // A client's close is answered with its own code.
    alice
        .ws
        .send(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: 4000.into(),
                reason: "done".into(),
            },
        )))
        .await
        .unwrap();
    assert_eq!(alice.until_closed().await, Ended::Closed(Some(4000)));
    assert_eq!(lists(bob.recv().await), presence(&[], &["alice"]));
}
