//! Durable history: stored before acknowledged, read in pages, resumed after a disconnect,
//! sent once however often it is sent, waiting for offline recipients, surviving restarts.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use shared::{ConversationInfo, ServerFrame, Target};
use tokio::process::{Child, Command};

use crate::helpers::{is_online, spawn_app, spawn_app_in, Client, Endpoint};

/// Sends a lobby message with `req` and returns its id from the ack.
async fn say(client: &mut Client, req: &str) -> u64 {
    client
        .send_json(json!({"type": "room_message", "room": "lobby", "body": format!("body of {req}"), "req": req}))
        .await;
    let frame = client
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    match frame {
        ServerFrame::Ack {
            req: Some(r), id, ..
        } if r == req => id,
        other => panic!("expected the ack of {req}, got {other:?}"),
    }
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
    alice.drain().await;

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
    let (alice_token, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.drain().await;

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
    bob.expect_silence().await;

    // From another connection after a reconnect, too; and for private messages.
    alice.close().await;
    app.wait_for_connections(1).await;
    let mut alice = app.connect(&alice_token).await;
    // Bob hears she is back. The same frame may reach her new connection too (when it was
    // coalesced with her going offline); it has been queued for both by now.
    bob.recv_until(is_online("alice")).await;
    alice.drain().await;
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
    bob.expect_silence().await;

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
    alice.drain().await;
    bob.drain().await;
    carol.join("rust").await;
    bob.join("rust").await;

    let seen = say(&mut alice, "before").await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomMessage { id, .. } if *id == seen))
        .await;
    drop(bob); // the socket vanishes mid-conversation
    carol.drain().await;
    app.wait_for_connections(2).await;

    let mut missed = vec![say(&mut alice, "m1").await];
    carol
        .send_json(json!({"type": "room_message", "room": "rust", "body": "in rust", "req": "r1"}))
        .await;
    missed.push(
        carol
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await
            .ack_id(),
    );
    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "while you were out", "req": "p1"}))
        .await;
    missed.push(
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await
            .ack_id(),
    );
    // Not bob's: carol's private message to alice.
    carol
        .send_json(
            json!({"type": "private_message", "to": "alice", "body": "not for bob", "req": "p2"}),
        )
        .await;
    carol
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await
        .ack_id();
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
    bob.expect_silence().await;

    // Live messages follow, once.
    let live = say(&mut alice, "after").await;
    let frame = bob.recv().await;
    assert!(matches!(frame, ServerFrame::RoomMessage { id, .. } if id == live));
    bob.expect_silence().await;
}

#[tokio::test]
async fn a_private_message_to_someone_offline_waits_for_them_as_unread() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
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
        }
    );
    let (ids, complete) = bob.history(json!({"to": "alice"})).await;
    assert_eq!((ids, complete), (vec![id], true));
    // Alice's own view: the conversation is hers too, with nothing unread.
    let alice2 = app.connect(&app.claim("alice2").await).await;
    drop(alice2);
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
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path()).await;
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
    app.shutdown().await;

    let app = spawn_app_in(dir.path()).await;
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

/// The real binary, so that it can be killed with SIGKILL.
struct Process {
    child: Child,
}

impl Process {
    async fn start(dir: &std::path::Path, addr: std::net::SocketAddr) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .arg("--bind")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(dir)
            .arg("--static-dir")
            .arg(dir.join("no-client"))
            .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("start chat-server");
        let url = format!("http://{addr}/healthz");
        for _ in 0..200 {
            if reqwest::get(&url).await.is_ok() {
                return Self { child };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("chat-server did not come up on {addr}");
    }

    async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("wait");
    }
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = Process::start(dir.path(), addr).await;
    let app = Endpoint::new(addr);
    let mut tokens = Vec::new();
    for name in ["s1", "s2", "s3"] {
        tokens.push(app.claim(name).await);
    }
    let reader_token = app.claim("reader").await;

    // Three senders write without waiting for acks; the server dies under them.
    let mut senders = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let mut client = app.connect(token).await;
        senders.push(tokio::spawn(async move {
            let mut acked: HashMap<String, u64> = HashMap::new();
            let mut sent = 0;
            loop {
                if sent < 5_000 {
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
                    .next(Duration::from_millis(if sent < 5_000 { 0 } else { 2_000 }))
                    .await
                {
                    Some(Ok(ServerFrame::Ack {
                        req: Some(req), id, ..
                    })) => {
                        acked.insert(req, id);
                    }
                    Some(Ok(_)) | None => {}
                    Some(Err(_)) => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill_9().await;
    let mut acked: HashMap<String, u64> = HashMap::new();
    for sender in senders {
        acked.extend(sender.await.unwrap());
    }
    assert!(
        acked.len() > 10,
        "the senders got going: {} acks",
        acked.len()
    );

    let server = Process::start(dir.path(), addr).await;
    // A reader resuming from the start catches up with everything stored, exactly once.
    let mut reader = app.connect_after(&reader_token, 0).await;
    let ServerFrame::Welcome { last_id, .. } = reader.welcome else {
        unreachable!()
    };
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
    // Sending an acknowledged message again stores nothing new.
    let (req, id) = acked.iter().next().unwrap();
    let sender: usize = req[1..req.find('-').unwrap()].parse().unwrap();
    let mut again = app.connect(&tokens[sender]).await;
    again
        .send_json(json!({"type": "room_message", "room": "lobby", "body": req, "req": req}))
        .await;
    let ack = again
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    assert_eq!(ack.ack_id(), *id);
    server.kill_9().await;
}

trait AckId {
    fn ack_id(&self) -> u64;
}

impl AckId for ServerFrame {
    fn ack_id(&self) -> u64 {
        match self {
            ServerFrame::Ack { id, .. } => *id,
            other => panic!("not an ack: {other:?}"),
        }
    }
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
