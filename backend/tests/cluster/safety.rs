//! Safety across nodes: an account disabled through one node has its WebSockets closed on
//! every node; a block made on one node holds on the other (the blocker's connections there
//! hear of it, the blocked user's private messages stored there reach none of them); the
//! figures list every node's connections.

use std::time::Duration;

use serde_json::{json, Value};
use shared::{close, ServerFrame};
use testkit::{Ended, ServerProcess, Services, ARRIVES_WITHIN};

use super::node;

/// Node `id` of `services`' cluster with `root` named administrator, ready.
async fn start_admin(services: &Services, id: &str) -> ServerProcess {
    node(services, id).args(["--admin", "root"]).start().await
}

fn is_private(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::PrivateMessage { .. })
}

#[tokio::test]
async fn disabling_on_one_node_closes_the_users_sockets_on_every_node() {
    let services = Services::new().await;
    let a = start_admin(&services, "a").await;
    let b = start_admin(&services, "b").await;
    let root = a.claim("root").await;
    let bob = b.claim("bob").await;
    let mut bob_on_a = a.connect(&bob).await;
    let mut bob_on_b = b.connect(&bob).await;
    let carol = b.claim("carol").await;
    let mut carol_on_b = b.connect(&carol).await;

    // Each node's connections, the other's from its heartbeat.
    let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
    loop {
        let figures: Value = a
            .http()
            .get(a.url("/api/admin/figures"))
            .bearer_auth(&root)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let counts: Vec<u64> = figures["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["connections"].as_u64().unwrap())
            .collect();
        if counts == [1, 2] {
            assert_eq!(figures["online_users"], 2, "{figures}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{figures}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let disabled = a
        .http()
        .put(a.url("/api/admin/accounts/bob/disabled"))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 204);
    for bob in [&mut bob_on_a, &mut bob_on_b] {
        assert_eq!(
            bob.until_closed().await,
            Ended::Closed(Some(close::ACCOUNT_DISABLED))
        );
    }
    // Refused on the other node too; carol, there, carries on.
    let (status, error) = b.try_connect(&bob).await.err().expect("refused");
    assert_eq!(
        (status, error.code),
        (403, shared::ErrorCode::AccountDisabled)
    );
    carol_on_b.assert_alive("carol").await;
}

#[tokio::test]
async fn a_block_made_on_one_node_holds_on_the_other() {
    let services = Services::new().await;
    let a = start_admin(&services, "a").await;
    let b = start_admin(&services, "b").await;
    let carol = a.teammate("carol").await;
    let dave = b.teammate("dave").await;
    let erin = b.teammate("erin").await;
    let mut carol_on_a = a.connect(&carol).await;
    let mut carol_on_b = b.connect(&carol).await;
    let mut dave_on_b = b.connect(&dave).await;
    let mut erin_on_b = b.connect(&erin).await;
    carol_on_a.sees_online("erin").await;

    carol_on_a
        .send_json(json!({"type": "block", "user": "dave", "req": "k"}))
        .await;
    carol_on_a
        .recv_until(|f| matches!(f, ServerFrame::Blocked { req: Some(_), .. }))
        .await;
    let told = carol_on_b
        .recv_until(|f| matches!(f, ServerFrame::Blocked { .. }))
        .await;
    assert_eq!(
        told,
        ServerFrame::Blocked {
            users: vec!["dave".into()],
            req: None
        }
    );
    // Stored on b, for carol: acknowledged to dave, delivered to no connection of hers.
    dave_on_b.whisper("carol", "hidden", "d1").await;
    carol_on_a
        .assert_none_of("private message", is_private)
        .await;
    carol_on_b
        .assert_none_of("private message", is_private)
        .await;
    erin_on_b
        .assert_none_of("private message", is_private)
        .await;
    // His room messages still reach her, on both nodes, for her client to collapse.
    let id = dave_on_b.say("lobby", "hello all", "d2").await;
    for carol in [&mut carol_on_a, &mut carol_on_b] {
        let frame = carol
            .recv_until(|f| matches!(f, ServerFrame::RoomMessage { .. }))
            .await;
        assert!(matches!(frame, ServerFrame::RoomMessage { id: got, .. } if got == id));
    }
    // Erin's private message reaches her across nodes as before.
    let id = erin_on_b.whisper("carol", "visible", "e1").await;
    let frame = carol_on_a.recv_until(is_private).await;
    assert!(matches!(frame, ServerFrame::PrivateMessage { id: got, .. } if got == id));
}
