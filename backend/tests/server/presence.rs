//! Presence: the welcome, joins and leaves, online and offline.

use serde_json::json;
use shared::{RoomInfo, ServerFrame};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_welcome_says_who_is_online_and_which_rooms_one_is_in() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("Alice").await;
    let (_, _bob) = app.user("bob").await;
    alice.join("rust").await;

    // A second tab of Alice's is in the same rooms.
    let tab2 = app.connect(&alice_token).await;
    let ServerFrame::Welcome {
        protocol,
        user,
        online,
        rooms,
        conversations,
        last_id,
        limits,
    } = tab2.welcome
    else {
        unreachable!()
    };
    assert_eq!(protocol, 2);
    assert_eq!(last_id, 0, "nothing has been said yet");
    let targets: Vec<_> = conversations.iter().map(|c| c.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            shared::Target::Room {
                room: "lobby".into()
            },
            shared::Target::Room {
                room: "rust".into()
            }
        ]
    );
    assert_eq!(user, "Alice");
    assert_eq!(online, vec!["Alice", "bob"]);
    assert_eq!(
        rooms,
        vec![
            RoomInfo {
                room: "lobby".into(),
                members: vec!["Alice".into(), "bob".into()]
            },
            RoomInfo {
                room: "rust".into(),
                members: vec!["Alice".into()]
            },
        ]
    );
    assert_eq!(limits.max_body_chars, shared::limits::MAX_BODY_CHARS);
}

#[tokio::test]
async fn joining_and_leaving_are_announced_to_the_room() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let mut alice_tab2 = app.connect(&alice_token).await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    bob.join("rust").await;
    for client in [&mut alice, &mut alice_tab2, &mut bob, &mut carol] {
        client.drain().await;
    }

    alice
        .send_json(json!({"type": "join", "room": "rust"}))
        .await;
    let joined = ServerFrame::RoomJoined {
        room: "rust".into(),
        members: vec!["alice".into(), "bob".into()],
    };
    assert_eq!(alice.recv().await, joined);
    assert_eq!(alice_tab2.recv().await, joined);
    assert_eq!(
        bob.recv().await,
        ServerFrame::MemberJoined {
            room: "rust".into(),
            user: "alice".into()
        }
    );
    carol.expect_silence().await;

    alice
        .send_json(json!({"type": "leave", "room": "rust"}))
        .await;
    let left = ServerFrame::RoomLeft {
        room: "rust".into(),
    };
    assert_eq!(alice.recv().await, left);
    assert_eq!(alice_tab2.recv().await, left);
    assert_eq!(
        bob.recv().await,
        ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "alice".into()
        }
    );
    carol.expect_silence().await;
    // Alice no longer receives the room's messages.
    bob.send_json(json!({"type": "room_message", "room": "rust", "body": "still here?"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    alice.expect_silence().await;
}

#[tokio::test]
async fn a_user_goes_offline_only_when_the_last_tab_closes() {
    let app = spawn_app().await;
    let (_, mut bob) = app.user("bob").await;
    let (alice_token, alice) = app.user("alice").await;
    assert_eq!(
        bob.recv().await,
        ServerFrame::UserOnline {
            user: "alice".into()
        }
    );
    let alice_tab2 = app.connect(&alice_token).await;
    // A second tab is not news.
    bob.expect_silence().await;

    let mut alice = alice;
    alice.join("rust").await;
    alice.close().await;
    app.wait_for_connections(2).await;
    // One of two tabs closed: still online, still in the room.
    bob.expect_silence().await;
    assert_eq!(app.state.hub.stats().users_online, 2);

    bob.send_json(json!({"type": "join", "room": "rust"})).await;
    assert_eq!(
        bob.recv().await,
        ServerFrame::RoomJoined {
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()]
        }
    );
    alice_tab2.close().await;
    // Offline, but still a member: no member_left.
    assert_eq!(
        bob.recv().await,
        ServerFrame::UserOffline {
            user: "alice".into()
        }
    );
    bob.expect_silence().await;
    app.wait_for_connections(1).await;
    let stats = app.state.hub.stats();
    assert_eq!((stats.users_online, stats.rooms), (1, 2));
    // Alice comes back and is still in the room, as are her room's members.
    let alice = app.connect(&alice_token).await;
    let ServerFrame::Welcome { rooms, .. } = alice.welcome else {
        unreachable!()
    };
    assert_eq!(
        rooms[1],
        RoomInfo {
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()]
        }
    );
}
