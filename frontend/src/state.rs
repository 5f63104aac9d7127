//! The client's model of the chat: conversations, who is online, our sends on their way, unread
//! counts, typing notices, short notices and the connection's state.
//!
//! It is plain Rust, with no browser or signal in sight: [`ChatState::apply`] takes each
//! [`ServerFrame`] and returns the frames to send back (the re-joins after a reconnect), and
//! every user action is a method that returns the [`ClientFrame`] to send, if any. Time comes
//! in as an argument, so the unit tests below drive it like a clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use shared::protocol::PROTOCOL_VERSION;
use shared::{ClientFrame, ErrorCode, RoomInfo, RoomName, ServerFrame, Target, UserName};

use crate::compose::{check_body, BodyProblem};
use crate::timeline::{self, Delivery, Line, LineKind, Message, Millis, Row};

/// A send without `ack` after this long is shown as failed.
pub const ACK_TIMEOUT_MS: Millis = 10_000;
/// "bob is typing…" disappears this long after bob's last typing notice.
pub const TYPING_SHOWN_MS: Millis = 4_000;
/// Notices dismiss themselves after this long.
pub const NOTICE_MS: Millis = 6_000;
/// A conversation keeps at most this many lines; older ones are dropped.
pub const MAX_LINES: usize = 1_000;

/// Which conversation: a room by its name, or a private one by the other person's name key
/// (lowercase, see [`UserName::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConvKey {
    Room(String),
    Direct(String),
}

impl ConvKey {
    pub fn lobby() -> Self {
        Self::Room(shared::limits::LOBBY.to_owned())
    }

    /// A string usable in element ids and test ids: `room-lobby`, `dm-bob`.
    pub fn dom_id(&self) -> String {
        match self {
            Self::Room(room) => format!("room-{room}"),
            Self::Direct(user) => format!("dm-{user}"),
        }
    }
}

/// The connection to the server, as the person should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening a connection (the first one, or an attempt after a wait).
    Connecting,
    /// The server said `welcome`.
    Connected,
    /// Waiting until `retry_at` before the next attempt.
    Reconnecting { retry_at: Millis },
    /// The browser reports no network; an attempt follows at `retry_at` or when it is back.
    Offline { retry_at: Millis },
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Offline { .. } => "offline",
        }
    }

    /// What the status bar says, given the time now (for the countdown).
    pub fn describe(self, now: Millis) -> String {
        let seconds = |at: Millis| at.saturating_sub(now).div_ceil(1000);
        match self {
            Self::Connecting => "Connecting…".to_owned(),
            Self::Connected => "Connected".to_owned(),
            Self::Reconnecting { retry_at } => match seconds(retry_at) {
                0 => "Reconnecting…".to_owned(),
                s => format!("Reconnecting in {s} s"),
            },
            Self::Offline { retry_at } => match seconds(retry_at) {
                0 => "Offline: trying again…".to_owned(),
                s => format!("Offline: trying again in {s} s"),
            },
        }
    }
}

/// A conversation and what the view shows about it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub key: ConvKey,
    /// The room name, or the other person's name as they write it.
    pub title: String,
    pub lines: Vec<Line>,
    /// Messages from others that arrived while another conversation was open.
    pub unread: u32,
    /// Rooms only: who is in it, as the server last said.
    pub members: BTreeSet<String>,
    /// Rooms only: the server confirmed we are in it on this connection.
    pub joined: bool,
    /// Who is typing here: name key -> (name, shown until).
    typing: BTreeMap<String, (String, Millis)>,
}

impl Conversation {
    fn new(key: ConvKey, title: String) -> Self {
        Self {
            key,
            title,
            lines: Vec::new(),
            unread: 0,
            members: BTreeSet::new(),
            joined: false,
            typing: BTreeMap::new(),
        }
    }

    pub fn is_room(&self) -> bool {
        matches!(self.key, ConvKey::Room(_))
    }
}

/// A line in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvSummary {
    pub key: ConvKey,
    pub title: String,
    pub unread: u32,
    pub active: bool,
    /// Rooms: we are in it now. Private conversations: the other person is online.
    pub available: bool,
}

/// Someone in the "online" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub is_me: bool,
}

/// A short message at the edge of the screen that goes away by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub until: Millis,
}

/// Everything the chat page shows, and the bookkeeping behind it.
#[derive(Debug, Clone)]
pub struct ChatState {
    /// Our name, as the server writes it.
    me: String,
    link: Link,
    /// Who is online: name key -> name.
    online: BTreeMap<String, String>,
    /// Rooms and private conversations, in the order they appeared.
    convs: Vec<Conversation>,
    /// The conversation on screen.
    active: ConvKey,
    /// Our sends waiting for an `ack`: request id -> conversation.
    pending: HashMap<String, ConvKey>,
    /// The next line's sequence number.
    next_seq: u64,
    /// The next request id's number.
    next_req: u64,
    /// Makes our request ids unique to this page load (several tabs share a user).
    req_prefix: String,
    notices: Vec<Notice>,
    next_notice: u64,
    /// The latest text for screen readers (an `aria-live` region shows it).
    announcement: String,
    /// The room the person asked to join: open it when the server confirms.
    focus_on_join: Option<String>,
}

impl ChatState {
    /// A fresh state for `me`; `req_prefix` should differ between page loads.
    pub fn new(me: &str, req_prefix: &str) -> Self {
        let mut lobby = Conversation::new(ConvKey::lobby(), shared::limits::LOBBY.to_owned());
        lobby.joined = false;
        Self {
            me: me.to_owned(),
            link: Link::Connecting,
            online: BTreeMap::new(),
            convs: vec![lobby],
            active: ConvKey::lobby(),
            pending: HashMap::new(),
            next_seq: 1,
            next_req: 1,
            req_prefix: req_prefix.to_owned(),
            notices: Vec::new(),
            next_notice: 1,
            announcement: String::new(),
            focus_on_join: None,
        }
    }

    // ----- reading -------------------------------------------------------------------------

    pub fn me(&self) -> &str {
        &self.me
    }

    pub fn link(&self) -> Link {
        self.link
    }

    pub fn is_connected(&self) -> bool {
        self.link == Link::Connected
    }

    pub fn active(&self) -> &ConvKey {
        &self.active
    }

    pub fn conversation(&self, key: &ConvKey) -> Option<&Conversation> {
        self.convs.iter().find(|c| &c.key == key)
    }

    pub fn active_conversation(&self) -> Option<&Conversation> {
        self.conversation(&self.active)
    }

    /// The rows of the open conversation, grouped for display.
    pub fn active_rows(&self) -> Vec<Row> {
        self.active_conversation()
            .map(|c| timeline::rows(&c.lines))
            .unwrap_or_default()
    }

    /// Rooms for the sidebar: lobby first, then by name.
    pub fn rooms(&self) -> Vec<ConvSummary> {
        let mut rooms: Vec<ConvSummary> = self
            .convs
            .iter()
            .filter(|c| c.is_room())
            .map(|c| self.summary(c, c.joined))
            .collect();
        rooms.sort_by_key(|r| (r.key != ConvKey::lobby(), r.title.clone()));
        rooms
    }

    /// Private conversations for the sidebar, by name.
    pub fn directs(&self) -> Vec<ConvSummary> {
        let mut directs: Vec<ConvSummary> = self
            .convs
            .iter()
            .filter_map(|c| match &c.key {
                ConvKey::Direct(key) => Some(self.summary(c, self.online.contains_key(key))),
                ConvKey::Room(_) => None,
            })
            .collect();
        directs.sort_by_key(|d| d.title.to_ascii_lowercase());
        directs
    }

    fn summary(&self, c: &Conversation, available: bool) -> ConvSummary {
        ConvSummary {
            key: c.key.clone(),
            title: c.title.clone(),
            unread: c.unread,
            active: c.key == self.active,
            available,
        }
    }

    /// Everyone online, by name, ourselves included and marked.
    pub fn people(&self) -> Vec<Person> {
        let me = self.me.to_ascii_lowercase();
        self.online
            .iter()
            .map(|(key, name)| Person {
                name: name.clone(),
                is_me: *key == me,
            })
            .collect()
    }

    pub fn is_online(&self, name: &str) -> bool {
        self.online.contains_key(&name.to_ascii_lowercase())
    }

    /// Unread messages across all conversations.
    pub fn total_unread(&self) -> u32 {
        self.convs.iter().map(|c| c.unread).sum()
    }

    /// "bob is typing…" for a conversation, if anyone is.
    pub fn typing_text(&self, key: &ConvKey) -> Option<String> {
        let names: Vec<&str> = self
            .conversation(key)?
            .typing
            .values()
            .map(|(name, _)| name.as_str())
            .collect();
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [a, b] => Some(format!("{a} and {b} are typing…")),
            _ => Some("Several people are typing…".to_owned()),
        }
    }

    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    pub fn announcement(&self) -> &str {
        &self.announcement
    }

    /// Whether the composer of a conversation can send now, and if not, why.
    pub fn send_blocker(&self, key: &ConvKey) -> Option<String> {
        if !self.is_connected() {
            return Some("Not connected: messages can be sent once the connection is back.".into());
        }
        match key {
            ConvKey::Room(room) => match self.conversation(key) {
                Some(c) if c.joined => None,
                _ => Some(format!("Joining #{room}…")),
            },
            ConvKey::Direct(user) if !self.online.contains_key(user) => {
                let name = self
                    .conversation(key)
                    .map_or(user.as_str(), |c| c.title.as_str());
                Some(format!(
                    "{name} is offline: private messages reach only people online."
                ))
            }
            ConvKey::Direct(_) => None,
        }
    }

    // ----- the server's frames -------------------------------------------------------------

    /// Applies one frame from the server; returns frames to send back.
    pub fn apply(&mut self, frame: ServerFrame, now: Millis) -> Vec<ClientFrame> {
        match frame {
            ServerFrame::Welcome {
                protocol,
                user,
                online,
                rooms,
                limits: _,
            } => {
                if protocol != PROTOCOL_VERSION {
                    self.notify(
                        format!(
                            "The server speaks protocol {protocol}, this page {PROTOCOL_VERSION}: \
                             reload the page if something looks wrong."
                        ),
                        now,
                    );
                }
                return self.welcome(user, online, rooms);
            }
            ServerFrame::Ack { req, id, at } => {
                if let Some(req) = req {
                    self.acked(&req, id, at);
                }
            }
            ServerFrame::RoomMessage {
                id,
                room,
                from,
                body,
                at,
            } => {
                let key = ConvKey::Room(room.clone());
                let title = room.clone();
                let place = format!("#{room}");
                self.incoming(key, title, id, from, body, at, &place);
            }
            ServerFrame::PrivateMessage {
                id,
                from,
                to,
                body,
                at,
            } => {
                let peer = if self.is_me(&from) { to } else { from.clone() };
                let key = ConvKey::Direct(peer.to_ascii_lowercase());
                self.incoming(key, peer, id, from, body, at, "private");
            }
            ServerFrame::RoomJoined { room, members } => {
                let key = ConvKey::Room(room.clone());
                let conv = self.conv_entry(&key, &room);
                conv.members = members.into_iter().collect();
                conv.joined = true;
                if self.focus_on_join.as_deref() == Some(room.as_str()) {
                    self.focus_on_join = None;
                    self.activate(&key);
                }
            }
            ServerFrame::RoomLeft { room } => self.left(&room),
            ServerFrame::MemberJoined { room, user } => {
                let key = ConvKey::Room(room);
                if let Some(conv) = self.conv_mut(&key) {
                    conv.members.insert(user.clone());
                }
                self.system_line(&key, format!("{user} joined"), now);
            }
            ServerFrame::MemberLeft { room, user } => {
                let key = ConvKey::Room(room);
                if let Some(conv) = self.conv_mut(&key) {
                    conv.members.retain(|m| !m.eq_ignore_ascii_case(&user));
                    conv.typing.remove(&user.to_ascii_lowercase());
                }
                self.system_line(&key, format!("{user} left"), now);
            }
            ServerFrame::UserOnline { user } => {
                let key = user.to_ascii_lowercase();
                self.online.insert(key.clone(), user.clone());
                self.system_line(&ConvKey::Direct(key), format!("{user} is online"), now);
            }
            ServerFrame::UserOffline { user } => {
                let key = user.to_ascii_lowercase();
                self.online.remove(&key);
                for conv in &mut self.convs {
                    conv.typing.remove(&key);
                }
                self.system_line(&ConvKey::Direct(key), format!("{user} went offline"), now);
            }
            ServerFrame::Typing { from, target } => {
                if self.is_me(&from) {
                    return Vec::new();
                }
                let key = match target {
                    Target::Room { room } => ConvKey::Room(room),
                    Target::User { .. } => ConvKey::Direct(from.to_ascii_lowercase()),
                };
                if let Some(conv) = self.conv_mut(&key) {
                    conv.typing
                        .insert(from.to_ascii_lowercase(), (from, now + TYPING_SHOWN_MS));
                }
            }
            ServerFrame::Error { code, message, req } => self.refused(code, message, req, now),
            ServerFrame::Pong { .. } => {}
        }
        Vec::new()
    }

    fn welcome(
        &mut self,
        user: String,
        online: Vec<String>,
        rooms: Vec<RoomInfo>,
    ) -> Vec<ClientFrame> {
        self.me = user;
        self.link = Link::Connected;
        self.online = online
            .into_iter()
            .map(|name| (name.to_ascii_lowercase(), name))
            .collect();
        let fresh: BTreeSet<String> = rooms.iter().map(|r| r.room.clone()).collect();
        for info in rooms {
            let key = ConvKey::Room(info.room.clone());
            let conv = self.conv_entry(&key, &info.room);
            conv.members = info.members.into_iter().collect();
            conv.joined = true;
        }
        // Rooms we were in before the connection dropped: the server forgot them, join again.
        let mut rejoin = Vec::new();
        for conv in &mut self.convs {
            if let ConvKey::Room(room) = &conv.key {
                if !fresh.contains(room) {
                    conv.joined = false;
                    rejoin.push(ClientFrame::Join {
                        room: room.clone(),
                        req: None,
                    });
                }
            }
        }
        rejoin
    }

    fn acked(&mut self, req: &str, id: u64, at: Millis) {
        // Usually the send is pending; after a timeout it may already show as failed, and a
        // late ack means it did get through after all.
        self.pending.remove(req);
        let found = self.convs.iter_mut().find_map(|c| {
            c.lines.iter_mut().rev().find_map(|l| {
                l.message_mut().filter(|m| match &m.delivery {
                    Delivery::Pending { req: r, .. } => r == req,
                    Delivery::Failed { req: Some(r), .. } => r == req,
                    _ => false,
                })
            })
        });
        if let Some(message) = found {
            message.id = Some(id);
            message.at = at;
            message.delivery = Delivery::Confirmed;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn incoming(
        &mut self,
        key: ConvKey,
        title: String,
        id: u64,
        from: String,
        body: String,
        at: Millis,
        place: &str,
    ) {
        let own = self.is_me(&from);
        let active = self.active == key;
        let seq = self.take_seq();
        let conv = self.conv_entry(&key, &title);
        let seen_before = conv
            .lines
            .iter()
            .rev()
            .take(50)
            .any(|l| l.message().is_some_and(|m| m.id == Some(id)));
        if seen_before {
            return;
        }
        conv.typing.remove(&from.to_ascii_lowercase());
        if !own && !active {
            conv.unread += 1;
        }
        let announcement = if own {
            None
        } else {
            let short: String = body.chars().take(140).collect();
            Some(format!("{from} ({place}): {short}"))
        };
        push_line(
            conv,
            Line {
                seq,
                at,
                kind: LineKind::Message(Message {
                    id: Some(id),
                    from,
                    body,
                    at,
                    own,
                    delivery: Delivery::Confirmed,
                }),
            },
        );
        if let Some(text) = announcement {
            self.announcement = text;
        }
    }

    fn left(&mut self, room: &str) {
        let key = ConvKey::Room(room.to_owned());
        if key == ConvKey::lobby() {
            return;
        }
        self.convs.retain(|c| c.key != key);
        self.pending.retain(|_, k| *k != key);
        if self.active == key {
            self.activate(&ConvKey::lobby());
        }
    }

    fn refused(&mut self, code: ErrorCode, message: String, req: Option<String>, now: Millis) {
        let text = if message.trim().is_empty() {
            code.as_str().replace('_', " ")
        } else {
            message
        };
        if let Some(req) = req {
            if self.pending.contains_key(&req) {
                self.fail(&req, &text);
            }
            if matches!(
                code,
                ErrorCode::InvalidRoomName | ErrorCode::TooManyRooms | ErrorCode::NotMember
            ) {
                self.focus_on_join = None;
            }
        }
        self.notify(text, now);
    }

    // ----- the connection ------------------------------------------------------------------

    pub fn set_link(&mut self, link: Link) {
        self.link = link;
    }

    /// The connection closed: every send still waiting has failed, nobody is typing any more.
    pub fn connection_lost(&mut self) {
        let reqs: Vec<String> = self.pending.keys().cloned().collect();
        for req in reqs {
            self.fail(&req, "Connection lost before the server confirmed it.");
        }
        for conv in &mut self.convs {
            conv.typing.clear();
        }
    }

    /// Time passes: sends without ack fail, typing notices and notices expire.
    /// Returns whether anything changed.
    pub fn tick(&mut self, now: Millis) -> bool {
        let mut changed = false;
        let overdue: Vec<String> = self
            .convs
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter_map(|l| match l.message().map(|m| &m.delivery) {
                Some(Delivery::Pending { req, sent_at }) if sent_at + ACK_TIMEOUT_MS <= now => {
                    Some(req.clone())
                }
                _ => None,
            })
            .collect();
        for req in overdue {
            self.fail(&req, "No answer from the server.");
            changed = true;
        }
        for conv in &mut self.convs {
            let before = conv.typing.len();
            conv.typing.retain(|_, (_, until)| *until > now);
            changed |= conv.typing.len() != before;
        }
        let before = self.notices.len();
        self.notices.retain(|n| n.until > now);
        changed |= self.notices.len() != before;
        changed
    }

    // ----- what the person does ------------------------------------------------------------

    /// Opens a conversation and marks it read.
    pub fn activate(&mut self, key: &ConvKey) {
        if let Some(conv) = self.conv_mut(key) {
            conv.unread = 0;
            self.active = key.clone();
        }
    }

    /// Opens (creating if needed) the private conversation with `name`.
    pub fn open_direct(&mut self, name: &str) {
        if self.is_me(name) {
            return;
        }
        let key = ConvKey::Direct(name.to_ascii_lowercase());
        let title = self
            .online
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| name.to_owned());
        self.conv_entry(&key, &title);
        self.activate(&key);
    }

    /// Sends `body` to a conversation: the message appears at once as pending (or as failed
    /// when there is no connection). Returns the frame to send.
    pub fn compose(
        &mut self,
        key: &ConvKey,
        body: &str,
        now: Millis,
    ) -> Result<Option<ClientFrame>, BodyProblem> {
        check_body(body)?;
        let body = body.trim_end_matches(['\n', '\r']).to_owned();
        let req = self.take_req();
        let blocker = self.send_blocker(key);
        let connected = self.is_connected();
        let seq = self.take_seq();
        let me = self.me.clone();
        let conv = self.conv_entry(key, &key_title(key));
        let delivery = match &blocker {
            Some(reason) => Delivery::Failed {
                reason: if connected {
                    reason.clone()
                } else {
                    "Not connected.".to_owned()
                },
                req: None,
            },
            None => Delivery::Pending {
                req: req.clone(),
                sent_at: now,
            },
        };
        push_line(
            conv,
            Line {
                seq,
                at: now,
                kind: LineKind::Message(Message {
                    id: None,
                    from: me,
                    body: body.clone(),
                    at: now,
                    own: true,
                    delivery,
                }),
            },
        );
        if blocker.is_some() {
            return Ok(None);
        }
        self.pending.insert(req.clone(), key.clone());
        Ok(Some(self.frame_for(key, body, req)))
    }

    /// Sends a failed message again. Returns the frame, or `None` when it cannot go now.
    pub fn retry(&mut self, key: &ConvKey, seq: u64, now: Millis) -> Option<ClientFrame> {
        if let Some(reason) = self.send_blocker(key) {
            self.notify(reason, now);
            return None;
        }
        let req = self.take_req();
        let conv = self.conv_mut(key)?;
        let line = conv.lines.iter_mut().find(|l| l.seq == seq)?;
        let message = line.message_mut()?;
        if !matches!(message.delivery, Delivery::Failed { .. }) {
            return None;
        }
        message.delivery = Delivery::Pending {
            req: req.clone(),
            sent_at: now,
        };
        message.at = now;
        let body = message.body.clone();
        line.at = now;
        self.pending.insert(req.clone(), key.clone());
        Some(self.frame_for(key, body, req))
    }

    /// The frame could not be handed to the connection at all.
    pub fn send_failed(&mut self, frame: &ClientFrame) {
        if let Some(req) = frame.req() {
            self.fail(req, "Not connected.");
        }
    }

    /// The `typing` frame for a conversation, when it can reach anyone (the composer throttles
    /// how often it is sent, see [`crate::compose::TypingThrottle`]).
    pub fn typing_frame(&self, key: &ConvKey) -> Option<ClientFrame> {
        if self.send_blocker(key).is_some() {
            return None;
        }
        let target = match key {
            ConvKey::Room(room) => Target::Room { room: room.clone() },
            ConvKey::Direct(_) => Target::User {
                to: key_title_of(self, key),
            },
        };
        Some(ClientFrame::Typing { target })
    }

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
            req: Some(self.take_req()),
        }))
    }

    /// The person asked to leave a room (never lobby).
    pub fn leave_request(&mut self, room: &str) -> Option<ClientFrame> {
        if room == shared::limits::LOBBY {
            return None;
        }
        if !self.is_connected() {
            // Nothing to tell the server: it forgets our rooms when we disconnect anyway.
            self.left(room);
            return None;
        }
        Some(ClientFrame::Leave {
            room: room.to_owned(),
            req: Some(self.take_req()),
        })
    }

    /// Closes a private conversation (it only lives in this page).
    pub fn close_direct(&mut self, key: &ConvKey) {
        if matches!(key, ConvKey::Direct(_)) {
            self.convs.retain(|c| &c.key != key);
            self.pending.retain(|_, k| k != key);
            if &self.active == key {
                self.activate(&ConvKey::lobby());
            }
        }
    }

    pub fn notify(&mut self, text: String, now: Millis) {
        let id = self.next_notice;
        self.next_notice += 1;
        self.notices.push(Notice {
            id,
            text,
            until: now + NOTICE_MS,
        });
        if self.notices.len() > 4 {
            self.notices.remove(0);
        }
    }

    pub fn dismiss(&mut self, notice: u64) {
        self.notices.retain(|n| n.id != notice);
    }

    // ----- helpers -------------------------------------------------------------------------

    fn is_me(&self, name: &str) -> bool {
        UserName::parse(&self.me).is_ok_and(|me| me.same_as(name))
            || self.me.eq_ignore_ascii_case(name)
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn take_req(&mut self) -> String {
        let req = format!("{}-{}", self.req_prefix, self.next_req);
        self.next_req += 1;
        req
    }

    fn conv_mut(&mut self, key: &ConvKey) -> Option<&mut Conversation> {
        self.convs.iter_mut().find(|c| &c.key == key)
    }

    fn conv_entry(&mut self, key: &ConvKey, title: &str) -> &mut Conversation {
        let index = match self.convs.iter().position(|c| &c.key == key) {
            Some(index) => index,
            None => {
                self.convs
                    .push(Conversation::new(key.clone(), title.to_owned()));
                self.convs.len() - 1
            }
        };
        &mut self.convs[index]
    }

    fn system_line(&mut self, key: &ConvKey, text: String, now: Millis) {
        let seq = self.take_seq();
        if let Some(conv) = self.conv_mut(key) {
            push_line(
                conv,
                Line {
                    seq,
                    at: now,
                    kind: LineKind::System { text },
                },
            );
        }
    }

    fn find_pending(&mut self, key: &ConvKey, req: &str) -> Option<&mut Message> {
        self.conv_mut(key)?.lines.iter_mut().rev().find_map(|l| {
            l.message_mut()
                .filter(|m| matches!(&m.delivery, Delivery::Pending { req: r, .. } if r == req))
        })
    }

    fn fail(&mut self, req: &str, reason: &str) {
        let Some(key) = self.pending.remove(req) else {
            return;
        };
        if let Some(message) = self.find_pending(&key, req) {
            message.delivery = Delivery::Failed {
                reason: reason.to_owned(),
                req: Some(req.to_owned()),
            };
        }
    }

    fn frame_for(&self, key: &ConvKey, body: String, req: String) -> ClientFrame {
        match key {
            ConvKey::Room(room) => ClientFrame::RoomMessage {
                room: room.clone(),
                body,
                req: Some(req),
            },
            ConvKey::Direct(_) => ClientFrame::PrivateMessage {
                to: key_title_of(self, key),
                body,
                req: Some(req),
            },
        }
    }
}

fn push_line(conv: &mut Conversation, line: Line) {
    conv.lines.push(line);
    if conv.lines.len() > MAX_LINES {
        let excess = conv.lines.len() - MAX_LINES;
        conv.lines.drain(..excess);
    }
}

fn key_title(key: &ConvKey) -> String {
    match key {
        ConvKey::Room(name) | ConvKey::Direct(name) => name.clone(),
    }
}

fn key_title_of(state: &ChatState, key: &ConvKey) -> String {
    state
        .conversation(key)
        .map_or_else(|| key_title(key), |c| c.title.clone())
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use shared::protocol::ServerLimits;

    use super::*;
    use crate::timeline::Status;

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
            rooms: rooms
                .iter()
                .map(|(room, members)| RoomInfo {
                    room: room.to_string(),
                    members: members.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
            limits: LIMITS,
        }
    }

    fn connected(me: &str) -> ChatState {
        let mut state = ChatState::new(me, "t");
        let out = state.apply(welcome(me, &[me, "bob"], &[("lobby", &[me, "bob"])]), 0);
        assert!(out.is_empty());
        state
    }

    fn room_message(id: u64, room: &str, from: &str, body: &str) -> ServerFrame {
        ServerFrame::RoomMessage {
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

    #[test]
    fn welcome_sets_who_is_online_and_the_rooms() {
        let mut state = ChatState::new("alice", "t");
        assert_eq!(state.link(), Link::Connecting);
        state.apply(
            welcome(
                "Alice",
                &["Alice", "bob"],
                &[("lobby", &["Alice", "bob"]), ("rust", &["Alice"])],
            ),
            0,
        );
        assert!(state.is_connected());
        assert_eq!(state.me(), "Alice");
        let people = state.people();
        assert_eq!(people.len(), 2);
        assert!(people.iter().any(|p| p.name == "Alice" && p.is_me));
        let rooms: Vec<String> = state.rooms().into_iter().map(|r| r.title).collect();
        assert_eq!(rooms, ["lobby", "rust"]);
        assert!(state.rooms().iter().all(|r| r.available));
    }

    #[test]
    fn after_a_reconnect_the_rooms_we_had_are_joined_again() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into()],
            },
            1,
        );
        state.connection_lost();
        state.set_link(Link::Reconnecting { retry_at: 500 });
        let out = state.apply(welcome("alice", &["alice"], &[("lobby", &["alice"])]), 600);
        assert_eq!(
            out,
            [ClientFrame::Join {
                room: "rust".into(),
                req: None
            }]
        );
        assert!(
            !state
                .conversation(&ConvKey::Room("rust".into()))
                .unwrap()
                .joined
        );
        assert!(state.send_blocker(&ConvKey::Room("rust".into())).is_some());
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into()],
            },
            700,
        );
        assert!(state.send_blocker(&ConvKey::Room("rust".into())).is_none());
        // Presence is fresh: bob went away while we were disconnected.
        assert!(!state.is_online("bob"));
    }

    #[test]
    fn a_sent_message_is_pending_until_its_ack() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let frame = state.compose(&lobby, "hello\n", 100).unwrap().unwrap();
        let req = req_of(&frame);
        assert!(req.starts_with("t-"));
        assert_eq!(
            frame,
            ClientFrame::RoomMessage {
                room: "lobby".into(),
                body: "hello".into(),
                req: Some(req.clone())
            }
        );
        assert_eq!(statuses(&state), [Status::Pending]);
        let key_before = state.active_rows()[0].seq();
        state.apply(
            ServerFrame::Ack {
                req: Some(req),
                id: 41,
                at: 150,
            },
            160,
        );
        assert_eq!(statuses(&state), [Status::Confirmed]);
        assert_eq!(state.active_rows()[0].seq(), key_before);
        // Nothing left to time out.
        state.tick(100_000);
        assert_eq!(statuses(&state), [Status::Confirmed]);
    }

    #[test]
    fn a_send_without_ack_fails_after_ten_seconds_and_can_be_retried() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let first = state.compose(&lobby, "hi", 1_000).unwrap().unwrap();
        assert!(!state.tick(1_000 + ACK_TIMEOUT_MS - 1));
        assert_eq!(statuses(&state), [Status::Pending]);
        assert!(state.tick(1_000 + ACK_TIMEOUT_MS));
        assert_eq!(statuses(&state), [Status::Failed]);
        match &state.active_rows()[0] {
            Row::Message { reason, .. } => assert!(reason.is_some()),
            other => panic!("{other:?}"),
        }
        let seq = state.active_rows()[0].seq();
        let again = state.retry(&lobby, seq, 20_000).unwrap();
        assert_ne!(req_of(&again), req_of(&first));
        assert_eq!(statuses(&state), [Status::Pending]);
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&again)),
                id: 2,
                at: 20_001,
            },
            20_002,
        );
        assert_eq!(statuses(&state), [Status::Confirmed]);
        // Retrying a confirmed message does nothing.
        assert_eq!(state.retry(&lobby, seq, 20_003), None);
    }

    #[test]
    fn a_dropped_connection_fails_pending_sends_and_a_late_ack_still_confirms() {
        let mut state = connected("alice");
        let frame = state.compose(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
        state.connection_lost();
        assert_eq!(statuses(&state), [Status::Failed]);
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&frame)),
                id: 9,
                at: 5,
            },
            6,
        );
        assert_eq!(statuses(&state), [Status::Confirmed]);
    }

    #[test]
    fn sending_while_disconnected_fails_at_once() {
        let mut state = connected("alice");
        state.set_link(Link::Reconnecting { retry_at: 10 });
        let out = state.compose(&ConvKey::lobby(), "hi", 0).unwrap();
        assert_eq!(out, None);
        assert_eq!(statuses(&state), [Status::Failed]);
        assert_eq!(
            state.retry(&ConvKey::lobby(), state.active_rows()[0].seq(), 1),
            None
        );
        assert_eq!(state.notices().len(), 1);
    }

    #[test]
    fn a_frame_that_could_not_be_handed_over_fails() {
        let mut state = connected("alice");
        let frame = state.compose(&ConvKey::lobby(), "hi", 0).unwrap().unwrap();
        state.send_failed(&frame);
        assert_eq!(statuses(&state), [Status::Failed]);
    }

    #[test]
    fn drafts_over_the_limit_or_empty_are_refused_without_a_trace() {
        let mut state = connected("alice");
        let long = "x".repeat(shared::limits::MAX_BODY_CHARS + 1);
        assert!(matches!(
            state.compose(&ConvKey::lobby(), &long, 0),
            Err(BodyProblem::TooLong { over: 1, .. })
        ));
        assert_eq!(
            state.compose(&ConvKey::lobby(), " \n ", 0),
            Err(BodyProblem::Empty)
        );
        assert!(state.active_rows().is_empty());
    }

    #[test]
    fn a_server_error_for_a_send_marks_it_failed_and_shows_a_notice_for_a_while() {
        let mut state = connected("alice");
        state.open_direct("bob");
        let bob = ConvKey::Direct("bob".into());
        let frame = state.compose(&bob, "psst", 0).unwrap().unwrap();
        assert_eq!(
            frame,
            ClientFrame::PrivateMessage {
                to: "bob".into(),
                body: "psst".into(),
                req: frame.req().map(str::to_owned)
            }
        );
        state.apply(
            ServerFrame::Error {
                code: ErrorCode::UserOffline,
                message: "bob is offline".into(),
                req: frame.req().map(str::to_owned),
            },
            100,
        );
        assert_eq!(statuses(&state), [Status::Failed]);
        assert_eq!(state.notices()[0].text, "bob is offline");
        let id = state.notices()[0].id;
        assert!(!state.tick(100 + NOTICE_MS - 1));
        assert!(state.tick(100 + NOTICE_MS));
        assert!(state.notices().is_empty());
        state.notify("x".into(), 0);
        state.dismiss(id + 1);
        assert!(state.notices().is_empty());
    }

    #[test]
    fn errors_without_text_still_say_something() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: String::new(),
                req: None,
            },
            0,
        );
        assert_eq!(state.notices()[0].text, "rate limited");
    }

    #[test]
    fn messages_elsewhere_count_as_unread_until_opened() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into(), "bob".into()],
            },
            0,
        );
        state.apply(room_message(1, "rust", "bob", "one"), 1);
        state.apply(room_message(2, "rust", "bob", "two"), 2);
        state.apply(room_message(3, "lobby", "bob", "seen"), 3);
        // Our own message from another tab is not unread.
        state.apply(room_message(4, "rust", "alice", "mine"), 4);
        let rust = ConvKey::Room("rust".into());
        assert_eq!(state.conversation(&rust).unwrap().unread, 2);
        assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().unread, 0);
        assert_eq!(state.total_unread(), 2);
        assert_eq!(state.announcement(), "bob (#lobby): seen");
        state.activate(&rust);
        assert_eq!(state.total_unread(), 0);
        let own: Vec<bool> = state
            .active_rows()
            .iter()
            .filter_map(|r| match r {
                Row::Message { own, .. } => Some(*own),
                Row::System { .. } => None,
            })
            .collect();
        assert_eq!(own, [false, false, true]);
        // The same message id twice is shown once.
        state.apply(room_message(4, "rust", "alice", "mine"), 5);
        assert_eq!(state.active_rows().len(), 3);
    }

    #[test]
    fn private_messages_open_a_conversation_with_the_other_person() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::PrivateMessage {
                id: 1,
                from: "Bob".into(),
                to: "alice".into(),
                body: "hi alice".into(),
                at: 10,
            },
            10,
        );
        let bob = ConvKey::Direct("bob".into());
        let directs = state.directs();
        assert_eq!(directs.len(), 1);
        assert_eq!(directs[0].title, "Bob");
        assert_eq!(directs[0].unread, 1);
        assert_eq!(state.announcement(), "Bob (private): hi alice");
        // A message we sent to bob from another tab lands in the same conversation.
        state.apply(
            ServerFrame::PrivateMessage {
                id: 2,
                from: "alice".into(),
                to: "Bob".into(),
                body: "from my phone".into(),
                at: 11,
            },
            11,
        );
        assert_eq!(state.conversation(&bob).unwrap().lines.len(), 2);
        assert_eq!(state.conversation(&bob).unwrap().unread, 1);
        state.open_direct("BOB");
        assert_eq!(state.active(), &bob);
        assert_eq!(state.total_unread(), 0);
        // No conversation with oneself.
        state.open_direct("Alice");
        assert_eq!(state.active(), &bob);
        state.close_direct(&bob);
        assert_eq!(state.active(), &ConvKey::lobby());
        assert!(state.directs().is_empty());
    }

    #[test]
    fn typing_shows_for_four_seconds_or_until_the_message() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let typing = |from: &str| ServerFrame::Typing {
            from: from.into(),
            target: Target::Room {
                room: "lobby".into(),
            },
        };
        state.apply(typing("bob"), 1_000);
        assert_eq!(state.typing_text(&lobby).as_deref(), Some("bob is typing…"));
        state.apply(typing("carol"), 1_500);
        assert_eq!(
            state.typing_text(&lobby).as_deref(),
            Some("bob and carol are typing…")
        );
        state.apply(typing("dave"), 1_500);
        assert_eq!(
            state.typing_text(&lobby).as_deref(),
            Some("Several people are typing…")
        );
        state.apply(room_message(1, "lobby", "dave", "done"), 1_600);
        assert!(state.tick(1_000 + TYPING_SHOWN_MS));
        assert_eq!(
            state.typing_text(&lobby).as_deref(),
            Some("carol is typing…")
        );
        state.tick(1_500 + TYPING_SHOWN_MS);
        assert_eq!(state.typing_text(&lobby), None);
        // Private typing goes to the conversation with the typer, if there is one.
        state.open_direct("bob");
        state.apply(
            ServerFrame::Typing {
                from: "bob".into(),
                target: Target::User { to: "alice".into() },
            },
            9_000,
        );
        assert_eq!(
            state.typing_text(&ConvKey::Direct("bob".into())).as_deref(),
            Some("bob is typing…")
        );
        state.apply(ServerFrame::UserOffline { user: "bob".into() }, 9_001);
        assert_eq!(state.typing_text(&ConvKey::Direct("bob".into())), None);
    }

    #[test]
    fn typing_frames_go_only_where_they_can_arrive() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        assert_eq!(
            state.typing_frame(&lobby),
            Some(ClientFrame::Typing {
                target: Target::Room {
                    room: "lobby".into()
                }
            })
        );
        state.open_direct("Bob");
        assert_eq!(
            state.typing_frame(&ConvKey::Direct("bob".into())),
            Some(ClientFrame::Typing {
                target: Target::User { to: "bob".into() }
            })
        );
        state.open_direct("zed");
        assert_eq!(state.typing_frame(&ConvKey::Direct("zed".into())), None);
        assert!(state
            .send_blocker(&ConvKey::Direct("zed".into()))
            .unwrap()
            .contains("offline"));
        state.set_link(Link::Connecting);
        assert_eq!(state.typing_frame(&lobby), None);
    }

    #[test]
    fn members_coming_and_going_are_shown_as_system_lines() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into()],
            },
            0,
        );
        let rust = ConvKey::Room("rust".into());
        state.activate(&rust);
        state.apply(
            ServerFrame::MemberJoined {
                room: "rust".into(),
                user: "bob".into(),
            },
            1,
        );
        assert_eq!(state.conversation(&rust).unwrap().members.len(), 2);
        state.apply(
            ServerFrame::MemberLeft {
                room: "rust".into(),
                user: "bob".into(),
            },
            2,
        );
        let texts: Vec<String> = state
            .active_rows()
            .into_iter()
            .filter_map(|r| match r {
                Row::System { text, .. } => Some(text),
                Row::Message { .. } => None,
            })
            .collect();
        assert_eq!(texts, ["bob joined", "bob left"]);
        assert_eq!(state.conversation(&rust).unwrap().members.len(), 1);
    }

    #[test]
    fn presence_changes_update_the_online_list() {
        let mut state = connected("alice");
        state.open_direct("carol");
        state.apply(
            ServerFrame::UserOnline {
                user: "Carol".into(),
            },
            1,
        );
        assert!(state.is_online("carol"));
        assert!(state.directs()[0].available);
        state.apply(
            ServerFrame::UserOffline {
                user: "Carol".into(),
            },
            2,
        );
        assert!(!state.is_online("CAROL"));
        assert_eq!(state.people().len(), 2);
        let texts: Vec<String> = state
            .active_rows()
            .into_iter()
            .filter_map(|r| match r {
                Row::System { text, .. } => Some(text),
                Row::Message { .. } => None,
            })
            .collect();
        assert_eq!(texts, ["Carol is online", "Carol went offline"]);
    }

    #[test]
    fn joining_checks_the_name_and_opens_the_room_when_confirmed() {
        let mut state = connected("alice");
        assert_eq!(
            state.join_request("no spaces"),
            Err("The room name may only contain letters, digits, '_' and '-'.".into())
        );
        let frame = state.join_request(" Rust ").unwrap().unwrap();
        assert!(matches!(&frame, ClientFrame::Join { room, req: Some(_) } if room == "rust"));
        assert_eq!(state.active(), &ConvKey::lobby());
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into()],
            },
            0,
        );
        let rust = ConvKey::Room("rust".into());
        assert_eq!(state.active(), &rust);
        // Joining again just opens it.
        state.activate(&ConvKey::lobby());
        assert_eq!(state.join_request("rust"), Ok(None));
        assert_eq!(state.active(), &rust);
        // Leaving: lobby never, others through the server.
        assert_eq!(state.leave_request("lobby"), None);
        assert!(matches!(
            state.leave_request("rust"),
            Some(ClientFrame::Leave { .. })
        ));
        state.apply(
            ServerFrame::RoomLeft {
                room: "rust".into(),
            },
            1,
        );
        assert_eq!(state.active(), &ConvKey::lobby());
        assert_eq!(state.rooms().len(), 1);
    }

    #[test]
    fn a_refused_join_does_not_steal_focus_later() {
        let mut state = connected("alice");
        let frame = state.join_request("many").unwrap().unwrap();
        state.apply(
            ServerFrame::Error {
                code: ErrorCode::TooManyRooms,
                message: "too many rooms".into(),
                req: frame.req().map(str::to_owned),
            },
            0,
        );
        state.apply(
            ServerFrame::RoomJoined {
                room: "many".into(),
                members: vec![],
            },
            1,
        );
        assert_eq!(state.active(), &ConvKey::lobby());
    }

    #[test]
    fn the_status_line_counts_down() {
        assert_eq!(Link::Connected.describe(0), "Connected");
        assert_eq!(
            Link::Reconnecting { retry_at: 2_500 }.describe(0),
            "Reconnecting in 3 s"
        );
        assert_eq!(
            Link::Reconnecting { retry_at: 2_500 }.describe(2_500),
            "Reconnecting…"
        );
        assert_eq!(
            Link::Offline { retry_at: 1_000 }.describe(0),
            "Offline: trying again in 1 s"
        );
        assert_eq!(Link::Offline { retry_at: 0 }.as_str(), "offline");
    }

    #[test]
    fn bodies_are_kept_as_written() {
        let mut state = connected("alice");
        let body = "<img src=x onerror=alert(1)>";
        state.apply(room_message(1, "lobby", "bob", body), 0);
        match &state.active_rows()[0] {
            Row::Message { body: shown, .. } => assert_eq!(shown, body),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_conversations_are_trimmed() {
        let mut state = connected("alice");
        for id in 0..(MAX_LINES as u64 + 5) {
            state.apply(room_message(id + 1, "lobby", "bob", "x"), 0);
        }
        assert_eq!(state.active_rows().len(), MAX_LINES);
    }
}
