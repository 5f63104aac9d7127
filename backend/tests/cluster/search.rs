//! Search reads the shared store: a message stored through one node is found through the
//! other, edits and deletions made on one are seen by searches on the other, and a third user
//! finds nothing of a private pair's conversation on either.

use serde_json::json;
use shared::ServerFrame;
use testkit::Services;

use super::start;

#[tokio::test]
async fn a_message_stored_via_one_node_is_found_via_the_other() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let (_, mut alice) = a.user("alice").await;
    let (_, mut bob) = b.user("bob").await;
    let (_, mut carol) = b.user("carol").await;

    let public = alice.say("lobby", "zeppelin over the harbour", "r1").await;
    let private = alice.whisper("bob", "zeppelin tickets for two", "r2").await;
    // Once bob's node has delivered both, bob's searches there see them.
    bob.recv_until(|f| matches!(f, ServerFrame::PrivateMessage { id, .. } if *id == private))
        .await;
    assert_eq!(
        bob.search_ids(json!({"query": "zeppel"})).await,
        [private, public]
    );
    assert_eq!(
        carol.search_ids(json!({"query": "zeppelin"})).await,
        [public]
    );
    assert_eq!(
        carol.search_ids(json!({"query": "tickets"})).await,
        Vec::<u64>::new()
    );

    // Changed on node a, searched on node b.
    alice
        .send_acked(
            json!({"type": "edit", "id": public, "req": "e1", "body": "airship over the harbour"}),
        )
        .await;
    alice
        .send_acked(json!({"type": "delete", "id": private, "req": "d1"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::MessageDeleted { id, .. } if *id == private))
        .await;
    assert_eq!(
        bob.search_ids(json!({"query": "zeppelin"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(bob.search_ids(json!({"query": "airship"})).await, [public]);
    // And the page around a result, on the other node.
    let (page, _) = bob
        .history(json!({"room": "lobby", "around": public, "limit": 3}))
        .await;
    assert_eq!(page, [public]);
}
