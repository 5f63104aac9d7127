//! The protocol's own tests: frame shapes on the wire.

use super::*;
use crate::changes::{Quote, Reaction};

#[test]
fn client_frames_use_snake_case_types() {
    let frames = [
        ClientFrame::Join {
            room: "r".into(),
            req: None,
        },
        ClientFrame::Leave {
            room: "r".into(),
            req: None,
        },
        ClientFrame::RoomMessage {
            room: "r".into(),
            body: "b".into(),
            reply_to: None,
            attachments: Vec::new(),
            req: None,
        },
        ClientFrame::PrivateMessage {
            to: "u".into(),
            body: "b".into(),
            reply_to: Some(1),
            attachments: vec!["f1".into()],
            req: None,
        },
        ClientFrame::Typing {
            target: Target::Room { room: "r".into() },
        },
        ClientFrame::Ping { req: None },
        ClientFrame::History {
            target: Target::User { to: "u".into() },
            before: None,
            around: None,
            limit: None,
            req: None,
        },
        ClientFrame::Read {
            target: Target::Room { room: "r".into() },
            up_to: 1,
            req: None,
        },
        ClientFrame::Conversations {
            before: None,
            req: None,
        },
        ClientFrame::Edit {
            id: 1,
            body: "b".into(),
            req: None,
        },
        ClientFrame::Delete { id: 1, req: None },
        ClientFrame::React {
            id: 1,
            emoji: "👍".into(),
            req: None,
        },
        ClientFrame::Unreact {
            id: 1,
            emoji: "👍".into(),
            req: None,
        },
        ClientFrame::Activity { away: true },
        ClientFrame::Receipts {
            target: Target::User { to: "bob".into() },
            req: None,
        },
        ClientFrame::Search {
            query: "q".into(),
            room: None,
            to: None,
            sender: None,
            since: None,
            until: None,
            limit: None,
            offset: None,
            req: None,
        },
        ClientFrame::CreateRoom {
            room: "r".into(),
            topic: None,
            private: true,
            req: None,
        },
        ClientFrame::Rooms {
            query: None,
            offset: None,
            req: None,
        },
        ClientFrame::Invite {
            room: "r".into(),
            user: "u".into(),
            req: None,
        },
        ClientFrame::SetRoom {
            room: "r".into(),
            title: None,
            topic: None,
            archived: Some(true),
            req: None,
        },
        ClientFrame::SetRole {
            room: "r".into(),
            user: "u".into(),
            moderator: true,
            req: None,
        },
        ClientFrame::Kick {
            room: "r".into(),
            user: "u".into(),
            req: None,
        },
        ClientFrame::Ban {
            room: "r".into(),
            user: "u".into(),
            req: None,
        },
        ClientFrame::Unban {
            room: "r".into(),
            user: "u".into(),
            req: None,
        },
        ClientFrame::Audit {
            room: "r".into(),
            before: None,
            req: None,
        },
        ClientFrame::Block {
            user: "bob".into(),
            req: None,
        },
        ClientFrame::Unblock {
            user: "bob".into(),
            req: None,
        },
        ClientFrame::Retention {
            room: "r".into(),
            days: Some(1),
            req: None,
        },
        ClientFrame::Members {
            room: "lobby".into(),
            after: None,
            req: None,
        },
    ];
    let types: Vec<String> = frames
        .iter()
        .map(|f| {
            serde_json::to_value(f).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ClientFrame::TYPES);
}

#[test]
fn typing_targets_are_one_field() {
    let room: ClientFrame = serde_json::from_str(r#"{"type":"typing","room":"lobby"}"#).unwrap();
    assert_eq!(
        room,
        ClientFrame::Typing {
            target: Target::Room {
                room: "lobby".into()
            }
        }
    );
    let user: ClientFrame = serde_json::from_str(r#"{"type":"typing","to":"bob"}"#).unwrap();
    assert_eq!(
        user,
        ClientFrame::Typing {
            target: Target::User { to: "bob".into() }
        }
    );
    assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"typing"}"#).is_err());
    let out = ServerFrame::Typing {
        from: "alice".into(),
        target: Target::User { to: "bob".into() },
    };
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"typing","from":"alice","to":"bob"}"#
    );
}

#[test]
fn history_and_read_frames_carry_their_target_inline() {
    let frame: ClientFrame =
        serde_json::from_str(r#"{"type":"history","to":"bob","before":17,"limit":20}"#).unwrap();
    assert_eq!(
        frame,
        ClientFrame::History {
            target: Target::User { to: "bob".into() },
            before: Some(17),
            around: None,
            limit: Some(20),
            req: None,
        }
    );
    let frame: ClientFrame =
        serde_json::from_str(r#"{"type":"read","room":"lobby","up_to":9}"#).unwrap();
    assert_eq!(
        frame,
        ClientFrame::Read {
            target: Target::Room {
                room: "lobby".into()
            },
            up_to: 9,
            req: None,
        }
    );
    let page = ServerFrame::History {
        target: Target::Room {
            room: "lobby".into(),
        },
        messages: vec![StoredMessage {
            id: 3,
            from: "alice".into(),
            target: Target::Room {
                room: "lobby".into(),
            },
            body: "hi".into(),
            at: 5,
            details: MessageDetails::default(),
            marks: Vec::new(),
        }],
        complete: true,
        req: None,
    };
    assert_eq!(
        serde_json::to_string(&page).unwrap(),
        r#"{"type":"history","room":"lobby","messages":[{"id":3,"from":"alice","room":"lobby","body":"hi","at":5}],"complete":true}"#
    );
}

#[test]
fn the_lobby_entry_of_a_welcome_carries_no_member_list() {
    let lobby = RoomInfo {
        room: "lobby".into(),
        members: Vec::new(),
        settings: RoomSettings::default(),
    };
    let rust = RoomInfo {
        room: "rust".into(),
        members: vec!["Alice".into()],
        settings: RoomSettings::default(),
    };
    let json = serde_json::to_string(&[&lobby, &rust]).unwrap();
    assert_eq!(
        json,
        r#"[{"room":"lobby"},{"room":"rust","members":["Alice"]}]"#
    );
    assert_eq!(
        serde_json::from_str::<Vec<RoomInfo>>(&json).unwrap(),
        [lobby, rust]
    );
}

#[test]
fn room_frames_carry_only_the_settings_that_say_something() {
    let settings = RoomSettings {
        title: Some("Rust talk".into()),
        topic: None,
        private: true,
        archived: false,
        owner: Some("Alice".into()),
        moderators: vec!["bob".into()],
    };
    let frame = ServerFrame::RoomUpdated {
        room: "rust".into(),
        settings: settings.clone(),
    };
    let json = serde_json::to_string(&frame).unwrap();
    assert_eq!(
        json,
        r#"{"type":"room_updated","room":"rust","title":"Rust talk","private":true,"owner":"Alice","moderators":["bob"]}"#
    );
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
    assert!(settings.runs("ALICE") && settings.runs("Bob") && !settings.runs("carol"));
    let list = ServerFrame::RoomList {
        rooms: vec![RoomListing {
            room: "rust".into(),
            title: None,
            topic: Some("borrowing".into()),
            member_count: 3,
        }],
        next: Some(50),
        req: None,
    };
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), list);
    let err = serde_json::from_str::<ServerFrame>(r#"{"type":"room_list","rooms":[{"room":"a"}]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("member_count"), "{err}");
}

#[test]
fn presence_always_carries_both_lists() {
    let frame = ServerFrame::Presence {
        online: vec!["dave".into(), "Erin".into()],
        offline: Vec::new(),
        away: Vec::new(),
        last_seen: BTreeMap::new(),
        online_count: None,
    };
    let json = serde_json::to_string(&frame).unwrap();
    assert_eq!(
        json,
        r#"{"type":"presence","online":["dave","Erin"],"offline":[]}"#
    );
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
    let frame = ServerFrame::Presence {
        online: vec!["dave".into()],
        offline: vec!["frank".into()],
        away: vec!["dave".into()],
        last_seen: BTreeMap::from([("frank".into(), 5)]),
        online_count: Some(12),
    };
    let json = serde_json::to_string(&frame).unwrap();
    assert_eq!(
        json,
        r#"{"type":"presence","online":["dave"],"offline":["frank"],"away":["dave"],"last_seen":{"frank":5},"online_count":12}"#
    );
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
}

#[test]
fn a_claimed_sender_is_not_part_of_a_client_frame() {
    let frame: ClientFrame = serde_json::from_str(
        r#"{"type":"room_message","room":"lobby","body":"hi","from":"mallory"}"#,
    )
    .unwrap();
    let back = serde_json::to_value(&frame).unwrap();
    assert!(back.get("from").is_none());
}

#[test]
fn error_codes_serialize_as_their_names() {
    for code in ErrorCode::ALL {
        let json = serde_json::to_string(code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        let back: ErrorCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, *code);
    }
}

#[test]
fn only_a_signed_out_session_should_not_reconnect() {
    assert!(close::should_reconnect(close::GOING_AWAY));
    assert!(close::should_reconnect(1006));
    assert!(close::should_reconnect(close::TRY_AGAIN_LATER));
    assert!(!close::should_reconnect(close::SESSION_ENDED));
    assert!(!close::should_reconnect(close::ACCOUNT_DISABLED));
}

#[test]
fn message_frames_carry_their_details_inline() {
    let frame = ServerFrame::PrivateMessage {
        id: 9,
        from: "bob".into(),
        to: "Alice".into(),
        body: "yes".into(),
        at: 7,
        details: MessageDetails {
            reply: Some(Quote::of(3, "Alice".into(), "lunch?", false)),
            edited_at: Some(8),
            deleted: false,
            reactions: vec![Reaction {
                emoji: "👍".into(),
                users: vec!["Alice".into()],
            }],
            attachments: vec![crate::Attachment {
                id: "f1".into(),
                name: "menu.pdf".into(),
                content_type: "application/pdf".into(),
                size: 2048,
            }],
        },
    };
    let json = serde_json::to_string(&frame).unwrap();
    assert_eq!(
        json,
        r#"{"type":"private_message","id":9,"from":"bob","to":"Alice","body":"yes","at":7,"reply":{"id":3,"from":"Alice","text":"lunch?"},"edited_at":8,"reactions":[{"emoji":"👍","users":["Alice"]}],"attachments":[{"id":"f1","name":"menu.pdf","type":"application/pdf","size":2048}]}"#
    );
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
    // A plain message is as it was before replies existed.
    let plain: ServerFrame = serde_json::from_str(
        r#"{"type":"room_message","id":1,"room":"rust","from":"a","body":"b","at":2}"#,
    )
    .unwrap();
    assert!(matches!(plain, ServerFrame::RoomMessage { details, .. } if details.is_empty()));
}

#[test]
fn change_frames_name_their_conversation_like_messages() {
    let frames = [
        ServerFrame::MessageEdited {
            id: 4,
            change_id: 10,
            place: Place::Room {
                room: "rust".into(),
            },
            body: "fixed".into(),
            edited_at: 11,
        },
        ServerFrame::MessageDeleted {
            id: 4,
            change_id: 12,
            place: Place::Private {
                from: "Alice".into(),
                to: "bob".into(),
            },
        },
        ServerFrame::Reaction {
            id: 4,
            change_id: 13,
            place: Place::Room {
                room: "rust".into(),
            },
            emoji: "🎉".into(),
            user: "bob".into(),
            added: false,
        },
    ];
    let json: Vec<String> = frames
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect();
    assert_eq!(
        json,
        [
            r#"{"type":"message_edited","id":4,"change_id":10,"room":"rust","body":"fixed","edited_at":11}"#,
            r#"{"type":"message_deleted","id":4,"change_id":12,"from":"Alice","to":"bob"}"#,
            r#"{"type":"reaction","id":4,"change_id":13,"room":"rust","emoji":"🎉","user":"bob","added":false}"#,
        ]
    );
    for (text, frame) in json.iter().zip(&frames) {
        assert_eq!(&serde_json::from_str::<ServerFrame>(text).unwrap(), frame);
    }
    let reply: ClientFrame =
        serde_json::from_str(r#"{"type":"room_message","room":"rust","body":"b","reply_to":4}"#)
            .unwrap();
    assert!(matches!(
        reply,
        ClientFrame::RoomMessage {
            reply_to: Some(4),
            ..
        }
    ));
}

#[test]
fn receipts_name_their_conversation_and_leave_out_what_is_empty() {
    let asked: ClientFrame =
        serde_json::from_str(r#"{"type":"receipts","room":"rust","req":"q1"}"#).unwrap();
    assert_eq!(
        asked,
        ClientFrame::Receipts {
            target: Target::Room {
                room: "rust".into()
            },
            req: Some("q1".into()),
        }
    );
    assert_eq!(asked.req(), Some("q1"));
    let answer = ServerFrame::Receipts {
        target: Target::Room {
            room: "rust".into(),
        },
        readers: [("carol".to_owned(), 7), ("Bob".to_owned(), 9)].into(),
        more: true,
        req: Some("q1".into()),
    };
    let json = serde_json::to_string(&answer).unwrap();
    assert_eq!(
        json,
        r#"{"type":"receipts","room":"rust","readers":{"Bob":9,"carol":7},"more":true,"req":"q1"}"#
    );
    assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), answer);
    // Live: one reader, nothing left out, no request.
    let live: ServerFrame =
        serde_json::from_str(r#"{"type":"receipts","to":"Bob","readers":{"Bob":12}}"#).unwrap();
    assert_eq!(
        live,
        ServerFrame::Receipts {
            target: Target::User { to: "Bob".into() },
            readers: [("Bob".to_owned(), 12)].into(),
            more: false,
            req: None,
        }
    );
}
