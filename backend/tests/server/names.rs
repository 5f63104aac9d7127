//! Name rules over HTTP and WebSocket: letters of any alphabet, NFC, exact refusals, and names
//! that look like someone else's (`name_confusable`).

use serde_json::{json, Value};
use shared::ServerFrame;

use testkit::spawn_app;

#[tokio::test]
async fn a_look_alike_of_a_taken_name_is_refused_with_name_confusable() {
    let app = spawn_app().await;
    let _alice = app.claim("alice").await;
    // Capital i for l; with a password too, and in another case.
    for body in [
        json!({"name": "aIice"}),
        json!({"name": "aIice", "password": "correct horse battery"}),
        json!({"name": "AIice"}),
    ] {
        let response = app.post_session(body.clone()).await;
        assert_eq!(response.status(), 409, "{body}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "name_confusable");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("looks like ‘alice’"), "{message}");
    }
    // The same name in another case is taken, as before.
    let response = app.post_session(json!({"name": "Alice"})).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "name_taken");
}

#[tokio::test]
async fn names_in_other_alphabets_work_end_to_end() {
    let app = spawn_app().await;
    // Decomposed (e + combining acute): stored and answered composed.
    let response = app.post_session(json!({"name": "Jose\u{301}"})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Jos\u{e9}");
    let jose = body["token"].as_str().unwrap().to_owned();
    // Composed, in capitals: the same name.
    let response = app.post_session(json!({"name": "JOSÉ"})).await;
    assert_eq!(response.status(), 409);
    // "jose" does not look like "José": another person may have it.
    let response = app.post_session(json!({"name": "jose"})).await;
    assert_eq!(response.status(), 201);

    let (_, mut wang) = app.user("王芳").await;
    let mut jose = app.connect(&jose).await;
    jose.whisper("王芳", "你好", "r1").await;
    let got = wang
        .recv_until(|f| matches!(f, ServerFrame::PrivateMessage { .. }))
        .await;
    let ServerFrame::PrivateMessage { from, body, .. } = got else {
        unreachable!()
    };
    assert_eq!((from.as_str(), body.as_str()), ("José", "你好"));
}

#[tokio::test]
async fn refused_names_say_exactly_why() {
    let app = spawn_app().await;
    for (name, message) in [
        (
            "a".repeat(200),
            "Names are at most 24 characters (this one has 200)".to_owned(),
        ),
        (
            "bob😀".to_owned(),
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; ‘😀’ is not allowed".to_owned(),
        ),
        (
            "ali\u{200B}ce".to_owned(),
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; the invisible character U+200B is not \
             allowed"
                .to_owned(),
        ),
        (
            "Ωmega".to_owned(),
            "Names use one alphabet (Latin may go with Chinese, Japanese or Korean); this one \
             mixes Greek and Latin"
                .to_owned(),
        ),
    ] {
        let response = app.post_session(json!({ "name": name })).await;
        assert_eq!(response.status(), 400, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_user_name");
        assert_eq!(body["message"], message);
    }
}
