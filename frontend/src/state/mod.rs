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

use std::collections::{BTreeSet, HashMap};

use shared::protocol::PROTOCOL_VERSION;
use shared::{
    ClientFrame, ConversationInfo, ErrorCode, RoomInfo, RoomName, ServerFrame, StoredMessage,
    Target, UserName,
};

mod conversation;
mod key;
mod link;
mod notices;
mod presence;
mod read;
mod typing;

pub use conversation::{Conversation, MAX_LINES};
pub use key::ConvKey;
pub use link::Link;
use link::ResumePoint;
use notices::Notices;
pub use notices::{Notice, NOTICE_MS};
pub use presence::Person;
use presence::Presence;
pub use read::READ_EVERY_MS;
pub use typing::TYPING_SHOWN_MS;

use crate::compose::{check_body, BodyProblem};
use crate::timeline::{self, Delivery, Line, LineKind, Message, Millis, Row};

/// A send without `ack` after this long is shown as failed.
pub const ACK_TIMEOUT_MS: Millis = 10_000;

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

/// Everything the chat page shows, and the bookkeeping behind it.
#[derive(Debug, Clone)]
pub struct ChatState {
    /// Our name, as the server writes it.
    me: String,
    link: Link,
    /// Who is online.
    presence: Presence,
    /// Rooms and private conversations, in the order they appeared.
    convs: Vec<Conversation>,
    /// The conversation on screen.
    active: ConvKey,
    /// Our sends waiting for an `ack` on this connection: request id -> conversation.
    pending: HashMap<String, ConvKey>,
    /// Where the next connection resumes.
    resume: ResumePoint,
    /// When we last sent a read marker (they are throttled).
    read_sent_at: Option<Millis>,
    /// The next line's sequence number.
    next_seq: u64,
    /// The next request id's number.
    next_req: u64,
    /// Makes our request ids unique to this page load (several tabs share a user; request ids
    /// are also the idempotency keys of our messages).
    req_prefix: String,
    /// Short notices and the screen readers' announcement.
    notices: Notices,
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
            presence: Presence::default(),
            convs: vec![lobby],
            active: ConvKey::lobby(),
            pending: HashMap::new(),
            resume: ResumePoint::default(),
            read_sent_at: None,
            next_seq: 1,
            next_req: 1,
            req_prefix: req_prefix.to_owned(),
            notices: Notices::default(),
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
        self.resume.after()
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
                ConvKey::Direct(key) => Some(self.summary(c, self.presence.is_online(key))),
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

    pub fn notices(&self) -> &[Notice] {
        self.notices.shown()
    }

    pub fn announcement(&self) -> &str {
        self.notices.announcement()
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
                self.read_elsewhere(&target, up_to);
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
                    conv.typing.stopped(&user);
                }
                self.system_line(&key, format!("{user} left"), now);
            }
            ServerFrame::Presence { online, offline } => {
                self.presence_changed(online, offline, now);
            }
            ServerFrame::Typing { from, target } => self.someone_typing(from, target, now),
            ServerFrame::Error { code, message, req } => self.refused(code, message, req, now),
            ServerFrame::Pong { .. } => {}
        }
        Vec::new()
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
        self.presence.reset(online);
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
            conv.counted(&info);
        }
        self.resume.welcomed(last_id);
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
        self.resume.reached(id);
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
        conv.place(line);
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
        self.resume.reached(id);
        let own = self.is_me(&from);
        let seq = self.take_seq();
        let conv = self.conv_entry(&key, &title);
        conv.last_id = conv.last_id.max(id);
        if conv.has_id(id) {
            return;
        }
        conv.typing.stopped(&from);
        let announcement = if own {
            None
        } else {
            let short: String = body.chars().take(140).collect();
            Some(format!("{from} ({place}): {short}"))
        };
        conv.place(Line {
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
        });
        conv.trim();
        if let Some(text) = announcement {
            self.notices.announce(text);
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
            conv.place(Line {
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
            });
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
            changed |= conv.typing.expire(now);
        }
        changed |= self.notices.expire(now);
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
        let title = self.presence.written(name).unwrap_or(name).to_owned();
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
        let conv = self.conv_entry(key, key.name());
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
        conv.place(Line {
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
        });
        conv.trim();
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

    /// Shows a notice for [`NOTICE_MS`].
    pub fn notify(&mut self, text: String, now: Millis) {
        self.notices.push(text, now);
    }

    pub fn dismiss(&mut self, notice: u64) {
        self.notices.dismiss(notice);
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
            conv.place(Line {
                seq,
                at: now,
                kind: LineKind::System { text },
            });
            conv.trim();
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

fn key_title_of(state: &ChatState, key: &ConvKey) -> String {
    state
        .conversation(key)
        .map_or_else(|| key.name().to_owned(), |c| c.title.clone())
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
