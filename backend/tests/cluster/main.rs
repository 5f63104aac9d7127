//! Several nodes as one chat: real `chat-server` processes sharing PostgreSQL and Redis, with
//! real WebSocket clients. PostgreSQL (127.0.0.1:5432, database `test`) and Redis
//! (127.0.0.1:6379) must run; `.ci/run` and `cargo xtask test` start them.

mod attachments;
mod changes;
mod receipts;
mod rooms;
mod safety;
mod search;
mod sign_ins;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use shared::{close, ErrorCode, ServerFrame, Target};
use testkit::{
    is_message, is_offline, is_online, is_typing, message_id, Balancer, Client, Ended, Redis,
    Relay, ServerOptions, ServerProcess, Services, EXPIRY_MS, HEARTBEAT_MS,
};

/// The options of node `id` of `services`' cluster, running this target's `chat-server`.
fn node(services: &Services, id: &str) -> ServerOptions {
    services.node(id).binary(env!("CARGO_BIN_EXE_chat-server"))
}

/// Starts node `id` of `services`' cluster and waits until it is ready (store and bus up).
async fn start(services: &Services, id: &str) -> ServerProcess {
    node(services, id).start().await
}

fn online(welcome: &ServerFrame) -> Vec<String> {
    match welcome {
        ServerFrame::Welcome { online, .. } => online.clone(),
        other => panic!("not a welcome: {other:?}"),
    }
}

/// Reads until the connection is quiet; fails if any room or private message, or any typing
/// notice, came.
async fn nothing_for_a_bystander(client: &mut Client) {
    client
        .assert_none_of("message or typing notice", |f| {
            is_message(f) || is_typing(f)
        })
        .await;
}

#[tokio::test]
async fn rooms_private_messages_presence_and_typing_cross_nodes() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;

    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = b.teammate("carol").await;

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

    let id = alice.say("rust", "hello from a", "r1").await;
    let got = bob.messages(1).await;
    assert_eq!(got, [(id, "hello from a".to_owned())]);
    let id = bob.say("rust", "hello from b", "r2").await;
    assert_eq!(alice.messages(1).await, [(id, "hello from b".to_owned())]);

    // Typing in the room reaches the other node's member, not carol (on bob's node, where
    // the notice is fanned out to bob: anything for carol would be queued before her pong).
    alice
        .send_json(json!({"type": "typing", "room": "rust"}))
        .await;
    let typing = bob.recv_until(is_typing).await;
    assert_eq!(
        typing,
        ServerFrame::Typing {
            from: "alice".into(),
            target: Target::Room {
                room: "rust".into()
            }
        }
    );
    let frames = carol.sync().await;
    assert!(!frames.iter().any(is_typing), "carol got {frames:?}");

    // Typing in a private conversation crosses nodes to the recipient only.
    alice
        .send_json(json!({"type": "typing", "to": "Bob"}))
        .await;
    let typing = bob.recv_until(is_typing).await;
    assert_eq!(
        typing,
        ServerFrame::Typing {
            from: "alice".into(),
            target: Target::User { to: "bob".into() }
        }
    );
    let frames = carol.sync().await;
    assert!(!frames.iter().any(is_typing), "carol got {frames:?}");
    let frames = alice.sync().await;
    assert!(!frames.iter().any(is_typing), "the typist got {frames:?}");

    // Private messages: to bob only; carol, on bob's node, gets none of them.
    let id = alice.whisper("bob", "for bob only", "p1").await;
    assert_eq!(bob.messages(1).await, [(id, "for bob only".to_owned())]);
    let id = bob.whisper("Alice", "back to you", "p2").await;
    assert_eq!(alice.messages(1).await, [(id, "back to you".to_owned())]);
    nothing_for_a_bystander(&mut carol).await;

    // The lobby reaches everyone on every node.
    let id = carol.say("lobby", "hi all", "l1").await;
    assert_eq!(alice.messages(1).await, [(id, "hi all".to_owned())]);
    assert_eq!(bob.messages(1).await, [(id, "hi all".to_owned())]);

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
    let seen_by_carol = carol.messages(60).await;
    let ids: Vec<u64> = seen_by_carol.iter().map(|(id, _)| *id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "carol saw ids out of order: {ids:?}"
    );
    let bodies: HashSet<&str> = seen_by_carol.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies.len(), 60);
    // Alice gets bob's 30 (and acks for her own), in order.
    let from_bob = alice.messages(30).await;
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
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let lb = Balancer::start(vec![a.addr, b.addr]).await;
    // Accounts in one room (made on node a), so that each hears of the other's presence.
    let dave = a.teammate("dave").await;
    let erin = a.teammate("erin").await;
    let mut dave = lb.connect(&dave).await;
    let mut erin = lb.connect(&erin).await;
    // The two WebSockets landed on different nodes.
    let counts = futures_util::future::join(connections(&a), connections(&b)).await;
    assert_eq!(counts, (1, 1), "one connection on each node");
    dave.recv_until(is_online("erin")).await;
    let id = erin.say("lobby", "through the balancer", "x1").await;
    assert_eq!(
        dave.messages(1).await,
        [(id, "through the balancer".to_owned())]
    );
}

async fn connections(node: &ServerProcess) -> u64 {
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
    let mut a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    bob.sees_online("alice").await;

    let first = bob.whisper("alice", "before", "k1").await;
    assert_eq!(alice.messages(1).await, [(first, "before".to_owned())]);

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
        missed.push(
            bob.whisper("alice", &format!("missed {i}"), &format!("m{i}"))
                .await,
        );
    }
    // Alice's client reconnects to the node that is left and resumes after what she had.
    let mut alice = b.connect_after(&alice_token, first).await;
    let resumed = alice.messages(5).await;
    assert_eq!(
        resumed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        missed
    );
    nothing_for_a_bystander(&mut alice).await;
    bob.recv_until(is_online("alice")).await;
}

#[tokio::test]
async fn a_redis_outage_loses_no_acknowledged_message_and_readiness_follows_it() {
    let mut redis = Redis::start().await;
    let services = Services::with_redis(redis.url()).await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    bob.sees_online("alice").await;

    let mut acked = Vec::new();
    for i in 0..10 {
        acked.push(
            alice
                .say("lobby", &format!("m{i}"), &format!("before{i}"))
                .await,
        );
    }
    redis.stop().await;
    // Messages keep flowing while Redis is down: stored and acknowledged on node a.
    for i in 0..10 {
        acked.push(
            alice
                .say("lobby", &format!("d{i}"), &format!("during{i}"))
                .await,
        );
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
        acked.push(
            alice
                .say("lobby", &format!("a{i}"), &format!("after{i}"))
                .await,
        );
    }
    a.wait_ready(Duration::from_secs(15)).await;
    b.wait_ready(Duration::from_secs(15)).await;

    // Bob, on the other node, got every acknowledged message exactly once, in order.
    let got: Vec<u64> = bob
        .messages(acked.len())
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(got, acked);
    nothing_for_a_bystander(&mut bob).await;
    // And presence still works across the nodes after the outage.
    let carol_token = b.teammate("carol").await;
    let _carol = b.connect(&carol_token).await;
    alice.recv_until(is_online("carol")).await;
}

#[tokio::test]
async fn a_node_that_loses_its_database_refuses_sends_and_recovers() {
    let services = Services::new().await;
    let relay = Relay::start(services.database_addr()).await;
    let node = node(&services, "a")
        .env("DATABASE_URL", services.database_url_via(relay.addr))
        .start()
        .await;
    let token = node.claim("alice").await;
    let mut alice = node.connect(&token).await;
    let kept = alice.say("lobby", "stored", "ok1").await;

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
    let id = alice.say("lobby", "not stored", "lost1").await;
    assert!(id > kept);
    let (ids, _) = alice.history(json!({"room": "lobby"})).await;
    assert_eq!(ids, vec![kept, id]);
}

#[tokio::test]
async fn one_user_with_tabs_on_two_nodes_stays_in_step_and_signs_out_everywhere() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let mut tab_a = a.connect(&alice_token).await;
    let mut tab_b = b.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    bob.sees_online("alice").await;

    // A private message reaches alice's tabs on both nodes.
    let id = bob.whisper("alice", "to every tab", "t1").await;
    assert_eq!(tab_a.messages(1).await, [(id, "to every tab".to_owned())]);
    assert_eq!(tab_b.messages(1).await, [(id, "to every tab".to_owned())]);

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
        ServerFrame::RoomJoined { room, members, .. } => {
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
        Ended::Closed(Some(shared::close::SESSION_ENDED))
    );
    bob.recv_until(is_offline("alice")).await;
}

/// Alice (node a) and bob (node b) talk privately; carol (node b, bob's node) and dave (node
/// a, alice's) learn nothing of it: not live, not by history, not by resuming.
#[tokio::test]
async fn private_messages_across_nodes_reach_no_third_user_live_by_history_or_by_resume() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = b.teammate("carol").await;
    let dave_token = a.teammate("dave").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    let mut carol = b.connect(&carol_token).await;
    let mut dave = a.connect(&dave_token).await;
    alice.sees_online("bob").await;

    let public = alice.say("lobby", "for everyone", "l1").await;
    let to_bob = alice.whisper("bob", "secret 1", "p1").await;
    assert_eq!(
        bob.messages(2).await,
        [(public, "for everyone".into()), (to_bob, "secret 1".into())]
    );
    let to_alice = bob.whisper("alice", "secret 2", "p2").await;
    assert_eq!(alice.messages(1).await, [(to_alice, "secret 2".to_owned())]);
    // Live: what reaches bob's node or alice's node for them is fanned out there at once.
    for (who, bystander) in [("carol", &mut carol), ("dave", &mut dave)] {
        bystander.messages(1).await;
        let frames = bystander.sync().await;
        let ids: Vec<u64> = frames.iter().filter_map(message_id).collect();
        assert!(ids.is_empty(), "{who} got {frames:?}");
    }
    // By history, asked on either node.
    for (who, bystander) in [("carol", &mut carol), ("dave", &mut dave)] {
        for other in ["alice", "bob"] {
            let answer = bystander.try_history(json!({"to": other})).await;
            assert_eq!(answer, Ok((vec![], true)), "{who}'s history with {other}");
        }
    }
    // By resume from the start, on the other node than before.
    for (token, node) in [(&carol_token, &a), (&dave_token, &b)] {
        let mut resumed = node.connect_after(token, 0).await;
        assert!(resumed.last_id() >= to_alice, "the node has seen them all");
        let frames = resumed.sync().await;
        let ids: Vec<u64> = frames.iter().filter_map(message_id).collect();
        assert_eq!(ids, [public], "a replay: {frames:?}");
    }
    nothing_for_a_bystander(&mut carol).await;
    nothing_for_a_bystander(&mut dave).await;
}

/// SIGTERM to a node: its clients are closed with 1001, it exits 0 within its grace period,
/// and the other node takes its users offline at once, not after the node expiry.
#[tokio::test]
async fn a_node_stopped_with_sigterm_closes_with_1001_and_its_users_go_offline_at_once() {
    let services = Services::new().await;
    let expiry = Duration::from_secs(20);
    let grace = Duration::from_secs(5);
    let mut a = node(&services, "a")
        .env("NODE_EXPIRY_MS", expiry.as_millis().to_string())
        .args(["--shutdown-grace-secs", &grace.as_secs().to_string()])
        .start()
        .await;
    let b = node(&services, "b")
        .env("NODE_EXPIRY_MS", expiry.as_millis().to_string())
        .start()
        .await;
    let alice_token = a.teammate("alice").await;
    let erin_token = a.teammate("erin").await;
    let bob_token = b.teammate("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut erin = a.connect(&erin_token).await;
    let mut bob = b.connect(&bob_token).await;
    bob.sees_online("alice").await;
    bob.sees_online("erin").await;

    let (status, took) = a.terminate(grace + Duration::from_secs(5)).await;
    let stopped = tokio::time::Instant::now();
    assert!(status.success(), "exit status {status}:\n{}", a.log_text());
    assert!(
        took < grace,
        "node a took {took:?} to exit, grace {grace:?}"
    );
    for client in [&mut alice, &mut erin] {
        assert_eq!(
            client.until_closed().await,
            Ended::Closed(Some(close::GOING_AWAY))
        );
    }
    bob.sees_offline("alice").await;
    bob.sees_offline("erin").await;
    let offline_after = took + stopped.elapsed();
    eprintln!(
        "SIGTERM to a node: exit after {took:?}, its users offline on b after {offline_after:?}"
    );
    assert!(
        offline_after < expiry / 4,
        "offline after {offline_after:?}: the expiry ({expiry:?}), not the node, said so"
    );
}

#[tokio::test]
async fn a_mention_stored_on_one_node_is_counted_on_the_other_until_read() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.claim("alice").await;
    let bob_token = b.claim("bob").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    alice.join("rust").await;
    bob.join("rust").await;

    let id = bob.say("rust", "@alice over here", "m1").await;
    assert_eq!(
        alice.messages(1).await,
        [(id, "@alice over here".to_owned())]
    );
    let rust = Target::Room {
        room: "rust".into(),
    };
    let counts = |welcome: &ServerFrame| match welcome {
        ServerFrame::Welcome { conversations, .. } => conversations
            .iter()
            .find(|c| c.target == rust)
            .map(|c| (c.unread, c.mentions)),
        other => panic!("not a welcome: {other:?}"),
    };
    let on_b = b.connect(&alice_token).await;
    assert_eq!(counts(&on_b.welcome), Some((1, 1)));
    let bob_again = a.connect(&bob_token).await;
    assert_eq!(counts(&bob_again.welcome), Some((0, 0)));

    // Read on node a: a new connection on node b counts nothing.
    alice
        .send_json(json!({"type": "read", "room": "rust", "up_to": id}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
    let on_b = b.connect(&alice_token).await;
    assert_eq!(counts(&on_b.welcome), Some((0, 0)));
}

/// Matches a `presence` frame that mentions `user` at all.
fn mentions(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| match f {
        ServerFrame::Presence {
            online, offline, ..
        } => online.iter().chain(offline).any(|u| u == user),
        _ => false,
    }
}

/// Alice has a tab on node a and one on node b: she is away only when both are, on every
/// node, a node started later learns it from the others, and her last tab closing says when.
#[tokio::test]
async fn a_user_with_tabs_on_two_nodes_is_away_only_when_both_are() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = a.teammate("carol").await;
    let dave_token = a.teammate("dave").await;
    let mut tab_a = a.connect(&alice_token).await;
    let mut tab_b = b.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    let mut carol = a.connect(&carol_token).await;
    bob.sees_online("carol").await;
    carol.sees_online("bob").await;
    bob.sync().await;
    carol.sync().await;

    // Away on node a only: nobody hears anything of her.
    tab_a.activity(true).await;
    tab_a.sync().await;
    bob.assert_none_of("news of alice", mentions("alice")).await;
    carol
        .assert_none_of("news of alice", mentions("alice"))
        .await;
    // Away on both: everyone on both nodes hears it.
    tab_b.activity(true).await;
    bob.sees_away("alice").await;
    carol.sees_away("alice").await;
    // Back on node a: present everywhere.
    tab_a.activity(false).await;
    bob.sees_present("alice").await;
    carol.sees_present("alice").await;
    tab_a.activity(true).await;
    bob.sees_away("alice").await;

    // A node started now learns from the others who is away.
    let c = start(&services, "c").await;
    let mut dave = c.connect(&dave_token).await;
    while !dave.knows_away("alice") {
        dave.recv().await;
    }

    // Her tab on node a closes: still online on b, and still away.
    tab_a.close().await;
    bob.assert_none_of("news of alice", mentions("alice")).await;
    assert!(bob.knows_online("alice") && bob.knows_away("alice"));
    // The last one closes: offline everywhere, with the same last seen.
    tab_b.close().await;
    bob.recv_until(is_offline("alice")).await;
    carol.recv_until(is_offline("alice")).await;
    dave.recv_until(is_offline("alice")).await;
    let seen = bob.last_seen("alice").expect("last seen on node b");
    assert_eq!(carol.last_seen("alice"), Some(seen), "node a");
    assert_eq!(dave.last_seen("alice"), Some(seen), "node c");
}

#[tokio::test]
async fn presence_by_interest_crosses_nodes_and_reaches_nobody_else() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    // erin (a) and frank (b) share a room; the stranger (b) shares nothing with anyone.
    let erin_token = a.teammate("erin").await;
    let frank_token = b.teammate("frank").await;
    let stranger_token = b.claim("stranger").await;
    let mut frank = b.connect(&frank_token).await;
    let mut stranger = b.connect(&stranger_token).await;
    let erin = a.connect(&erin_token).await;
    frank.sees_online("erin").await;
    // Everyone online is counted and listed on either node, page by page.
    stranger
        .send_json(json!({"type": "members", "room": "lobby", "req": "m1"}))
        .await;
    let page = stranger
        .recv_until(|f| matches!(f, ServerFrame::Members { .. }))
        .await;
    let ServerFrame::Members {
        members, complete, ..
    } = page
    else {
        unreachable!()
    };
    assert_eq!(
        (members, complete),
        (vec!["erin".into(), "frank".into(), "stranger".into()], true)
    );
    erin.close().await;
    frank.sees_offline("erin").await;
    // The stranger heard the count, never a name.
    stranger
        .assert_none_of("a name in presence", testkit::names_someone)
        .await;
    assert_eq!(stranger.online_count(), 2);
    assert!(!stranger.knows_online("erin"));
    // A private message across nodes makes each of interest to the other.
    let alice_token = a.claim("alice").await;
    let mut alice = a.connect(&alice_token).await;
    alice.whisper("stranger", "hello", "w1").await;
    alice.sees_online("stranger").await;
    stranger.sees_online("alice").await;
    alice.close().await;
    stranger.sees_offline("alice").await;
}
