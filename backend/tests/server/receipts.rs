//! Read receipts: a reader's marker passing someone's messages reaches that someone live (the
//! other participant of a private conversation; in a room, the members whose messages it
//! passed), and `receipts` answers where the others of a conversation stand. A third user
//! never hears of a private pair's receipts, and a non-member asks a room in vain.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use shared::{ErrorCode, ServerFrame, Target};
use testkit::{spawn_app, Client};

fn room(name: &str) -> Target {
    Target::Room { room: name.into() }
}

fn with(name: &str) -> Target {
    Target::User { to: name.into() }
}

fn is_receipt(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::Receipts { .. })
}

/// A live receipt: `reader` has read `target` up to `up_to`.
fn receipt(target: Target, reader: &str, up_to: u64) -> ServerFrame {
    ServerFrame::Receipts {
        target,
        readers: BTreeMap::from([(reader.to_owned(), up_to)]),
        more: false,
        req: None,
    }
}

/// Moves `client`'s read marker and waits until the server says where it stands.
async fn read(client: &mut Client, target: Value, up_to: u64) {
    let mut frame = target;
    frame["type"] = json!("read");
    frame["up_to"] = json!(up_to);
    client.send_json(frame).await;
    client
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
}

/// Asks `client`'s server for the readers of `target` (`{"room": …}` or `{"to": …}`).
async fn ask(client: &mut Client, target: Value, req: &str) -> ServerFrame {
    let mut frame = target;
    frame["type"] = json!("receipts");
    frame["req"] = json!(req);
    client.send_json(frame).await;
    client
        .recv_until(|f| match f {
            ServerFrame::Receipts { req: r, .. } | ServerFrame::Error { req: r, .. } => {
                r.as_deref() == Some(req)
            }
            _ => false,
        })
        .await
}

/// The answer to a `receipts` request: its readers and `more`.
fn readers(answer: ServerFrame) -> (Vec<(String, u64)>, bool) {
    match answer {
        ServerFrame::Receipts { readers, more, .. } => (readers.into_iter().collect(), more),
        other => panic!("not receipts: {other:?}"),
    }
}

/// Everything queued for `client` so far holds no receipt.
async fn no_receipt(client: &mut Client, who: &str) {
    let frames = client.sync().await;
    assert!(!frames.iter().any(is_receipt), "{who} got {frames:?}");
}

#[tokio::test]
async fn a_private_receipt_reaches_the_sender_and_no_third_user() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("Bob").await;
    let (_, mut carol) = app.user("carol").await;
    let mut bob_tab = app.connect(&bob_token).await;

    let first = alice.whisper("bob", "did you see this?", "p1").await;
    let second = alice.whisper("bob", "and this?", "p2").await;
    bob.messages(2).await;
    read(&mut bob, json!({"to": "alice"}), first).await;
    assert_eq!(
        alice.recv_until(is_receipt).await,
        receipt(with("Bob"), "Bob", first)
    );
    // The marker passes the next one too: a second receipt. Reading what is read already
    // moves nothing, and tells nobody.
    read(&mut bob, json!({"to": "alice"}), second).await;
    assert_eq!(
        alice.recv_until(is_receipt).await,
        receipt(with("Bob"), "Bob", second)
    );
    read(&mut bob_tab, json!({"to": "alice"}), first).await;
    no_receipt(&mut alice, "alice, for a marker that did not move").await;
    // Neither the reader nor a third user hears of it.
    no_receipt(&mut bob, "the reader").await;
    no_receipt(&mut bob_tab, "the reader's other tab").await;
    no_receipt(&mut carol, "carol").await;

    // Asked: alice sees bob's marker; bob sees none of alice's (she read nothing); carol's own
    // conversations with them have no readers, and she learns nothing of theirs.
    let (got, more) = readers(ask(&mut alice, json!({"to": "BOB"}), "q1").await);
    assert_eq!((got, more), (vec![("Bob".to_owned(), second)], false));
    let (got, _) = readers(ask(&mut bob, json!({"to": "alice"}), "q2").await);
    assert_eq!(got, []);
    for other in ["alice", "bob"] {
        let (got, _) = readers(ask(&mut carol, json!({"to": other}), "q3").await);
        assert_eq!(got, [], "carol asking about {other}");
    }
    match ask(&mut carol, json!({"to": "nobody"}), "q4").await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::UnknownUser),
        other => panic!("expected unknown_user, got {other:?}"),
    }
    // A new connection asks again and finds the same.
    let mut again = app.connect(&alice_token).await;
    let (got, _) = readers(ask(&mut again, json!({"to": "bob"}), "q5").await);
    assert_eq!(got, vec![("Bob".to_owned(), second)]);
}

#[tokio::test]
async fn a_room_receipt_reaches_the_members_whose_messages_it_passed() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let (_, mut dave) = app.user("dave").await;
    for member in [&mut alice, &mut bob, &mut carol] {
        member.join("rust").await;
    }

    let from_alice = alice.say("rust", "borrowck question", "r1").await;
    let from_carol = carol.say("rust", "an answer", "r2").await;
    bob.messages(2).await;
    // Bob reads alice's message: alice hears of it, carol (whose message he has not reached)
    // and dave (no member) do not.
    read(&mut bob, json!({"room": "rust"}), from_alice).await;
    assert_eq!(
        alice.recv_until(is_receipt).await,
        receipt(room("rust"), "bob", from_alice)
    );
    no_receipt(&mut carol, "carol, whose message bob had not reached").await;
    // Then carol's: carol hears of it, alice (nothing of hers passed) does not.
    read(&mut bob, json!({"room": "rust"}), from_carol).await;
    assert_eq!(
        carol.recv_until(is_receipt).await,
        receipt(room("rust"), "bob", from_carol)
    );
    no_receipt(&mut alice, "alice, none of whose messages were passed").await;
    no_receipt(&mut dave, "dave, no member").await;
    no_receipt(&mut bob, "the reader").await;

    // Asked: the members' markers but one's own (carol's is where she joined: nothing read).
    let (got, more) = readers(ask(&mut alice, json!({"room": "rust"}), "q1").await);
    assert_eq!((got, more), (vec![("bob".to_owned(), from_carol)], false));
    read(&mut carol, json!({"room": "rust"}), from_carol).await;
    assert_eq!(
        alice.recv_until(is_receipt).await,
        receipt(room("rust"), "carol", from_carol)
    );
    let (got, _) = readers(ask(&mut alice, json!({"room": "rust"}), "q2").await);
    assert_eq!(
        got,
        vec![
            ("bob".to_owned(), from_carol),
            ("carol".to_owned(), from_carol)
        ]
    );
    // A non-member is refused; a member who left is no longer listed, nor told.
    match ask(&mut dave, json!({"room": "rust"}), "q3").await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::NotMember),
        other => panic!("expected not_member, got {other:?}"),
    }
    carol.say("rust", "bye", "r4").await;
    carol
        .send_json(json!({"type": "leave", "room": "rust"}))
        .await;
    carol
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    let (got, _) = readers(ask(&mut alice, json!({"room": "rust"}), "q4").await);
    assert_eq!(got, vec![("bob".to_owned(), from_carol)]);
    let later = alice.say("rust", "still here?", "r3").await;
    bob.messages(2).await;
    read(&mut bob, json!({"room": "rust"}), later).await;
    assert_eq!(
        alice.recv_until(is_receipt).await,
        receipt(room("rust"), "bob", later)
    );

    // The lobby is everyone's.
    let hello = dave.say("lobby", "hello all", "l1").await;
    read(&mut alice, json!({"room": "lobby"}), hello).await;
    assert_eq!(
        dave.recv_until(is_receipt).await,
        receipt(room("lobby"), "alice", hello)
    );
    let (got, _) = readers(ask(&mut dave, json!({"room": "lobby"}), "q5").await);
    assert!(got.contains(&("alice".to_owned(), hello)), "{got:?}");
    no_receipt(
        &mut carol,
        "carol, who left before bob read her last message",
    )
    .await;
}

/// Reading while others write: every `read` is stored and answered, none refused because the
/// database was busy with the messages being stored meanwhile (SQLite: a transaction that
/// reads before it writes is refused at once when a writer went in between).
#[tokio::test]
async fn reads_while_messages_are_stored_are_never_refused() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let mut talking = {
        let mut alice = app.connect(&app.claim("carol").await).await;
        tokio::spawn(async move {
            for i in 0..150 {
                let req = format!("t{i}");
                alice
                    .send_json(
                        json!({"type": "room_message", "room": "lobby", "body": "x", "req": req}),
                    )
                    .await;
            }
            alice
        })
    };
    let mut last = 0;
    for i in 0..40 {
        last = alice.say("lobby", "read me", &format!("a{i}")).await;
        bob.send_json(json!({"type": "read", "room": "lobby", "up_to": last}))
            .await;
    }
    let mut reads = 0;
    while reads < 40 {
        match bob.recv().await {
            ServerFrame::Read { .. } => reads += 1,
            ServerFrame::Error { code, message, .. } => panic!("refused: {code:?} {message}"),
            _ => {}
        }
    }
    (&mut talking).await.expect("the talker");
    let (got, _) = readers(ask(&mut alice, json!({"room": "lobby"}), "q").await);
    assert!(
        got.iter()
            .any(|(name, up_to)| name == "bob" && *up_to >= last),
        "{got:?}"
    );
}
