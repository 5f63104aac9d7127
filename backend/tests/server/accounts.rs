//! A name is an account: signing out keeps it, a password can be added to it, and only a
//! passwordless account unused for `--release-names-after-days` gives its name away, to a new
//! account that inherits nothing (nor may it read, send, change or export what its former
//! holder left); an administrator's name is never released.

use serde_json::{json, Value};
use shared::{ErrorCode, ServerFrame, Target};
use testkit::{spawn_app, spawn_app_with, TestApp};

/// `PUT /api/session/password` with `body` and `token` (if any): the status and error code.
async fn put_password(app: &TestApp, token: Option<&str>, body: Value) -> (u16, String) {
    let mut request = app.http().put(app.url("/api/session/password")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

/// The status and error code of `POST /api/session` with `body`.
async fn claim_outcome(app: &TestApp, body: Value) -> (u16, String) {
    let response = app.post_session(body).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

/// `GET /api/session` with `token`: the answer's body.
async fn whoami(app: &TestApp, token: &str) -> Value {
    let response = app
        .http()
        .get(app.url("/api/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The people the welcome lists private conversations with.
fn private_partners(welcome: &ServerFrame) -> Vec<String> {
    let ServerFrame::Welcome { conversations, .. } = welcome else {
        panic!("expected a welcome, got {welcome:?}");
    };
    conversations
        .iter()
        .filter_map(|c| match &c.target {
            Target::User { to } => Some(to.clone()),
            Target::Room { .. } => None,
        })
        .collect()
}

#[tokio::test]
async fn signing_out_keeps_a_passwordless_name_and_its_rooms() {
    let app = spawn_app().await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (_, mut rae) = app.user("rae").await;
    bob.join("rust").await;
    rae.join("rust").await;
    rae.sync().await;
    assert_eq!(app.sign_out(&bob_token).await, 204);
    // Nobody else may claim it, in any case.
    assert_eq!(
        claim_outcome(&app, json!({"name": "Bob"})).await,
        (409, "name_taken".to_owned())
    );
    // It is still a member of its rooms: no `member_left`.
    rae.assert_none_of("member_left", |f| {
        matches!(f, ServerFrame::MemberLeft { .. })
    })
    .await;
    // Revoking the last session keeps it too.
    let token = app.claim("cleo").await;
    let sessions: Value = app
        .http()
        .get(app.url("/api/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = sessions["sessions"][0]["id"].as_str().unwrap();
    let revoked = app
        .http()
        .delete(app.url(&format!("/api/sessions/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        claim_outcome(&app, json!({"name": "cleo"})).await,
        (409, "name_taken".to_owned())
    );
}

#[tokio::test]
async fn a_password_added_to_a_passwordless_account_signs_it_in_elsewhere() {
    let app = spawn_app().await;
    let token = app.claim("dana").await;
    assert_eq!(
        put_password(&app, None, json!({"password": "long enough"})).await,
        (401, "unauthorized".to_owned())
    );
    assert_eq!(
        put_password(&app, Some(&token), json!({"password": "short"})).await,
        (400, "invalid_password".to_owned())
    );
    assert_eq!(
        put_password(&app, Some(&token), json!({"pass": "long enough"})).await,
        (400, "bad_request".to_owned())
    );
    assert_eq!(whoami(&app, &token).await["has_password"], false);
    // Before: no password, no way in from elsewhere.
    assert_eq!(
        claim_outcome(&app, json!({"name": "dana", "password": "long enough"})).await,
        (409, "name_taken".to_owned())
    );
    assert_eq!(
        put_password(&app, Some(&token), json!({"password": "long enough"})).await,
        (204, String::new())
    );
    assert_eq!(whoami(&app, &token).await["has_password"], true);
    // Once set, it is not replaced.
    assert_eq!(
        put_password(&app, Some(&token), json!({"password": "another one"})).await,
        (409, "password_set".to_owned())
    );
    // The first device signs out; the account is signed in to from another one.
    assert_eq!(app.sign_out(&token).await, 204);
    assert_eq!(
        claim_outcome(&app, json!({"name": "dana", "password": "another one"})).await,
        (401, "wrong_password".to_owned())
    );
    let response = app
        .post_session(json!({"name": "DANA", "password": "long enough"}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "dana");
    let dana = app.connect(body["token"].as_str().unwrap()).await;
    assert!(matches!(&dana.welcome, ServerFrame::Welcome { user, .. } if user == "dana"));
}

#[tokio::test]
async fn a_password_account_is_never_released() {
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let response = app
        .post_session(json!({"name": "erin", "password": "long enough"}))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(app.sign_out(body["token"].as_str().unwrap()).await, 204);
    assert_eq!(
        claim_outcome(&app, json!({"name": "erin"})).await,
        (409, "name_taken".to_owned())
    );
}

#[tokio::test]
async fn a_live_passwordless_account_is_not_released_even_after_the_period() {
    // Released after 0 days unused, but its session is live: the name stays.
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let _token = app.claim("finn").await;
    assert_eq!(
        claim_outcome(&app, json!({"name": "finn"})).await,
        (409, "name_taken".to_owned())
    );
}

#[tokio::test]
async fn a_name_released_after_inactivity_goes_to_a_new_account_that_inherits_nothing() {
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut rae) = app.user("rae").await;
    bob.join("rust").await;
    rae.join("rust").await;
    alice
        .whisper("bob", "a secret for the first bob", "a1")
        .await;
    bob.whisper("alice", "and his answer", "b1").await;
    rae.sync().await;
    bob.close().await;
    assert_eq!(app.sign_out(&bob_token).await, 204);
    // Unused for the (zero-day) period: someone else claims the name, as a new account.
    let response = app.post_session(json!({"name": "bob"})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let mut new_bob = app.connect(body["token"].as_str().unwrap()).await;
    // The old holder left its rooms.
    rae.recv_until(|f| {
        *f == ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "bob".into(),
            by: None,
            banned: false,
        }
    })
    .await;
    // No old room, no old conversation, no old message addressed to the old holder.
    let ServerFrame::Welcome { rooms, .. } = &new_bob.welcome else {
        panic!("expected a welcome");
    };
    assert!(rooms.iter().all(|r| r.room != "rust"), "{rooms:?}");
    assert!(private_partners(&new_bob.welcome).is_empty());
    let (ids, complete) = new_bob.history(json!({"to": "alice"})).await;
    assert!(ids.is_empty() && complete, "{ids:?}");
}

#[tokio::test]
async fn a_passwordless_session_lasts_as_long_as_the_release_period() {
    // Expiry is the passage of time itself: this test has to let some pass.
    let app = spawn_app_with(|c| c.session_ttl_secs = 1).await;
    let passwordless = app.claim("gus").await;
    let response = app
        .post_session(json!({"name": "hal", "password": "long enough"}))
        .await;
    let body: Value = response.json().await.unwrap();
    let protected = body["token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let whoami = |token: String| {
        let request = app.http().get(app.url("/api/session")).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Its device holds the only key: it lasts the release period (365 days), not the TTL.
    assert_eq!(whoami(passwordless).await, 200);
    assert_eq!(whoami(protected).await, 401);
}

/// The private conversation with `to` in `welcome`, if listed.
fn private_with<'a>(welcome: &'a ServerFrame, to: &str) -> Option<&'a shared::ConversationInfo> {
    let ServerFrame::Welcome { conversations, .. } = welcome else {
        panic!("expected a welcome, got {welcome:?}");
    };
    conversations
        .iter()
        .find(|c| matches!(&c.target, Target::User { to: t } if t == to))
}

#[tokio::test]
async fn a_released_name_s_new_holder_is_a_new_person_and_the_others_keep_their_history() {
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (alice_token, mut alice) = app.user("alice").await;
    let a1 = alice
        .whisper("bob", "a secret for the first bob", "a1")
        .await;
    let b1 = bob.whisper("alice", "and his answer", "b1").await;
    bob.close().await;
    alice.close().await;
    assert_eq!(app.sign_out(&bob_token).await, 204);
    // Unused for the (zero-day) period: someone else claims the name, as a new account.
    let response = app.post_session(json!({"name": "bob"})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let new_bob_token = body["token"].as_str().unwrap().to_owned();

    // The new holder: no conversation, no history, nothing replayed from before him.
    let mut new_bob = app.connect_after(&new_bob_token, 0).await;
    assert!(private_with(&new_bob.welcome, "alice").is_none());
    let replayed: Vec<u64> = new_bob
        .sync()
        .await
        .iter()
        .filter_map(|f| match f {
            ServerFrame::PrivateMessage { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert!(
        !replayed.contains(&a1) && !replayed.contains(&b1),
        "{replayed:?}"
    );
    let (ids, complete) = new_bob.history(json!({"to": "alice"})).await;
    assert!(ids.is_empty() && complete, "{ids:?}");

    // Alice keeps the conversation and its history, and is told the bob of now is new.
    let mut alice = app.connect(&alice_token).await;
    let info = private_with(&alice.welcome, "bob").expect("alice keeps the conversation");
    assert_eq!(info.last_id, b1);
    let since = info.since.expect("since: bob is a new account");
    let (ids, _) = alice.history(json!({"to": "bob"})).await;
    assert_eq!(ids, vec![a1, b1]);

    // The new bob writes: the same conversation for alice, his only for him.
    let b2 = new_bob.whisper("alice", "hello, I am new here", "b2").await;
    let got = alice.messages(1).await;
    assert_eq!(got, vec![(b2, "hello, I am new here".to_owned())]);
    let (ids, complete) = new_bob.history(json!({"to": "alice"})).await;
    assert_eq!((ids, complete), (vec![b2], true));
    new_bob.close().await;
    let new_bob = app.connect(&new_bob_token).await;
    let his = private_with(&new_bob.welcome, "alice").expect("his conversation now");
    assert_eq!((his.last_id, his.unread, his.since), (b2, 0, None));
    alice.close().await;
    let alice = app.connect(&alice_token).await;
    let info = private_with(&alice.welcome, "bob").expect("still listed");
    // Unread: the old bob's answer, never read, and the new bob's message.
    assert_eq!(
        (info.last_id, info.unread, info.since),
        (b2, 2, Some(since))
    );
    let (ids, _) = {
        let mut alice = alice;
        alice.history(json!({"to": "bob"})).await
    };
    assert_eq!(ids, vec![a1, b1, b2]);
}

#[tokio::test]
async fn a_released_name_s_new_holder_cannot_read_send_change_or_export_the_old_holders() {
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let (carol_token, mut carol) = app.user("carol").await;
    let (alice_token, _alice) = app.user("alice").await;
    let sent = app
        .upload_ok(
            &carol_token,
            "plans.txt",
            b"the first carol's plans".to_vec(),
        )
        .await;
    let unsent = app
        .upload_ok(&carol_token, "draft.txt", b"never sent".to_vec())
        .await;
    carol
        .send_acked(
            json!({"type": "private_message", "to": "alice", "body": "plans",
            "attachments": [sent.id], "req": "c1"}),
        )
        .await;
    let said = carol.say("lobby", "the first carol", "c2").await;
    carol.close().await;
    assert_eq!(app.sign_out(&carol_token).await, 204);
    let response = app.post_session(json!({"name": "carol"})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let new_token = body["token"].as_str().unwrap().to_owned();
    let mut new_carol = app.connect(&new_token).await;

    // 404 for both of her files, as for anything he may not read; alice still reads hers.
    for id in [&sent.id, &unsent.id] {
        for suffix in ["", "/thumbnail"] {
            let got = app.attachment(&new_token, id, suffix).await;
            assert_eq!(got.status(), 404, "{id}{suffix}");
        }
    }
    assert_eq!(
        app.attachment(&alice_token, &sent.id, "").await.status(),
        200
    );
    // He cannot send her unsent file, nor edit or delete her message.
    let refusals = [
        json!({"type": "room_message", "room": "lobby", "body": "",
            "attachments": [unsent.id], "req": "n1"}),
        json!({"type": "edit", "id": said, "body": "mine now", "req": "n2"}),
        json!({"type": "delete", "id": said, "req": "n3"}),
    ];
    let codes = [
        ErrorCode::UnknownAttachment,
        ErrorCode::NotAllowed,
        ErrorCode::NotAllowed,
    ];
    for (frame, code) in refusals.into_iter().zip(codes) {
        assert_eq!(new_carol.refused(frame).await, code);
    }
    // His export holds what he wrote and uploaded, none of hers.
    let mine = app
        .upload_ok(&new_token, "mine.txt", b"the second carol's".to_vec())
        .await;
    let his = new_carol
        .send_acked(
            json!({"type": "room_message", "room": "lobby", "body": "the second carol",
            "attachments": [mine.id], "req": "n4"}),
        )
        .await;
    let (status, ticket) = super::export::ask(&app, Some(&new_token)).await;
    assert_eq!(status, 201, "{ticket}");
    let (mut zip, _) = super::export::download_zip(&app, ticket["url"].as_str().unwrap())
        .await
        .unwrap();
    let archive = super::export::json_of(&mut zip);
    let ids: Vec<u64> = archive["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [his], "{archive}");
    let files: Vec<&str> = archive["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(files, [mine.id.as_str()], "{archive}");
    let names: Vec<String> = zip
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains(&sent.id) || n.contains(&unsent.id)),
        "{names:?}"
    );
}

#[tokio::test]
async fn an_administrators_name_is_never_released() {
    let app = spawn_app_with(|c| {
        c.release_names_after_days = 0;
        c.admins = vec!["root".to_owned()];
    })
    .await;
    let root = app.claim("root").await;
    assert_eq!(app.sign_out(&root).await, 204);
    assert_eq!(
        claim_outcome(&app, json!({"name": "root"})).await,
        (409, "name_taken".to_owned())
    );
    // Anyone else's is, after the same time.
    let finn = app.claim("finn").await;
    assert_eq!(app.sign_out(&finn).await, 204);
    assert_eq!(claim_outcome(&app, json!({"name": "finn"})).await.0, 201);
}

#[tokio::test]
async fn a_released_owner_s_room_passes_on_and_its_members_hear_it() {
    let app = spawn_app_with(|c| c.release_names_after_days = 0).await;
    let (carol_token, mut carol) = app.user("carol").await;
    let (_, mut alice) = app.user("alice").await;
    carol.join("plans").await;
    alice.join("plans").await;
    carol.close().await;
    assert_eq!(app.sign_out(&carol_token).await, 204);
    assert_eq!(claim_outcome(&app, json!({"name": "carol"})).await.0, 201);
    let updated = alice
        .recv_until(|f| matches!(f, ServerFrame::RoomUpdated { room, .. } if room == "plans"))
        .await;
    let ServerFrame::RoomUpdated { settings, .. } = updated else {
        unreachable!()
    };
    assert_eq!(settings.owner.as_deref(), Some("alice"));
    // She runs it now.
    alice
        .done(json!({"type": "set_room", "room": "plans", "topic": "mine", "req": "t1"}))
        .await;
}
