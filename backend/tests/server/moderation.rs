//! Moderation: the owner and moderators kick (the member may come back) and ban (they may not,
//! nor be invited, until unbanned); a moderator acts on plain members only, nobody on the
//! owner; every action, and the deletion of someone else's message, is in the room's audit log,
//! which only those who run the room read. Every refusal is tested.

use serde_json::json;
use shared::{AuditEntry, ErrorCode, ServerFrame};
use testkit::{spawn_app, Client};

/// The audit log of `room` as `client` reads it: (actor, action, user) newest first.
async fn audit(client: &mut Client, room: &str, req: &str) -> Vec<(String, String, String)> {
    match client
        .answer(json!({"type": "audit", "room": room, "req": req}))
        .await
    {
        ServerFrame::AuditLog {
            entries, complete, ..
        } => {
            assert!(complete);
            entries
                .into_iter()
                .map(
                    |AuditEntry {
                         actor,
                         action,
                         user,
                         ..
                     }| { (actor, action, user.unwrap_or_default()) },
                )
                .collect()
        }
        other => panic!("expected audit_log, got {other:?}"),
    }
}

fn entry(actor: &str, action: &str, user: &str) -> (String, String, String) {
    (actor.into(), action.into(), user.into())
}

#[tokio::test]
async fn moderators_kick_and_ban_and_the_banned_stay_out_until_unbanned() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let (_, mut dave) = app.user("dave").await;
    alice.create_room("rust", "", false).await;
    for client in [&mut bob, &mut carol, &mut dave] {
        client.join("rust").await;
    }
    alice
        .done(json!({"type": "set_role", "room": "rust", "user": "bob", "moderator": true, "req": "r1"}))
        .await;
    // A plain member kicks nobody.
    let code = carol
        .refused(json!({"type": "kick", "room": "rust", "user": "dave", "req": "k1"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    // A moderator kicks a member, who hears who did, as does the room; they may come back.
    bob.done(json!({"type": "kick", "room": "rust", "user": "carol", "req": "k2"}))
        .await;
    assert_eq!(
        carol
            .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
            .await,
        ServerFrame::RoomLeft {
            room: "rust".into(),
            by: Some("bob".into()),
            banned: false
        }
    );
    assert_eq!(
        alice
            .recv_until(|f| matches!(f, ServerFrame::MemberLeft { .. }))
            .await,
        ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "carol".into(),
            by: Some("bob".into()),
            banned: false
        }
    );
    let code = bob
        .refused(json!({"type": "kick", "room": "rust", "user": "carol", "req": "k3"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    carol.join("rust").await;
    let said = carol.say("rust", "spam spam spam", "m1").await;
    // Banned: out, and kept out; not even invited.
    bob.done(json!({"type": "ban", "room": "rust", "user": "carol", "req": "b1"}))
        .await;
    let left = carol
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    assert!(
        matches!(left, ServerFrame::RoomLeft { banned: true, .. }),
        "{left:?}"
    );
    let code = carol
        .refused(json!({"type": "join", "room": "rust", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    let code = alice
        .refused(json!({"type": "invite", "room": "rust", "user": "carol", "req": "i1"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    // A moderator deletes the banned member's message.
    bob.send_acked(json!({"type": "delete", "id": said, "req": "d1"}))
        .await;
    // Nobody acts on the owner or on themself; a moderator not on another moderator.
    alice
        .done(json!({"type": "set_role", "room": "rust", "user": "dave", "moderator": true, "req": "r2"}))
        .await;
    for (req, user) in [("x1", "alice"), ("x2", "bob"), ("x3", "dave")] {
        let code = bob
            .refused(json!({"type": "ban", "room": "rust", "user": user, "req": req}))
            .await;
        assert_eq!(code, ErrorCode::NotAllowed, "{user}");
    }
    let code = bob
        .refused(json!({"type": "unban", "room": "rust", "user": "dave", "req": "u0"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    // Unbanned: back in.
    bob.done(json!({"type": "unban", "room": "rust", "user": "carol", "req": "u1"}))
        .await;
    carol.join("rust").await;
    // The owner removes a moderator too.
    alice
        .done(json!({"type": "kick", "room": "rust", "user": "dave", "req": "k4"}))
        .await;
    assert_eq!(
        audit(&mut alice, "rust", "a1").await,
        [
            entry("alice", "kick", "dave"),
            entry("bob", "unban", "carol"),
            entry("bob", "delete", "carol"),
            entry("bob", "ban", "carol"),
            entry("bob", "kick", "carol"),
        ]
    );
}

#[tokio::test]
async fn only_those_who_run_a_room_read_its_audit_log() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.create_room("club", "", true).await;
    alice
        .answer(json!({"type": "invite", "room": "club", "user": "bob", "req": "i1"}))
        .await;
    bob.join("club").await;
    let id = bob.say("club", "oops", "m1").await;
    // The author's own deletion is not moderation.
    bob.send_acked(json!({"type": "delete", "id": id, "req": "d1"}))
        .await;
    assert!(audit(&mut alice, "club", "a1").await.is_empty());
    // A member is refused, an outsider told nothing (the same as for no room at all).
    let code = bob
        .refused(json!({"type": "audit", "room": "club", "req": "a2"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    for (req, room) in [("a3", "club"), ("a4", "no-such-room")] {
        let code = carol
            .refused(json!({"type": "audit", "room": room, "req": req}))
            .await;
        assert_eq!(code, ErrorCode::NotMember);
    }
    alice
        .done(json!({"type": "set_role", "room": "club", "user": "bob", "moderator": true, "req": "r1"}))
        .await;
    assert!(audit(&mut bob, "club", "a5").await.is_empty());
    // Carol cannot kick or ban in a room she is not in, whether it exists or not.
    for frame in [
        json!({"type": "kick", "room": "club", "user": "bob", "req": "k1"}),
        json!({"type": "ban", "room": "no-such-room", "user": "bob", "req": "k2"}),
    ] {
        assert_eq!(carol.refused(frame).await, ErrorCode::NotMember);
    }
}
