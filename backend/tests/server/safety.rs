//! Safety: blocking (a blocked user's private messages never reach the blocker, live or
//! later; their room messages do, for the client to collapse), administrators (disabling an
//! account ends its sessions at once, the figures; everyone else refused), and
//! `chat-server admin grant|revoke` on the configured store.

use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::{close, ServerFrame};
use testkit::{spawn_app_on, spawn_app_with, Ended, Storage, TestApp};
use tokio_tungstenite::tungstenite::Message;

/// The `blocked` frame that answers `req`, skipping others.
async fn blocked(client: &mut testkit::Client, req: &str) -> Vec<String> {
    match client
        .recv_until(|f| matches!(f, ServerFrame::Blocked { req: Some(r), .. } if r == req))
        .await
    {
        ServerFrame::Blocked { users, .. } => users,
        other => unreachable!("{other:?}"),
    }
}

/// The error code answering `req`, skipping other frames.
async fn refused(client: &mut testkit::Client, req: &str) -> shared::ErrorCode {
    match client
        .recv_until(|f| matches!(f, ServerFrame::Error { req: Some(r), .. } if r == req))
        .await
    {
        ServerFrame::Error { code, .. } => code,
        other => unreachable!("{other:?}"),
    }
}

fn is_private(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::PrivateMessage { .. })
}

#[tokio::test]
async fn a_blocked_users_private_messages_reach_only_their_sender() {
    let app = spawn_app_with(|_| {}).await;
    let (alice_token, mut alice) = app.user("alice").await;
    let mut alice_too = app.connect(&alice_token).await;
    let (_, mut bob) = app.user("Bob").await;
    let (_, mut carol) = app.user("carol").await;
    let before = bob.whisper("alice", "before the block", "b0").await;
    alice.recv_until(is_private).await;
    alice_too.recv_until(is_private).await;

    // Refusals first: nobody blocks themselves or a name without an account.
    alice
        .send_json(json!({"type": "block", "user": "ALICE", "req": "self"}))
        .await;
    assert_eq!(
        refused(&mut alice, "self").await,
        shared::ErrorCode::NotAllowed
    );
    alice
        .send_json(json!({"type": "block", "user": "nobody", "req": "none"}))
        .await;
    assert_eq!(
        refused(&mut alice, "none").await,
        shared::ErrorCode::UnknownUser
    );

    alice
        .send_json(json!({"type": "block", "user": "bob", "req": "k1"}))
        .await;
    assert_eq!(blocked(&mut alice, "k1").await, ["Bob"]);
    // Her other connection hears of it, without the req.
    let told = alice_too
        .recv_until(|f| matches!(f, ServerFrame::Blocked { .. }))
        .await;
    assert_eq!(
        told,
        ServerFrame::Blocked {
            users: vec!["Bob".into()],
            req: None
        }
    );

    // Bob is told nothing: his message is acknowledged like any other.
    let hidden = bob.whisper("alice", "you cannot see this", "b1").await;
    assert!(hidden > before);
    alice.assert_none_of("private message", is_private).await;
    alice_too
        .assert_none_of("private message", is_private)
        .await;
    carol.assert_none_of("private message", is_private).await;
    // His room messages still arrive: her client collapses them.
    let in_lobby = bob.say("lobby", "hello room", "b2").await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;
    assert!(matches!(frame, ServerFrame::RoomMessage { id, .. } if id == in_lobby));

    // Not in her history, her search, her replay or her unread count; in Bob's.
    let (ids, complete) = alice.history(json!({"to": "Bob"})).await;
    assert_eq!((ids, complete), (vec![before], true));
    let (ids, _) = bob.history(json!({"to": "alice"})).await;
    assert_eq!(ids, [before, hidden]);
    assert!(alice
        .search_ids(json!({"query": "cannot"}))
        .await
        .is_empty());
    assert_eq!(bob.search_ids(json!({"query": "cannot"})).await, [hidden]);
    let mut resumed = app.connect_after(&alice_token, before).await;
    // Right after the welcome: whom she blocks.
    assert_eq!(
        resumed.recv().await,
        ServerFrame::Blocked {
            users: vec!["Bob".into()],
            req: None
        }
    );
    let replayed = resumed.sync().await;
    assert!(!replayed.iter().any(is_private), "{replayed:?}");
    let unread = match &resumed_welcome(&app, &alice_token).await {
        ServerFrame::Welcome { conversations, .. } => conversations
            .iter()
            .find(|c| matches!(&c.target, shared::Target::User { to } if to == "Bob"))
            .map(|c| c.unread),
        other => unreachable!("{other:?}"),
    };
    assert_eq!(unread, Some(1), "only the message from before the block");
    // She cannot answer or react to what she never saw.
    alice
        .send_json(json!({"type": "react", "id": hidden, "emoji": "👍", "req": "r1"}))
        .await;
    assert_eq!(
        refused(&mut alice, "r1").await,
        shared::ErrorCode::UnknownMessage
    );
    // Bob's edit of it reaches Bob alone.
    bob.send_acked(json!({"type": "edit", "id": hidden, "body": "edited", "req": "e1"}))
        .await;
    alice
        .assert_none_of("an edit", |f| {
            matches!(f, ServerFrame::MessageEdited { .. })
        })
        .await;

    // Unblocked: later messages reach her; the hidden one stays hidden.
    alice
        .send_json(json!({"type": "unblock", "user": "bob", "req": "k2"}))
        .await;
    assert!(blocked(&mut alice, "k2").await.is_empty());
    let after = bob.whisper("alice", "after the block", "b3").await;
    let frame = alice.recv_until(is_private).await;
    assert!(matches!(frame, ServerFrame::PrivateMessage { id, .. } if id == after));
    let (ids, _) = alice.history(json!({"to": "Bob"})).await;
    assert_eq!(ids, [before, after]);
}

/// The welcome of a new connection of `token`'s.
async fn resumed_welcome(app: &TestApp, token: &str) -> ServerFrame {
    let client = app.connect(token).await;
    let welcome = client.welcome().clone();
    client.close().await;
    welcome
}

/// `method` on `path` with `token` (if any): the status and the error code.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = app.http().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// What `GET /api/session` says of `token`'s account being an administrator: `Some(true)`, or
/// `None` when the field is absent (as it must be for anyone else).
async fn says_admin(app: &TestApp, token: &str) -> Option<bool> {
    let (status, body) = call(app, reqwest::Method::GET, "/api/session", Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body.get("admin").map(|a| a.as_bool().expect("a boolean"))
}

#[tokio::test]
async fn an_administrator_disables_an_account_everywhere_and_reads_the_figures() {
    let app = spawn_app_with(|config| config.admins = vec!["Root".into(), " EVE".into()]).await;
    let (root, _root_ws) = app.user("root").await;
    let bob_claim = app
        .post_session(json!({"name": "bob", "password": "correct horse"}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    // The session's answers say who is an administrator, and nothing for anyone else.
    assert_eq!(bob_claim.get("admin"), None, "{bob_claim}");
    let bob_token = bob_claim["token"].as_str().unwrap().to_owned();
    let mut bob_one = app.connect(&bob_token).await;
    let mut bob_two = app.connect(&bob_token).await;
    let (carol, mut carol_ws) = app.user("carol").await;
    carol_ws.say("lobby", "one message", "c1").await;
    assert_eq!(says_admin(&app, &root).await, Some(true));
    assert_eq!(says_admin(&app, &carol).await, None);
    assert_eq!(says_admin(&app, &bob_token).await, None);
    let put = reqwest::Method::PUT;
    let get = reqwest::Method::GET;

    // Refusals: no token, a non-administrator, oneself, nobody.
    let path = "/api/admin/accounts/bob/disabled";
    assert_eq!(call(&app, put.clone(), path, None).await.0, 401);
    let (status, body) = call(&app, put.clone(), path, Some(&carol)).await;
    assert_eq!((status, code(&body)), (403, "not_admin"));
    let (status, body) = call(&app, get.clone(), "/api/admin/figures", Some(&carol)).await;
    assert_eq!((status, code(&body)), (403, "not_admin"));
    let own = "/api/admin/accounts/ROOT/disabled";
    let (status, body) = call(&app, put.clone(), own, Some(&root)).await;
    assert_eq!((status, code(&body)), (403, "not_allowed"));
    let nobody = "/api/admin/accounts/nobody/disabled";
    let (status, body) = call(&app, put.clone(), nobody, Some(&root)).await;
    assert_eq!((status, code(&body)), (404, "unknown_user"));
    bob_one.assert_alive("still").await;

    // The figures.
    let (status, figures) = call(&app, get.clone(), "/api/admin/figures", Some(&root)).await;
    assert_eq!(status, 200);
    assert_eq!(figures["accounts"], 3);
    assert_eq!(figures["disabled_accounts"], 0);
    assert_eq!(figures["online_users"], 3);
    assert_eq!(figures["rooms"], 1);
    assert_eq!(figures["messages"], 1);
    assert_eq!(
        figures["nodes"],
        json!([{"node": "local", "connections": 4}])
    );

    // Disabled: both of Bob's sockets close with 4003, his token and password are refused.
    assert_eq!(call(&app, put.clone(), path, Some(&root)).await.0, 204);
    for bob in [&mut bob_one, &mut bob_two] {
        assert_eq!(
            bob.until_closed().await,
            Ended::Closed(Some(close::ACCOUNT_DISABLED))
        );
    }
    let (status, body) = call(&app, get.clone(), "/api/session", Some(&bob_token)).await;
    assert_eq!((status, code(&body)), (403, "account_disabled"));
    let (status, error) = app.try_connect(&bob_token).await.err().expect("refused");
    assert_eq!(
        (status, error.code),
        (403, shared::ErrorCode::AccountDisabled)
    );
    let again = app
        .post_session(json!({"name": "bob", "password": "correct horse"}))
        .await;
    assert_eq!(again.status(), 403);
    assert_eq!(
        code(&again.json::<Value>().await.unwrap()),
        "account_disabled"
    );
    // A wrong password learns nothing of it.
    let wrong = app
        .post_session(json!({"name": "bob", "password": "wrong horse!"}))
        .await;
    assert_eq!(wrong.status(), 401);
    carol_ws.assert_alive("carol").await;
    let (_, figures) = call(&app, get.clone(), "/api/admin/figures", Some(&root)).await;
    assert_eq!(figures["disabled_accounts"], 1);

    // Enabled again: the same token works.
    let (status, _) = call(&app, reqwest::Method::DELETE, path, Some(&root)).await;
    assert_eq!(status, 204);
    let mut back = app.connect(&bob_token).await;
    back.assert_alive("back").await;
    assert_eq!(says_admin(&app, &bob_token).await, None);

    // A claim's answer says it too (`--admin` names ignore case and spaces).
    let eve = app
        .post_session(json!({"name": "eve"}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(eve["admin"], json!(true), "{eve}");
}

#[tokio::test]
async fn chat_server_admin_grants_and_revokes_on_the_configured_store() {
    let storage = Storage::from_env().await;
    let dir = storage.dir().to_path_buf();
    let url = storage.database_url();
    let app = spawn_app_on(storage, |_| {}).await;
    let dana = app.claim("dana").await;
    let figures = "/api/admin/figures";
    assert_eq!(says_admin(&app, &dana).await, None);
    assert_eq!(
        call(&app, reqwest::Method::GET, figures, Some(&dana))
            .await
            .0,
        403
    );
    let admin = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chat-server"));
        command.arg("--data-dir").arg(&dir);
        if let Some(url) = &url {
            command.arg("--database-url").arg(url);
        }
        command.arg("admin").args(args);
        command.output().expect("chat-server admin runs")
    };
    let granted = admin(&["grant", "DANA"]);
    assert!(granted.status.success(), "{granted:?}");
    assert_eq!(
        String::from_utf8_lossy(&granted.stdout).trim(),
        "dana is an administrator"
    );
    assert_eq!(
        call(&app, reqwest::Method::GET, figures, Some(&dana))
            .await
            .0,
        200
    );
    assert_eq!(says_admin(&app, &dana).await, Some(true));
    let revoked = admin(&["revoke", "dana"]);
    assert!(revoked.status.success(), "{revoked:?}");
    assert_eq!(
        call(&app, reqwest::Method::GET, figures, Some(&dana))
            .await
            .0,
        403
    );
    assert_eq!(says_admin(&app, &dana).await, None);
    let nobody = admin(&["grant", "nobody"]);
    assert_eq!(nobody.status.code(), Some(1), "{nobody:?}");
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no account is called nobody"));
}

/// A session signed out, and an account disabled, after the upgrade checked the token but
/// before the connection joined the hub (it waits for its turn to read its start): nothing
/// was there to close then, so the connection closes with 4001 and 4003 once it has joined,
/// before any welcome, and the others' connections stay.
#[tokio::test]
async fn a_session_that_ends_before_its_connection_joins_gets_no_welcome() {
    let app = spawn_app_with(|config| config.admins = vec!["root".into()]).await;
    let (root, mut root_ws) = app.user("root").await;
    let bob = app.claim("bob").await;
    let carol = app.claim("carol").await;
    let dave = app.claim("dave").await;
    // Every turn taken: the next connections pass the token check, then wait.
    let mut turns = Vec::new();
    for _ in 0..backend::connection::AT_ONCE {
        turns.push(app.state.openings.enter().await);
    }
    let open = |token: &str| {
        let url = format!("ws://{}/ws?token={token}", app.addr);
        async move {
            tokio_tungstenite::connect_async(url)
                .await
                .expect("the upgrade passes the token check")
                .0
        }
    };
    let mut waiting = vec![
        (open(&bob).await, Some(close::ACCOUNT_DISABLED)),
        (open(&carol).await, Some(close::SESSION_ENDED)),
        (open(&dave).await, None),
    ];
    let path = "/api/admin/accounts/bob/disabled";
    assert_eq!(
        call(&app, reqwest::Method::PUT, path, Some(&root)).await.0,
        204
    );
    assert_eq!(app.sign_out(&carol).await, 204);
    drop(turns);
    for (ws, closed) in &mut waiting {
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("a frame")
            .expect("a frame");
        match (closed, first) {
            (Some(code), Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), *code),
            (None, Message::Text(text)) => assert!(text.contains("\"welcome\""), "{text}"),
            (closed, first) => panic!("expected {closed:?}, got {first:?}"),
        }
    }
    root_ws.assert_alive("root").await;
}
