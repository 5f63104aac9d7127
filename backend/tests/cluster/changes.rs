//! Edits, deletions and reactions made on one node reach the members on another, live and on
//! reconnecting, and nobody else.

use serde_json::json;
use shared::ServerFrame;
use testkit::{is_online, Services};

use super::start;

fn is_change(f: &ServerFrame) -> bool {
    matches!(
        f,
        ServerFrame::MessageEdited { .. }
            | ServerFrame::MessageDeleted { .. }
            | ServerFrame::Reaction { .. }
    )
}

#[tokio::test]
async fn edits_deletions_and_reactions_cross_nodes() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = b.teammate("carol").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    let mut carol = b.connect(&carol_token).await;
    alice.recv_until(is_online("carol")).await;

    let public = alice.say("lobby", "helo all", "m1").await;
    let private = alice.whisper("bob", "psst", "p1").await;
    bob.recv_until(|f| matches!(f, ServerFrame::PrivateMessage { id, .. } if *id == private))
        .await;

    alice
        .send_acked(json!({"type": "edit", "id": public, "body": "hello all", "req": "e1"}))
        .await;
    for client in [&mut bob, &mut carol] {
        let frame = client
            .recv_until(|f| matches!(f, ServerFrame::MessageEdited { .. }))
            .await;
        assert!(
            matches!(frame, ServerFrame::MessageEdited { id, ref body, .. } if id == public && body == "hello all")
        );
    }
    bob.send_acked(json!({"type": "react", "id": private, "emoji": "👍", "req": "x1"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::Reaction { .. }))
        .await;
    assert!(
        matches!(frame, ServerFrame::Reaction { id, ref user, added: true, .. } if id == private && user == "bob")
    );
    // The newest id so far: bob resumes after it.
    let after = alice
        .send_acked(json!({"type": "delete", "id": public, "req": "d1"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::MessageDeleted { id, .. } if *id == public))
        .await;

    // While bob is away, alice (on a) edits and reacts to their private message.
    bob.close().await;
    alice
        .send_acked(json!({"type": "edit", "id": private, "body": "psst!", "req": "e2"}))
        .await;
    alice
        .send_acked(json!({"type": "react", "id": private, "emoji": "🎉", "req": "x2"}))
        .await;
    let mut bob = b.connect_after(&bob_token, after).await;
    let frames = bob.sync().await;
    let changes: Vec<&ServerFrame> = frames.iter().filter(|f| is_change(f)).collect();
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert!(changes.iter().any(
        |f| matches!(f, ServerFrame::MessageEdited { id, body, .. } if *id == private && body == "psst!")
    ));
    assert!(changes.iter().any(
        |f| matches!(f, ServerFrame::Reaction { id, emoji, added: true, .. } if *id == private && emoji == "🎉")
    ));

    // Carol saw the lobby's changes, none of the private conversation's.
    carol
        .assert_none_of("a private pair's changes", |f| {
            matches!(f, ServerFrame::Reaction { .. })
                || matches!(f, ServerFrame::MessageEdited { id, .. } if *id == private)
        })
        .await;
}
