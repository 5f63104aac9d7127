//! Moderation: the owner and moderators kick (the member may come back) and ban (they may not,
//! nor be invited, until unbanned); a moderator acts on plain members only, nobody on the
//! owner; every action, and the deletion of someone else's message, is in the room's audit log,
//! which only those who run the room read. Every refusal is tested. Once kicked or banned, none
//! of a user's connections hears anything more of the room (messages, typing, changes,
//! settings, retention, members) while the members do. A ban outlasts the room's emptying:
//! the banned can neither rejoin it nor create it anew.

use serde_json::json;
use shared::{AuditEntry, ErrorCode, ServerFrame};
use testkit::{spawn_app, spawn_app_with, Client};

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
    // Logged as soon as it is acknowledged: stored with the deletion.
    assert_eq!(
        audit(&mut alice, "rust", "a0").await[0],
        entry("bob", "delete", "carol")
    );
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
async fn the_banned_stay_out_of_a_room_its_members_all_left() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut mallory) = app.user("mallory").await;
    alice.create_room("rust", "", false).await;
    mallory.join("rust").await;
    let said = alice.say("rust", "before the ban", "m1").await;
    alice
        .done(json!({"type": "ban", "room": "rust", "user": "mallory", "req": "b1"}))
        .await;
    alice
        .send_json(json!({"type": "leave", "room": "rust"}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    // Nobody is in it: mallory still may not join, nor make it anew and own it.
    let code = mallory
        .refused(json!({"type": "join", "room": "rust", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    let code = mallory
        .refused(json!({"type": "create_room", "room": "rust", "req": "c1"}))
        .await;
    assert_eq!(code, ErrorCode::RoomExists);
    let code = mallory
        .refused(json!({"type": "history", "room": "rust", "req": "h1"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    // Bob joins as a plain member, runs nothing, and cannot lift the ban.
    bob.join("rust").await;
    assert_eq!(bob.history(json!({"room": "rust"})).await.0, [said]);
    for (req, frame) in [
        (
            "u1",
            json!({"type": "unban", "room": "rust", "user": "mallory"}),
        ),
        ("a1", json!({"type": "audit", "room": "rust"})),
    ] {
        let mut frame = frame;
        frame["req"] = json!(req);
        assert_eq!(bob.refused(frame).await, ErrorCode::NotAllowed, "{req}");
    }
    let code = mallory
        .refused(json!({"type": "join", "room": "rust", "req": "j2"}))
        .await;
    assert_eq!(code, ErrorCode::Banned);
    mallory
        .assert_none_of("anything of #rust", |f| concerns(f, "rust"))
        .await;
    // Its former owner comes back a plain member, and no longer reads the log.
    alice.join("rust").await;
    let code = alice
        .refused(json!({"type": "audit", "room": "rust", "req": "a2"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
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

/// Whether `frame` says anything of room `room`: its name as a JSON string anywhere in the
/// frame (a message's or typing's `room`, a change's `place`, a setting's, a member's).
fn concerns(frame: &ServerFrame, room: &str) -> bool {
    let text = serde_json::to_string(frame).expect("a frame serialises");
    text.contains(&format!("\"{room}\""))
}

/// What happens in `room` after someone's removal, each seen by `dave`, a member: alice says
/// something and is typing, reacts to it, edits and deletes it, sets the topic and the
/// retention, and `newcomer` joins. Returns once dave has heard all of it.
async fn room_goes_on(
    alice: &mut Client,
    dave: &mut Client,
    newcomer: &mut Client,
    room: &str,
    round: &str,
) {
    let id = alice
        .say(
            room,
            &format!("said after the {round}"),
            &format!("{round}-m"),
        )
        .await;
    dave.recv_until(|f| testkit::message_id(f) == Some(id))
        .await;
    alice
        .send_json(json!({"type": "typing", "room": room}))
        .await;
    dave.recv_until(testkit::is_typing).await;
    for (kind, frame) in [
        (
            "react",
            json!({"type": "react", "id": id, "emoji": "👍", "req": format!("{round}-r")}),
        ),
        (
            "edit",
            json!({"type": "edit", "id": id, "body": "edited", "req": format!("{round}-e")}),
        ),
        (
            "delete",
            json!({"type": "delete", "id": id, "req": format!("{round}-d")}),
        ),
    ] {
        alice.send_acked(frame).await;
        let seen = dave
            .recv_until(|f| {
                matches!(
                    (kind, f),
                    ("react", ServerFrame::Reaction { .. })
                        | ("edit", ServerFrame::MessageEdited { .. })
                        | ("delete", ServerFrame::MessageDeleted { .. })
                )
            })
            .await;
        assert!(concerns(&seen, room), "{seen:?}");
    }
    alice
        .done(
            json!({"type": "set_room", "room": room, "topic": round, "req": format!("{round}-t")}),
        )
        .await;
    dave.recv_until(|f| matches!(f, ServerFrame::RoomUpdated { .. }))
        .await;
    alice
        .send_json(
            json!({"type": "retention", "room": room, "days": 30, "req": format!("{round}-k")}),
        )
        .await;
    dave.recv_until(|f| matches!(f, ServerFrame::Retention { .. }))
        .await;
    newcomer.join(room).await;
    dave.recv_until(|f| matches!(f, ServerFrame::MemberJoined { .. }))
        .await;
}

/// Reads what every connection in `removed` has been sent so far (up to a ping's answer, so
/// everything queued for it when the room's members had heard the rest) and fails on
/// anything about `room`.
async fn heard_nothing_of(removed: &mut [&mut Client], room: &str, who: &str) {
    for client in removed.iter_mut() {
        let heard = client.sync().await;
        let of_room: Vec<&ServerFrame> = heard.iter().filter(|f| concerns(f, room)).collect();
        assert!(of_room.is_empty(), "{who} heard of #{room}: {of_room:?}");
    }
}

#[tokio::test]
async fn the_kicked_and_the_banned_hear_nothing_more_from_the_room() {
    // Every typing notice forwarded, so that each round's is heard.
    let app = spawn_app_with(|config| config.typing_interval_ms = 0).await;
    let (_, mut alice) = app.user("alice").await;
    let (carol_token, mut carol) = app.user("carol").await;
    // A second connection of carol's: every one of them is out.
    let mut carol_too = app.connect(&carol_token).await;
    let (_, mut dave) = app.user("dave").await;
    let (_, mut erin) = app.user("erin").await;
    let (_, mut frank) = app.user("frank").await;
    alice.create_room("den", "", false).await;
    for client in [&mut carol, &mut dave] {
        client.join("den").await;
    }
    carol_too
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;

    alice
        .done(json!({"type": "kick", "room": "den", "user": "carol", "req": "k1"}))
        .await;
    for client in [&mut carol, &mut carol_too] {
        client
            .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
            .await;
    }
    room_goes_on(&mut alice, &mut dave, &mut erin, "den", "kick").await;
    heard_nothing_of(&mut [&mut carol, &mut carol_too], "den", "the kicked carol").await;

    carol.join("den").await;
    carol_too
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    alice
        .done(json!({"type": "ban", "room": "den", "user": "carol", "req": "b1"}))
        .await;
    for client in [&mut carol, &mut carol_too] {
        client
            .recv_until(|f| matches!(f, ServerFrame::RoomLeft { banned: true, .. }))
            .await;
    }
    room_goes_on(&mut alice, &mut dave, &mut frank, "den", "ban").await;
    heard_nothing_of(&mut [&mut carol, &mut carol_too], "den", "the banned carol").await;
    // The same check is not blind: erin, a member since the kick who has read nothing since,
    // heard every kind of it.
    let mut kinds: Vec<String> = erin
        .sync()
        .await
        .iter()
        .filter(|f| concerns(f, "den"))
        .map(|f| serde_json::to_value(f).expect("a frame")["type"].to_string())
        .collect();
    kinds.dedup();
    for kind in [
        "room_message",
        "typing",
        "reaction",
        "message_edited",
        "message_deleted",
        "room_updated",
        "retention",
        "member_joined",
    ] {
        assert!(
            kinds.contains(&format!("\"{kind}\"")),
            "{kind} not in {kinds:?}"
        );
    }
}
