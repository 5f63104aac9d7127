//! Rooms across nodes: a private room made on one node is joined by a user invited from it
//! while connected to the other, and stays closed to a third user there; settings and roles
//! changed on one node reach the members on the other; so do kicks and bans. A room emptied
//! on one node stays as it was on the other: the banned and strangers cannot come back or
//! take it over there, and the invited join it as plain members.

use serde_json::json;
use shared::{ErrorCode, ServerFrame};
use testkit::{is_online, Services};

use super::start;

#[tokio::test]
async fn private_rooms_invitations_and_settings_cross_nodes() {
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

    alice.create_room("plans", "Q3", true).await;
    let code = carol
        .refused(json!({"type": "join", "room": "plans", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    alice
        .answer(json!({"type": "invite", "room": "plans", "user": "bob", "req": "i1"}))
        .await;
    // Told on the other node, live.
    let invitation = bob
        .recv_until(|f| matches!(f, ServerFrame::Invitation { .. }))
        .await;
    assert!(
        matches!(&invitation, ServerFrame::Invitation { invite, .. } if invite.room == "plans" && invite.from == "alice"),
        "{invitation:?}"
    );
    bob.send_json(json!({"type": "join", "room": "plans"}))
        .await;
    let joined = bob
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    let ServerFrame::RoomJoined {
        settings, members, ..
    } = joined
    else {
        unreachable!()
    };
    assert!(settings.private && settings.owner.as_deref() == Some("alice"));
    assert_eq!(members, ["alice", "bob"]);
    alice
        .recv_until(|f| matches!(f, ServerFrame::MemberJoined { user, .. } if user == "bob"))
        .await;
    // A role and a topic set on node a reach bob on node b; bob then runs the room there.
    alice
        .done(json!({"type": "set_role", "room": "plans", "user": "bob", "moderator": true, "req": "r1"}))
        .await;
    alice
        .done(json!({"type": "set_room", "room": "plans", "topic": "Q4", "req": "s1"}))
        .await;
    let settings = loop {
        match bob
            .recv_until(|f| matches!(f, ServerFrame::RoomUpdated { .. }))
            .await
        {
            ServerFrame::RoomUpdated { settings, .. }
                if settings.topic.as_deref() == Some("Q4") =>
            {
                break settings
            }
            _ => {}
        }
    };
    assert_eq!(settings.moderators, ["bob"]);
    let id = alice.say("plans", "dates", "m1").await;
    bob.send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::MessageDeleted { id: d, .. } if *d == id))
        .await;
    // Archived on node a: read-only on node b.
    alice
        .done(json!({"type": "set_room", "room": "plans", "archived": true, "req": "s2"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomUpdated { settings, .. } if settings.archived))
        .await;
    let code = bob
        .refused(json!({"type": "room_message", "room": "plans", "body": "hi", "req": "m2"}))
        .await;
    assert_eq!(code, ErrorCode::RoomArchived);
    // Carol, on bob's node, heard nothing of it all.
    carol
        .assert_none_of("anything of #plans", |f| {
            matches!(f, ServerFrame::RoomMessage { room, .. } | ServerFrame::RoomUpdated { room, .. } | ServerFrame::MemberJoined { room, .. } if room == "plans")
                || matches!(f, ServerFrame::Invitation { .. })
        })
        .await;
}

#[tokio::test]
async fn a_kick_and_a_ban_on_one_node_reach_the_other() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let mallory_token = b.teammate("mallory").await;
    let erin_token = b.teammate("erin").await;
    let mut alice = a.connect(&alice_token).await;
    let mut mallory = b.connect(&mallory_token).await;
    let mut erin = b.connect(&erin_token).await;
    alice.recv_until(is_online("erin")).await;
    alice.create_room("rust", "", false).await;
    for client in [&mut mallory, &mut erin] {
        client.join("rust").await;
    }
    alice
        .done(json!({"type": "kick", "room": "rust", "user": "mallory", "req": "k1"}))
        .await;
    let left = mallory
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    assert!(
        matches!(&left, ServerFrame::RoomLeft { by: Some(by), banned: false, .. } if by == "alice"),
        "{left:?}"
    );
    erin.recv_until(
        |f| matches!(f, ServerFrame::MemberLeft { user, by: Some(_), .. } if user == "mallory"),
    )
    .await;
    // Kicked on node a: what happens in the room next reaches erin on node b, and nothing of
    // it mallory there (all that was queued for mallory before erin had it came first).
    let id = alice.say("rust", "after the kick", "m0").await;
    alice
        .send_json(json!({"type": "typing", "room": "rust"}))
        .await;
    alice
        .done(json!({"type": "set_room", "room": "rust", "topic": "kicked", "req": "t1"}))
        .await;
    // Typing takes its own way between the nodes: the three come in any order.
    let (mut message, mut typing, mut updated) = (false, false, false);
    while !(message && typing && updated) {
        let frame = erin.recv().await;
        message |= testkit::message_id(&frame) == Some(id);
        typing |= testkit::is_typing(&frame);
        updated |= matches!(frame, ServerFrame::RoomUpdated { .. });
    }
    let heard = mallory.sync().await;
    assert!(
        !heard
            .iter()
            .any(|f| serde_json::to_string(f).unwrap().contains("\"rust\"")),
        "{heard:?}"
    );
    mallory.join("rust").await;
    alice
        .done(json!({"type": "ban", "room": "rust", "user": "mallory", "req": "b1"}))
        .await;
    mallory
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { banned: true, .. }))
        .await;
    // Out of the room on node b too: nothing said there reaches mallory, who cannot rejoin.
    let code = mallory
        .refused(json!({"type": "join", "room": "rust", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    alice.say("rust", "after the ban", "m1").await;
    erin.recv_until(
        |f| matches!(f, ServerFrame::RoomMessage { body, .. } if body == "after the ban"),
    )
    .await;
    mallory
        .assert_none_of(
            "a message of #rust",
            |f| matches!(f, ServerFrame::RoomMessage { room, .. } if room == "rust"),
        )
        .await;
}

#[tokio::test]
async fn a_room_emptied_on_one_node_stays_closed_on_the_other() {
    let services = Services::new().await;
    let a = start(&services, "a").await;
    let b = start(&services, "b").await;
    let alice_token = a.teammate("alice").await;
    let bob_token = b.teammate("bob").await;
    let carol_token = b.teammate("carol").await;
    let mallory_token = b.teammate("mallory").await;
    let mut alice = a.connect(&alice_token).await;
    let mut bob = b.connect(&bob_token).await;
    let mut carol = b.connect(&carol_token).await;
    let mut mallory = b.connect(&mallory_token).await;
    alice.recv_until(is_online("mallory")).await;
    alice.create_room("rust", "", false).await;
    mallory.join("rust").await;
    alice
        .done(json!({"type": "ban", "room": "rust", "user": "mallory", "req": "b1"}))
        .await;
    mallory
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { banned: true, .. }))
        .await;
    alice.create_room("plans", "Q3", true).await;
    let said = alice.say("plans", "dates", "m1").await;
    alice
        .answer(json!({"type": "invite", "room": "plans", "user": "bob", "req": "i1"}))
        .await;
    for room in ["rust", "plans"] {
        alice
            .send_json(json!({"type": "leave", "room": room}))
            .await;
        alice
            .recv_until(|f| matches!(f, ServerFrame::RoomLeft { room: r, .. } if r == room))
            .await;
    }
    // Both rooms are empty; on node b nobody comes back who may not, nor makes them anew.
    let code = mallory
        .refused(json!({"type": "join", "room": "rust", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    for (req, room) in [("c1", "rust"), ("c2", "plans")] {
        let code = mallory
            .refused(json!({"type": "create_room", "room": room, "req": req}))
            .await;
        assert_eq!(code, ErrorCode::RoomExists);
    }
    let code = carol
        .refused(json!({"type": "join", "room": "plans", "req": "j2"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    let code = carol
        .refused(json!({"type": "history", "room": "plans", "req": "h1"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    // Bob's invitation stands on node b: he joins the room as it was, owned by nobody, and
    // his connection on node a hears the same.
    let mut bob_on_a = a.connect(&bob_token).await;
    bob.send_json(json!({"type": "join", "room": "plans"}))
        .await;
    let joined = bob
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { room, .. } if room == "plans"))
        .await;
    let ServerFrame::RoomJoined { settings, .. } = joined else {
        unreachable!()
    };
    assert!(settings.private && settings.owner.is_none(), "{settings:?}");
    assert_eq!(settings.topic.as_deref(), Some("Q3"));
    assert_eq!(bob.history(json!({"room": "plans"})).await.0, [said]);
    let there = bob_on_a
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { room, .. } if room == "plans"))
        .await;
    assert!(
        matches!(&there, ServerFrame::RoomJoined { settings: s, .. } if *s == settings),
        "{there:?}"
    );
    carol
        .assert_none_of("anything of #plans", |f| {
            serde_json::to_string(f).unwrap().contains("plans")
        })
        .await;
}
