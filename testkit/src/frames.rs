//! What tests build and match of the server's frames: [`presence`] and [`lists`] to compare
//! `presence` frames, the predicates `recv_until` and `assert_none_of` take (`is_online`,
//! `is_message`, `names_someone`, ...), and what a frame answers or carries (`answered`,
//! `message_id`).

use shared::ServerFrame;

/// A `presence` frame with these lists.
pub fn presence(online: &[&str], offline: &[&str]) -> ServerFrame {
    ServerFrame::Presence {
        online: online.iter().map(|s| s.to_string()).collect(),
        offline: offline.iter().map(|s| s.to_string()).collect(),
        away: Vec::new(),
        last_seen: Default::default(),
        online_count: None,
    }
}

/// `frame` without the `last_seen` times and the `online_count` of a `presence` frame (a test
/// cannot know them), to compare with [`presence`]; any other frame as it is.
pub fn lists(frame: ServerFrame) -> ServerFrame {
    match frame {
        ServerFrame::Presence {
            online,
            offline,
            away,
            ..
        } => ServerFrame::Presence {
            online,
            offline,
            away,
            last_seen: Default::default(),
            online_count: None,
        },
        other => other,
    }
}

/// Matches a `presence` frame that names somebody (not one with only `online_count`).
pub fn names_someone(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::Presence { online, offline, .. } if !online.is_empty() || !offline.is_empty())
}

/// Matches a `presence` frame that says `user` is online.
pub fn is_online(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| matches!(f, ServerFrame::Presence { online, .. } if online.iter().any(|u| u == user))
}

/// Matches a `presence` frame that says `user` is offline.
pub fn is_offline(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| matches!(f, ServerFrame::Presence { offline, .. } if offline.iter().any(|u| u == user))
}

/// The `req` a frame answers, if it carries one.
pub fn answered(frame: &ServerFrame) -> Option<&str> {
    match frame {
        ServerFrame::Ack { req, .. }
        | ServerFrame::Error { req, .. }
        | ServerFrame::Pong { req }
        | ServerFrame::History { req, .. }
        | ServerFrame::Conversations { req, .. }
        | ServerFrame::Receipts { req, .. }
        | ServerFrame::SearchResults { req, .. }
        | ServerFrame::Invitation { req, .. }
        | ServerFrame::RoomList { req, .. }
        | ServerFrame::AuditLog { req, .. }
        | ServerFrame::Done { req } => req.as_deref(),
        _ => None,
    }
}

/// Matches a room or private message.
pub fn is_message(frame: &ServerFrame) -> bool {
    matches!(
        frame,
        ServerFrame::RoomMessage { .. } | ServerFrame::PrivateMessage { .. }
    )
}

/// Matches a `typing` notice.
pub fn is_typing(frame: &ServerFrame) -> bool {
    matches!(frame, ServerFrame::Typing { .. })
}

/// The id of a room or private message.
pub fn message_id(frame: &ServerFrame) -> Option<u64> {
    match frame {
        ServerFrame::RoomMessage { id, .. } | ServerFrame::PrivateMessage { id, .. } => Some(*id),
        _ => None,
    }
}
