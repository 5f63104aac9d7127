//! Rooms: created with a topic, public (listed with their member counts, found by a query) or
//! private (never listed, joined only with an invitation, and to outsiders answered exactly as
//! a room that does not exist); invitations, live and held across a reconnect; the owner
//! appoints moderators, renames, changes the topic and archives (read-only, out of the list);
//! moderators invite and delete. A room stays when its last member leaves: its name taken,
//! a public one listed with no members and joined as a plain member, a private one closed to
//! all but those whose invitation still stands. Every refusal is tested.

use serde_json::json;
use shared::{ErrorCode, Invite, RoomListing, RoomSettings, ServerFrame};
use testkit::{spawn_app, Client};

/// The public rooms a `rooms` frame lists for `query`.
async fn listed(client: &mut Client, query: &str, req: &str) -> Vec<RoomListing> {
    match client
        .answer(json!({"type": "rooms", "query": query, "req": req}))
        .await
    {
        ServerFrame::RoomList { rooms, next, .. } => {
            assert_eq!(next, None);
            rooms
        }
        other => panic!("expected room_list, got {other:?}"),
    }
}

fn names(rooms: &[RoomListing]) -> Vec<(&str, u64)> {
    rooms
        .iter()
        .map(|r| (r.room.as_str(), r.member_count))
        .collect()
}

/// The next `room_updated` of `room`: its settings.
async fn updated(client: &mut Client, room: &str) -> RoomSettings {
    match client
        .recv_until(|f| matches!(f, ServerFrame::RoomUpdated { room: r, .. } if r == room))
        .await
    {
        ServerFrame::RoomUpdated { settings, .. } => settings,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn rooms_are_created_with_a_topic_and_listed_with_their_member_counts() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice
        .send_json(json!({"type": "create_room", "room": "Rust", "topic": " Borrowing and lending ", "req": "c1"}))
        .await;
    let joined = alice
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
        .await;
    assert_eq!(
        joined,
        ServerFrame::RoomJoined {
            room: "rust".into(),
            members: vec!["alice".into()],
            online: vec!["alice".into()],
            away: Vec::new(),
            settings: RoomSettings {
                topic: Some("Borrowing and lending".into()),
                owner: Some("alice".into()),
                ..RoomSettings::default()
            },
        }
    );
    bob.create_room("go", "gophers", false).await;
    carol.join("rust").await;
    // Most members first; the lobby is not listed.
    assert_eq!(
        names(&listed(&mut carol, "", "l1").await),
        [("rust", 2), ("go", 1)]
    );
    // Found by name, topic or title, ignoring case; `%` is only a character.
    let found = listed(&mut carol, "BORROW", "l2").await;
    assert_eq!(
        found,
        [RoomListing {
            room: "rust".into(),
            title: None,
            topic: Some("Borrowing and lending".into()),
            member_count: 2
        }]
    );
    assert_eq!(names(&listed(&mut carol, "goph", "l3").await), [("go", 1)]);
    assert!(listed(&mut carol, "%", "l4").await.is_empty());
    // A name is taken once, whoever asks, the lobby included.
    for (req, room) in [("c2", "rust"), ("c3", "lobby")] {
        let code = bob
            .refused(json!({"type": "create_room", "room": room, "req": req}))
            .await;
        assert_eq!(code, ErrorCode::RoomExists);
    }
    let code = bob
        .refused(json!({"type": "create_room", "room": "x", "topic": "a\nb", "req": "c4"}))
        .await;
    assert_eq!(code, ErrorCode::InvalidTopic);
    // A room whose last member left stays, listed last with none, its name taken; whoever
    // joins it is a plain member, and it keeps its topic.
    bob.send_json(json!({"type": "leave", "room": "go"})).await;
    bob.recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    assert_eq!(
        names(&listed(&mut carol, "", "l5").await),
        [("rust", 2), ("go", 0)]
    );
    let code = carol
        .refused(json!({"type": "create_room", "room": "go", "req": "c5"}))
        .await;
    assert_eq!(code, ErrorCode::RoomExists);
    carol.send_json(json!({"type": "join", "room": "go"})).await;
    let joined = carol
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { room, .. } if room == "go"))
        .await;
    let ServerFrame::RoomJoined { settings, .. } = joined else {
        unreachable!()
    };
    assert_eq!(
        settings,
        RoomSettings {
            topic: Some("gophers".into()),
            ..RoomSettings::default()
        }
    );
    let code = carol
        .refused(json!({"type": "set_room", "room": "go", "topic": "mine", "req": "s1"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
}

#[tokio::test]
async fn a_private_room_is_invisible_and_closed_to_a_third_user() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.create_room("secret", "plans", true).await;
    alice.say("secret", "the plan", "m1").await;
    // Not listed, not even found by its name.
    assert!(listed(&mut carol, "", "l1").await.is_empty());
    assert!(listed(&mut carol, "secret", "l2").await.is_empty());
    // Every frame naming it answers carol as for a room nobody is in.
    for (req, room) in [("a", "secret"), ("b", "nothing-here")] {
        let frames = [
            json!({"type": "room_message", "room": room, "body": "hi", "req": format!("{req}1")}),
            json!({"type": "history", "room": room, "req": format!("{req}2")}),
            json!({"type": "invite", "room": room, "user": "carol", "req": format!("{req}3")}),
            json!({"type": "set_room", "room": room, "topic": "x", "req": format!("{req}4")}),
        ];
        for frame in frames {
            assert_eq!(carol.refused(frame).await, ErrorCode::NotMember);
        }
    }
    let code = carol
        .refused(json!({"type": "join", "room": "secret", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    // A plain member cannot invite; the owner can, and the invited user hears of it.
    let code = bob
        .refused(json!({"type": "invite", "room": "secret", "user": "bob", "req": "i0"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    let invite = Invite {
        room: "secret".into(),
        user: "bob".into(),
        from: "alice".into(),
        title: None,
        topic: Some("plans".into()),
    };
    assert_eq!(
        alice
            .answer(json!({"type": "invite", "room": "secret", "user": "BOB", "req": "i1"}))
            .await,
        ServerFrame::Invitation {
            invite: invite.clone(),
            req: Some("i1".into())
        }
    );
    assert_eq!(
        bob.recv_until(|f| matches!(f, ServerFrame::Invitation { .. }))
            .await,
        ServerFrame::Invitation { invite, req: None }
    );
    bob.join("secret").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::MemberJoined { user, .. } if user == "bob"))
        .await;
    let (ids, _) = bob.history(json!({"room": "secret"})).await;
    assert_eq!(ids.len(), 1);
    let code = bob
        .refused(json!({"type": "invite", "room": "secret", "user": "carol", "req": "i2"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    let code = alice
        .refused(json!({"type": "invite", "room": "secret", "user": "bob", "req": "i3"}))
        .await;
    assert_eq!(code, ErrorCode::AlreadyMember);
    // Carol is still out, and still told nothing.
    let code = carol
        .refused(json!({"type": "join", "room": "secret", "req": "j2"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    carol
        .assert_none_of("anything of #secret", |f| {
            matches!(f, ServerFrame::RoomMessage { room, .. } | ServerFrame::MemberJoined { room, .. } if room == "secret")
        })
        .await;
}

#[tokio::test]
async fn an_emptied_private_room_stays_closed_and_tells_a_stranger_nothing() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (carol_token, mut carol) = app.user("carol").await;
    alice.create_room("secret", "plans", true).await;
    alice
        .answer(json!({"type": "invite", "room": "secret", "user": "bob", "req": "i1"}))
        .await;
    let file = app
        .upload_ok(&alice_token, "notes.txt", b"pineapple plans".to_vec())
        .await;
    let plan = alice
        .send_acked(json!({"type": "room_message", "room": "secret", "body": "the pineapple plan", "attachments": [file.id], "req": "m1"}))
        .await;
    alice
        .send_json(json!({"type": "leave", "room": "secret"}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    // Nobody is in it now. Carol can neither take it over nor read it: it is still the room
    // she may not see, whatever she tries, and its history, words and file stay out of reach.
    for (req, frame) in [
        ("j1", json!({"type": "join", "room": "secret"})),
        ("c1", json!({"type": "create_room", "room": "secret"})),
        (
            "c2",
            json!({"type": "create_room", "room": "secret", "private": true}),
        ),
        ("h1", json!({"type": "history", "room": "secret"})),
        (
            "h2",
            json!({"type": "history", "room": "secret", "around": plan}),
        ),
        ("a1", json!({"type": "audit", "room": "secret"})),
        (
            "i1",
            json!({"type": "invite", "room": "secret", "user": "carol"}),
        ),
    ] {
        let mut frame = frame;
        frame["req"] = json!(req);
        let code = carol.refused(frame).await;
        let expected = match req {
            "j1" => ErrorCode::UnknownRoom,
            "c1" | "c2" => ErrorCode::RoomExists,
            _ => ErrorCode::NotMember,
        };
        assert_eq!(code, expected, "{req}");
    }
    assert!(carol
        .search_ids(json!({"query": "pineapple"}))
        .await
        .is_empty());
    assert_eq!(
        app.attachment(&carol_token, &file.id, "").await.status(),
        404
    );
    assert!(listed(&mut carol, "secret", "l1").await.is_empty());
    let carol2 = app.connect(&carol_token).await;
    let ServerFrame::Welcome { rooms, .. } = carol2.welcome() else {
        unreachable!()
    };
    assert!(rooms.iter().all(|r| r.room != "secret"), "{rooms:?}");
    carol
        .assert_none_of("anything of #secret", |f| {
            serde_json::to_string(f).unwrap().contains("secret")
        })
        .await;
    // Its creator, who left, is a stranger to it too.
    let code = alice
        .refused(json!({"type": "join", "room": "secret", "req": "j2"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    // Bob's invitation still stands: he joins the room as it was, a plain member, and reads it.
    let mut bob2 = app.connect(&bob_token).await;
    let invited = bob2
        .recv_until(|f| matches!(f, ServerFrame::Invitation { .. }))
        .await;
    assert!(
        matches!(&invited, ServerFrame::Invitation { invite, .. } if invite.room == "secret"),
        "{invited:?}"
    );
    bob.send_json(json!({"type": "join", "room": "secret"}))
        .await;
    let joined = bob
        .recv_until(|f| matches!(f, ServerFrame::RoomJoined { room, .. } if room == "secret"))
        .await;
    let ServerFrame::RoomJoined { settings, .. } = joined else {
        unreachable!()
    };
    assert_eq!(
        settings,
        RoomSettings {
            topic: Some("plans".into()),
            private: true,
            ..RoomSettings::default()
        }
    );
    assert_eq!(bob.history(json!({"room": "secret"})).await.0, [plan]);
    assert_eq!(app.attachment(&bob_token, &file.id, "").await.status(), 200);
    let code = bob
        .refused(json!({"type": "invite", "room": "secret", "user": "carol", "req": "i2"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    let code = carol
        .refused(json!({"type": "join", "room": "secret", "req": "j3"}))
        .await;
    assert_eq!(code, ErrorCode::UnknownRoom);
    assert_eq!(
        app.attachment(&carol_token, &file.id, "").await.status(),
        404
    );
}

#[tokio::test]
async fn an_invitation_waits_for_a_user_who_is_offline() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (dave_token, dave) = app.user("dave").await;
    dave.close().await;
    alice.create_room("club", "", true).await;
    alice
        .answer(json!({"type": "invite", "room": "club", "user": "dave", "req": "i1"}))
        .await;
    let mut dave = app.connect(&dave_token).await;
    let ServerFrame::Invitation { invite, req } = dave
        .recv_until(|f| matches!(f, ServerFrame::Invitation { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        (invite.room.as_str(), invite.from.as_str(), req),
        ("club", "alice", None)
    );
    dave.join("club").await;
    // Used up by the join: the next connection holds none.
    dave.close().await;
    let mut dave = app.connect(&dave_token).await;
    dave.assert_none_of("an invitation", |f| {
        matches!(f, ServerFrame::Invitation { .. })
    })
    .await;
}

#[tokio::test]
async fn the_owner_appoints_moderators_renames_changes_the_topic_and_archives() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.create_room("rust", "", false).await;
    bob.join("rust").await;
    let by_alice = alice.say("rust", "by the owner", "m1").await;
    // A plain member changes nothing.
    let code = bob
        .refused(json!({"type": "set_role", "room": "rust", "user": "bob", "moderator": true, "req": "r1"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    let code = bob
        .refused(json!({"type": "delete", "id": by_alice, "req": "d1"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    // Every member hears of it; the owner's `done` comes after.
    alice
        .send_json(json!({"type": "set_role", "room": "rust", "user": "bob", "moderator": true, "req": "r2"}))
        .await;
    for client in [&mut alice, &mut bob] {
        let settings = updated(client, "rust").await;
        assert_eq!(settings.moderators, ["bob"]);
        assert_eq!(settings.owner.as_deref(), Some("alice"));
    }
    assert_eq!(
        alice.recv().await,
        ServerFrame::Done {
            req: Some("r2".into())
        }
    );
    // A moderator invites and deletes, but does not change the room or its roles.
    bob.answer(json!({"type": "invite", "room": "rust", "user": "carol", "req": "i1"}))
        .await;
    bob.send_acked(json!({"type": "delete", "id": by_alice, "req": "d2"}))
        .await;
    for frame in [
        json!({"type": "set_room", "room": "rust", "title": "Rust!", "req": "s1"}),
        json!({"type": "set_role", "room": "rust", "user": "bob", "moderator": false, "req": "s2"}),
    ] {
        assert_eq!(bob.refused(frame).await, ErrorCode::NotAllowed);
    }
    let code = alice
        .refused(json!({"type": "set_role", "room": "rust", "user": "alice", "moderator": true, "req": "r3"}))
        .await;
    assert_eq!(code, ErrorCode::NotAllowed);
    let code = alice
        .refused(json!({"type": "set_role", "room": "rust", "user": "carol", "moderator": true, "req": "r4"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    // Renamed (the title shown; the room keeps its name) and a new topic.
    alice
        .done(json!({"type": "set_room", "room": "rust", "title": " The Rust room ", "topic": "Ownership", "req": "s3"}))
        .await;
    let settings = updated(&mut bob, "rust").await;
    assert_eq!(
        (settings.title.as_deref(), settings.topic.as_deref()),
        (Some("The Rust room"), Some("Ownership"))
    );
    let found = listed(&mut carol, "the rust ROOM", "l1").await;
    assert_eq!(found[0].title.as_deref(), Some("The Rust room"));
    let code = alice
        .refused(json!({"type": "set_room", "room": "rust", "title": "t".repeat(65), "req": "s4"}))
        .await;
    assert_eq!(code, ErrorCode::InvalidTopic);
    // Archived: read-only, out of the list, nobody new joins (invited or not).
    alice
        .done(json!({"type": "set_room", "room": "rust", "archived": true, "req": "s5"}))
        .await;
    assert!(updated(&mut bob, "rust").await.archived);
    let code = bob
        .refused(json!({"type": "room_message", "room": "rust", "body": "hi", "req": "m2"}))
        .await;
    assert_eq!(code, ErrorCode::RoomArchived);
    assert!(listed(&mut carol, "", "l2").await.is_empty());
    let code = carol
        .refused(json!({"type": "join", "room": "rust", "req": "j1"}))
        .await;
    assert_eq!(code, ErrorCode::RoomArchived);
    // And back.
    alice
        .done(json!({"type": "set_room", "room": "rust", "archived": false, "title": "", "req": "s6"}))
        .await;
    let settings = updated(&mut bob, "rust").await;
    assert!(!settings.archived && settings.title.is_none());
    bob.say("rust", "open again", "m3").await;
    carol.join("rust").await;
}

/// The owner leaves: the room passes to its moderator (else to the member who joined first),
/// every member hears it, and the new owner runs the room; a third user outside it hears
/// nothing of it.
#[tokio::test]
async fn an_owner_who_leaves_hands_the_room_to_its_moderator() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let (_, mut dave) = app.user("dave").await;
    alice.create_room("rust", "", false).await;
    bob.join("rust").await;
    carol.join("rust").await;
    alice
        .done(json!({"type": "set_role", "room": "rust", "user": "carol", "moderator": true, "req": "r1"}))
        .await;
    for client in [&mut bob, &mut carol] {
        updated(client, "rust").await;
    }
    alice
        .send_json(json!({"type": "leave", "room": "rust", "req": "l1"}))
        .await;
    for client in [&mut bob, &mut carol] {
        let settings = updated(client, "rust").await;
        assert_eq!(settings.owner.as_deref(), Some("carol"));
        assert!(settings.moderators.is_empty(), "{settings:?}");
    }
    carol
        .done(json!({"type": "set_room", "room": "rust", "topic": "Ownership", "req": "s1"}))
        .await;
    assert_eq!(
        updated(&mut bob, "rust").await.topic.as_deref(),
        Some("Ownership")
    );
    // The old owner is a stranger to it now.
    let code = alice
        .refused(json!({"type": "set_room", "room": "rust", "topic": "mine", "req": "s2"}))
        .await;
    assert_eq!(code, ErrorCode::NotMember);
    // With no moderator left, the next owner is the member who joined first.
    carol
        .send_json(json!({"type": "leave", "room": "rust", "req": "l2"}))
        .await;
    assert_eq!(
        updated(&mut bob, "rust").await.owner.as_deref(),
        Some("bob")
    );
    dave.assert_none_of("anything of #rust", |f| {
        matches!(
            f,
            ServerFrame::RoomUpdated { .. } | ServerFrame::MemberLeft { .. }
        )
    })
    .await;
}

#[tokio::test]
async fn settings_and_roles_reach_a_welcome() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    alice.create_room("team", "Daily", true).await;
    alice
        .answer(json!({"type": "invite", "room": "team", "user": "bob", "req": "i1"}))
        .await;
    bob.join("team").await;
    alice
        .done(json!({"type": "set_role", "room": "team", "user": "bob", "moderator": true, "req": "r1"}))
        .await;
    let alice2 = app.connect(&alice_token).await;
    let ServerFrame::Welcome { rooms, .. } = &alice2.welcome else {
        unreachable!()
    };
    assert_eq!(
        rooms[1].settings,
        RoomSettings {
            topic: Some("Daily".into()),
            private: true,
            owner: Some("alice".into()),
            moderators: vec!["bob".into()],
            ..RoomSettings::default()
        }
    );
}
