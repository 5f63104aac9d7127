//! `POST /api/export` and `GET /api/export/{ticket}`: a user's archive holds what they wrote,
//! as it reads now, and nothing of anyone else; the link works once and only for its ticket.

use std::io::{Cursor, Read};

use serde_json::{json, Value};
use testkit::{spawn_app, TestApp};

/// `POST /api/export` with `token`: the status and the answer's body.
pub(super) async fn ask(app: &TestApp, token: Option<&str>) -> (u16, Value) {
    let mut request = app.http().post(app.url("/api/export"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The archive behind `url`: `messages.json` read from the zip, with the answer's headers.
async fn download(app: &TestApp, url: &str) -> Result<(Value, reqwest::header::HeaderMap), u16> {
    download_zip(app, url)
        .await
        .map(|(mut zip, headers)| (json_of(&mut zip), headers))
}

/// `messages.json` of an archive.
pub(super) fn json_of(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>) -> Value {
    let mut text = String::new();
    zip.by_name("messages.json")
        .expect("messages.json in the archive")
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).expect("JSON")
}

/// The archive behind `url`, opened, with the answer's headers.
pub(super) async fn download_zip(
    app: &TestApp,
    url: &str,
) -> Result<(zip::ZipArchive<Cursor<Vec<u8>>>, reqwest::header::HeaderMap), u16> {
    let response = app.http().get(app.url(url)).send().await.unwrap();
    if response.status() != 200 {
        return Err(response.status().as_u16());
    }
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(
        headers["content-length"].to_str().unwrap(),
        bytes.len().to_string()
    );
    let zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip archive");
    Ok((zip, headers))
}

#[tokio::test]
async fn the_archive_holds_what_the_user_wrote_as_it_reads_now_and_nothing_else() {
    let app = spawn_app().await;
    let (ada_token, mut ada) = app.user("Adá").await;
    let (bob_token, mut bob) = app.user("bob").await;
    ada.join("rust").await;
    let hello = ada.say("lobby", "hello all", "a1").await;
    let kept = ada.say("rust", "first words", "a2").await;
    let gone = ada.say("rust", "regrettable", "a3").await;
    let secret = ada.whisper("bob", "just for bob", "a4").await;
    bob.say("lobby", "bob's own words", "b1").await;
    bob.whisper("Adá", "bob to ada", "b2").await;
    ada.send_acked(json!({"type": "edit", "id": kept, "body": "second thoughts", "req": "a5"}))
        .await;
    ada.send_acked(json!({"type": "delete", "id": gone, "req": "a6"}))
        .await;
    let reply = ada
        .send_acked(
            json!({"type": "room_message", "room": "lobby", "body": "me again",
            "reply_to": hello, "req": "a7"}),
        )
        .await;

    let (status, ticket) = ask(&app, Some(&ada_token)).await;
    assert_eq!(status, 201, "{ticket}");
    let url = ticket["url"].as_str().unwrap();
    assert!(url.starts_with("/api/export/"), "{url}");
    assert!(ticket["expires_at"].as_u64().unwrap() > 0);
    let (archive, headers) = download(&app, url).await.unwrap();
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"chat-export.zip\"; filename*=UTF-8''chat-export-Ad%C3%A1.zip"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(archive["name"], "Adá");
    let messages = archive["messages"].as_array().unwrap();
    let ids: Vec<u64> = messages.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [hello, kept, secret, reply], "{archive}");
    assert_eq!(messages[0]["room"], "lobby");
    assert_eq!(messages[0]["body"], "hello all");
    assert_eq!(messages[1]["body"], "second thoughts");
    assert!(messages[1]["edited_at"].as_u64().is_some());
    assert_eq!(messages[2]["to"], "bob");
    assert!(messages[2].get("room").is_none());
    assert_eq!(messages[3]["reply_to"], hello);
    let text = archive.to_string();
    assert!(
        !text.contains("regrettable")
            && !text.contains("bob's own")
            && !text.contains("bob to ada")
    );

    // Bob's archive is his alone.
    let (_, ticket) = ask(&app, Some(&bob_token)).await;
    let (archive, _) = download(&app, ticket["url"].as_str().unwrap())
        .await
        .unwrap();
    let bodies: Vec<&str> = archive["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["bob's own words", "bob to ada"]);
}

#[tokio::test]
async fn a_link_needs_a_session_to_make_and_works_once() {
    let app = spawn_app().await;
    let (token, mut ada) = app.user("ada").await;
    ada.say("lobby", "hi", "a1").await;
    assert_eq!(ask(&app, None).await.0, 401);
    assert_eq!(ask(&app, Some("not-a-token")).await.0, 401);
    assert_eq!(
        download(&app, "/api/export/made-up").await.unwrap_err(),
        404
    );

    // A second link replaces the first.
    let (_, first) = ask(&app, Some(&token)).await;
    let (_, second) = ask(&app, Some(&token)).await;
    let first = first["url"].as_str().unwrap();
    let second = second["url"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(download(&app, first).await.unwrap_err(), 404);
    let (archive, _) = download(&app, second).await.unwrap();
    assert_eq!(archive["messages"].as_array().unwrap().len(), 1);
    // Used once, gone.
    assert_eq!(download(&app, second).await.unwrap_err(), 404);

    // A signed-out session makes no more links.
    assert_eq!(app.sign_out(&token).await, 204);
    assert_eq!(ask(&app, Some(&token)).await.0, 401);
}

#[tokio::test]
async fn the_archive_holds_the_users_files_and_only_theirs() {
    let app = spawn_app().await;
    let (ada_token, mut ada) = app.user("ada").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let notes = app
        .upload_ok(&ada_token, "notes.txt", b"plain notes\n".to_vec())
        .await;
    let unsent = app
        .upload_ok(&ada_token, "draft.txt", b"never sent".to_vec())
        .await;
    let bobs = app
        .upload_ok(&bob_token, "bob.txt", b"bob's file".to_vec())
        .await;
    let sent = ada
        .send_acked(
            json!({"type": "room_message", "room": "lobby", "body": "see notes",
            "attachments": [notes.id], "req": "a1"}),
        )
        .await;
    bob.send_acked(json!({"type": "room_message", "room": "lobby", "body": "",
        "attachments": [bobs.id], "req": "b1"}))
        .await;

    let (_, ticket) = ask(&app, Some(&ada_token)).await;
    let (mut zip, _) = download_zip(&app, ticket["url"].as_str().unwrap())
        .await
        .unwrap();
    let archive = json_of(&mut zip);
    let files = archive["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{archive}");
    assert_eq!(files[0]["id"], notes.id.as_str());
    assert_eq!(files[0]["name"], "notes.txt");
    assert_eq!(files[0]["type"], "text/plain");
    assert_eq!(files[0]["message"], sent);
    assert_eq!(files[1]["id"], unsent.id.as_str());
    assert!(files[1].get("message").is_none());
    for (file, want) in files.iter().zip(["plain notes\n", "never sent"]) {
        let path = file["path"].as_str().unwrap();
        assert_eq!(
            path,
            format!(
                "attachments/{}/{}",
                file["id"].as_str().unwrap(),
                file["name"].as_str().unwrap()
            )
        );
        let mut text = String::new();
        zip.by_name(path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, want);
    }
    // Nothing of bob's.
    let names: Vec<String> = zip
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(&bobs.id)), "{names:?}");
    assert_eq!(names.len(), 3, "{names:?}");
}
