//! What the store promises a client, over real sockets: a long absence replays only the newest
//! messages and names the gap (`replay_cut`), which `history` fills; read markers stop at the
//! newest message; a `read`'s errors carry its `req`; and a `req` reused for another message
//! is refused (`req_conflict`), never acknowledged with the other message's id; and a message
//! whose store timed out but committed is acknowledged on its resend and delivered once.

use serde_json::json;
use shared::{ErrorCode, ServerFrame, Target};
use sqlx::{Connection, PgConnection};
use testkit::{is_message, message_id, spawn_app_on, spawn_app_with, Client, Engine, Storage};

/// The next frame but `presence`, which must be an `error` with `code`; returns its `req`.
async fn error_req(client: &mut Client, code: ErrorCode) -> Option<String> {
    let frame = client
        .recv_until(|f| !matches!(f, ServerFrame::Presence { .. }))
        .await;
    match frame {
        ServerFrame::Error { code: got, req, .. } if got == code => req,
        other => panic!("expected error {code:?}, got {other:?}"),
    }
}

/// Bob, away for 8 messages with a replay cap of 5: `welcome`, `replay_cut` with the gap,
/// the newest 5, then nothing more; `history` from the cut's `before` pages in the other 3.
/// (Before the cap: all 8 came, no `replay_cut`.)
#[tokio::test]
async fn a_long_absence_replays_the_newest_and_names_the_gap() {
    let app = spawn_app_with(|c| c.max_replay = 5).await;
    let (_, mut alice) = app.user("alice").await;
    let (bob_token, bob) = app.user("bob").await;
    let seen = alice.say("lobby", "seen", "seen").await;
    drop(bob);
    app.wait_for_connections(1).await;
    let mut said = Vec::new();
    for i in 0..8 {
        said.push(alice.say("lobby", &format!("m{i}"), &format!("m{i}")).await);
    }

    let mut bob = app.connect_after(&bob_token, seen).await;
    let cut = bob.recv().await;
    assert_eq!(
        cut,
        ServerFrame::ReplayCut {
            after: seen,
            before: said[3]
        }
    );
    let replayed: Vec<u64> = bob.messages(5).await.iter().map(|(id, _)| *id).collect();
    assert_eq!(replayed, said[3..]);
    bob.assert_none_of("message", is_message).await;
    let (page, complete) = bob
        .history(json!({"room": "lobby", "before": said[3], "limit": 3}))
        .await;
    assert_eq!(page, said[..3]);
    assert!(!complete, "{seen} and older remain");
    eprintln!(
        "replay: {} missed, {} replayed after replay_cut {{after: {seen}, before: {}}}",
        said.len(),
        replayed.len(),
        said[3]
    );

    // Missing no more than the cap: no cut.
    drop(bob);
    app.wait_for_connections(1).await;
    let last = alice.say("lobby", "one more", "one more").await;
    let mut bob = app.connect_after(&bob_token, said[7]).await;
    let frames = bob.sync().await;
    let ids: Vec<u64> = frames.iter().filter_map(message_id).collect();
    assert_eq!(ids, [last], "{frames:?}");
    assert!(
        !frames
            .iter()
            .any(|f| matches!(f, ServerFrame::ReplayCut { .. })),
        "{frames:?}"
    );
}

/// `read` with `up_to` = u64::MAX moves the marker to the newest message, so the next message
/// is unread; refused `read`s carry their `req`. (Before: the marker was stored as
/// 9223372036854775807, nothing was ever unread again, and errors had no `req`.)
#[tokio::test]
async fn read_far_above_the_newest_stops_at_it_and_its_errors_carry_req() {
    let app = spawn_app_with(|_| {}).await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let newest = bob.say("lobby", "hi", "b1").await;
    alice.messages(1).await;
    alice
        .send_json(json!({"type": "read", "room": "lobby", "up_to": u64::MAX, "req": "r1"}))
        .await;
    let lobby = Target::Room {
        room: "lobby".into(),
    };
    let marker = alice
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
    assert_eq!(
        marker,
        ServerFrame::Read {
            target: lobby.clone(),
            up_to: newest
        }
    );
    bob.say("lobby", "unread", "b2").await;
    alice.messages(1).await;
    drop(alice);
    app.wait_for_connections(1).await;
    let alice = app.connect(&alice_token).await;
    let ServerFrame::Welcome { conversations, .. } = &alice.welcome else {
        unreachable!()
    };
    let info = conversations
        .iter()
        .find(|c| c.target == lobby)
        .expect("the lobby");
    assert_eq!((info.read_up_to, info.unread), (newest, 1));

    let mut alice = alice;
    alice
        .send_json(json!({"type": "read", "room": "rust", "up_to": 1, "req": "r2"}))
        .await;
    let req = error_req(&mut alice, ErrorCode::NotMember).await;
    assert_eq!(req.as_deref(), Some("r2"));
    alice
        .send_json(json!({"type": "read", "to": "nobody", "up_to": 1, "req": "r3"}))
        .await;
    let req = error_req(&mut alice, ErrorCode::UnknownUser).await;
    assert_eq!(req.as_deref(), Some("r3"));
}

/// A `req` used again for another body, another room or a private message is refused with
/// `req_conflict` and its `req`; nothing is delivered; the same message again is acknowledged
/// with its id. (Before: each was acknowledged with the first message's id and dropped.)
#[tokio::test]
async fn a_req_reused_for_another_message_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.join("rust").await;
    let id = alice.say("lobby", "hello", "k1").await;
    assert_eq!(bob.messages(1).await, [(id, "hello".to_owned())]);
    let reuses = [
        json!({"type": "room_message", "room": "lobby", "body": "other", "req": "k1"}),
        json!({"type": "room_message", "room": "rust", "body": "hello", "req": "k1"}),
        json!({"type": "private_message", "to": "bob", "body": "hello", "req": "k1"}),
    ];
    for reuse in reuses {
        alice.send_json(reuse).await;
        let req = error_req(&mut alice, ErrorCode::ReqConflict).await;
        assert_eq!(req.as_deref(), Some("k1"));
    }
    let again = json!({"type": "room_message", "room": "lobby", "body": "hello", "req": "k1"});
    assert_eq!(alice.send_acked(again).await, id);
    bob.assert_none_of("message", is_message).await;
}

/// A store timeout whose transaction commits after all (PostgreSQL, a COMMIT held for 1.5 s by
/// a deferred trigger, `--store-timeout-ms 300`): the sender hears `unavailable`, its resend
/// with the same `req` is acknowledged with the stored id, and the other user gets the message
/// once. (Before: the resend was acknowledged, but nobody else ever got the message live.)
#[tokio::test]
async fn a_message_committed_after_a_store_timeout_is_acknowledged_and_delivered_once() {
    let storage = Storage::on(Engine::Postgres).await;
    let url = storage.database_url().expect("a PostgreSQL schema");
    let app = spawn_app_on(storage, |c| c.store_timeout_ms = 300).await;
    let mut db = PgConnection::connect(&url).await.expect("connect");
    for statement in [
        "CREATE FUNCTION slow_commit() RETURNS trigger AS \
         $$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON messages \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.body = 'slow') \
         EXECUTE FUNCTION slow_commit()",
    ] {
        sqlx::query(statement)
            .execute(&mut db)
            .await
            .expect("trigger");
    }
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let slow = json!({"type": "room_message", "room": "lobby", "body": "slow", "req": "s1"});
    let started = std::time::Instant::now();
    alice.send_json(slow.clone()).await;
    let req = error_req(&mut alice, ErrorCode::Unavailable).await;
    assert_eq!(req.as_deref(), Some("s1"));
    let refused_after = started.elapsed();
    // The COMMIT lands after all (a resend before it would wait for its lock, and time out).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE req = 's1'")
            .fetch_one(&mut db)
            .await
            .expect("count");
        if stored == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never committed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let committed_after = started.elapsed();
    let id = alice.send_acked(slow).await;
    eprintln!(
        "store timeout: unavailable after {refused_after:?}, committed after \
         {committed_after:?}, resend acknowledged with {id} after {:?}",
        started.elapsed()
    );
    assert_eq!(bob.messages(1).await, [(id, "slow".to_owned())]);
    let next = alice.say("lobby", "next", "n1").await;
    assert_eq!(bob.messages(1).await, [(next, "next".to_owned())]);
    let (page, _) = bob.history(json!({"room": "lobby"})).await;
    assert_eq!(page, [id, next], "stored once");
    db.close().await.expect("close");
}
