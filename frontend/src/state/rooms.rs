//! Rooms: joining (the room opens once the server confirms) and leaving, which go through the
//! server since memberships are stored there; who is in a room; and the list of our rooms a
//! `welcome` brings.

use shared::{ClientFrame, ErrorCode, RoomInfo, RoomName, RoomSettings};

use super::{ChatState, ConvKey};
use crate::sorted::SortedSet;
use crate::timeline::Millis;

impl ChatState {
    /// The person asked to join a room. `Ok(None)` when already in it (it is opened).
    pub fn join_request(&mut self, input: &str) -> Result<Option<ClientFrame>, String> {
        let room = RoomName::parse(input).map_err(|e| capitalize(&e.to_string()))?;
        let key = ConvKey::Room(room.as_str().to_owned());
        if self.conversation(&key).is_some_and(|c| c.joined) {
            self.activate(&key);
            return Ok(None);
        }
        if !self.is_connected() {
            return Err("Not connected: try again once the connection is back.".to_owned());
        }
        self.focus_on_join = Some(room.as_str().to_owned());
        Ok(Some(ClientFrame::Join {
            room: room.into(),
            req: Some(self.reqs.take()),
        }))
    }

    /// The person asked to leave a room (never lobby). Memberships are stored on the server,
    /// so leaving needs the connection.
    pub fn leave_request(&mut self, room: &str, now: Millis) -> Option<ClientFrame> {
        if room == shared::limits::LOBBY {
            return None;
        }
        if !self.is_connected() {
            self.notify(
                format!("Not connected: you can leave #{room} once the connection is back."),
                now,
            );
            return None;
        }
        Some(ClientFrame::Leave {
            room: room.to_owned(),
            req: Some(self.reqs.take()),
        })
    }

    /// `welcome` lists our rooms. Memberships are stored on the server: its list is the
    /// truth, nothing to re-join, and rooms not on it are gone (another tab left them).
    pub(super) fn welcome_rooms(&mut self, rooms: Vec<RoomInfo>) {
        let mut fresh = SortedSet::new();
        fresh.extend(rooms.iter().map(|r| r.room.clone()));
        for info in rooms {
            let key = ConvKey::Room(info.room.clone());
            let conv = self.convs.entry(&key, &info.room);
            conv.members.clear();
            conv.members.extend(info.members);
            conv.joined = true;
            conv.settings = info.settings;
            self.invitation_used(&info.room);
        }
        let gone: Vec<String> = self
            .convs
            .iter()
            .filter_map(|c| match &c.key {
                ConvKey::Room(room) if !fresh.contains(room) => Some(room.clone()),
                _ => None,
            })
            .collect();
        for room in gone {
            self.left(&room);
        }
    }

    /// The server's `room_joined`: we are in `room`; it opens when the person asked to join it.
    pub(super) fn room_joined(
        &mut self,
        room: String,
        members: Vec<String>,
        settings: RoomSettings,
    ) {
        let key = ConvKey::Room(room.clone());
        let conv = self.convs.entry(&key, &room);
        conv.members.clear();
        conv.members.extend(members);
        conv.joined = true;
        conv.settings = settings;
        self.invitation_used(&room);
        if self.focus_on_join.as_deref() == Some(room.as_str()) {
            self.focus_on_join = None;
            self.activate(&key);
        }
    }

    /// We left `room` (here or in another tab); lobby is never left.
    pub(super) fn left(&mut self, room: &str) {
        let key = ConvKey::Room(room.to_owned());
        if key != ConvKey::lobby() {
            self.forget(&key);
        }
    }

    pub(super) fn member_joined(&mut self, room: String, user: String, now: Millis) {
        let key = ConvKey::Room(room);
        if let Some(conv) = self.convs.get_mut(&key) {
            conv.members.insert(user.clone());
        }
        self.convs.system_line(&key, format!("{user} joined"), now);
    }

    /// `user` left `room`, or `by` removed them (`banned`: and keeps them out).
    pub(super) fn member_left(
        &mut self,
        room: String,
        user: String,
        by: Option<String>,
        banned: bool,
        now: Millis,
    ) {
        let key = ConvKey::Room(room);
        if let Some(conv) = self.convs.get_mut(&key) {
            conv.members.retain(|m| !m.eq_ignore_ascii_case(&user));
            conv.typing.stopped(&user);
        }
        let text = match by {
            Some(by) if banned => format!("{by} banned {user}"),
            Some(by) => format!("{by} removed {user}"),
            None => format!("{user} left"),
        };
        self.convs.system_line(&key, text, now);
    }

    /// The server refused a request with `code`: when it was about joining, the room the
    /// person asked for is not opened later.
    pub(super) fn join_refused(&mut self, code: ErrorCode) {
        if matches!(
            code,
            ErrorCode::InvalidRoomName | ErrorCode::TooManyRooms | ErrorCode::NotMember
        ) {
            self.focus_on_join = None;
        }
    }
}

/// "the room name may …" -> "The room name may ….": a refusal as a sentence.
pub(super) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}
