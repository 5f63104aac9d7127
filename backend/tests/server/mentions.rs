//! Mentions: `@name` in a room message counts, for the mentioned member only, apart from the
//! unread messages; reading clears it; it is exact after a reconnect and a restart; a
//! non-member's name, one's own name and private messages count nothing.

use serde_json::json;
use shared::{ConversationInfo, ServerFrame, Target};
use testkit::{spawn_app, Client};

fn room(name: &str) -> Target {
    Target::Room { room: name.into() }
}

/// The conversation `target` in a welcome.
fn info(frame: &ServerFrame, target: &Target) -> Option<ConversationInfo> {
    let ServerFrame::Welcome { conversations, .. } = frame else {
        panic!("not a conversation list: {frame:?}");
    };
    conversations.iter().find(|c| &c.target == target).cloned()
}

/// `(unread, mentions)` of `target` in `client`'s welcome.
fn counts(client: &Client, target: &Target) -> (u64, u64) {
    let found = info(&client.welcome, target)
        .unwrap_or_else(|| panic!("no {target:?} in {:?}", client.welcome));
    (found.unread, found.mentions)
}

#[tokio::test]
async fn a_mention_counts_for_the_mentioned_member_until_read_and_after_a_restart() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (carol_token, _carol) = app.user("carol").await;
    alice.join("rust").await;
    bob.join("rust").await;

    let first = bob.say("rust", "@alice look at this", "m1").await;
    bob.say("rust", "hi @carol, are you here?", "m2").await; // carol is not a member
    bob.say("rust", "@bob talks to himself", "m3").await; // the sender
    bob.say("rust", "thanks @Alice.", "m4").await;
    bob.say("rust", "nothing here, alice@example.org", "m5")
        .await;
    let lobby_mention = bob
        .say("lobby", "@carol the lobby is everyone's", "m6")
        .await;
    bob.whisper("alice", "@alice privately", "m7").await;

    let alice2 = app.connect(&alice_token).await;
    assert_eq!(counts(&alice2, &room("rust")), (5, 2));
    assert_eq!(counts(&alice2, &room("lobby")), (1, 0));
    let with_bob = Target::User { to: "bob".into() };
    assert_eq!(
        counts(&alice2, &with_bob),
        (1, 0),
        "private messages count as unread, not as mentions"
    );
    let bob2 = app.connect(&bob_token).await;
    assert_eq!(counts(&bob2, &room("rust")), (0, 0));
    let carol2 = app.connect(&carol_token).await;
    assert_eq!(info(&carol2.welcome, &room("rust")), None);
    assert_eq!(counts(&carol2, &room("lobby")), (1, 1));
    assert!(lobby_mention > first);

    // Reading past the first mention leaves the second.
    alice
        .send_json(json!({"type": "read", "room": "rust", "up_to": first}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
    let alice3 = app.connect(&alice_token).await;
    assert_eq!(counts(&alice3, &room("rust")), (4, 1));

    // Exact after a restart.
    drop((alice2, alice3, bob, bob2, carol2));
    alice.close().await;
    let app = app.restart().await;
    let alice = app.connect(&alice_token).await;
    assert_eq!(counts(&alice, &room("rust")), (4, 1));
    let carol = app.connect(&carol_token).await;
    assert_eq!(counts(&carol, &room("lobby")), (1, 1));

    // Reading to the newest clears them.
    let mut alice = alice;
    alice
        .send_json(json!({"type": "read", "room": "rust", "up_to": u64::MAX}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Read { .. }))
        .await;
    let alice = app.connect(&alice_token).await;
    assert_eq!(counts(&alice, &room("rust")), (0, 0));
}

#[tokio::test]
async fn a_mention_before_joining_is_history_and_a_leaver_is_no_member() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    bob.join("rust").await;
    // Alice is not in the room yet: her name mentions nobody there.
    bob.say("rust", "@alice will come", "m1").await;
    alice.join("rust").await;
    bob.say("rust", "@alice welcome", "m2").await;
    alice
        .send_json(json!({"type": "leave", "room": "rust"}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    bob.say("rust", "@alice gone", "m3").await;
    alice.join("rust").await;
    // Joining reads what came before: nothing is unread, no mention.
    let alice2 = app.connect(&alice_token).await;
    assert_eq!(counts(&alice2, &room("rust")), (0, 0));
    bob.say("rust", "@ALICE back", "m4").await;
    let alice3 = app.connect(&alice_token).await;
    assert_eq!(counts(&alice3, &room("rust")), (1, 1));
}

#[tokio::test]
async fn a_mention_follows_edits_and_goes_with_a_deletion() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (carol_token, mut carol) = app.user("carol").await;
    let (_, mut bob) = app.user("bob").await;
    for client in [&mut alice, &mut bob, &mut carol] {
        client.join("rust").await;
    }
    let first = bob.say("rust", "@alice see this", "m1").await;
    let second = bob.say("rust", "@carol and @alice too", "m2").await;
    let counts_now = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move { counts(&app.connect(&token).await, &room("rust")) }
    };
    assert_eq!(counts_now(&alice_token).await, (2, 2));
    assert_eq!(counts_now(&carol_token).await, (2, 1));

    // The first now mentions carol instead of alice.
    bob.send_acked(json!({"type": "edit", "id": first, "body": "@carol see this", "req": "e1"}))
        .await;
    assert_eq!(counts_now(&alice_token).await, (2, 1));
    assert_eq!(counts_now(&carol_token).await, (2, 2));

    // An edit to the same text keeps the mentions once.
    bob.send_acked(json!({"type": "edit", "id": first, "body": "@carol see this!", "req": "e2"}))
        .await;
    assert_eq!(counts_now(&carol_token).await, (2, 2));

    // A deletion takes its mentions (and the unread tombstone still counts as unread).
    bob.send_acked(json!({"type": "delete", "id": second, "req": "d1"}))
        .await;
    assert_eq!(counts_now(&alice_token).await.1, 0);
    assert_eq!(counts_now(&carol_token).await.1, 1);
}
