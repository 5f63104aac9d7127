//! Sign-ins stored in batches: many claims at once, duplicates of one name and look-alikes
//! among them, each answered as it would be alone; every winner's token works.

use std::collections::HashMap;

use futures_util::future::join_all;
use serde_json::{json, Value};
use shared::ServerFrame;

use testkit::spawn_app;

/// The status, error code and token of a `POST /api/session` answer.
async fn answer(response: reqwest::Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON body");
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    let token = body["token"].as_str().map(str::to_owned);
    (status, code, token)
}

#[tokio::test]
async fn many_claims_at_once_give_each_name_to_exactly_one_and_fail_only_the_others() {
    let app = spawn_app().await;
    let _taken = app.claim("owner").await;
    // 16 names claimed 6 times each, and a look-alike of each (capital I for l), all at once;
    // and claims of a name taken before, which fail alone.
    let mut bodies = Vec::new();
    for i in 0..16 {
        for _ in 0..6 {
            bodies.push(json!({ "name": format!("lena{i}") }));
        }
        bodies.push(json!({ "name": format!("Iena{i}") }));
        bodies.push(json!({ "name": "Owner" }));
    }
    let answers = join_all(bodies.iter().map(|body| async {
        let (status, code, token) = answer(app.post_session(body.clone()).await).await;
        (
            body["name"].as_str().unwrap().to_owned(),
            status,
            code,
            token,
        )
    }))
    .await;
    // Per name skeleton: one 201, every other claim 409 with the code that says why.
    let mut winners: HashMap<String, (String, String)> = HashMap::new();
    for (name, status, code, token) in &answers {
        let family = name.to_lowercase().replacen('i', "l", 1);
        match (*status, code.as_str()) {
            (201, "") => {
                let token = token.clone().expect("a token with a 201");
                let earlier = winners.insert(family.clone(), (name.clone(), token));
                assert!(earlier.is_none(), "two winners for {family}: {answers:?}");
            }
            (409, "name_taken" | "name_confusable") => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 16, "{answers:?}");
    assert!(!winners.contains_key("owner"));
    for (name, status, code, _) in &answers {
        let family = name.to_lowercase().replacen('i', "l", 1);
        if *status == 409 {
            // The same name is taken; a look-alike of the winner (or of the winner's look-alike)
            // is confusable with it.
            let winner = if family == "owner" {
                "owner"
            } else {
                &winners[&family].0
            };
            let expected = if winner.to_lowercase() == name.to_lowercase() {
                "name_taken"
            } else {
                "name_confusable"
            };
            assert_eq!(code, expected, "{name} against {winner}");
        }
    }
    // Every winner's token proves its name, and opens a WebSocket.
    for (name, token) in winners.values() {
        let who: Value = app
            .http()
            .get(app.url("/api/session"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(who["name"], name.as_str());
    }
    let (_, token) = winners.values().next().unwrap();
    let client = app.connect(token).await;
    assert!(matches!(client.welcome(), ServerFrame::Welcome { .. }));
}

#[tokio::test]
async fn password_sign_ins_at_once_each_get_a_session_and_wrong_ones_fail_alone() {
    let app = spawn_app().await;
    let created = app
        .post_session(json!({"name": "pat", "password": "correct horse"}))
        .await;
    assert_eq!(created.status(), 201);
    let mut bodies = Vec::new();
    for i in 0..8 {
        bodies.push(json!({"name": "pat", "password": "correct horse"}));
        bodies.push(json!({"name": format!("new{i}")}));
        bodies.push(json!({"name": "pat", "password": format!("wrong guess {i}")}));
    }
    let answers = join_all(
        bodies
            .iter()
            .map(|body| async { answer(app.post_session(body.clone()).await).await }),
    )
    .await;
    let mut tokens = Vec::new();
    for (body, (status, code, token)) in bodies.iter().zip(answers) {
        match body["password"].as_str() {
            Some("correct horse") => {
                assert_eq!(status, 200, "{body}: {code}");
                tokens.push(token.expect("a token"));
            }
            Some(_) => assert_eq!((status, code.as_str()), (401, "wrong_password")),
            None => assert_eq!(status, 201, "{body}: {code}"),
        }
    }
    // Eight sessions of pat, besides the first: each listed, each token its own.
    let list: Value = app
        .http()
        .get(app.url("/api/sessions"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 9, "{list}");
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 8);
}
