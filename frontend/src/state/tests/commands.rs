//! Slash commands for rooms and moderation, and what the client makes of the server's
//! answers: invitations said in the lobby, the public list and the audit log as system lines,
//! removals said by whom, a room's settings under its heading.

use shared::{AuditEntry, Invite, RoomListing, RoomSettings};

use super::*;

fn system_texts(state: &ChatState) -> Vec<String> {
    state
        .active_rows()
        .into_iter()
        .filter_map(|r| match r {
            Row::System { text, .. } => Some(text),
            Row::Message { .. } => None,
        })
        .collect()
}

fn in_room(me: &str, room: &str, settings: RoomSettings) -> ChatState {
    let mut state = connected(me);
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: room.into(),
            members: vec![me.into(), "bob".into()],
            settings,
        },
        1,
    );
    state.activate(&ConvKey::Room(room.into()));
    state
}

#[test]
fn commands_become_frames_and_anything_else_stays_a_message() {
    let mut state = in_room("alice", "rust", RoomSettings::default());
    let rust = ConvKey::Room("rust".into());
    assert_eq!(state.command(&rust, "hello /kick"), None);
    let frame = state
        .command(&rust, " /private Plans  Q3 dates ")
        .unwrap()
        .unwrap();
    assert!(
        matches!(&frame, Some(ClientFrame::CreateRoom { room, topic: Some(topic), private: true, .. }) if room == "plans" && topic == "Q3 dates"),
        "{frame:?}"
    );
    let cases = [
        ("/kick bob", "kick"),
        ("/ban bob", "ban"),
        ("/unban bob", "unban"),
        ("/invite carol", "invite"),
        ("/mod bob", "set_role"),
        ("/topic Ownership", "set_room"),
        ("/archive", "set_room"),
        ("/audit", "audit"),
        ("/retention 30", "retention"),
        ("/retention off", "retention"),
        ("/rooms rust", "rooms"),
    ];
    for (typed, kind) in cases {
        let frame = state.command(&rust, typed).unwrap().unwrap().unwrap();
        let json = serde_json::to_value(&frame).unwrap();
        assert_eq!(json["type"], kind, "{typed}");
        if kind != "rooms" {
            assert_eq!(json["room"], "rust", "{typed}");
        }
    }
    let unmod = state.command(&rust, "/unmod bob").unwrap().unwrap();
    assert!(matches!(
        unmod,
        Some(ClientFrame::SetRole {
            moderator: false,
            ..
        })
    ));
    // Refused before anything is sent: no name, an unknown command, a room command elsewhere.
    assert!(state
        .command(&rust, "/kick")
        .unwrap()
        .unwrap_err()
        .contains("/kick name"));
    for typed in ["/retention", "/retention 0", "/retention soon"] {
        assert!(state
            .command(&rust, typed)
            .unwrap()
            .unwrap_err()
            .contains("/retention 30"));
    }
    assert!(state
        .command(&rust, "/frobnicate")
        .unwrap()
        .unwrap_err()
        .contains("/audit"));
    let bob = ConvKey::Direct("bob".into());
    assert!(state
        .command(&bob, "/ban bob")
        .unwrap()
        .unwrap_err()
        .contains("in a room"));
}

#[test]
fn an_invitation_is_said_in_the_lobby_and_the_inviter_hears_it_was_sent() {
    let mut state = connected("carol");
    let invite = Invite {
        room: "plans".into(),
        user: "carol".into(),
        from: "alice".into(),
        title: None,
        topic: Some("Q3".into()),
    };
    state.apply(ServerFrame::Invitation { invite, req: None }, 1);
    assert!(state
        .notices()
        .iter()
        .any(|n| n.text == "alice invited you to #plans"));
    assert_eq!(
        system_texts(&state),
        ["alice invited you to #plans: /join plans"]
    );
    let lobby = ConvKey::lobby();
    let frame = state.command(&lobby, "/join plans").unwrap().unwrap();
    assert!(matches!(frame, Some(ClientFrame::Join { room, .. }) if room == "plans"));
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: "plans".into(),
            members: vec!["alice".into(), "carol".into()],
            settings: RoomSettings::default(),
        },
        3,
    );
    assert_eq!(state.active(), &ConvKey::Room("plans".into()));

    let mut alice = in_room("alice", "plans", RoomSettings::default());
    alice.apply(
        ServerFrame::Invitation {
            invite: Invite {
                room: "plans".into(),
                user: "carol".into(),
                from: "alice".into(),
                title: None,
                topic: None,
            },
            req: Some("t1".into()),
        },
        4,
    );
    assert_eq!(system_texts(&alice), ["alice invited carol"]);
}

#[test]
fn the_list_goes_to_the_browser_and_the_audit_log_to_the_room() {
    let mut state = in_room("alice", "rust", RoomSettings::default());
    let rust = ConvKey::Room("rust".into());
    // `/rooms` asks as the room browser does: the browser shows the answer.
    let asked = state.command(&rust, "/rooms ru").unwrap().unwrap().unwrap();
    state.apply(
        ServerFrame::RoomList {
            rooms: vec![RoomListing {
                room: "rust".into(),
                title: None,
                topic: Some("Ownership".into()),
                member_count: 2,
            }],
            next: None,
            req: Some(req_of(&asked)),
        },
        5,
    );
    assert_eq!(state.directory().query(), "ru");
    assert_eq!(state.listed().len(), 1);
    assert!(system_texts(&state).is_empty());
    state.apply(
        ServerFrame::AuditLog {
            room: "rust".into(),
            entries: vec![
                AuditEntry {
                    id: 2,
                    // 2026-12-07 00:40 UTC.
                    at: 1_796_515_200_000 + 86_400_000 + 40 * 60_000,
                    actor: "alice".into(),
                    action: "ban".into(),
                    user: Some("mallory".into()),
                    message: None,
                },
                AuditEntry {
                    id: 1,
                    at: 1_796_515_200_000,
                    actor: "bob".into(),
                    action: "kick".into(),
                    user: Some("mallory".into()),
                    message: None,
                },
            ],
            complete: true,
            req: None,
        },
        6,
    );
    let texts = system_texts(&state);
    assert_eq!(
        texts,
        [
            "Audit: bob kick mallory on 2026-12-06 00:00 UTC",
            "Audit: alice ban mallory on 2026-12-07 00:40 UTC",
        ]
    );
}

#[test]
fn removals_say_by_whom_and_settings_show_under_the_heading() {
    let settings = RoomSettings {
        title: Some("The Rust room".into()),
        topic: Some("Ownership".into()),
        private: true,
        archived: false,
        owner: Some("alice".into()),
        moderators: vec!["bob".into()],
    };
    let mut state = in_room("alice", "rust", settings);
    let rust = ConvKey::Room("rust".into());
    assert_eq!(
        crate::state::commands::room_subheading(state.conversation(&rust).unwrap()),
        "2 members · The Rust room · private · moderators: bob · Ownership"
    );
    // A moderator may delete anyone's message.
    assert!(state.may_delete(false));
    state.apply(
        ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "bob".into(),
            by: Some("alice".into()),
            banned: true,
        },
        2,
    );
    assert_eq!(system_texts(&state), ["alice banned bob"]);
    state.apply(
        ServerFrame::RoomUpdated {
            room: "rust".into(),
            settings: RoomSettings {
                archived: true,
                ..RoomSettings::default()
            },
        },
        3,
    );
    assert_eq!(
        crate::state::commands::room_subheading(state.conversation(&rust).unwrap()),
        "1 member · archived: read-only"
    );
    assert!(!state.may_delete(false));
    state.apply(
        ServerFrame::RoomLeft {
            room: "rust".into(),
            by: Some("bob".into()),
            banned: false,
        },
        4,
    );
    assert!(state.conversation(&rust).is_none());
    assert!(state
        .notices()
        .iter()
        .any(|n| n.text == "bob removed you from #rust"));
}

#[test]
fn retention_becomes_a_frame_and_shows_under_the_heading_and_in_the_room() {
    let mut state = in_room("alice", "rust", RoomSettings::default());
    let rust = ConvKey::Room("rust".into());
    let frame = state.command(&rust, "/retention 30").unwrap().unwrap();
    assert!(
        matches!(&frame, Some(ClientFrame::Retention { room, days: Some(30), .. }) if room == "rust"),
        "{frame:?}"
    );
    let off = state.command(&rust, "/retention off").unwrap().unwrap();
    assert!(matches!(
        off,
        Some(ClientFrame::Retention { days: None, .. })
    ));
    let subheading = |state: &ChatState| {
        crate::state::commands::room_subheading(state.conversation(&rust).unwrap())
    };
    assert_eq!(subheading(&state), "2 members");
    state.apply(
        ServerFrame::Retention {
            room: "rust".into(),
            days: Some(30),
            req: None,
        },
        2,
    );
    assert_eq!(subheading(&state), "2 members · kept 30 days");
    state.apply(
        ServerFrame::Retention {
            room: "rust".into(),
            days: None,
            req: None,
        },
        3,
    );
    assert_eq!(subheading(&state), "2 members");
    assert_eq!(
        system_texts(&state),
        [
            "Messages here are now kept 30 days",
            "Messages here are now kept as long as the server keeps them",
        ]
    );
}

fn audit_entry(id: u64) -> AuditEntry {
    AuditEntry {
        id,
        at: 1_796_515_200_000,
        actor: "alice".into(),
        action: "kick".into(),
        user: Some(format!("user{id}")),
        message: None,
    }
}

#[test]
fn the_audit_log_pages_back_until_complete() {
    let mut state = in_room("alice", "rust", RoomSettings::default());
    let rust = ConvKey::Room("rust".into());
    // Nothing to page before a log is shown.
    assert!(!state.audit_has_older());
    assert_eq!(state.older_audit(), None);
    state.command(&rust, "/audit").unwrap().unwrap();
    state.apply(
        ServerFrame::AuditLog {
            room: "rust".into(),
            entries: vec![audit_entry(9), audit_entry(8)],
            complete: false,
            req: None,
        },
        2,
    );
    assert!(state.audit_has_older());
    // Only in that room.
    state.activate(&ConvKey::lobby());
    assert!(!state.audit_has_older());
    assert_eq!(state.older_audit(), None);
    state.activate(&rust);
    let frame = state.older_audit().unwrap();
    assert!(
        matches!(&frame, ClientFrame::Audit { room, before: Some(8), req: Some(_) } if room == "rust"),
        "{frame:?}"
    );
    // Asked once: no second request for the same page.
    assert!(!state.audit_has_older());
    state.apply(
        ServerFrame::AuditLog {
            room: "rust".into(),
            entries: vec![audit_entry(7)],
            complete: true,
            req: Some(req_of(&frame)),
        },
        3,
    );
    assert!(!state.audit_has_older());
    let texts = system_texts(&state);
    let users: Vec<&str> = texts.iter().map(|t| t.split(' ').nth(3).unwrap()).collect();
    assert_eq!(users, ["user8", "user9", "user7"]);
}
