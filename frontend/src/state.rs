//! The client's model of the chat: conversations and their history, who is online, our sends
//! on their way, read markers and unread counts, typing notices, short notices, the point to
//! resume from and the connection's state.
//!
//! It is plain Rust, with no browser or signal in sight: [`ChatState::apply`] takes each
//! [`ServerFrame`] and returns the frames to send back (our unacknowledged sends, again, after
//! a reconnect), [`ChatState::due`] says what to send on its own (the open conversation's
//! first history page, its read marker), and every user action is a method that returns the
//! [`ClientFrame`] to send, if any. Time comes in as an argument, so the unit tests below drive
//! it like a clock.
//!
//! Messages are kept ordered by their server id and never twice, however they arrive: live,
//! replayed after a reconnect, in a history page, or as the `ack` of our own send.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use shared::protocol::PROTOCOL_VERSION;
use shared::{
    ClientFrame, ConversationInfo, ErrorCode, RoomInfo, RoomName, ServerFrame, StoredMessage,
    Target, UserName,
};

use crate::compose::{check_body, BodyProblem};
use crate::timeline::{self, Delivery, Line, LineKind, Message, Millis, Row};

/// A send without `ack` after this long is shown as failed.
pub const ACK_TIMEOUT_MS: Millis = 10_000;
/// "bob is typing…" disappears this long after bob's last typing notice.
pub const TYPING_SHOWN_MS: Millis = 4_000;
/// Notices dismiss themselves after this long.
pub const NOTICE_MS: Millis = 6_000;
/// New messages trim a conversation to this many lines, dropping the oldest (older pages the
/// reader asked for are kept).
pub const MAX_LINES: usize = 1_000;
/// Read markers go to the server at most this often.
pub const READ_EVERY_MS: Millis = 1_000;

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

    /// The conversation a frame's target names (the other person's, for a private one).
    pub fn of(target: &Target) -> Self {
        match target {
            Target::Room { room } => Self::Room(room.clone()),
            Target::User { to } => Self::Direct(to.to_ascii_lowercase()),
        }
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
    /// Ordered: messages with an id by id, other lines (system lines, our sends not yet
    /// acknowledged) by time among them. The messages held are every message from the oldest
    /// one held on; history pages extend that run backwards.
    pub lines: Vec<Line>,
    /// Rooms only: who is in it, as the server last said.
    pub members: BTreeSet<String>,
    /// Rooms only: the server says we are in it.
    pub joined: bool,
    /// The newest message id known here (from `welcome`, messages, pages and acks).
    pub last_id: u64,
    /// Our read marker: every message up to this id counts as read.
    pub read_up_to: u64,
    /// The marker the server has, or will have once our `read` arrives.
    read_sent: u64,
    /// `welcome`'s unread count, which covers the messages up to [`Self::counted_until`].
    counted_unread: u64,
    /// The conversation's newest id when `welcome` counted (0: never counted).
    counted_until: u64,
    /// The newest page of history has arrived.
    pub loaded: bool,
    /// Nothing older than the oldest message held exists.
    pub complete: bool,
    /// The request id of our history request on its way, if one is.
    loading: Option<String>,
    /// Who is typing here: name key -> (name, shown until).
    typing: BTreeMap<String, (String, Millis)>,
}

impl Conversation {
    fn new(key: ConvKey, title: String) -> Self {
        Self {
            key,
            title,
            lines: Vec::new(),
            members: BTreeSet::new(),
            joined: false,
            last_id: 0,
            read_up_to: 0,
            read_sent: 0,
            counted_unread: 0,
            counted_until: 0,
            loaded: false,
            complete: false,
            loading: None,
            typing: BTreeMap::new(),
        }
    }

    pub fn is_room(&self) -> bool {
        matches!(self.key, ConvKey::Room(_))
    }

    /// Where frames about this conversation go.
    pub fn target(&self) -> Target {
        match &self.key {
            ConvKey::Room(room) => Target::Room { room: room.clone() },
            ConvKey::Direct(_) => Target::User {
                to: self.title.clone(),
            },
        }
    }

    /// Whether a history request is on its way.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// The smallest message id held: the cursor for the next older page.
    pub fn oldest_id(&self) -> Option<u64> {
        self.lines
            .iter()
            .find_map(|l| l.message().and_then(|m| m.id))
    }

    fn has_id(&self, id: u64) -> bool {
        self.lines
            .iter()
            .rev()
            .any(|l| l.message().is_some_and(|m| m.id == Some(id)))
    }

    /// Messages from others after our read marker: `welcome`'s count for the messages up
    /// to `counted_until`, and those after it counted among the lines.
    pub fn unread(&self) -> u32 {
        let counted = if self.read_up_to >= self.counted_until {
            0
        } else {
            self.counted_unread
        };
        let newer = self.others_between(self.read_up_to.max(self.counted_until), u64::MAX);
        u32::try_from(counted + newer).unwrap_or(u32::MAX)
    }

    /// Messages from others held here with an id in `above+1..=up_to`.
    fn others_between(&self, above: u64, up_to: u64) -> u64 {
        self.lines
            .iter()
            .filter_map(Line::message)
            .filter(|m| !m.own && m.id.is_some_and(|id| id > above && id <= up_to))
            .count() as u64
    }

    /// Moves the read marker forward. When it stops inside what `welcome` counted (another
    /// tab read part of it), the rest is counted among the lines if they hold every message
    /// after the marker (the messages held run without a gap from the oldest to the newest);
    /// otherwise `welcome`'s count stands.
    fn mark_read(&mut self, up_to: u64) {
        if up_to <= self.read_up_to {
            return;
        }
        self.read_up_to = up_to;
        if up_to < self.counted_until
            && (self.complete || self.oldest_id().is_some_and(|oldest| oldest <= up_to))
        {
            self.counted_unread = self.others_between(up_to, self.counted_until);
        }
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

/// Someone in the "online" list, or in a room's member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub is_me: bool,
    pub online: bool,
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
    /// Our sends waiting for an `ack` on this connection: request id -> conversation.
    pending: HashMap<String, ConvKey>,
    /// The highest message id this page has received (messages, acks, `welcome.last_id`):
    /// the next connection asks for everything after it. `None` until this page load's first
    /// `welcome`, so that connection replays nothing and history pages fill the view.
    resume_after: Option<u64>,
    /// When we last sent a read marker (they are throttled).
    read_sent_at: Option<Millis>,
    /// The next line's sequence number.
    next_seq: u64,
    /// The next request id's number.
    next_req: u64,
    /// Makes our request ids unique to this page load (several tabs share a user; request ids
    /// are also the idempotency keys of our messages).
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
        let lobby = Conversation::new(ConvKey::lobby(), shared::limits::LOBBY.to_owned());
        Self {
            me: me.to_owned(),
            link: Link::Connecting,
            online: BTreeMap::new(),
            convs: vec![lobby],
            active: ConvKey::lobby(),
            pending: HashMap::new(),
            resume_after: None,
            read_sent_at: None,
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

    /// The `after` of the next connection: `None` on a page's first one.
    pub fn resume_after(&self) -> Option<u64> {
        self.resume_after
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

    /// Private conversations for the sidebar, by name, whether the other person is online
    /// or not.
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
            unread: c.unread(),
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
                online: true,
            })
            .collect()
    }

    /// The members of the open room (not lobby, whose members are everyone online), by name,
    /// online or not.
    pub fn active_members(&self) -> Vec<Person> {
        let Some(conv) = self.active_conversation() else {
            return Vec::new();
        };
        if !conv.is_room() || conv.key == ConvKey::lobby() {
            return Vec::new();
        }
        let mut members: Vec<Person> = conv
            .members
            .iter()
            .map(|name| Person {
                name: name.clone(),
                is_me: self.is_me(name),
                online: self.is_online(name),
            })
            .collect();
        members.sort_by_key(|p| p.name.to_ascii_lowercase());
        members
    }

    pub fn is_online(&self, name: &str) -> bool {
        self.online.contains_key(&name.to_ascii_lowercase())
    }

    /// Unread messages across all conversations.
    pub fn total_unread(&self) -> u32 {
        self.convs.iter().map(Conversation::unread).sum()
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

    /// Whether the composer of a conversation can send now, and if not, why. Private
    /// messages to someone offline are stored for them, so only the connection and room
    /// membership matter.
    pub fn send_blocker(&self, key: &ConvKey) -> Option<String> {
        if !self.is_connected() {
            return Some("Not connected: messages can be sent once the connection is back.".into());
        }
        match key {
            ConvKey::Room(room) => match self.conversation(key) {
                Some(c) if c.joined => None,
                _ => Some(format!("Joining #{room}…")),
            },
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
                conversations,
                last_id,
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
                return self.welcome(user, online, rooms, conversations, last_id, now);
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
            ServerFrame::History {
                target,
                messages,
                complete,
                req,
            } => self.history_page(&target, messages, complete, req.as_deref()),
            ServerFrame::Read { target, up_to } => {
                if let Some(conv) = self.conv_mut(&ConvKey::of(&target)) {
                    conv.mark_read(up_to);
                    conv.read_sent = conv.read_sent.max(up_to);
                }
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
            ServerFrame::Presence { online, offline } => self.presence(online, offline, now),
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

    /// Who came online and who went offline. The server coalesces changes and may repeat
    /// what we know (what `welcome` said, ourselves), so these are set operations, and only
    /// an actual change is worth a line in the direct conversation with that person.
    fn presence(&mut self, online: Vec<String>, offline: Vec<String>, now: Millis) {
        for user in online {
            let key = user.to_ascii_lowercase();
            if self.online.insert(key.clone(), user.clone()).is_none() {
                self.system_line(&ConvKey::Direct(key), format!("{user} is online"), now);
            }
        }
        for user in offline {
            let key = user.to_ascii_lowercase();
            if self.online.remove(&key).is_none() {
                continue;
            }
            for conv in &mut self.convs {
                conv.typing.remove(&key);
            }
            self.system_line(&ConvKey::Direct(key), format!("{user} went offline"), now);
        }
    }

    /// A connection opened: take who is online, our rooms and where each conversation stands
    /// from the server, and send again what it has not confirmed.
    fn welcome(
        &mut self,
        user: String,
        online: Vec<String>,
        rooms: Vec<RoomInfo>,
        conversations: Vec<ConversationInfo>,
        last_id: u64,
        now: Millis,
    ) -> Vec<ClientFrame> {
        self.me = user;
        self.link = Link::Connected;
        self.online = online
            .into_iter()
            .map(|name| (name.to_ascii_lowercase(), name))
            .collect();
        // Memberships are stored on the server: its list is the truth, nothing to re-join.
        let fresh: BTreeSet<String> = rooms.iter().map(|r| r.room.clone()).collect();
        for info in rooms {
            let key = ConvKey::Room(info.room.clone());
            let conv = self.conv_entry(&key, &info.room);
            conv.members = info.members.into_iter().collect();
            conv.joined = true;
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
        for info in conversations {
            let title = match &info.target {
                Target::Room { room } => room.clone(),
                Target::User { to } => to.clone(),
            };
            let conv = self.conv_entry(&ConvKey::of(&info.target), &title);
            conv.title = title;
            conv.last_id = conv.last_id.max(info.last_id);
            conv.read_up_to = info.read_up_to;
            conv.read_sent = info.read_up_to;
            conv.counted_unread = info.unread;
            conv.counted_until = info.last_id;
        }
        self.resume_after = Some(self.resume_after.unwrap_or(0).max(last_id));
        self.resend(now)
    }

    /// Our sends that failed for want of a connection or an answer go out again, with the
    /// request ids they had: one the server already stored is acknowledged, not stored twice.
    fn resend(&mut self, now: Millis) -> Vec<ClientFrame> {
        let mut again = Vec::new();
        for conv in &mut self.convs {
            for message in conv.lines.iter_mut().filter_map(Line::message_mut) {
                if let Delivery::Failed {
                    req, resend: true, ..
                } = &message.delivery
                {
                    let req = req.clone();
                    message.delivery = Delivery::Pending {
                        req: req.clone(),
                        sent_at: now,
                    };
                    again.push((conv.key.clone(), req, message.body.clone()));
                }
            }
        }
        again
            .into_iter()
            .map(|(key, req, body)| {
                self.pending.insert(req.clone(), key.clone());
                self.frame_for(&key, body, req)
            })
            .collect()
    }

    fn acked(&mut self, req: &str, id: u64, at: Millis) {
        // Usually the send is pending; after a timeout it may already show as failed, and a
        // late ack means it did get through after all.
        self.pending.remove(req);
        self.note_id(id);
        let found = self.convs.iter().enumerate().find_map(|(c, conv)| {
            conv.lines
                .iter()
                .position(|l| l.message().is_some_and(|m| m.delivery.req() == Some(req)))
                .map(|l| (c, l))
        });
        let Some((c, l)) = found else {
            return;
        };
        let conv = &mut self.convs[c];
        conv.last_id = conv.last_id.max(id);
        let mut line = conv.lines.remove(l);
        if conv.has_id(id) {
            // It reached us already (replayed after a reconnect): keep that copy only.
            return;
        }
        if let Some(message) = line.message_mut() {
            message.id = Some(id);
            message.at = at;
            message.delivery = Delivery::Confirmed;
        }
        line.at = at;
        place_line(conv, line);
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
        self.note_id(id);
        let own = self.is_me(&from);
        let seq = self.take_seq();
        let conv = self.conv_entry(&key, &title);
        conv.last_id = conv.last_id.max(id);
        if conv.has_id(id) {
            return;
        }
        conv.typing.remove(&from.to_ascii_lowercase());
        let announcement = if own {
            None
        } else {
            let short: String = body.chars().take(140).collect();
            Some(format!("{from} ({place}): {short}"))
        };
        place_line(
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
        trim(conv);
        if let Some(text) = announcement {
            self.announcement = text;
        }
    }

    /// A page of history: merged in by id, none twice.
    fn history_page(
        &mut self,
        target: &Target,
        messages: Vec<StoredMessage>,
        complete: bool,
        req: Option<&str>,
    ) {
        let key = ConvKey::of(target);
        let Some(index) = self.convs.iter().position(|c| c.key == key) else {
            return;
        };
        for stored in messages {
            let own = self.is_me(&stored.from);
            let seq = self.take_seq();
            let conv = &mut self.convs[index];
            conv.last_id = conv.last_id.max(stored.id);
            if conv.has_id(stored.id) {
                continue;
            }
            place_line(
                conv,
                Line {
                    seq,
                    at: stored.at,
                    kind: LineKind::Message(Message {
                        id: Some(stored.id),
                        from: stored.from,
                        body: stored.body,
                        at: stored.at,
                        own,
                        delivery: Delivery::Confirmed,
                    }),
                },
            );
        }
        let conv = &mut self.convs[index];
        if req.is_none() || conv.loading.as_deref() == req {
            conv.loading = None;
        }
        conv.loaded = true;
        conv.complete |= complete;
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
                self.fail(&req, &text, false);
            }
            if let Some(conv) = self
                .convs
                .iter_mut()
                .find(|c| c.loading.as_deref() == Some(req.as_str()))
            {
                conv.loading = None;
                // Asking again will not help (no such person, not a member); a rate limit
                // passes, so then the next look at what is due asks again.
                if code != ErrorCode::RateLimited {
                    conv.loaded = true;
                    conv.complete = true;
                }
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

    /// The connection closed: every send still waiting has failed for now (it goes out
    /// again after the next `welcome`), history requests are lost, nobody is typing any more.
    pub fn connection_lost(&mut self) {
        let reqs: Vec<String> = self.pending.keys().cloned().collect();
        for req in reqs {
            self.fail(
                &req,
                "Connection lost: it is sent again once the connection is back.",
                true,
            );
        }
        for conv in &mut self.convs {
            conv.typing.clear();
            conv.loading = None;
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
            self.fail(&req, "No answer from the server.", true);
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

    /// What to send now without being asked: the open conversation's newest history page
    /// when it has none yet, and, while the page is `visible`, its read marker when there is
    /// something new to mark read (at most every [`READ_EVERY_MS`]).
    pub fn due(&mut self, now: Millis, visible: bool) -> Vec<ClientFrame> {
        let mut out = Vec::new();
        if !self.is_connected() {
            return out;
        }
        let key = self.active.clone();
        out.extend(self.history_request(&key, false));
        if visible {
            out.extend(self.read_request(&key, now));
        }
        out
    }

    /// The next older page of a conversation (the reader scrolled to the top), unless one is
    /// on its way or there is nothing older.
    pub fn older_request(&mut self, key: &ConvKey) -> Option<ClientFrame> {
        self.history_request(key, true)
    }

    fn history_request(&mut self, key: &ConvKey, older: bool) -> Option<ClientFrame> {
        if !self.is_connected() {
            return None;
        }
        let conv = self.conversation(key)?;
        if conv.loading.is_some() || (conv.is_room() && !conv.joined) {
            return None;
        }
        let before = match (older, conv.loaded) {
            (false, false) => None,
            (true, true) if !conv.complete => Some(conv.oldest_id()?),
            _ => return None,
        };
        let req = self.take_req();
        let conv = self.conv_mut(key)?;
        conv.loading = Some(req.clone());
        Some(ClientFrame::History {
            target: conv.target(),
            before,
            limit: None,
            req: Some(req),
        })
    }

    /// The open conversation is seen: everything in it is read at once on this page, and the
    /// server hears of it at most every [`READ_EVERY_MS`].
    fn read_request(&mut self, key: &ConvKey, now: Millis) -> Option<ClientFrame> {
        let throttled = self.read_sent_at.is_some_and(|at| now < at + READ_EVERY_MS);
        let conv = self.conv_mut(key)?;
        if conv.last_id > conv.read_up_to && conv.unread() > 0 {
            conv.mark_read(conv.last_id);
        }
        // Markers only move forward, and only forward moves are worth a frame.
        if throttled || conv.read_up_to <= conv.read_sent {
            return None;
        }
        conv.read_sent = conv.read_up_to;
        let frame = ClientFrame::Read {
            target: conv.target(),
            up_to: conv.read_up_to,
        };
        self.read_sent_at = Some(now);
        Some(frame)
    }

    // ----- what the person does ------------------------------------------------------------

    /// Opens a conversation. Its history and read marker follow from [`Self::due`].
    pub fn activate(&mut self, key: &ConvKey) {
        if self.conversation(key).is_some() {
            self.active = key.clone();
        }
    }

    /// Opens (creating if needed) the private conversation with `name`, online or not.
    pub fn open_direct(&mut self, name: &str) {
        if self.is_me(name) || UserName::parse(name).is_err() {
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
    /// when there is no connection; it then goes out after the next `welcome`). Returns the
    /// frame to send. The request id chosen here stays with the message for every retry.
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
                    "Not connected: it is sent once the connection is back.".to_owned()
                },
                req: req.clone(),
                resend: !connected,
            },
            None => Delivery::Pending {
                req: req.clone(),
                sent_at: now,
            },
        };
        place_line(
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
        trim(conv);
        if blocker.is_some() {
            return Ok(None);
        }
        self.pending.insert(req.clone(), key.clone());
        Ok(Some(self.frame_for(key, body, req)))
    }

    /// Sends a failed message again, with the request id it always had, so the server stores
    /// it once even if an earlier attempt got through. Returns the frame, or `None` when it
    /// cannot go now.
    pub fn retry(&mut self, key: &ConvKey, seq: u64, now: Millis) -> Option<ClientFrame> {
        if let Some(reason) = self.send_blocker(key) {
            self.notify(reason, now);
            return None;
        }
        let conv = self.conv_mut(key)?;
        let line = conv.lines.iter_mut().find(|l| l.seq == seq)?;
        let message = line.message_mut()?;
        let Delivery::Failed { req, .. } = &message.delivery else {
            return None;
        };
        let req = req.clone();
        message.delivery = Delivery::Pending {
            req: req.clone(),
            sent_at: now,
        };
        let body = message.body.clone();
        self.pending.insert(req.clone(), key.clone());
        Some(self.frame_for(key, body, req))
    }

    /// The frame could not be handed to the connection at all.
    pub fn send_failed(&mut self, frame: &ClientFrame) {
        let Some(req) = frame.req() else {
            return;
        };
        self.fail(
            req,
            "Not connected: it is sent once the connection is back.",
            true,
        );
        for conv in &mut self.convs {
            if conv.loading.as_deref() == Some(req) {
                conv.loading = None;
            }
        }
    }

    /// The `typing` frame for a conversation, when it can reach anyone (the composer throttles
    /// how often it is sent, see [`crate::compose::TypingThrottle`]).
    pub fn typing_frame(&self, key: &ConvKey) -> Option<ClientFrame> {
        if self.send_blocker(key).is_some() {
            return None;
        }
        let target = match key {
            // The server drops notices to someone offline; do not bother it.
            ConvKey::Direct(user) if !self.online.contains_key(user) => return None,
            _ => self.conversation(key)?.target(),
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
            req: Some(self.take_req()),
        })
    }

    /// Hides a private conversation on this page. The server keeps it: its next message, or
    /// the next page load, brings it back.
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

    /// A message id reached us: the next connection resumes after it.
    fn note_id(&mut self, id: u64) {
        if let Some(after) = &mut self.resume_after {
            *after = (*after).max(id);
        }
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
            place_line(
                conv,
                Line {
                    seq,
                    at: now,
                    kind: LineKind::System { text },
                },
            );
            trim(conv);
        }
    }

    fn fail(&mut self, req: &str, reason: &str, resend: bool) {
        let Some(key) = self.pending.remove(req) else {
            return;
        };
        let Some(conv) = self.conv_mut(&key) else {
            return;
        };
        let found = conv.lines.iter_mut().rev().find_map(|l| {
            l.message_mut()
                .filter(|m| matches!(&m.delivery, Delivery::Pending { req: r, .. } if r == req))
        });
        if let Some(message) = found {
            message.delivery = Delivery::Failed {
                reason: reason.to_owned(),
                req: req.to_owned(),
                resend,
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

/// Whether `line` belongs after `new`: messages with ids by id, our sends without an id yet
/// after them (their ids will be newer), system lines by time.
fn belongs_after(line: &Line, new: &Line) -> bool {
    #[derive(PartialEq)]
    enum Place {
        Id(u64),
        Unsent,
        System,
    }
    let place = |l: &Line| match l.message() {
        Some(m) => m.id.map_or(Place::Unsent, Place::Id),
        None => Place::System,
    };
    match (place(line), place(new)) {
        (Place::Id(a), Place::Id(b)) => a > b,
        (Place::Unsent, Place::Id(_)) => true,
        (_, Place::Unsent) => false,
        (Place::System, _) | (_, Place::System) => line.at > new.at,
    }
}

/// Puts a line where it belongs. New lines usually belong at the end, so the search starts
/// there; an older page's messages walk back to their place.
fn place_line(conv: &mut Conversation, line: Line) {
    let mut at = conv.lines.len();
    while at > 0 && belongs_after(&conv.lines[at - 1], &line) {
        at -= 1;
    }
    conv.lines.insert(at, line);
}

/// Drops the oldest lines beyond [`MAX_LINES`]; older history is then there to load again.
fn trim(conv: &mut Conversation) {
    if conv.lines.len() > MAX_LINES {
        let excess = conv.lines.len() - MAX_LINES;
        conv.lines.drain(..excess);
        conv.complete = false;
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
            conversations: Vec::new(),
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
                ..
            } => ServerFrame::Welcome {
                protocol,
                user,
                online,
                rooms,
                conversations,
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
        }
    }

    fn room(name: &str) -> Target {
        Target::Room { room: name.into() }
    }

    fn stored(id: u64, target: Target, from: &str) -> StoredMessage {
        StoredMessage {
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
                &[("lobby", &[]), ("rust", &["Alice"])],
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
    fn after_a_reconnect_the_server_lists_our_rooms_and_nothing_is_joined_again() {
        let mut state = connected("alice");
        for room in ["rust", "ops"] {
            state.apply(
                ServerFrame::RoomJoined {
                    room: room.into(),
                    members: vec!["alice".into()],
                },
                1,
            );
        }
        state.connection_lost();
        state.set_link(Link::Reconnecting { retry_at: 500 });
        // Another tab left #ops meanwhile; #rust is still ours.
        let out = state.apply(
            welcome(
                "alice",
                &["alice"],
                &[("lobby", &[]), ("rust", &["alice", "carol"])],
            ),
            600,
        );
        assert!(out.is_empty(), "{out:?}");
        let rust = ConvKey::Room("rust".into());
        assert!(state.send_blocker(&rust).is_none());
        assert_eq!(state.conversation(&rust).unwrap().members.len(), 2);
        assert!(state.conversation(&ConvKey::Room("ops".into())).is_none());
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
        // The same request id: if the first attempt got through, the server stores it once.
        assert_eq!(req_of(&again), req_of(&first));
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
                code: ErrorCode::UnknownUser,
                message: "nobody is called bob".into(),
                req: frame.req().map(str::to_owned),
            },
            100,
        );
        assert_eq!(statuses(&state), [Status::Failed]);
        assert_eq!(state.notices()[0].text, "nobody is called bob");
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
        assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
        // Lobby is open: what arrives there is read once the page is seen.
        assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().unread(), 1);
        state.due(5, true);
        assert_eq!(state.conversation(&ConvKey::lobby()).unwrap().unread(), 0);
        assert_eq!(state.total_unread(), 2);
        assert_eq!(state.announcement(), "bob (#lobby): seen");
        state.activate(&rust);
        // Opening it asks for its history; seen on a visible page, it is marked read.
        assert_eq!(state.total_unread(), 2);
        let out = state.due(2_000, true);
        assert!(matches!(&out[0], ClientFrame::History { before: None, .. }));
        assert_eq!(
            out[1],
            ClientFrame::Read {
                target: room("rust"),
                up_to: 4
            }
        );
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
        assert_eq!(state.conversation(&bob).unwrap().unread(), 1);
        state.open_direct("BOB");
        assert_eq!(state.active(), &bob);
        // A hidden page marks nothing read.
        assert!(!state
            .due(12, false)
            .iter()
            .any(|f| matches!(f, ClientFrame::Read { .. })));
        assert_eq!(state.total_unread(), 1);
        state.due(13, true);
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
        state.apply(
            ServerFrame::Presence {
                online: Vec::new(),
                offline: vec!["bob".into()],
            },
            9_001,
        );
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
        // Private messages to someone offline are stored for them.
        assert_eq!(state.send_blocker(&ConvKey::Direct("zed".into())), None);
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

    fn presence(online: &[&str], offline: &[&str]) -> ServerFrame {
        ServerFrame::Presence {
            online: online.iter().map(|s| s.to_string()).collect(),
            offline: offline.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn presence_changes_update_the_online_list() {
        let mut state = connected("alice");
        state.open_direct("carol");
        state.apply(presence(&["Carol"], &[]), 1);
        assert!(state.is_online("carol"));
        assert!(state.directs()[0].available);
        state.apply(presence(&[], &["Carol"]), 2);
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
    fn a_presence_frame_applies_many_changes_and_repeats_are_no_news() {
        let mut state = connected("alice");
        assert!(state.is_online("bob"), "the welcome lists bob");
        state.open_direct("bob");
        state.open_direct("dave");
        state.open_direct("erin");
        state.apply(
            ServerFrame::Typing {
                from: "erin".into(),
                target: Target::User { to: "alice".into() },
            },
            1,
        );
        // Bob and we were online already; frank was never known to be online.
        state.apply(presence(&["alice", "bob", "dave", "erin"], &["frank"]), 2);
        state.apply(presence(&["dave"], &["erin"]), 3);
        let mut people: Vec<String> = state.people().into_iter().map(|p| p.name).collect();
        people.sort();
        assert_eq!(people, ["alice", "bob", "dave"]);
        let erin = ConvKey::Direct("erin".into());
        assert_eq!(
            state.typing_text(&erin),
            None,
            "typing ends with going offline"
        );
        let lines = |state: &mut ChatState, key: &ConvKey| -> Vec<String> {
            state.activate(key);
            state
                .active_rows()
                .into_iter()
                .filter_map(|r| match r {
                    Row::System { text, .. } => Some(text),
                    Row::Message { .. } => None,
                })
                .collect()
        };
        assert!(lines(&mut state, &ConvKey::Direct("bob".into())).is_empty());
        assert_eq!(
            lines(&mut state, &ConvKey::Direct("dave".into())),
            ["dave is online"]
        );
        assert_eq!(
            lines(&mut state, &erin),
            ["erin is online", "erin went offline"]
        );
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
        assert_eq!(state.leave_request("lobby", 1), None);
        assert!(matches!(
            state.leave_request("rust", 1),
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

    #[test]
    fn the_resume_point_is_the_highest_id_received() {
        let mut state = ChatState::new("alice", "t");
        // A page's first connection replays nothing.
        assert_eq!(state.resume_after(), None);
        state.apply(welcome_with("alice", &["lobby"], Vec::new(), 40), 0);
        assert_eq!(state.resume_after(), Some(40));
        state.apply(room_message(42, "lobby", "bob", "hi"), 1);
        let frame = state.compose(&ConvKey::lobby(), "yo", 2).unwrap().unwrap();
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&frame)),
                id: 45,
                at: 3,
            },
            3,
        );
        assert_eq!(state.resume_after(), Some(45));
        // History pages are old news: they do not move it.
        let req = match state.due(4, false).pop() {
            Some(ClientFrame::History { req, .. }) => req,
            other => panic!("{other:?}"),
        };
        state.apply(page(room("lobby"), &[44, 45, 46], false, req), 5);
        assert_eq!(state.resume_after(), Some(45));
        // A welcome never moves it back.
        state.connection_lost();
        state.apply(welcome_with("alice", &["lobby"], Vec::new(), 30), 6);
        assert_eq!(state.resume_after(), Some(45));
        state.apply(welcome_with("alice", &["lobby"], Vec::new(), 50), 7);
        assert_eq!(state.resume_after(), Some(50));
    }

    #[test]
    fn history_pages_merge_by_id_with_live_and_replayed_messages() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        // A live message before the first page arrives.
        state.apply(room_message(60, "lobby", "bob", "live"), 1);
        let out = state.due(2, false);
        let first = match out.as_slice() {
            [ClientFrame::History {
                target,
                before: None,
                req,
                ..
            }] if *target == room("lobby") => req.clone(),
            other => panic!("{other:?}"),
        };
        // Asked once, not again while it is on its way.
        assert!(state.due(3, false).is_empty());
        assert_eq!(state.older_request(&lobby), None);
        state.apply(page(room("lobby"), &[50, 55, 60], false, first), 4);
        assert_eq!(ids(&state, &lobby), [50, 55, 60]);
        assert!(state.due(5, false).is_empty());
        // Scrolling to the top asks for what is before the oldest held.
        let older = state.older_request(&lobby).unwrap();
        let req = match &older {
            ClientFrame::History {
                before: Some(50),
                req,
                ..
            } => req.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(state.older_request(&lobby), None);
        // Replayed and live messages, some twice, out of the blue.
        state.apply(room_message(61, "lobby", "bob", "x"), 6);
        state.apply(room_message(55, "lobby", "bob", "again"), 7);
        state.apply(page(room("lobby"), &[20, 30, 50], true, req), 8);
        assert_eq!(ids(&state, &lobby), [20, 30, 50, 55, 60, 61]);
        // Nothing older exists: no more requests.
        assert!(state.conversation(&lobby).unwrap().complete);
        assert_eq!(state.older_request(&lobby), None);
        // The rows keep their sequence numbers, so the view keeps its keys.
        let seqs: Vec<u64> = state.active_rows().iter().map(Row::seq).collect();
        state.apply(room_message(62, "lobby", "bob", "y"), 9);
        let later: Vec<u64> = state.active_rows().iter().map(Row::seq).collect();
        assert_eq!(&later[..seqs.len()], &seqs[..]);
    }

    #[test]
    fn a_lost_connection_forgets_the_history_request_and_asks_again() {
        let mut state = connected("alice");
        assert_eq!(state.due(1, false).len(), 1);
        state.connection_lost();
        state.set_link(Link::Reconnecting { retry_at: 5 });
        assert!(state.due(2, false).is_empty());
        state.apply(welcome("alice", &["alice"], &[("lobby", &[])]), 6);
        assert_eq!(state.due(7, false).len(), 1);
    }

    #[test]
    fn a_refused_history_request_is_not_repeated() {
        let mut state = connected("alice");
        state.open_direct("nobody");
        let req = match state.due(1, false).pop() {
            Some(ClientFrame::History {
                target: Target::User { to },
                req,
                ..
            }) if to == "nobody" => req,
            other => panic!("{other:?}"),
        };
        state.apply(
            ServerFrame::Error {
                code: ErrorCode::UnknownUser,
                message: "no such user".into(),
                req,
            },
            2,
        );
        assert!(state.due(3, false).is_empty());
        assert_eq!(state.older_request(&ConvKey::Direct("nobody".into())), None);
    }

    #[test]
    fn welcome_sets_unread_counts_and_lists_private_conversations() {
        let mut state = ChatState::new("alice", "t");
        state.apply(
            welcome_with(
                "alice",
                &["lobby", "rust"],
                vec![
                    info(room("lobby"), 41, 41, 0),
                    info(room("rust"), 39, 30, 4),
                    info(Target::User { to: "Carol".into() }, 40, 0, 1),
                ],
                41,
            ),
            0,
        );
        let rust = ConvKey::Room("rust".into());
        let carol = ConvKey::Direct("carol".into());
        assert_eq!(state.conversation(&rust).unwrap().unread(), 4);
        // Carol is offline, and the conversation is there, under her name.
        assert!(!state.is_online("carol"));
        let directs = state.directs();
        assert_eq!(directs.len(), 1);
        assert_eq!((directs[0].title.as_str(), directs[0].unread), ("Carol", 1));
        assert!(!directs[0].available);
        assert_eq!(state.total_unread(), 5);
        // A new message from someone else counts on top; our own does not.
        state.apply(room_message(42, "rust", "bob", "new"), 1);
        state.apply(room_message(43, "rust", "alice", "mine"), 2);
        assert_eq!(state.conversation(&rust).unwrap().unread(), 5);
        // Another tab read rust: the marker moves, the count follows.
        state.apply(
            ServerFrame::Read {
                target: room("rust"),
                up_to: 43,
            },
            3,
        );
        assert_eq!(state.conversation(&rust).unwrap().unread(), 0);
        // A marker never moves back.
        state.apply(
            ServerFrame::Read {
                target: room("rust"),
                up_to: 10,
            },
            4,
        );
        assert_eq!(state.conversation(&rust).unwrap().read_up_to, 43);
        // The next welcome replaces the counts.
        state.connection_lost();
        state.apply(
            welcome_with(
                "alice",
                &["lobby", "rust"],
                vec![info(room("rust"), 50, 43, 2)],
                50,
            ),
            5,
        );
        assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
        assert_eq!(state.conversation(&carol).unwrap().unread(), 1);
    }

    #[test]
    fn unread_is_counted_from_the_marker_once_the_messages_are_held() {
        let mut state = ChatState::new("alice", "t");
        state.apply(
            welcome_with(
                "alice",
                &["lobby", "rust"],
                vec![info(room("rust"), 40, 10, 3)],
                40,
            ),
            0,
        );
        let rust = ConvKey::Room("rust".into());
        state.activate(&rust);
        let req = match state.due(1, false).pop() {
            Some(ClientFrame::History { req, .. }) => req,
            other => panic!("{other:?}"),
        };
        state.apply(page(room("rust"), &[5, 10, 20, 30, 40], true, req), 2);
        assert_eq!(state.conversation(&rust).unwrap().unread(), 3);
        // Another tab read up to 20: two of the held messages are left.
        state.apply(
            ServerFrame::Read {
                target: room("rust"),
                up_to: 20,
            },
            3,
        );
        assert_eq!(state.conversation(&rust).unwrap().unread(), 2);
    }

    #[test]
    fn read_markers_go_out_for_the_open_conversation_forward_only_and_throttled() {
        let mut state = connected("alice");
        let reads = |frames: Vec<ClientFrame>| -> Vec<u64> {
            frames
                .into_iter()
                .filter_map(|f| match f {
                    ClientFrame::Read { up_to, .. } => Some(up_to),
                    _ => None,
                })
                .collect()
        };
        state.apply(room_message(5, "lobby", "bob", "a"), 0);
        assert_eq!(reads(state.due(1_000, true)), [5]);
        // Nothing new: nothing to say.
        assert!(reads(state.due(5_000, true)).is_empty());
        state.apply(room_message(6, "lobby", "bob", "b"), 5_001);
        state.apply(room_message(7, "lobby", "bob", "c"), 5_002);
        assert_eq!(reads(state.due(5_003, true)), [7]);
        state.apply(room_message(8, "lobby", "bob", "d"), 5_004);
        // At most one a second; the page counts it read at once.
        assert!(reads(state.due(5_500, true)).is_empty());
        assert_eq!(state.total_unread(), 0);
        assert_eq!(reads(state.due(6_003, true)), [8]);
        // Our own messages need no marker.
        state.apply(room_message(9, "lobby", "alice", "mine"), 8_000);
        assert!(reads(state.due(9_000, true)).is_empty());
        // Not while disconnected.
        state.apply(room_message(10, "lobby", "bob", "e"), 9_001);
        state.set_link(Link::Reconnecting { retry_at: 10_000 });
        assert!(reads(state.due(9_500, true)).is_empty());
    }

    #[test]
    fn unacknowledged_sends_go_out_again_after_a_reconnect_with_the_same_req() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let first = state.compose(&lobby, "one", 0).unwrap().unwrap();
        let second = state.compose(&lobby, "two", 1).unwrap().unwrap();
        state.connection_lost();
        assert_eq!(statuses(&state), [Status::Failed, Status::Failed]);
        state.set_link(Link::Reconnecting { retry_at: 5 });
        // Written while away: it goes out with the others.
        assert_eq!(state.compose(&lobby, "three", 2).unwrap(), None);
        let third_req = state.active_conversation().unwrap().lines[2]
            .message()
            .unwrap()
            .delivery
            .req()
            .unwrap()
            .to_owned();
        let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 10), 10);
        let reqs: Vec<String> = out.iter().map(req_of).collect();
        assert_eq!(reqs, [req_of(&first), req_of(&second), third_req]);
        assert_eq!(out[0], first);
        assert_eq!(statuses(&state), [Status::Pending; 3]);
        // The server had stored the first: the replay brings it, then its ack (original id).
        state.apply(room_message(9, "lobby", "alice", "one"), 11);
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&first)),
                id: 9,
                at: 1_009,
            },
            12,
        );
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&second)),
                id: 11,
                at: 1_011,
            },
            13,
        );
        let bodies: Vec<String> = state
            .active_rows()
            .into_iter()
            .filter_map(|r| match r {
                Row::Message { body, .. } => Some(body),
                Row::System { .. } => None,
            })
            .collect();
        assert_eq!(bodies, ["one", "two", "three"]);
        assert_eq!(ids(&state, &lobby), [9, 11]);
        assert_eq!(
            statuses(&state),
            [Status::Confirmed, Status::Confirmed, Status::Pending]
        );
    }

    #[test]
    fn a_refused_send_is_not_sent_again_by_itself_but_retry_keeps_its_req() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let frame = state.compose(&lobby, "hi", 0).unwrap().unwrap();
        state.apply(
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                req: frame.req().map(str::to_owned),
            },
            1,
        );
        state.connection_lost();
        let out = state.apply(welcome_with("alice", &["lobby"], Vec::new(), 0), 2);
        assert!(out.is_empty());
        assert_eq!(statuses(&state), [Status::Failed]);
        let seq = state.active_rows()[0].seq();
        assert_eq!(state.retry(&lobby, seq, 3), Some(frame));
    }

    #[test]
    fn acks_keep_messages_in_id_order() {
        let mut state = connected("alice");
        let lobby = ConvKey::lobby();
        let frame = state.compose(&lobby, "mine", 5_000).unwrap().unwrap();
        // Someone else's message overtakes ours on the way (its time is later than ours).
        state.apply(room_message(20, "lobby", "bob", "theirs"), 5_001);
        state.apply(
            ServerFrame::Ack {
                req: Some(req_of(&frame)),
                id: 21,
                at: 900,
            },
            5_002,
        );
        assert_eq!(ids(&state, &lobby), [20, 21]);
    }

    #[test]
    fn private_conversations_with_someone_offline_can_be_opened_and_written_to() {
        let mut state = connected("alice");
        state.apply(
            ServerFrame::RoomJoined {
                room: "rust".into(),
                members: vec!["alice".into(), "Dave".into()],
            },
            0,
        );
        state.activate(&ConvKey::Room("rust".into()));
        let members = state.active_members();
        assert_eq!(members.len(), 2);
        assert!(members.iter().any(|p| p.name == "Dave" && !p.online));
        assert!(members.iter().any(|p| p.name == "alice" && p.is_me));
        state.open_direct("Dave");
        let dave = ConvKey::Direct("dave".into());
        assert_eq!(state.active(), &dave);
        let frame = state.compose(&dave, "when you are back", 1).unwrap();
        assert!(matches!(
            frame,
            Some(ClientFrame::PrivateMessage { ref to, .. }) if to == "Dave"
        ));
        // Names against the rules open nothing.
        state.open_direct("not a name");
        assert_eq!(state.active(), &dave);
    }
}
