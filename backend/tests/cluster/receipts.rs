//! Read receipts cross nodes: a reader on one node, the sender on another hears of it; the
//! others, on either node, do not.

use serde_json::json;
use shared::ServerFrame;
use testkit::{Client, Services};

use super::start;

fn is_receipt(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::Receipts { .. })
}

/// The one reader and marker of a live receipt.
fn reader(frame: ServerFrame) -> (String, u64) {
    match frame {
        ServerFrame::Receipts { readers, req, .. } if readers.len() == 1 && req.is_none() => {
            readers.into_iter().next().expect("one reader")
        }
        other => panic!("not a live receipt: {other:?}"),
    }
}

async fn read(client: &mut Client, frame: serde_json::Value) {
    client.send_json(frame).await;
    client
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
}

#[tokio::test]
async fn receipts_cross_nodes_to_the_sender_only() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let dave_token = a.teammate("dave").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = b.teammate("carol").await;
    let mut alice = a.connect(&alice_token).await;
    let mut dave = a.connect(&dave_token).await;
    let mut bob = b.connect(&bob_token).await;
    let mut carol = b.connect(&carol_token).await;
    alice.sees_online("carol").await;
    carol.sees_online("dave").await;

    // Private: alice (a) writes, bob (b) reads, alice hears of it.
    let private = alice.whisper("bob", "psst", "p1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::PrivateMessage { id, .. } if *id == private))
        .await;
    read(
        &mut bob,
        json!({"type": "read", "to": "alice", "up_to": private}),
    )
    .await;
    assert_eq!(
        reader(alice.recv_until(is_receipt).await),
        ("bob".to_owned(), private)
    );

    // A room: carol (b) writes, alice (a) reads, carol hears of it; bob (b) is no member.
    alice.join("rust").await;
    carol.join("rust").await;
    let said = carol.say("rust", "anyone?", "r1").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::RoomMessage { id, .. } if *id == said))
        .await;
    read(
        &mut alice,
        json!({"type": "read", "room": "rust", "up_to": said}),
    )
    .await;
    assert_eq!(
        reader(carol.recv_until(is_receipt).await),
        ("alice".to_owned(), said)
    );
    // And asked on the other node, the markers are the same.
    carol
        .send_json(json!({"type": "receipts", "room": "rust", "req": "q"}))
        .await;
    match carol.recv_until(is_receipt).await {
        ServerFrame::Receipts { readers, req, .. } => {
            assert_eq!(req.as_deref(), Some("q"));
            assert_eq!(
                readers.into_iter().collect::<Vec<_>>(),
                [("alice".to_owned(), said)]
            );
        }
        _ => unreachable!(),
    }

    // Nobody else, on either node, heard of any receipt.
    for (who, client) in [
        ("dave", &mut dave),
        ("bob", &mut bob),
        ("alice", &mut alice),
    ] {
        let frames = client.sync().await;
        assert!(!frames.iter().any(is_receipt), "{who} got {frames:?}");
    }
    dave.assert_none_of("a receipt", is_receipt).await;
    bob.assert_none_of("a receipt", is_receipt).await;
}
