//! Edits, deletions, replies and reactions: who hears of them, who may make them, and that
//! history and a resuming connection show each message as it stands now, once.

use serde_json::{json, Value};
use shared::{ErrorCode, Place, ServerFrame, StoredMessage};

use testkit::{spawn_app, spawn_app_with, Client, Engine, TestApp};

/// Sends `frame` (with a `req`) and returns the error code that answers it.
async fn refused(client: &mut Client, frame: Value) -> ErrorCode {
    let req = frame["req"].as_str().expect("a req").to_owned();
    client.send_json(frame).await;
    match client
        .recv_until(|f| {
            matches!(f, ServerFrame::Ack { req: Some(r), .. } | ServerFrame::Error { req: Some(r), .. } if *r == req)
        })
        .await
    {
        ServerFrame::Error { code, .. } => code,
        other => panic!("expected an error for {req}, got {other:?}"),
    }
}

/// The messages of a `history` page.
async fn page(client: &mut Client, target: Value) -> Vec<StoredMessage> {
    let mut frame = json!({"type": "history", "req": "page"});
    for (k, v) in target.as_object().expect("an object") {
        frame[k] = v.clone();
    }
    client.send_json(frame).await;
    match client
        .recv_until(|f| matches!(f, ServerFrame::History { .. }))
        .await
    {
        ServerFrame::History { messages, .. } => messages,
        _ => unreachable!(),
    }
}

fn find(messages: &[StoredMessage], id: u64) -> &StoredMessage {
    messages
        .iter()
        .find(|m| m.id == id)
        .expect("the message in history")
}

/// How many rows of the store hold `text` anywhere (messages' and changes' bodies).
async fn stored_copies(app: &TestApp, text: &str) -> i64 {
    use sqlx::Connection;
    let like = format!("%{text}%");
    let sql = "SELECT (SELECT COUNT(*) FROM messages WHERE body LIKE $1) \
               + (SELECT COUNT(*) FROM changes WHERE body LIKE $1)";
    match app.engine() {
        Engine::Sqlite => {
            let path = app.state.config.data_dir.join("chat.db");
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                .await
                .expect("open chat.db");
            sqlx::query_scalar(sql)
                .bind(like)
                .fetch_one(&mut conn)
                .await
                .expect("count")
        }
        Engine::Postgres => {
            let url = app.state.config.database_url.clone().expect("a URL");
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::query_scalar(sql)
                .bind(like)
                .fetch_one(&mut conn)
                .await
                .expect("count")
        }
    }
}

#[tokio::test]
async fn an_edit_is_seen_live_kept_in_history_and_applied_once() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;
    let id = alice.say("lobby", "helo", "m1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;

    let edit = json!({"type": "edit", "id": id, "body": "hello", "req": "e1"});
    let change = alice.send_acked(edit.clone()).await;
    assert!(change > id, "a change takes the next id");
    let frame = bob
        .recv_until(|f| matches!(f, ServerFrame::MessageEdited { .. }))
        .await;
    let ServerFrame::MessageEdited {
        id: edited,
        change_id,
        place,
        body,
        edited_at,
    } = frame
    else {
        unreachable!()
    };
    assert_eq!((edited, change_id, body.as_str()), (id, change, "hello"));
    assert_eq!(
        place,
        Place::Room {
            room: "lobby".into()
        }
    );
    assert!(edited_at > 0);

    // The same req again: acknowledged with the same id, applied and delivered once.
    assert_eq!(alice.send_acked(edit).await, change);
    bob.assert_quiet().await;

    let messages = page(&mut bob, json!({"room": "lobby"})).await;
    let message = find(&messages, id);
    assert_eq!(message.body, "hello");
    assert_eq!(message.details.edited_at, Some(edited_at));

    // Someone else's message: refused, and nothing changes.
    let code = refused(
        &mut bob,
        json!({"type": "edit", "id": id, "body": "mine now", "req": "e2"}),
    )
    .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    let code = refused(
        &mut alice,
        json!({"type": "edit", "id": id, "body": " ", "req": "e3"}),
    )
    .await;
    assert_eq!(code, ErrorCode::EmptyBody);
    let code = refused(
        &mut alice,
        json!({"type": "edit", "id": 999_999, "body": "x", "req": "e4"}),
    )
    .await;
    assert_eq!(code, ErrorCode::UnknownMessage);
    alice.assert_quiet().await;
}

#[tokio::test]
async fn a_deleted_message_is_a_tombstone_everywhere_and_gone_from_the_store() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;
    let id = alice.say("lobby", "a secret plan", "m1").await;
    alice
        .send_acked(json!({"type": "edit", "id": id, "body": "a secreter plan", "req": "e1"}))
        .await;
    bob.send_acked(json!({"type": "react", "id": id, "emoji": "👍", "req": "x1"}))
        .await;
    let reply = bob
        .send_acked(json!({"type": "room_message", "room": "lobby", "body": "ok", "reply_to": id, "req": "m2"}))
        .await;
    assert_eq!(
        stored_copies(&app, "secret").await,
        2,
        "the message and its edit"
    );

    let change = alice
        .send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    let frame = bob
        .recv_until(|f| matches!(f, ServerFrame::MessageDeleted { .. }))
        .await;
    assert!(
        matches!(frame, ServerFrame::MessageDeleted { id: d, change_id, .. } if d == id && change_id == change)
    );
    assert_eq!(stored_copies(&app, "secret").await, 0);

    let messages = page(&mut bob, json!({"room": "lobby"})).await;
    let gone = find(&messages, id);
    assert!(gone.details.deleted);
    assert_eq!(gone.body, "");
    assert!(gone.details.reactions.is_empty());
    let quote = find(&messages, reply)
        .details
        .reply
        .clone()
        .expect("a quote");
    assert!(quote.deleted && quote.text.is_empty());

    let code = refused(
        &mut alice,
        json!({"type": "edit", "id": id, "body": "back", "req": "e2"}),
    )
    .await;
    assert_eq!(code, ErrorCode::MessageDeleted);
    let code = refused(
        &mut bob,
        json!({"type": "react", "id": id, "emoji": "👍", "req": "x2"}),
    )
    .await;
    assert_eq!(code, ErrorCode::MessageDeleted);
    // Someone else's, in the lobby, which has no owner.
    let code = refused(
        &mut alice,
        json!({"type": "delete", "id": reply, "req": "d2"}),
    )
    .await;
    assert_eq!(code, ErrorCode::NotAllowed);
}

#[tokio::test]
async fn a_rooms_owner_deletes_anyones_message_and_others_do_not() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.join("rust").await;
    bob.join("rust").await;
    // The creator owns the room, and the member who joins later learns who.
    bob.send_json(json!({"type": "join", "room": "rust"})).await;
    let joined = bob
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    assert!(
        matches!(joined, ServerFrame::RoomJoined { settings: shared::RoomSettings { owner: Some(ref o), .. }, .. } if o == "alice"),
        "{joined:?}"
    );
    let mine = alice.say("rust", "by the owner", "m1").await;
    let theirs = bob.say("rust", "by a member", "m2").await;
    let code = refused(&mut bob, json!({"type": "delete", "id": mine, "req": "d1"})).await;
    assert_eq!(code, ErrorCode::NotAllowed);
    alice
        .send_acked(json!({"type": "delete", "id": theirs, "req": "d2"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::MessageDeleted { id, .. } if *id == theirs))
        .await;
}

#[tokio::test]
async fn reactions_are_live_counted_checked_and_idempotent() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;
    let id = alice.say("lobby", "party?", "m1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
        .await;

    let change = bob
        .send_acked(json!({"type": "react", "id": id, "emoji": "🎉", "req": "x1"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::Reaction { .. }))
        .await;
    assert_eq!(
        frame,
        ServerFrame::Reaction {
            id,
            change_id: change,
            place: Place::Room {
                room: "lobby".into()
            },
            emoji: "🎉".into(),
            user: "bob".into(),
            added: true,
        }
    );
    // The same reaction again, with a new req: acknowledged, nobody hears of it.
    bob.send_acked(json!({"type": "react", "id": id, "emoji": "🎉", "req": "x2"}))
        .await;
    alice.assert_quiet().await;
    alice
        .send_acked(json!({"type": "react", "id": id, "emoji": "🎉", "req": "x3"}))
        .await;
    let messages = page(&mut bob, json!({"room": "lobby"})).await;
    let reactions = &find(&messages, id).details.reactions;
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0].emoji, "🎉");
    assert_eq!(reactions[0].users, ["bob", "alice"]);

    bob.send_acked(json!({"type": "unreact", "id": id, "emoji": "🎉", "req": "x4"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::Reaction { .. }))
        .await;
    assert!(matches!(frame, ServerFrame::Reaction { added: false, ref user, .. } if user == "bob"));

    for bad in ["+1", "", "👍 👍"] {
        let code = refused(
            &mut bob,
            json!({"type": "react", "id": id, "emoji": bad, "req": "bad"}),
        )
        .await;
        assert_eq!(code, ErrorCode::InvalidEmoji, "{bad:?}");
    }
    // 20 distinct emoji (🎉 and 19 more), then a 21st is refused; one already there is not.
    let emoji: Vec<String> = (0..19u32)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for (i, e) in emoji.iter().enumerate() {
        bob.send_acked(json!({"type": "react", "id": id, "emoji": e, "req": format!("many{i}")}))
            .await;
    }
    let code = refused(
        &mut bob,
        json!({"type": "react", "id": id, "emoji": "🦀", "req": "x21"}),
    )
    .await;
    assert_eq!(code, ErrorCode::TooManyReactions);
    bob.send_acked(json!({"type": "react", "id": id, "emoji": "🎉", "req": "x22"}))
        .await;
}

#[tokio::test]
async fn a_reply_carries_its_quote_and_stays_in_its_conversation() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;
    let long = "x".repeat(150);
    let id = alice.say("lobby", &long, "m1").await;
    let reply = bob
        .send_acked(json!({"type": "room_message", "room": "lobby", "body": "indeed", "reply_to": id, "req": "m2"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::RoomMessage { id, .. } if *id == reply))
        .await;
    let ServerFrame::RoomMessage { details, .. } = frame else {
        unreachable!()
    };
    let quote = details.reply.expect("a quote");
    assert_eq!((quote.id, quote.from.as_str()), (id, "alice"));
    assert_eq!(quote.text, "x".repeat(100));
    let messages = page(&mut alice, json!({"room": "lobby"})).await;
    assert_eq!(find(&messages, reply).details.reply.as_ref(), Some(&quote));

    // A private message is not of the lobby, nor a lobby message of a private conversation.
    let private = alice.whisper("bob", "just us", "p1").await;
    let code = refused(
        &mut bob,
        json!({"type": "room_message", "room": "lobby", "body": "leak", "reply_to": private, "req": "m3"}),
    )
    .await;
    assert_eq!(code, ErrorCode::UnknownMessage);
    let code = refused(
        &mut bob,
        json!({"type": "private_message", "to": "alice", "body": "x", "reply_to": id, "req": "m4"}),
    )
    .await;
    assert_eq!(code, ErrorCode::UnknownMessage);
    bob.send_acked(json!({"type": "private_message", "to": "alice", "body": "yes", "reply_to": private, "req": "m5"}))
        .await;
}

#[tokio::test]
async fn a_third_user_hears_nothing_of_a_private_pairs_changes_and_cannot_make_any() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.sync().await;
    carol.sync().await;
    let id = alice.whisper("bob", "between us", "p1").await;
    bob.send_acked(json!({"type": "react", "id": id, "emoji": "👍", "req": "x1"}))
        .await;
    alice
        .send_acked(json!({"type": "edit", "id": id, "body": "still between us", "req": "e1"}))
        .await;
    let frame = bob
        .recv_until(|f| matches!(f, ServerFrame::MessageEdited { .. }))
        .await;
    assert!(
        matches!(frame, ServerFrame::MessageEdited { place: Place::Private { ref from, ref to }, .. } if from == "alice" && to == "bob")
    );
    for (i, frame) in [
        json!({"type": "react", "id": id, "emoji": "👀", "req": "c1"}),
        json!({"type": "unreact", "id": id, "emoji": "👍", "req": "c2"}),
        json!({"type": "edit", "id": id, "body": "mine", "req": "c3"}),
        json!({"type": "delete", "id": id, "req": "c4"}),
        json!({"type": "private_message", "to": "alice", "body": "hm", "reply_to": id, "req": "c5"}),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            refused(&mut carol, frame).await,
            ErrorCode::UnknownMessage,
            "frame {i}"
        );
    }
    alice
        .send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::MessageDeleted { .. }))
        .await;
    carol
        .assert_none_of("another pair's changes", |f| {
            matches!(
                f,
                ServerFrame::MessageEdited { .. }
                    | ServerFrame::MessageDeleted { .. }
                    | ServerFrame::Reaction { .. }
                    | ServerFrame::PrivateMessage { .. }
            )
        })
        .await;
}

#[tokio::test]
async fn a_resuming_client_gets_the_current_state_of_what_changed_once() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    alice.sync().await;
    let edited = alice.say("lobby", "frist", "m1").await;
    let deleted = alice.say("lobby", "oops", "m2").await;
    let reacted = alice.whisper("bob", "psst", "p1").await;
    bob.sync().await;
    let after = bob.last_id().max(reacted);
    bob.close().await;

    for (i, body) in ["first", "first!"].iter().enumerate() {
        alice
            .send_acked(json!({"type": "edit", "id": edited, "body": body, "req": format!("e{i}")}))
            .await;
    }
    alice
        .send_acked(json!({"type": "react", "id": deleted, "emoji": "😬", "req": "x0"}))
        .await;
    alice
        .send_acked(json!({"type": "delete", "id": deleted, "req": "d1"}))
        .await;
    alice
        .send_acked(json!({"type": "react", "id": reacted, "emoji": "👍", "req": "x1"}))
        .await;
    alice
        .send_acked(json!({"type": "react", "id": reacted, "emoji": "👀", "req": "x2"}))
        .await;
    alice
        .send_acked(json!({"type": "unreact", "id": reacted, "emoji": "👀", "req": "x3"}))
        .await;
    let new = alice.say("lobby", "later", "m3").await;

    let mut bob = app.connect_after(&bob_token, after).await;
    let frames = bob.sync().await;
    let changes: Vec<&ServerFrame> = frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                ServerFrame::MessageEdited { .. }
                    | ServerFrame::MessageDeleted { .. }
                    | ServerFrame::Reaction { .. }
                    | ServerFrame::RoomMessage { .. }
            )
        })
        .collect();
    assert_eq!(changes.len(), 5, "{changes:#?}");
    assert!(changes.iter().any(
        |f| matches!(f, ServerFrame::MessageEdited { id, body, .. } if *id == edited && body == "first!")
    ));
    assert!(changes
        .iter()
        .any(|f| matches!(f, ServerFrame::MessageDeleted { id, .. } if *id == deleted)));
    assert!(changes.iter().any(|f| matches!(f, ServerFrame::Reaction { id, emoji, added: true, .. } if *id == reacted && emoji == "👍")));
    assert!(changes.iter().any(|f| matches!(f, ServerFrame::Reaction { id, emoji, added: false, .. } if *id == reacted && emoji == "👀")));
    assert!(changes
        .iter()
        .any(|f| matches!(f, ServerFrame::RoomMessage { id, .. } if *id == new)));
    let ids: Vec<u64> = changes
        .iter()
        .map(|f| match f {
            ServerFrame::MessageEdited { change_id, .. }
            | ServerFrame::MessageDeleted { change_id, .. }
            | ServerFrame::Reaction { change_id, .. } => *change_id,
            ServerFrame::RoomMessage { id, .. } => *id,
            _ => 0,
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
    bob.assert_quiet().await;
}

#[tokio::test]
async fn reactions_spend_the_message_rate_budget() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 1;
        c.rate_burst = 4;
    })
    .await;
    let (_, mut alice) = app.user("alice").await;
    alice.sync().await;
    let id = alice.say("lobby", "rate me", "m1").await;
    // A burst of 4 for everything: ten reactions at once cannot all pass.
    let emoji = ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊"];
    for (i, e) in emoji.iter().enumerate() {
        alice
            .send_json(json!({"type": "react", "id": id, "emoji": e, "req": format!("x{i}")}))
            .await;
    }
    let mut limited = 0;
    for _ in 0..emoji.len() {
        let answer = alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
            .await;
        if let ServerFrame::Error { code, .. } = answer {
            assert_eq!(code, ErrorCode::RateLimited);
            limited += 1;
        }
    }
    assert!(limited >= 6, "only {limited} of 10 reactions were limited");
}
