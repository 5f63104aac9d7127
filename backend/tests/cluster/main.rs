//! Several nodes as one chat: real `chat-server` processes sharing PostgreSQL and Redis, with
//! real WebSocket clients. PostgreSQL (127.0.0.1:5432, database `test`) and Redis
//! (127.0.0.1:6379) must run; `.ci/run` and `cargo xtask test` start them.

#[allow(dead_code)]
#[path = "../server/helpers.rs"]
mod helpers;

mod harness;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use shared::{ErrorCode, ServerFrame, Target};

use harness::{free_addr, Balancer, Node, Redis, Relay, Services, EXPIRY_MS, HEARTBEAT_MS};
use helpers::{is_offline, is_online, Client};

fn online(welcome: &ServerFrame) -> Vec<String> {
    match welcome {
        ServerFrame::Welcome { online, .. } => online.clone(),
        other => panic!("not a welcome: {other:?}"),
    }
}

/// Waits until `client` knows `user` is online: in its welcome, or by a `presence` later.
async fn sees_online(client: &mut Client, user: &str) {
    if !online(&client.welcome).iter().any(|u| u == user) {
        client.recv_until(is_online(user)).await;
    }
}

/// Sends a room message and returns its id from the ack.
async fn say(client: &mut Client, room: &str, body: &str, req: &str) -> u64 {
    send_acked(
        client,
        json!({"type": "room_message", "room": room, "body": body, "req": req}),
    )
    .await
}

/// Sends a private message and returns its id from the ack.
async fn whisper(client: &mut Client, to: &str, body: &str, req: &str) -> u64 {
    send_acked(
        client,
        json!({"type": "private_message", "to": to, "body": body, "req": req}),
    )
    .await
}

/// Sends `frame` and returns the id of its ack (skipping other frames meanwhile).
async fn send_acked(client: &mut Client, frame: serde_json::Value) -> u64 {
    let req = frame["req"].as_str().expect("a req").to_owned();
    client.send_json(frame).await;
    let ack = client
        .recv_until(|f| matches!(f, ServerFrame::Ack { req: Some(r), .. } if *r == req))
        .await;
    match ack {
        ServerFrame::Ack { id, .. } => id,
        _ => unreachable!(),
    }
}

/// Reads frames until `n` messages (room or private) have come; returns their ids and bodies.
async fn messages(client: &mut Client, n: usize) -> Vec<(u64, String)> {
    let mut got = Vec::new();
    while got.len() < n {
        match client.recv().await {
            ServerFrame::RoomMessage { id, body, .. }
            | ServerFrame::PrivateMessage { id, body, .. } => got.push((id, body)),
            _ => {}
        }
    }
    got
}

/// Reads until the connection is quiet; fails if any room or private message came.
async fn no_messages(client: &mut Client) {
    while let Some(item) = client.next(Duration::from_millis(500)).await {
        let frame = item.expect("connection still open");
        assert!(
            !matches!(
                frame,
                ServerFrame::RoomMessage { .. } | ServerFrame::PrivateMessage { .. }
            ),
            "got a message that was not for this user: {frame:?}"
        );
    }
}

#[tokio::test]
async fn rooms_private_messages_presence_and_typing_cross_nodes() {
    let services = Services::new().await;
    let a = Node::start(&services, "a").await;
    let b = Node::start(&services, "b").await;

    let alice_token = a.claim("alice").await;
    let bob_token = b.claim("bob").await;
    let carol_token = b.claim("carol").await;

    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    // Presence crosses nodes both ways.
    alice.recv_until(is_online("bob")).await;
    let mut carol = b.connect(&carol_token).await;
    alice.recv_until(is_online("carol")).await;
    assert_eq!(online(&carol.welcome), ["alice", "bob", "carol"]);
    bob.recv_until(is_online("carol")).await;

    // A room across nodes: alice (a) and bob (b) in it, carol (b) not.
    alice.join("rust").await;
    bob.send_json(json!({"type": "join", "room": "rust"})).await;
    match bob
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await
    {
        ServerFrame::RoomJoined { members, .. } => assert_eq!(members, ["alice", "bob"]),
        _ => unreachable!(),
    }
    alice
        .recv_until(|f| matches!(f, ServerFrame::MemberJoined { user, .. } if user == "bob"))
        .await;

    let id = say(&mut alice, "rust", "hello from a", "r1").await;
    let got = messages(&mut bob, 1).await;
    assert_eq!(got, [(id, "hello from a".to_owned())]);
    let id = say(&mut bob, "rust", "hello from b", "r2").await;
    assert_eq!(
        messages(&mut alice, 1).await,
        [(id, "hello from b".to_owned())]
    );

    // Typing in the room reaches the other node's member, not carol.
    alice
        .send_json(json!({"type": "typing", "room": "rust"}))
        .await;
    match bob
        .recv_until(|f| matches!(f, ServerFrame::Typing { .. }))
        .await
    {
        ServerFrame::Typing { from, target } => {
            assert_eq!(from, "alice");
            assert_eq!(
                target,
                Target::Room {
                    room: "rust".into()
                }
            );
        }
        _ => unreachable!(),
    }

    // Private messages: to bob only; carol, on bob's node, gets none of them.
    let id = whisper(&mut alice, "bob", "for bob only", "p1").await;
    assert_eq!(
        messages(&mut bob, 1).await,
        [(id, "for bob only".to_owned())]
    );
    let id = whisper(&mut bob, "Alice", "back to you", "p2").await;
    assert_eq!(
        messages(&mut alice, 1).await,
        [(id, "back to you".to_owned())]
    );
    no_messages(&mut carol).await;

    // The lobby reaches everyone on every node.
    let id = say(&mut carol, "lobby", "hi all", "l1").await;
    assert_eq!(messages(&mut alice, 1).await, [(id, "hi all".to_owned())]);
    assert_eq!(messages(&mut bob, 1).await, [(id, "hi all".to_owned())]);

    // Both nodes write at once: everyone sees every message once, in id order.
    let (mut sent_a, mut sent_b) = (Vec::new(), Vec::new());
    for i in 0..30 {
        for (client, sent, who) in [(&mut alice, &mut sent_a, "a"), (&mut bob, &mut sent_b, "b")] {
            client
                .send_json(json!({"type": "room_message", "room": "lobby",
                    "body": format!("{who}{i}"), "req": format!("burst-{who}{i}")}))
                .await;
            sent.push(format!("{who}{i}"));
        }
    }
    let seen_by_carol = messages(&mut carol, 60).await;
    let ids: Vec<u64> = seen_by_carol.iter().map(|(id, _)| *id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "carol saw ids out of order: {ids:?}"
    );
    let bodies: HashSet<&str> = seen_by_carol.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies.len(), 60);
    // Alice gets bob's 30 (and acks for her own), in order.
    let from_bob = messages(&mut alice, 30).await;
    let ids: Vec<u64> = from_bob.iter().map(|(id, _)| *id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "alice saw ids out of order: {ids:?}"
    );
    assert!(from_bob.iter().all(|(_, body)| body.starts_with('b')));

    // Leaving across nodes.
    bob.close().await;
    alice.recv_until(is_offline("bob")).await;
    carol.close().await;
    alice.recv_until(is_offline("carol")).await;
}

#[tokio::test]
async fn a_load_balancer_in_front_spreads_users_over_nodes_that_chat_as_one() {
    let services = Services::new().await;
    let a = Node::start(&services, "a").await;
    let b = Node::start(&services, "b").await;
    let lb = Balancer::start(vec![a.addr, b.addr]).await;
    let dave = lb.claim("dave").await;
    let erin = lb.claim("erin").await;
    let mut dave = lb.connect(&dave).await;
    let mut erin = lb.connect(&erin).await;
    // The two WebSockets landed on different nodes.
    let counts = futures_util::future::join(connections(&a), connections(&b)).await;
    assert_eq!(counts, (1, 1), "one connection on each node");
    dave.recv_until(is_online("erin")).await;
    let id = say(&mut erin, "lobby", "through the balancer", "x1").await;
    assert_eq!(
        messages(&mut dave, 1).await,
        [(id, "through the balancer".to_owned())]
    );
}

async fn connections(node: &Node) -> u64 {
    let health: serde_json::Value = reqwest::get(node.url("/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    health["connections"].as_u64().unwrap()
}

#[tokio::test]
async fn a_killed_node_takes_its_users_offline_and_they_resume_elsewhere_without_loss() {
    let services = Services::new().await;
    let a = Node::start(&services, "a").await;
    let b = Node::start(&services, "b").await;
    let alice_token = a.claim("alice").await;
    let bob_token = b.claim("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    sees_online(&mut bob, "alice").await;

    let first = whisper(&mut bob, "alice", "before", "k1").await;
    assert_eq!(
        messages(&mut alice, 1).await,
        [(first, "before".to_owned())]
    );

    a.kill_9().await;
    let killed = tokio::time::Instant::now();
    // Nobody said goodbye: the heartbeat expiry takes alice offline, within a bound.
    bob.recv_until(is_offline("alice")).await;
    let took = killed.elapsed();
    // The expiry, plus a heartbeat for the check to run, plus slack for a busy test machine.
    let bound = Duration::from_millis(EXPIRY_MS + HEARTBEAT_MS + 1500);
    assert!(
        took <= bound,
        "alice went offline after {took:?}, bound {bound:?}"
    );

    // Bob keeps writing while alice is away.
    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(whisper(&mut bob, "alice", &format!("missed {i}"), &format!("m{i}")).await);
    }
    // Alice's client reconnects to the node that is left and resumes after what she had.
    let mut alice = b.connect_after(&alice_token, first).await;
    let resumed = messages(&mut alice, 5).await;
    assert_eq!(
        resumed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        missed
    );
    no_messages(&mut alice).await;
    bob.recv_until(is_online("alice")).await;
}

#[tokio::test]
async fn a_redis_outage_loses_no_acknowledged_message_and_readiness_follows_it() {
    let mut redis = Redis::start().await;
    let services = Services::with_redis(redis.url()).await;
    let a = Node::start(&services, "a").await;
    let b = Node::start(&services, "b").await;
    let alice_token = a.claim("alice").await;
    let bob_token = b.claim("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    sees_online(&mut bob, "alice").await;

    let mut acked = Vec::new();
    for i in 0..10 {
        acked.push(say(&mut alice, "lobby", &format!("m{i}"), &format!("before{i}")).await);
    }
    redis.stop().await;
    // Messages keep flowing while Redis is down: stored and acknowledged on node a.
    for i in 0..10 {
        acked.push(say(&mut alice, "lobby", &format!("d{i}"), &format!("during{i}")).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while a.readyz().await != Some(503) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a never reported not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    redis.restart().await;
    for i in 0..10 {
        acked.push(say(&mut alice, "lobby", &format!("a{i}"), &format!("after{i}")).await);
    }
    a.wait_ready(Duration::from_secs(15)).await;
    b.wait_ready(Duration::from_secs(15)).await;

    // Bob, on the other node, got every acknowledged message exactly once, in order.
    let got: Vec<u64> = messages(&mut bob, acked.len())
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(got, acked);
    no_messages(&mut bob).await;
    // And presence still works across the nodes after the outage.
    let carol_token = b.claim("carol").await;
    let _carol = b.connect(&carol_token).await;
    alice.recv_until(is_online("carol")).await;
}

#[tokio::test]
async fn a_node_that_loses_its_database_refuses_sends_and_recovers() {
    let services = Services::new().await;
    let relay = Relay::start(services.database_addr()).await;
    let node = Node::start_with(
        &services,
        "a",
        free_addr(),
        &services.database_url_via(relay.addr),
    )
    .await;
    let token = node.claim("alice").await;
    let mut alice = node.connect(&token).await;
    let kept = say(&mut alice, "lobby", "stored", "ok1").await;

    relay.cut();
    alice
        .send_json(
            json!({"type": "room_message", "room": "lobby", "body": "not stored", "req": "lost1"}),
        )
        .await;
    // Refused with a clear error, never acknowledged (the store gives up within seconds).
    let mut refused = None;
    for _ in 0..6 {
        match alice.next(Duration::from_secs(5)).await {
            Some(Ok(ServerFrame::Error { code, req, .. })) => {
                refused = Some((code, req));
                break;
            }
            Some(Ok(ServerFrame::Ack { .. })) => panic!("acknowledged what it could not store"),
            Some(Ok(_)) | None => continue,
            Some(Err(ended)) => panic!("the connection ended: {ended:?}"),
        }
    }
    assert_eq!(
        refused,
        Some((ErrorCode::Unavailable, Some("lost1".to_owned())))
    );
    assert_eq!(node.readyz().await, Some(503));

    relay.restore();
    node.wait_ready(Duration::from_secs(15)).await;
    // Sent again with the same req: stored once, after the one before the outage.
    let id = say(&mut alice, "lobby", "not stored", "lost1").await;
    assert!(id > kept);
    let (ids, _) = alice.history(json!({"room": "lobby"})).await;
    assert_eq!(ids, vec![kept, id]);
}

#[tokio::test]
async fn one_user_with_tabs_on_two_nodes_stays_in_step_and_signs_out_everywhere() {
    let services = Services::new().await;
    let a = Node::start(&services, "a").await;
    let b = Node::start(&services, "b").await;
    let alice_token = a.claim("alice").await;
    let bob_token = b.claim("bob").await;
    let mut tab_a = a.connect(&alice_token).await;
    let mut tab_b = b.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    sees_online(&mut bob, "alice").await;

    // A private message reaches alice's tabs on both nodes.
    let id = whisper(&mut bob, "alice", "to every tab", "t1").await;
    assert_eq!(
        messages(&mut tab_a, 1).await,
        [(id, "to every tab".to_owned())]
    );
    assert_eq!(
        messages(&mut tab_b, 1).await,
        [(id, "to every tab".to_owned())]
    );

    // Reading on one node moves the marker in the tab on the other.
    tab_a
        .send_json(json!({"type": "read", "to": "bob", "up_to": id}))
        .await;
    let read = tab_b
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
    assert_eq!(
        read,
        ServerFrame::Read {
            target: Target::User { to: "bob".into() },
            up_to: id
        }
    );

    // Joining a room on one node puts the other tab in it too.
    tab_a.join("ops").await;
    match tab_b
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await
    {
        ServerFrame::RoomJoined { room, members } => {
            assert_eq!(room, "ops");
            assert_eq!(members, ["alice"]);
        }
        _ => unreachable!(),
    }

    // Closing one tab does not take alice offline; bob hears nothing about her.
    tab_a.close().await;
    while let Some(item) = bob.next(Duration::from_millis(500)).await {
        let frame = item.expect("bob's connection stays open");
        assert!(
            !is_offline("alice")(&frame),
            "alice still has a tab on node b"
        );
    }

    // Signing out through node a ends the session's tab on node b with 4001.
    let response = reqwest::Client::new()
        .delete(a.url("/api/session"))
        .bearer_auth(&alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        tab_b.until_closed().await,
        helpers::Ended::Closed(Some(shared::close::SESSION_ENDED))
    );
    bob.recv_until(is_offline("alice")).await;
}
