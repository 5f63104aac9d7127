//! What one frame may carry, whatever the crowd: the welcome lists a page of private
//! conversations (the rest are paged with `conversations`), and joining the lobby does not
//! list everyone online.

use serde_json::json;
use shared::{ConversationInfo, ServerFrame, Target};

use testkit::{spawn_app, spawn_app_with, Client};

/// The private conversations of a `welcome` or `conversations` frame: the other person and the
/// newest id, in the frame's order; and its completeness flag.
fn private(frame: &ServerFrame) -> (Vec<(String, u64)>, bool) {
    let (conversations, complete) = match frame {
        ServerFrame::Welcome {
            conversations,
            conversations_complete,
            ..
        } => (conversations, *conversations_complete),
        ServerFrame::Conversations {
            conversations,
            complete,
            ..
        } => (conversations, *complete),
        other => panic!("not a list of conversations: {other:?}"),
    };
    let listed = conversations
        .iter()
        .filter_map(
            |ConversationInfo {
                 target, last_id, ..
             }| match target {
                Target::User { to } => Some((to.clone(), *last_id)),
                Target::Room { .. } => None,
            },
        )
        .collect();
    (listed, complete)
}

async fn page(client: &mut Client, before: u64, req: &str) -> ServerFrame {
    client
        .send_json(json!({"type": "conversations", "before": before, "req": req}))
        .await;
    client
        .recv_until(|f| matches!(f, ServerFrame::Conversations { .. }))
        .await
}

#[tokio::test]
async fn a_welcome_lists_a_page_of_private_conversations_and_the_rest_are_paged() {
    let app = spawn_app_with(|c| c.conversations_page = 100).await;
    let victim = app.claim("victim").await;
    let mut ids = Vec::new();
    for i in 0..120 {
        let (_, mut sender) = app.user(&format!("sender{i:03}")).await;
        ids.push(sender.whisper("victim", "hello", "w").await);
        sender.close().await;
    }
    let mut client = app.connect(&victim).await;
    let size = serde_json::to_string(&client.welcome).unwrap().len();
    let (first, complete) = private(&client.welcome);
    println!(
        "welcome with 120 private conversations: {size} bytes, {} listed",
        first.len()
    );
    assert_eq!(first.len(), 100);
    assert!(!complete);
    // The newest first: the last 100 senders, newest message first.
    let newest: Vec<u64> = ids.iter().rev().take(100).copied().collect();
    assert_eq!(first.iter().map(|(_, id)| *id).collect::<Vec<_>>(), newest);
    assert_eq!(first[0].0, "sender119");

    // The rest, older than the oldest listed.
    let oldest = first.last().unwrap().1;
    let frame = page(&mut client, oldest, "c1").await;
    let ServerFrame::Conversations { req, .. } = &frame else {
        unreachable!()
    };
    assert_eq!(req.as_deref(), Some("c1"));
    let (rest, complete) = private(&frame);
    assert!(complete);
    let older: Vec<u64> = ids.iter().rev().skip(100).copied().collect();
    assert_eq!(rest.iter().map(|(_, id)| *id).collect::<Vec<_>>(), older);
    assert_eq!(rest.last().unwrap().0, "sender000");
    // Nothing older than the oldest.
    let (none, complete) = private(&page(&mut client, ids[0], "c2").await);
    assert!(none.is_empty() && complete);
}

#[tokio::test]
async fn a_page_of_conversations_without_before_is_the_newest_and_carries_the_unread() {
    let app = spawn_app_with(|c| c.conversations_page = 2).await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let (_, mut dave) = app.user("dave").await;
    bob.whisper("alice", "1", "b1").await;
    carol.whisper("alice", "2", "c1").await;
    carol.whisper("alice", "3", "c2").await;
    dave.whisper("alice", "4", "d1").await;
    alice.sync().await;
    alice
        .send_json(json!({"type": "conversations", "req": "all"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::Conversations { .. }))
        .await;
    let ServerFrame::Conversations {
        conversations,
        complete,
        ..
    } = frame
    else {
        unreachable!()
    };
    assert!(!complete);
    let unread: Vec<(Target, u64)> = conversations
        .into_iter()
        .map(|c| (c.target, c.unread))
        .collect();
    assert_eq!(
        unread,
        [
            (Target::User { to: "dave".into() }, 1),
            (Target::User { to: "carol".into() }, 2)
        ]
    );
}

#[tokio::test]
async fn joining_the_lobby_does_not_list_everyone_online() {
    let app = spawn_app().await;
    let mut crowd = Vec::new();
    for i in 0..30 {
        crowd.push(app.user(&format!("user{i:02}")).await.1);
    }
    let (_, mut alice) = app.user("alice").await;
    alice
        .send_json(json!({"type": "join", "room": "lobby"}))
        .await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    let size = serde_json::to_string(&frame).unwrap().len();
    println!("room_joined for the lobby with 31 online: {size} bytes");
    assert_eq!(
        frame,
        ServerFrame::RoomJoined {
            settings: Default::default(),
            room: "lobby".into(),
            members: Vec::new(),
            online: Vec::new(),
            away: Vec::new(),
        }
    );
    // Other rooms still list their members.
    alice.join("rust").await;
    crowd[0]
        .send_json(json!({"type": "join", "room": "rust"}))
        .await;
    let frame = crowd[0]
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    assert_eq!(
        frame,
        ServerFrame::RoomJoined {
            settings: shared::RoomSettings {
                owner: Some("alice".into()),
                ..Default::default()
            },
            room: "rust".into(),
            members: vec!["alice".into(), "user00".into()],
            online: vec!["alice".into(), "user00".into()],
            away: Vec::new(),
        }
    );
}
