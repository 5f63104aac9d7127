//! Tests of [`ChatState`] as the connection and the components drive it: frames in, frames
//! out, and what the view reads. The helpers here build server frames and a connected state.

use shared::protocol::ServerLimits;
use shared::{StoredMessage, Target};

use super::*;
use crate::timeline::{Row, Status};

mod away;
mod blocks;
mod changes;
mod commands;
mod conversation_pages;
mod directory;
mod divider;
mod drafts;
mod editing;
mod everyone;
mod former;
mod history;
mod invitations;
mod mentions;
mod name_check;
mod notify;
mod presence;
mod reactions;
mod receipts;
mod replying;
mod rooms;
mod search;
mod seek;
mod sending;
mod shortcuts;
mod unread;

const LIMITS: ServerLimits = ServerLimits {
    max_body_chars: 4000,
    max_frame_bytes: 65536,
    rate_per_sec: 10,
    burst: 20,
};

fn welcome(user: &str, online: &[&str], rooms: &[(&str, &[&str])]) -> ServerFrame {
    ServerFrame::Welcome {
        protocol: PROTOCOL_VERSION,
        user: user.into(),
        online: online.iter().map(|s| s.to_string()).collect(),
        online_count: online.len() as u64,
        away: Vec::new(),
        rooms: rooms
            .iter()
            .map(|(room, members)| RoomInfo {
                settings: shared::RoomSettings::default(),
                room: room.to_string(),
                members: members.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        conversations: Vec::new(),
        conversations_complete: true,
        last_id: 0,
        limits: LIMITS,
    }
}

/// A `welcome` with conversations and a resume point.
fn welcome_with(
    user: &str,
    rooms: &[&str],
    conversations: Vec<ConversationInfo>,
    last_id: u64,
) -> ServerFrame {
    let rooms: Vec<(&str, &[&str])> = rooms.iter().map(|r| (*r, &[][..])).collect();
    match welcome(user, &[user], &rooms) {
        ServerFrame::Welcome {
            protocol,
            user,
            online,
            rooms,
            limits,
            online_count,
            ..
        } => ServerFrame::Welcome {
            protocol,
            user,
            online,
            online_count,
            away: Vec::new(),
            rooms,
            conversations,
            conversations_complete: true,
            last_id,
            limits,
        },
        other => other,
    }
}

fn info(target: Target, last_id: u64, read_up_to: u64, unread: u64) -> ConversationInfo {
    ConversationInfo {
        target,
        last_id,
        read_up_to,
        unread,
        mentions: 0,
        since: None,
        last_seen: None,
    }
}

fn room(name: &str) -> Target {
    Target::Room { room: name.into() }
}

fn stored(id: u64, target: Target, from: &str) -> StoredMessage {
    StoredMessage {
        details: Default::default(),
        marks: Vec::new(),
        id,
        from: from.into(),
        target,
        body: format!("m{id}"),
        at: 1_000 + id,
    }
}

fn page(target: Target, ids: &[u64], complete: bool, req: Option<String>) -> ServerFrame {
    ServerFrame::History {
        messages: ids
            .iter()
            .map(|id| stored(*id, target.clone(), "bob"))
            .collect(),
        target,
        complete,
        req,
    }
}

/// The ids of the messages in a conversation, in the order shown.
fn ids(state: &ChatState, key: &ConvKey) -> Vec<u64> {
    state
        .conversation(key)
        .unwrap()
        .lines
        .iter()
        .filter_map(|l| l.message().and_then(|m| m.id))
        .collect()
}

fn connected(me: &str) -> ChatState {
    let mut state = ChatState::new(me, "t");
    let out = state.apply(welcome(me, &[me, "bob"], &[("lobby", &[])]), 0);
    assert!(out.is_empty());
    state
}

fn room_message(id: u64, room: &str, from: &str, body: &str) -> ServerFrame {
    ServerFrame::RoomMessage {
        details: Default::default(),
        id,
        room: room.into(),
        from: from.into(),
        body: body.into(),
        at: 1_000 + id,
    }
}

fn statuses(state: &ChatState) -> Vec<Status> {
    state
        .active_rows()
        .iter()
        .filter_map(|r| match r {
            Row::Message { status, .. } => Some(*status),
            Row::System { .. } => None,
        })
        .collect()
}

fn req_of(frame: &ClientFrame) -> String {
    frame.req().expect("a request id").to_owned()
}

fn ack(req: &str, id: u64) -> ServerFrame {
    ServerFrame::Ack {
        req: Some(req.to_owned()),
        id,
        at: 1_000 + id,
    }
}

fn refusal(code: ErrorCode, message: &str, req: &str) -> ServerFrame {
    ServerFrame::Error {
        code,
        message: message.into(),
        req: Some(req.to_owned()),
    }
}

/// The message with id `id` in a conversation.
fn message<'a>(state: &'a ChatState, key: &ConvKey, id: u64) -> &'a crate::timeline::Message {
    state.conversation(key).unwrap().message(id).unwrap()
}
