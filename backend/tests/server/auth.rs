//! Identity over HTTP, and the checks before a WebSocket upgrade.

use serde_json::{json, Value};
use shared::close;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Error as WsError;

use testkit::{spawn_app, Ended, TestApp};

/// The HTTP status of a refused WebSocket upgrade.
async fn upgrade_status(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = format!("ws://{}{}", app.addr, path)
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        let name =
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[tokio::test]
async fn a_name_is_claimed_once_and_names_ignore_case() {
    let app = spawn_app().await;
    let response = app.post_session(json!({"name": "Alice"})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Alice");
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 43, "a token carries 256 bits");

    for name in ["Alice", "alice", "ALICE"] {
        let response = app.post_session(json!({"name": name})).await;
        assert_eq!(response.status(), 409, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "name_taken");
    }
}

#[tokio::test]
async fn invalid_names_and_bodies_are_refused() {
    let app = spawn_app().await;
    let response = app.post_session(json!({"name": "no spaces"})).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_user_name");

    let response = app
        .post_session(json!({"name": "ok", "password": "short"}))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_password");

    let response = reqwest::Client::new()
        .post(app.url("/api/session"))
        .header("content-type", "application/json")
        .body("{\"nam")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
}

#[tokio::test]
async fn a_password_lets_the_owner_sign_in_again_and_nobody_else() {
    let app = spawn_app().await;
    let first = app
        .post_session(json!({"name": "dana", "password": "correct horse"}))
        .await;
    assert_eq!(first.status(), 201);

    let wrong = app
        .post_session(json!({"name": "Dana", "password": "wrong horse"}))
        .await;
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "wrong_password");

    let none = app.post_session(json!({"name": "dana"})).await;
    assert_eq!(none.status(), 409);

    let again = app
        .post_session(json!({"name": "DANA", "password": "correct horse"}))
        .await;
    assert_eq!(again.status(), 200);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["name"], "dana", "the name as first claimed");
    let mut client = app.connect(body["token"].as_str().unwrap()).await;
    client.assert_alive("signed-in").await;

    // A name claimed without a password cannot be signed in to with one.
    app.claim("erin").await;
    let response = app
        .post_session(json!({"name": "erin", "password": "guessing it"}))
        .await;
    assert_eq!(response.status(), 409);
}

#[tokio::test]
async fn the_websocket_needs_a_valid_token() {
    let app = spawn_app().await;
    assert_eq!(upgrade_status(&app, "/ws", &[]).await, 401);
    assert_eq!(upgrade_status(&app, "/ws?token=forged", &[]).await, 401);
    assert_eq!(
        upgrade_status(&app, "/ws", &[("authorization", "Bearer forged")]).await,
        401
    );
    let token = app.claim("alice").await;
    assert_eq!(
        upgrade_status(&app, &format!("/ws?token={token}"), &[]).await,
        101
    );
    // Nobody got in on the failed attempts.
    app.wait_for_connections(0).await;
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    let path = format!("/ws?token={token}");
    assert_eq!(
        upgrade_status(&app, &path, &[("origin", "http://evil.example")]).await,
        403
    );
    let own = format!("http://{}", app.addr);
    assert_eq!(upgrade_status(&app, &path, &[("origin", &own)]).await, 101);
}

#[tokio::test]
async fn an_allow_listed_origin_is_accepted() {
    let app = testkit::spawn_app_with(|c| {
        c.allowed_origins = vec!["http://127.0.0.1:8081".into()];
    })
    .await;
    let token = app.claim("alice").await;
    let path = format!("/ws?token={token}");
    assert_eq!(
        upgrade_status(&app, &path, &[("origin", "http://127.0.0.1:8081")]).await,
        101
    );
    assert_eq!(
        upgrade_status(&app, &path, &[("origin", "http://127.0.0.1:8082")]).await,
        403
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_keeps_a_passwordless_name() {
    let app = spawn_app().await;
    let (token, mut alice) = app.user("alice").await;
    let http = reqwest::Client::new();
    let me: Value = http
        .get(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "alice");
    assert!(me.get("token").is_none());

    let response = http
        .delete(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        alice.until_closed().await,
        Ended::Closed(Some(close::SESSION_ENDED))
    );
    let response = http
        .get(app.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        upgrade_status(&app, &format!("/ws?token={token}"), &[]).await,
        401
    );
    // The name is still alice's: signing out does not give it away.
    let response = http
        .post(app.url("/api/session"))
        .json(&serde_json::json!({"name": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
}
