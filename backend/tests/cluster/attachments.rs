//! Attachments across nodes, kept in one S3-compatible bucket (moto): a file uploaded through
//! node a and sent on a private message is served to its other person through node b, and to
//! nobody else through either; deleted through node b, its bytes leave the bucket.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::ServerFrame;
use testkit::{MotoServer, ServerProcess, Services};

use super::node;

async fn start_on(services: &Services, s3: &MotoServer, id: &str) -> ServerProcess {
    let mut options = node(services, id);
    for (key, value) in s3.server_env() {
        options = options.env(key, value);
    }
    options.start().await
}

#[tokio::test]
async fn uploaded_via_one_node_and_downloaded_by_the_other_member_via_the_other() {
    let services = Services::new().await;
    let s3 = MotoServer::start().await;
    let a = start_on(&services, &s3, "a").await;
    let b = start_on(&services, &s3, "b").await;
    let (alice_token, mut alice) = a.user("alice").await;
    let (bob_token, mut bob) = b.user("bob").await;
    let (carol_token, _carol) = b.user("carol").await;

    let bytes = b"%PDF-1.7 the minutes of the meeting".to_vec();
    let file = a
        .upload_ok(&alice_token, "minutes.pdf", bytes.clone())
        .await;
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(
        s3.keys().await,
        std::slice::from_ref(&file.id),
        "stored in the bucket"
    );
    let id = alice
        .send_acked(json!({"type": "private_message", "to": "bob", "body": "notes", "attachments": [file.id], "req": "p1"}))
        .await;
    match bob
        .recv_until(|f| matches!(f, ServerFrame::PrivateMessage { .. }))
        .await
    {
        ServerFrame::PrivateMessage { details, .. } => {
            assert_eq!(details.attachments, std::slice::from_ref(&file))
        }
        _ => unreachable!(),
    }
    let got = b.attachment(&bob_token, &file.id, "").await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    for node in [&a, &b] {
        assert_eq!(
            node.attachment(&carol_token, &file.id, "").await.status(),
            404
        );
    }

    // Deleted through node b by its author's other tab: gone from the bucket.
    let mut alice_on_b = b.connect(&alice_token).await;
    alice_on_b
        .send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    assert_eq!(a.attachment(&bob_token, &file.id, "").await.status(), 404);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !s3.keys().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "still in the bucket: {:?}",
            s3.keys().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
