//! Room and private messages: who receives them, and who must not.

use serde_json::json;
use shared::ServerFrame;

use testkit::spawn_app;

#[tokio::test]
async fn a_room_message_reaches_every_other_connection_once_and_the_sender_gets_an_ack() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let mut alice_tab2 = app.connect(&alice_token).await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    for client in [&mut alice, &mut alice_tab2, &mut bob, &mut carol] {
        client.sync().await;
    }

    alice
        .send_json(
            json!({"type": "room_message", "room": "lobby", "body": "hello all", "req": "m1"}),
        )
        .await;

    let (id, at) = alice.recv_ack("m1").await;
    let expected = ServerFrame::RoomMessage {
        details: Default::default(),
        id,
        room: "lobby".into(),
        from: "alice".into(),
        body: "hello all".into(),
        at,
    };
    assert_eq!(bob.recv().await, expected);
    assert_eq!(carol.recv().await, expected);
    assert_eq!(alice_tab2.recv().await, expected);
    // Exactly once, and the sending connection gets only its ack.
    for client in [&mut alice, &mut alice_tab2, &mut bob, &mut carol] {
        client.assert_quiet().await;
    }
}

#[tokio::test]
async fn message_ids_grow_in_delivery_order() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;
    for i in 0..20 {
        alice
            .send_json(json!({"type": "room_message", "room": "lobby", "body": format!("n{i}")}))
            .await;
    }
    let mut last = 0;
    for i in 0..20 {
        let ServerFrame::RoomMessage { id, body, .. } = bob
            .recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
            .await
        else {
            unreachable!()
        };
        assert!(id > last, "ids must grow: {id} after {last}");
        assert_eq!(body, format!("n{i}"));
        last = id;
    }
}

#[tokio::test]
async fn a_private_message_reaches_the_recipients_tabs_and_the_senders_other_tabs_only() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let mut alice_tab2 = app.connect(&alice_token).await;
    let (bob_token, mut bob) = app.user("bob").await;
    let mut bob_tab2 = app.connect_bearer(&bob_token).await;
    let (_, mut carol) = app.user("carol").await;
    for client in [
        &mut alice,
        &mut alice_tab2,
        &mut bob,
        &mut bob_tab2,
        &mut carol,
    ] {
        client.sync().await;
    }

    // The recipient's name is matched without case; the delivery shows it as claimed.
    alice
        .send_json(json!({"type": "private_message", "to": "BOB", "body": "just you", "req": "p1"}))
        .await;
    let (id, at) = alice.recv_ack("p1").await;
    let expected = ServerFrame::PrivateMessage {
        details: Default::default(),
        id,
        from: "alice".into(),
        to: "bob".into(),
        body: "just you".into(),
        at,
    };
    assert_eq!(bob.recv().await, expected);
    assert_eq!(bob_tab2.recv().await, expected);
    assert_eq!(alice_tab2.recv().await, expected);
    // A conversation new to them: each tab is told where the other person stands, and
    // nothing else comes; carol hears nothing at all.
    for (client, other) in [
        (&mut alice, "bob"),
        (&mut alice_tab2, "bob"),
        (&mut bob, "alice"),
        (&mut bob_tab2, "alice"),
    ] {
        client.sees_online(other).await;
        client
            .assert_none_of("another message", testkit::is_message)
            .await;
    }
    carol.assert_quiet().await;
}

#[tokio::test]
async fn a_claimed_sender_is_replaced_by_the_real_one() {
    let app = spawn_app().await;
    let (_, mut mallory) = app.user("mallory").await;
    let (_, mut bob) = app.user("bob").await;
    mallory.sync().await;

    mallory
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "I am alice", "from": "alice", "user": "alice"}))
        .await;
    let frame = bob.recv().await;
    let ServerFrame::RoomMessage { from, body, .. } = frame else {
        panic!("expected a room message, got {frame:?}");
    };
    assert_eq!((from.as_str(), body.as_str()), ("mallory", "I am alice"));

    mallory
        .send_json(
            json!({"type": "private_message", "to": "bob", "body": "trust me", "from": "alice"}),
        )
        .await;
    let frame = bob.recv().await;
    let ServerFrame::PrivateMessage { from, .. } = frame else {
        panic!("expected a private message, got {frame:?}");
    };
    assert_eq!(from, "mallory");
}

#[tokio::test]
async fn room_messages_stay_in_their_room() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.join("Rust").await;
    bob.send_json(json!({"type": "join", "room": "rust"})).await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::MemberJoined { user, .. } if user == "bob"))
        .await;
    for client in [&mut alice, &mut bob, &mut carol] {
        client.sync().await;
    }

    alice
        .send_json(json!({"type": "room_message", "room": "rust", "body": "borrowck"}))
        .await;
    let frame = bob.recv().await;
    assert!(
        matches!(&frame, ServerFrame::RoomMessage { room, body, .. } if room == "rust" && body == "borrowck"),
        "{frame:?}"
    );
    carol.assert_quiet().await;

    // Carol is not in the room, so she may not post to it either.
    carol
        .send_json(
            json!({"type": "room_message", "room": "rust", "body": "let me in", "req": "c1"}),
        )
        .await;
    let frame = carol.recv().await;
    assert!(
        matches!(&frame, ServerFrame::Error { code: shared::ErrorCode::NotMember, req: Some(r), .. } if r == "c1"),
        "{frame:?}"
    );
    bob.assert_quiet().await;
}

#[tokio::test]
async fn typing_notices_reach_the_others_and_are_throttled() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    for client in [&mut alice, &mut bob, &mut carol] {
        client.sync().await;
    }

    for _ in 0..5 {
        alice
            .send_json(json!({"type": "typing", "room": "lobby"}))
            .await;
    }
    let expected = ServerFrame::Typing {
        from: "alice".into(),
        target: shared::Target::Room {
            room: "lobby".into(),
        },
    };
    assert_eq!(bob.recv().await, expected);
    assert_eq!(carol.recv().await, expected);
    // Five notices within the interval make one; the typist hears nothing back.
    bob.assert_quiet().await;
    alice.assert_quiet().await;

    alice
        .send_json(json!({"type": "typing", "to": "Bob"}))
        .await;
    assert_eq!(
        bob.recv().await,
        ServerFrame::Typing {
            from: "alice".into(),
            target: shared::Target::User { to: "bob".into() },
        }
    );
    carol.assert_quiet().await;
}
