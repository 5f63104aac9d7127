//! Durable history: stored before acknowledged, read in pages, resumed after a disconnect,
//! sent once however often it is sent, waiting for offline recipients, surviving restarts and
//! SIGKILL, and never shown to anyone outside the conversation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use shared::{ConversationInfo, ServerFrame, Target};
use testkit::{is_message, is_online, message_id, spawn_app, spawn_app_with, Client, Storage};

use crate::chat_server;

/// Sends a lobby message with `req` and returns its id from the ack.
async fn say(client: &mut Client, req: &str) -> u64 {
    client.say("lobby", &format!("body of {req}"), req).await
}

fn conversation<'a>(welcome: &'a ServerFrame, target: &Target) -> &'a ConversationInfo {
    let ServerFrame::Welcome { conversations, .. } = welcome else {
        panic!("not a welcome: {welcome:?}");
    };
    conversations
        .iter()
        .find(|c| &c.target == target)
        .unwrap_or_else(|| panic!("no conversation {target:?} in {conversations:?}"))
}

fn lobby() -> Target {
    Target::Room {
        room: "lobby".into(),
    }
}

#[tokio::test]
async fn history_pages_back_from_the_newest_with_a_stable_cursor() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.sync().await;

    let (ids, complete) = alice.history(json!({"room": "lobby"})).await;
    assert!(
        ids.is_empty() && complete,
        "empty history: {ids:?} {complete}"
    );

    let mut sent = Vec::new();
    for i in 0..12 {
        sent.push(say(&mut alice, &format!("a{i}")).await);
    }
    let (page, complete) = alice.history(json!({"room": "lobby", "limit": 5})).await;
    assert_eq!((page.as_slice(), complete), (&sent[7..], false));

    // New messages while paging do not move the cursor.
    for i in 0..3 {
        say(&mut bob, &format!("b{i}")).await;
    }
    let (page, complete) = alice
        .history(json!({"room": "lobby", "limit": 5, "before": sent[7]}))
        .await;
    assert_eq!((page.as_slice(), complete), (&sent[2..7], false));
    let (page, complete) = alice
        .history(json!({"room": "lobby", "limit": 5, "before": sent[2]}))
        .await;
    assert_eq!((page.as_slice(), complete), (&sent[..2], true));

    // Exactly one page: all 15, and nothing older.
    let (page, complete) = alice.history(json!({"room": "lobby", "limit": 15})).await;
    assert_eq!(page.len(), 15);
    assert!(complete);
    assert!(
        page.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {page:?}"
    );
}

#[tokio::test]
async fn a_message_sent_again_with_the_same_req_is_stored_and_delivered_once() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.member("alice").await;
    let (_, mut bob) = app.member("bob").await;
    alice.sync().await;

    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "once", "req": "k1"}))
        .await;
    let first = alice.recv_ack("k1").await;
    let ServerFrame::RoomMessage { id, body, .. } = bob.recv().await else {
        panic!("bob should get the message");
    };
    assert_eq!((id, body.as_str()), (first.0, "once"));

    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "once", "req": "k1"}))
        .await;
    assert_eq!(
        alice.recv_ack("k1").await,
        first,
        "the original id and time"
    );
    bob.assert_quiet().await;

    // From another connection after a reconnect, too; and for private messages.
    alice.close().await;
    app.wait_for_connections(1).await;
    let mut alice = app.connect(&alice_token).await;
    // Bob hears she is back. The same frame may reach her new connection too (when it was
    // coalesced with her going offline); it has been queued for both by now.
    bob.recv_until(is_online("alice")).await;
    alice.sync().await;
    alice
        .send_json(json!({"type": "room_message", "room": "lobby", "body": "once", "req": "k1"}))
        .await;
    assert_eq!(alice.recv_ack("k1").await, first);
    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "psst", "req": "k2"}))
        .await;
    let private = alice.recv_ack("k2").await;
    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "psst", "req": "k2"}))
        .await;
    assert_eq!(alice.recv_ack("k2").await, private);
    let frame = bob
        .recv_until(|f| matches!(f, ServerFrame::PrivateMessage { .. }))
        .await;
    assert!(matches!(frame, ServerFrame::PrivateMessage { id, .. } if id == private.0));
    bob.assert_quiet().await;

    let (ids, _) = bob.history(json!({"room": "lobby"})).await;
    assert_eq!(ids, vec![first.0]);
    let (ids, _) = bob.history(json!({"to": "alice"})).await;
    assert_eq!(ids, vec![private.0]);
}

#[tokio::test]
async fn a_client_cut_off_gets_exactly_what_it_missed_in_order() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.sync().await;
    bob.sync().await;
    carol.join("rust").await;
    bob.join("rust").await;

    let seen = say(&mut alice, "before").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { id, .. } if *id == seen))
        .await;
    drop(bob); // the socket vanishes mid-conversation
    app.wait_for_connections(2).await;
    carol.sync().await;

    let mut missed = vec![say(&mut alice, "m1").await];
    missed.push(carol.say("rust", "in rust", "r1").await);
    missed.push(alice.whisper("bob", "while you were out", "p1").await);
    // Not bob's: carol's private message to alice.
    carol.whisper("alice", "not for bob", "p2").await;
    missed.push(say(&mut alice, "m2").await);

    let mut bob = app.connect_after(&bob_token, seen).await;
    let mut replayed = Vec::new();
    for _ in 0..missed.len() {
        match bob.recv().await {
            ServerFrame::RoomMessage { id, .. } | ServerFrame::PrivateMessage { id, .. } => {
                replayed.push(id)
            }
            other => panic!("expected a replayed message, got {other:?}"),
        }
    }
    assert_eq!(replayed, missed, "exactly the missed messages, in order");
    bob.assert_quiet().await;

    // Live messages follow, once.
    let live = say(&mut alice, "after").await;
    let frame = bob.recv().await;
    assert!(matches!(frame, ServerFrame::RoomMessage { id, .. } if id == live));
    bob.assert_quiet().await;
}

#[tokio::test]
async fn a_private_message_to_someone_offline_waits_for_them_as_unread() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let bob_token = app.claim("Bob").await;

    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "call me", "req": "p"}))
        .await;
    let (id, _) = alice.recv_ack("p").await;

    let mut bob = app.connect(&bob_token).await;
    let with_alice = Target::User { to: "alice".into() };
    assert_eq!(
        conversation(&bob.welcome, &with_alice),
        &ConversationInfo {
            target: with_alice.clone(),
            last_id: id,
            read_up_to: 0,
            unread: 1,
            mentions: 0,
            since: None,
            last_seen: None,
        }
    );
    let (ids, complete) = bob.history(json!({"to": "alice"})).await;
    assert_eq!((ids, complete), (vec![id], true));
    // Alice's own view: the conversation is hers too, with nothing unread.
    let alice_tab2 = app.connect(&alice_token).await;
    let with_bob = Target::User { to: "Bob".into() };
    let info = conversation(&alice_tab2.welcome, &with_bob);
    assert_eq!((info.last_id, info.unread), (id, 0), "{info:?}");
    let (ids, _) = alice.history(json!({"to": "BOB"})).await;
    assert_eq!(ids, vec![id]);
}

#[tokio::test]
async fn read_markers_agree_across_tabs_and_survive_reconnects() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let bob_token = app.claim("bob").await;
    let mut last = 0;
    for i in 0..3 {
        last = say(&mut alice, &format!("r{i}")).await;
    }
    let mut tab1 = app.connect(&bob_token).await;
    let mut tab2 = app.connect(&bob_token).await;
    assert_eq!(conversation(&tab1.welcome, &lobby()).unread, 3);
    assert_eq!(conversation(&tab1.welcome, &lobby()).last_id, last);

    tab1.send_json(json!({"type": "read", "room": "lobby", "up_to": last}))
        .await;
    let read = ServerFrame::Read {
        target: lobby(),
        up_to: last,
    };
    assert_eq!(tab1.recv().await, read);
    assert_eq!(tab2.recv().await, read);
    // Markers only move forward.
    tab2.send_json(json!({"type": "read", "room": "lobby", "up_to": 1}))
        .await;
    assert_eq!(tab2.recv().await, read);

    let tab3 = app.connect(&bob_token).await;
    let lobby_now = conversation(&tab3.welcome, &lobby());
    assert_eq!((lobby_now.read_up_to, lobby_now.unread), (last, 0));
    // Bob's own messages are never unread for him.
    say(&mut tab1, "mine").await;
    let tab4 = app.connect(&bob_token).await;
    assert_eq!(conversation(&tab4.welcome, &lobby()).unread, 0);
}

#[tokio::test]
async fn rooms_messages_and_markers_survive_a_restart() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let bob_token = app.claim("bob").await;
    alice.join("rust").await;
    alice
        .send_json(json!({"type": "room_message", "room": "rust", "body": "kept", "req": "k"}))
        .await;
    let (kept, _) = alice.recv_ack("k").await;
    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "later", "req": "p"}))
        .await;
    let (private, _) = alice.recv_ack("p").await;
    alice.close().await;
    let app = app.restart().await;
    let mut alice = app.connect(&alice_token).await;
    let ServerFrame::Welcome { rooms, last_id, .. } = &alice.welcome else {
        unreachable!()
    };
    assert_eq!(rooms[1].room, "rust", "still in the room: {rooms:?}");
    assert_eq!(*last_id, private);
    let (ids, _) = alice.history(json!({"room": "rust"})).await;
    assert_eq!(ids, vec![kept]);
    let bob = app.connect(&bob_token).await;
    assert_eq!(
        conversation(&bob.welcome, &Target::User { to: "alice".into() }).unread,
        1
    );
    // Ids go on from where they were.
    let next = say(&mut alice, "next").await;
    assert!(next > private);
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let storage = Storage::from_env().await;
    // The reader resumes from 0 and must get every message: no replay cap in its way.
    let mut server = chat_server(&storage)
        .args(["--max-replay", "100000"])
        .start()
        .await;
    let mut tokens = Vec::new();
    for name in ["s1", "s2", "s3"] {
        tokens.push(server.claim(name).await);
    }
    let reader_token = server.claim("reader").await;

    // Three senders write without waiting for acks; the server dies under them.
    const EACH: usize = 5_000;
    let acks = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let mut client = server.connect(token).await;
        let acks = acks.clone();
        senders.push(tokio::spawn(async move {
            let mut acked: HashMap<String, u64> = HashMap::new();
            let mut sent = 0;
            loop {
                if sent < EACH {
                    let req = format!("s{n}-{sent}");
                    let frame =
                        json!({"type": "room_message", "room": "lobby", "body": req, "req": req});
                    if futures_util::SinkExt::send(
                        &mut client.ws,
                        tokio_tungstenite::tungstenite::Message::Text(frame.to_string().into()),
                    )
                    .await
                    .is_err()
                    {
                        break;
                    }
                    sent += 1;
                }
                match client
                    .next(Duration::from_millis(if sent < EACH { 0 } else { 2_000 }))
                    .await
                {
                    Some(Ok(ServerFrame::Ack {
                        req: Some(req), id, ..
                    })) => {
                        acked.insert(req, id);
                        acks.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Ok(_)) | None => {}
                    Some(Err(_)) => break,
                }
            }
            (acked, sent)
        }));
    }
    // Kill once the server is storing, not after a guess of how long that takes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while acks.load(Ordering::Relaxed) < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the senders never got going"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill_9().await;
    let mut acked: HashMap<String, u64> = HashMap::new();
    let mut sent = 0;
    for sender in senders {
        let (theirs, their_sent) = sender.await.unwrap();
        acked.extend(theirs);
        sent += their_sent;
    }
    // The kill landed mid-stream: messages were written that were never acknowledged.
    assert!(
        acked.len() >= 100 && acked.len() < sent,
        "{} acks for {sent} messages sent",
        acked.len()
    );
    eprintln!("kill -9: {} acks for {sent} messages sent", acked.len());

    server.restart().await;
    // A reader resuming from the start catches up with everything stored, exactly once, in
    // order (pages of the backlog, one after another).
    let mut reader = server.connect_after(&reader_token, 0).await;
    let last_id = reader.last_id();
    let mut stored: HashMap<String, u64> = HashMap::new();
    let mut previous = 0;
    while previous < last_id {
        let ServerFrame::RoomMessage { id, body, .. } = reader.recv().await else {
            panic!("expected the replayed messages");
        };
        assert!(id > previous, "in order, none twice: {id} after {previous}");
        previous = id;
        assert!(stored.insert(body, id).is_none(), "a message stored twice");
    }
    for (req, id) in &acked {
        assert_eq!(stored.get(req), Some(id), "acknowledged {req} was lost");
    }
    eprintln!("kill -9: {} stored after the restart", stored.len());
    // History agrees with the replay: the newest page is the newest stored messages.
    let (page, _) = reader.history(json!({"room": "lobby", "limit": 100})).await;
    let mut newest: Vec<u64> = stored.values().copied().collect();
    newest.sort_unstable();
    assert_eq!(page, newest[newest.len().saturating_sub(100)..]);
    // Sending an acknowledged message again stores nothing new.
    let (req, id) = acked.iter().next().unwrap();
    let sender: usize = req[1..req.find('-').unwrap()].parse().unwrap();
    let mut again = server.connect(&tokens[sender]).await;
    assert_eq!(again.say("lobby", req, req).await, *id);
    let (page, _) = reader.history(json!({"room": "lobby", "limit": 1})).await;
    assert_eq!(page, [previous], "nothing stored after the last one");
    server.kill_9().await;
}

#[tokio::test]
async fn a_resume_longer_than_a_page_while_others_talk_gives_every_message_once_in_order() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 100_000;
        c.rate_burst = 100_000;
        // Every missed message is replayed (the cap has tests of its own: `replay`).
        c.max_replay = 2_000;
    })
    .await;
    let (_, mut alice) = app.user("alice").await;
    let (bob_token, bob) = app.user("bob").await;
    let (_, carol) = app.user("carol").await;
    let seen = say(&mut alice, "seen").await;
    drop(bob);
    app.wait_for_connections(2).await;

    // Bob misses 1,234 messages.
    const MISSED: usize = 1_234;
    let mut expected = Vec::new();
    // In pipelined rounds smaller than alice's queue, which holds her acks until she reads.
    for round in (0..MISSED).collect::<Vec<_>>().chunks(200) {
        for i in round {
            alice
                .send_json(json!({"type": "room_message", "room": "lobby", "body": format!("m{i}"), "req": format!("m{i}")}))
                .await;
        }
        while expected.len() < round[round.len() - 1] + 1 {
            if let ServerFrame::Ack { id, .. } = alice.recv().await {
                expected.push(id);
            }
        }
    }
    drop(alice);
    // Carol keeps talking while bob resumes.
    let talking = Arc::new(AtomicBool::new(true));
    let said = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (talking, said) = (talking.clone(), said.clone());
        let mut carol = carol;
        tokio::spawn(async move {
            let mut acked = Vec::new();
            while talking.load(Ordering::Relaxed) {
                let i = said.fetch_add(1, Ordering::Relaxed);
                acked.push(carol.say("lobby", "live", &format!("live{i}")).await);
            }
            acked
        })
    };
    while said.load(Ordering::Relaxed) < 5 {
        tokio::task::yield_now().await;
    }
    let mut bob = app.connect_after(&bob_token, seen).await;
    let mut got = Vec::new();
    // Read the replay and what follows while carol talks.
    while got.len() < MISSED + 50 {
        if let Some(id) = message_id(&bob.recv().await) {
            got.push(id);
        }
    }
    talking.store(false, Ordering::Relaxed);
    let live = writer.await.unwrap();
    expected.extend(&live);
    expected.sort_unstable();
    let last = *expected.last().unwrap();
    while got.last() != Some(&last) {
        if let Some(id) = message_id(&bob.recv().await) {
            got.push(id);
        }
    }
    eprintln!(
        "resume: welcome.last_id {} after {seen}, {} messages ({MISSED} missed, {} live)",
        bob.last_id(),
        got.len(),
        live.len()
    );
    assert!(
        bob.last_id() > expected[MISSED - 1],
        "bob resumed while carol talked"
    );
    assert_eq!(got, expected, "every message once, in id order");
    bob.assert_none_of("message", is_message).await;
}

/// Carol, who is in neither conversation, learns nothing of alice's and bob's private
/// messages: not live, not by asking for history, not by resuming.
#[tokio::test]
async fn private_messages_reach_no_third_user_live_by_history_or_by_resume() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (carol_token, mut carol) = app.user("carol").await;
    let public = say(&mut alice, "public").await;

    let mut private = vec![alice.whisper("bob", "secret 1", "p1").await];
    let got: Vec<u64> = bob.messages(2).await.iter().map(|(id, _)| *id).collect();
    assert_eq!(got, [public, private[0]]);
    private.push(bob.whisper("alice", "secret 2", "p2").await);
    assert_eq!(alice.messages(1).await[0].0, private[1]);
    // Live: by now anything for carol would be queued before her pong.
    let frames = carol.sync().await;
    let ids: Vec<u64> = frames.iter().filter_map(message_id).collect();
    assert_eq!(ids, [public], "carol got {frames:?}");

    // By history: carol's own conversations with each of them are empty.
    for other in ["alice", "bob", "ALICE"] {
        let answer = carol.try_history(json!({"to": other})).await;
        assert_eq!(answer, Ok((vec![], true)), "carol's history with {other}");
    }
    // A welcome lists no conversation of theirs for her.
    let again = app.connect(&carol_token).await;
    let ServerFrame::Welcome { conversations, .. } = &again.welcome else {
        unreachable!()
    };
    assert!(
        conversations
            .iter()
            .all(|c| matches!(c.target, Target::Room { .. })),
        "{conversations:?}"
    );
    // By resume: replaying from the start gives the lobby message only.
    let mut resumed = app.connect_after(&carol_token, 0).await;
    let frames = resumed.sync().await;
    let ids: Vec<u64> = frames.iter().filter_map(message_id).collect();
    assert_eq!(ids, [public], "carol's replay: {frames:?}");
    assert!(resumed.last_id() >= private[1]);
    carol.assert_none_of("message", is_message).await;
}

#[tokio::test]
async fn what_was_said_before_someone_arrived_is_history_not_unread() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    alice.join("rust").await;
    say(&mut alice, "old news").await;
    alice
        .send_json(json!({"type": "room_message", "room": "rust", "body": "old rust", "req": "r"}))
        .await;
    let (rust_id, _) = alice.recv_ack("r").await;

    let (newcomer_token, mut newcomer) = app.user("newcomer").await;
    assert_eq!(conversation(&newcomer.welcome, &lobby()).unread, 0);
    newcomer.join("rust").await;
    let again = app.connect(&newcomer_token).await;
    let rust = Target::Room {
        room: "rust".into(),
    };
    let info = conversation(&again.welcome, &rust);
    assert_eq!(
        (info.last_id, info.read_up_to, info.unread),
        (rust_id, rust_id, 0)
    );
    // The history is there all the same, and what comes next is unread.
    let (ids, _) = newcomer.history(json!({"room": "rust"})).await;
    assert_eq!(ids, vec![rust_id]);
    say(&mut alice, "new news").await;
    let later = app.connect(&newcomer_token).await;
    assert_eq!(conversation(&later.welcome, &lobby()).unread, 1);
}
