//! Attachments: an upload's type comes from its bytes, whatever the request says; size limit
//! and quota; only the uploader attaches their upload, once; the file reaches whoever may read
//! its message, and a third user gets 404; HTML and SVG are served as inert downloads; a
//! decompression bomb is refused at once; deleting the message deletes the file.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::{json, Value};
use shared::{Attachment, ErrorCode, ServerFrame};
use testkit::{spawn_app, spawn_app_with, Client};

/// A `width` × `height` PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let picture =
        DynamicImage::ImageRgb8(ImageBuffer::from_pixel(width, height, Rgb([9, 99, 199])));
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// A PNG whose header claims `width` × `height` pixels over one pixel's data: a
/// decompression bomb's header, checksum right.
fn bomb(width: u32, height: u32) -> Vec<u8> {
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&width.to_be_bytes());
    bomb[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = !0u32;
    for &b in &bomb[12..29] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    bomb[29..33].copy_from_slice(&(!crc).to_be_bytes());
    bomb
}

const HTML: &[u8] =
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
const SVG: &[u8] =
    b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>";

/// The error code answering `frame` (which has a `req`).
async fn refused(client: &mut Client, frame: Value) -> ErrorCode {
    let req = frame["req"].as_str().unwrap().to_owned();
    client.send_json(frame).await;
    match client
        .recv_until(|f| {
            matches!(f, ServerFrame::Error { req: Some(r), .. } | ServerFrame::Ack { req: Some(r), .. } if *r == req)
        })
        .await
    {
        ServerFrame::Error { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The attachments of the next message frame.
async fn attachments_of_next_message(client: &mut Client) -> Vec<Attachment> {
    match client.recv_until(testkit::is_message).await {
        ServerFrame::RoomMessage { details, .. } | ServerFrame::PrivateMessage { details, .. } => {
            details.attachments
        }
        other => panic!("not a message: {other:?}"),
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_upload_is_typed_from_its_bytes_and_reaches_the_room_with_a_thumbnail() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let picture = png(1000, 500);
    // The request says text; the bytes say PNG.
    let response = app
        .upload(
            &alice_token,
            "holiday/cat.txt",
            "text/plain",
            picture.clone(),
        )
        .await;
    assert_eq!(response.status(), 201);
    let cat: Attachment = response.json().await.unwrap();
    assert_eq!(cat.name, "cat.txt");
    assert_eq!(cat.content_type, "image/png");
    assert_eq!(cat.size, picture.len() as u64);
    assert_eq!(cat.id.len(), 32);
    // And HTML that claims to be a picture is HTML.
    let page: Attachment = app
        .upload(&alice_token, "cute.png", "image/png", HTML.to_vec())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.content_type, "text/html");

    let id = alice
        .send_acked(json!({"type": "room_message", "room": "lobby", "body": "", "attachments": [cat.id], "req": "m1"}))
        .await;
    assert_eq!(
        attachments_of_next_message(&mut bob).await,
        std::slice::from_ref(&cat)
    );

    let file = app.attachment(&bob_token, &cat.id, "").await;
    assert_eq!(file.status(), 200);
    assert_eq!(header(&file, "content-type"), "image/png");
    assert!(header(&file, "content-disposition").starts_with("inline; filename=\"cat.txt\""));
    assert_eq!(header(&file, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&file, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), picture.as_slice());

    // The token may also come in the query, for an <img>.
    let thumbnail = app
        .http()
        .get(app.url(&format!(
            "/api/attachments/{}/thumbnail?token={bob_token}",
            cat.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(header(&thumbnail, "content-type"), "image/jpeg");
    let small = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 160));

    // History and a resumed connection carry it too.
    bob.send_json(json!({"type": "history", "room": "lobby", "req": "h"}))
        .await;
    match bob
        .recv_until(|f| matches!(f, ServerFrame::History { .. }))
        .await
    {
        ServerFrame::History { messages, .. } => {
            let sent = messages.iter().find(|m| m.id == id).expect("in history");
            assert_eq!(sent.details.attachments, [cat]);
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_third_user_gets_404_for_private_and_room_files_and_unsent_uploads() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (carol_token, _carol) = app.user("carol").await;
    let private = app.upload_ok(&alice_token, "a.png", png(8, 8)).await;
    alice
        .send_acked(json!({"type": "private_message", "to": "bob", "body": "for you", "attachments": [private.id], "req": "p1"}))
        .await;
    assert_eq!(
        attachments_of_next_message(&mut bob).await,
        std::slice::from_ref(&private)
    );
    alice.join("secret").await;
    let in_room = app
        .upload_ok(&alice_token, "notes.txt", b"plans".to_vec())
        .await;
    alice
        .send_acked(json!({"type": "room_message", "room": "secret", "body": "", "attachments": [in_room.id], "req": "r1"}))
        .await;
    let unsent = app
        .upload_ok(&alice_token, "draft.pdf", b"%PDF-1.4 draft".to_vec())
        .await;

    for (who, token) in [("alice", &alice_token), ("bob", &bob_token)] {
        let got = app.attachment(token, &private.id, "").await;
        assert_eq!(got.status(), 200, "{who} reads the private file");
    }
    for suffix in ["", "/thumbnail"] {
        let got = app.attachment(&carol_token, &private.id, suffix).await;
        assert_eq!(got.status(), 404, "carol, private{suffix}");
        let body: Value = got.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }
    assert_eq!(
        app.attachment(&carol_token, &in_room.id, "").await.status(),
        404
    );
    assert_eq!(
        app.attachment(&bob_token, &in_room.id, "").await.status(),
        404,
        "bob is not in the room"
    );
    assert_eq!(
        app.attachment(&alice_token, &in_room.id, "").await.status(),
        200
    );
    bob.join("secret").await;
    assert_eq!(
        app.attachment(&bob_token, &in_room.id, "").await.status(),
        200,
        "a member now"
    );
    assert_eq!(
        app.attachment(&bob_token, &unsent.id, "").await.status(),
        404
    );
    assert_eq!(
        app.attachment(&alice_token, &unsent.id, "").await.status(),
        200
    );
    // Nobody without a token; no such id; an id that is a path.
    let anonymous = app
        .http()
        .get(app.url(&format!("/api/attachments/{}", private.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        app.attachment(&alice_token, &"0".repeat(32), "")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.attachment(&alice_token, "..%2F..%2Fchat.db", "")
            .await
            .status(),
        404
    );
    let no_token = app
        .upload("not-a-token", "x.txt", "text/plain", b"x".to_vec())
        .await;
    assert_eq!(no_token.status(), 401);
}

#[tokio::test]
async fn html_and_svg_are_inert_downloads() {
    let app = spawn_app().await;
    let (token, _alice) = app.user("alice").await;
    for (name, bytes, kind) in [
        ("page.html", HTML, "text/html"),
        ("logo.svg", SVG, "image/svg+xml"),
    ] {
        let uploaded = app.upload_ok(&token, name, bytes.to_vec()).await;
        assert_eq!(uploaded.content_type, kind);
        let got = app.attachment(&token, &uploaded.id, "").await;
        assert_eq!(got.status(), 200);
        assert_eq!(header(&got, "content-type"), kind);
        assert_eq!(
            header(&got, "content-disposition"),
            format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}")
        );
        assert_eq!(
            header(&got, "content-security-policy"),
            "default-src 'none'; sandbox"
        );
        assert_eq!(header(&got, "x-content-type-options"), "nosniff");
        // No thumbnail of what is not a picture shown inline.
        assert_eq!(
            app.attachment(&token, &uploaded.id, "/thumbnail")
                .await
                .status(),
            404
        );
    }
}

#[tokio::test]
async fn the_size_limit_and_the_quota_are_enforced() {
    let app = spawn_app_with(|config| {
        config.max_upload_bytes = 100_000;
        config.upload_quota_bytes = 250_000;
    })
    .await;
    let (token, _alice) = app.user("alice").await;
    let (other, _bob) = app.user("bob").await;
    let too_large = app
        .upload(
            &token,
            "big.bin",
            "application/octet-stream",
            vec![7; 100_001],
        )
        .await;
    assert_eq!(too_large.status(), 413);
    let body: Value = too_large.json().await.unwrap();
    assert_eq!(body["code"], "file_too_large");
    for _ in 0..2 {
        app.upload_ok(&token, "ok.bin", vec![7; 100_000]).await;
    }
    let over = app
        .upload(
            &token,
            "over.bin",
            "application/octet-stream",
            vec![7; 60_000],
        )
        .await;
    assert_eq!(over.status(), 413);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["code"], "quota_exceeded");
    // What is left of the quota still fits; another user's quota is their own.
    app.upload_ok(&token, "fits.bin", vec![7; 50_000]).await;
    app.upload_ok(&other, "bob.bin", vec![7; 100_000]).await;
    let empty = app
        .upload(&token, "empty.txt", "text/plain", Vec::new())
        .await;
    assert_eq!(empty.status(), 400);
}

#[tokio::test]
async fn only_the_uploader_attaches_an_upload_and_only_once() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let file = app
        .upload_ok(&alice_token, "a.txt", b"hello".to_vec())
        .await;
    let code = refused(
        &mut bob,
        json!({"type": "room_message", "room": "lobby", "body": "mine now", "attachments": [file.id], "req": "b1"}),
    )
    .await;
    assert_eq!(code, ErrorCode::UnknownAttachment);
    alice
        .send_acked(json!({"type": "private_message", "to": "bob", "body": "", "attachments": [file.id], "req": "a1"}))
        .await;
    let again = refused(
        &mut alice,
        json!({"type": "room_message", "room": "lobby", "body": "again", "attachments": [file.id], "req": "a2"}),
    )
    .await;
    assert_eq!(again, ErrorCode::UnknownAttachment);
    let many: Vec<String> = (0..11).map(|i| format!("{i:032x}")).collect();
    let too_many = refused(
        &mut alice,
        json!({"type": "room_message", "room": "lobby", "body": "x", "attachments": many, "req": "a3"}),
    )
    .await;
    assert_eq!(too_many, ErrorCode::UnknownAttachment);
    // Without attachments an empty body is still refused.
    let empty = refused(
        &mut alice,
        json!({"type": "room_message", "room": "lobby", "body": " ", "req": "a4"}),
    )
    .await;
    assert_eq!(empty, ErrorCode::EmptyBody);
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_at_once() {
    let app = spawn_app().await;
    let (token, _alice) = app.user("alice").await;
    let started = Instant::now();
    let refused = app
        .upload(&token, "bomb.png", "image/png", bomb(100_000, 100_000))
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert!(
        body["message"].as_str().unwrap().contains("100000"),
        "{body}"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // A corrupt picture is refused too, and nothing was stored for either.
    let corrupt = app
        .upload(
            &token,
            "broken.png",
            "image/png",
            b"\x89PNG\r\n\x1a\ngarbage".to_vec(),
        )
        .await;
    assert_eq!(corrupt.status(), 400);
    let records = app
        .state
        .store
        .attachments_of(&shared::UserName::parse("alice").unwrap())
        .await
        .unwrap();
    assert!(records.is_empty());
}

#[tokio::test]
async fn deleting_the_message_deletes_the_file_and_its_thumbnail() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let file = app.upload_ok(&alice_token, "cat.png", png(64, 64)).await;
    let id = alice
        .send_acked(json!({"type": "room_message", "room": "lobby", "body": "look", "attachments": [file.id], "req": "m1"}))
        .await;
    attachments_of_next_message(&mut bob).await;
    let blobs = app.state.attachments.blobs().clone();
    assert!(blobs.get(&file.id).await.unwrap().is_some());
    let thumb = backend::attachments::thumbnail_key(&file.id);
    assert!(blobs.get(&thumb).await.unwrap().is_some());

    alice
        .send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    // Refused at once, before the sweeper has run.
    assert_eq!(app.attachment(&bob_token, &file.id, "").await.status(), 404);
    assert_eq!(
        app.attachment(&alice_token, &file.id, "/thumbnail")
            .await
            .status(),
        404
    );
    // The sweeper removes the bytes within a few of its rounds.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let gone = blobs.get(&file.id).await.unwrap().is_none()
            && blobs.get(&thumb).await.unwrap().is_none();
        if gone {
            break;
        }
        assert!(Instant::now() < deadline, "the file is still stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And the record with them: the bytes no longer count against the quota.
    let records = app
        .state
        .store
        .attachments_of(&shared::UserName::parse("alice").unwrap())
        .await
        .unwrap();
    assert!(records.is_empty());
}
