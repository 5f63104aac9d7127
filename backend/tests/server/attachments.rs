//! Attachments: an upload's type comes from its bytes, whatever the request says; size limit
//! and quota; only the uploader attaches their upload, once; the file reaches whoever may read
//! its message, and a third user gets 404; HTML and SVG are served as inert downloads; a
//! decompression bomb is refused at once; deleting the message deletes the file. A browser
//! downloads with the files cookie that signing in sets, never with a token in the address;
//! the cookie dies with its session.

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

    let thumbnail = app.attachment(&bob_token, &cat.id, "/thumbnail").await;
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

/// The files cookie of `response`'s `Set-Cookie` (the whole header), if it has one.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    let mut cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|v| v.starts_with("chat_files="));
    let cookie = cookies.next();
    assert_eq!(cookies.next(), None, "one files cookie");
    cookie
}

/// Claims `name` and returns its token and the `Cookie` header a browser sends with it.
async fn claim_with_cookie(app: &testkit::TestApp, body: Value) -> (String, String) {
    let response = app.post_session(body).await;
    assert!(response.status().is_success());
    let cookie = set_cookie(&response).expect("a files cookie");
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        cookie,
        format!("chat_files={token}; Path=/api/attachments; HttpOnly; SameSite=Strict"),
        "the token, sent only to the downloads, out of the page's reach, never from another site"
    );
    let cookie = format!("chat_files={token}");
    (token, cookie)
}

/// `GET /api/attachments/<id><suffix>` with `cookie` as the only credential.
async fn with_cookie(app: &testkit::TestApp, cookie: &str, id: &str, suffix: &str) -> u16 {
    app.http()
        .get(app.url(&format!("/api/attachments/{id}{suffix}")))
        .header("cookie", format!("other=1; {cookie}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_sign_in_cookie_downloads_what_its_user_may_read_and_a_token_in_the_address_nothing() {
    let app = spawn_app().await;
    let (alice_token, alice_cookie) = claim_with_cookie(&app, json!({"name": "alice"})).await;
    let (bob_token, bob_cookie) = claim_with_cookie(&app, json!({"name": "bob"})).await;
    let (carol_token, carol_cookie) = claim_with_cookie(&app, json!({"name": "carol"})).await;
    let mut alice = app.connect(&alice_token).await;
    let mut bob = app.connect(&bob_token).await;
    let picture = png(640, 480);
    let cat = app
        .upload_ok(&alice_token, "cat.png", picture.clone())
        .await;
    alice
        .send_acked(json!({"type": "private_message", "to": "bob", "body": "", "attachments": [cat.id], "req": "p1"}))
        .await;
    attachments_of_next_message(&mut bob).await;

    let file = app
        .http()
        .get(app.url(&format!("/api/attachments/{}", cat.id)))
        .header("cookie", &bob_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(header(&file, "content-type"), "image/png");
    assert_eq!(header(&file, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&file, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    // Kept by the browser only to ask again: whoever may read it is checked every time.
    assert_eq!(header(&file, "cache-control"), "private, no-cache");
    let tag = header(&file, "etag").to_owned();
    assert_eq!(tag, format!("\"{}\"", cat.id));
    assert_eq!(file.bytes().await.unwrap().as_ref(), picture.as_slice());
    for (who, cookie) in [("alice", &alice_cookie), ("bob", &bob_cookie)] {
        for suffix in ["", "/thumbnail"] {
            assert_eq!(
                with_cookie(&app, cookie, &cat.id, suffix).await,
                200,
                "{who}{suffix}"
            );
        }
    }
    // What the browser has is not served again, to a reader; carol learns nothing from a tag.
    let again = |cookie: &str| {
        app.http()
            .get(app.url(&format!("/api/attachments/{}", cat.id)))
            .header("cookie", cookie)
            .header("if-none-match", &tag)
            .send()
    };
    let cached = again(&bob_cookie).await.unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), tag);
    assert_eq!(header(&cached, "cache-control"), "private, no-cache");
    assert_eq!(again(&carol_cookie).await.unwrap().status(), 404);

    // A third user's cookie gets what an unknown id gets.
    for suffix in ["", "/thumbnail"] {
        assert_eq!(
            with_cookie(&app, &carol_cookie, &cat.id, suffix).await,
            404,
            "carol{suffix}"
        );
    }
    assert_eq!(
        app.attachment(&carol_token, &cat.id, "").await.status(),
        404
    );
    // The token in the address opens nothing any more, the right reader's included.
    for suffix in ["", "/thumbnail"] {
        let query = app
            .http()
            .get(app.url(&format!(
                "/api/attachments/{}{suffix}?token={bob_token}",
                cat.id
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(query.status(), 401, "?token={suffix}");
    }
    // A forged cookie is no one; the cookie alone uploads nothing.
    assert_eq!(
        with_cookie(&app, "chat_files=forged", &cat.id, "").await,
        401
    );
    let upload = app
        .http()
        .post(app.url("/api/attachments?name=x.txt"))
        .header("cookie", &alice_cookie)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 401);

    // A page started with a stored token gets the cookie from its check of it.
    let check = app
        .http()
        .get(app.url("/api/session"))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 200);
    assert_eq!(
        set_cookie(&check).as_deref(),
        Some(
            format!("chat_files={bob_token}; Path=/api/attachments; HttpOnly; SameSite=Strict")
                .as_str()
        )
    );
    let refused = app
        .http()
        .get(app.url("/api/session"))
        .bearer_auth("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(set_cookie(&refused), None);
}

#[tokio::test]
async fn the_cookie_stops_working_when_its_session_ends_or_its_account_is_disabled() {
    let app = spawn_app_with(|config| config.admins = vec!["root".into()]).await;
    let root = app.claim("root").await;
    let (alice_token, alice_cookie) = claim_with_cookie(&app, json!({"name": "alice"})).await;
    let password = json!({"name": "bob", "password": "correct horse"});
    let (bob_token, bob_cookie) = claim_with_cookie(&app, password.clone()).await;
    let (_, bob_other_cookie) = claim_with_cookie(&app, password.clone()).await;
    let (_, dave_cookie) = claim_with_cookie(&app, json!({"name": "dave"})).await;
    let file = app
        .upload_ok(&alice_token, "notes.txt", b"hello".to_vec())
        .await;
    let mut alice = app.connect(&alice_token).await;
    alice
        .send_acked(json!({"type": "room_message", "room": "lobby", "body": "", "attachments": [file.id], "req": "r1"}))
        .await;
    for cookie in [&alice_cookie, &bob_cookie, &bob_other_cookie, &dave_cookie] {
        assert_eq!(
            with_cookie(&app, cookie, &file.id, "").await,
            200,
            "{cookie}"
        );
    }

    // Signed out: the answer clears the cookie, and one kept anyway opens nothing.
    let out = app
        .http()
        .delete(app.url("/api/session"))
        .bearer_auth(&alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(
        set_cookie(&out).as_deref(),
        Some("chat_files=; Path=/api/attachments; Max-Age=0; HttpOnly; SameSite=Strict")
    );
    assert_eq!(with_cookie(&app, &alice_cookie, &file.id, "").await, 401);

    // Revoked from the other session: that session's cookie opens nothing, this one's still
    // does.
    let list: Value = app
        .http()
        .get(app.url("/api/sessions"))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .expect("the other session")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .http()
        .delete(app.url(&format!("/api/sessions/{other}")))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        with_cookie(&app, &bob_other_cookie, &file.id, "").await,
        401
    );
    assert_eq!(with_cookie(&app, &bob_cookie, &file.id, "").await, 200);

    // Disabled: refused as the token is.
    let disabled = app
        .http()
        .put(app.url("/api/admin/accounts/dave/disabled"))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 204);
    assert_eq!(with_cookie(&app, &dave_cookie, &file.id, "").await, 403);
}

#[tokio::test]
async fn the_cookie_is_secure_when_a_trusted_proxy_says_the_browser_came_over_https() {
    for (trusted, secure) in [(true, true), (false, false)] {
        let app = spawn_app_with(|config| {
            if trusted {
                config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            }
        })
        .await;
        let claim = app
            .http()
            .post(app.url("/api/session"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"name": "alice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(claim.status(), 201);
        let cookie = set_cookie(&claim).unwrap();
        let token = claim.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let ending = if secure { "; Secure" } else { "" };
        assert_eq!(
            cookie,
            format!("chat_files={token}; Path=/api/attachments; HttpOnly; SameSite=Strict{ending}"),
            "trusted: {trusted}"
        );
        let out = app
            .http()
            .delete(app.url("/api/session"))
            .header("x-forwarded-proto", "https")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(set_cookie(&out)
            .unwrap()
            .ends_with(&format!("SameSite=Strict{ending}")));
    }
}
