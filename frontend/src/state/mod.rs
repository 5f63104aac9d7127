//! The client's model of the chat: conversations and their history, who is online, our sends
//! on their way, read markers and unread counts, typing notices, short notices, the point to
//! resume from and the connection's state.
//!
//! It is plain Rust, with no browser or signal in sight: [`ChatState::apply`] takes each
//! [`ServerFrame`] and returns the frames to send back (our unacknowledged sends, again, after
//! a reconnect), [`ChatState::due`] says what to send on its own (the open conversation's
//! first history page, its read marker), and every user action is a method that returns the
//! [`ClientFrame`] to send, if any. Time comes in as an argument, so the tests drive it like a
//! clock.
//!
//! Messages are kept ordered by their server id and never twice, however they arrive: live,
//! replayed after a reconnect, in a history page, or as the `ack` of our own send.
//!
//! [`ChatState`] is made of parts, one concept per file; each file also holds the
//! `impl ChatState` block for that concept's frames and actions, and this one dispatches the
//! server's frames and runs the connection's life (welcome, loss, ticks):
//! - `key`: [`ConvKey`], which conversation.
//! - `conversation`: one [`Conversation`], its lines in order and trimmed.
//! - `conversations`: the list, the open one, the sidebar's [`ConvSummary`]s.
//! - `conversation_pages`: private conversations past the welcome's first page, paged in.
//! - `history`: messages coming in, history pages and their requests.
//! - `read`: read markers and unread counts.
//! - `receipts`: the others' read markers, and the [`Receipt`] under our last message read.
//! - `divider`: where the "New" divider stands in the open conversation.
//! - [`drafts`]: the unsent text of each conversation.
//! - `sending`: our sends, one at a time in order, waiting, pending, failed, retried.
//! - `pacer`: how fast our sends go, and the back-off after `rate_limited`.
//! - `requests`: request ids.
//! - `rooms`: joining, leaving, members.
//! - [`commands`]: the composer's slash commands for rooms and moderation, and what the
//!   server answers them (invitations, lists and audit logs as system lines, retention).
//! - [`directory`]: the room browser (public rooms, searched and paged) and creating a room.
//! - `invitations`: invitations to us, held until joined or dismissed.
//! - `presence`: who is online among those of interest, away, or offline and when
//!   ([`Availability`]), how many are online in all, [`Person`] lists.
//! - [`everyone`]: "Everyone online", the lobby's members paged in on demand.
//! - `away`: whether this page is away (hidden or untouched), told with `activity`.
//! - `typing`: typing notices.
//! - `notices`: [`Notice`]s and the screen readers' announcement.
//! - `link`: the connection's [`Link`] state and the resume point.
//! - [`shortcuts`]: the keyboard shortcuts and the conversation Alt+↑/↓ move to.
//! - [`switcher`]: the quick switcher's matching and highlight.
//! - [`composer`]: the message box's rules (what may be sent, the counter, typing throttle).
//! - [`name_check`]: the sign-in name box's rules, checked as it is typed in.
//! - [`mention_complete`]: the composer's `@name` completion.
//! - `changes`: edits, deletions and reactions applied to messages, ours waiting their turn.
//! - `editing`: which message the composer edits; editing and deleting ours.
//! - `replying`: which message the composer answers.
//! - [`reactions`]: reactions as set operations, the chips under a message, toggling ours.
//! - `seek`: finding a quoted message, paging in older history until it is there.
//! - [`search`]: searching messages, the results, and opening one at its message.
//! - [`notify`]: which messages raise a notification, muted conversations, the tab's title.
//! - `blocks`: whom we block (their room messages collapsed).

mod away;
mod blocks;
mod changes;
pub mod commands;
pub mod composer;
mod conversation;
mod conversation_pages;
mod conversations;
pub mod directory;
mod divider;
pub mod drafts;
mod editing;
pub mod everyone;
mod history;
mod invitations;
mod key;
mod link;
pub mod mention_complete;
pub mod name_check;
mod notices;
pub mod notify;
mod pacer;
mod presence;
pub mod reactions;
mod read;
mod receipts;
mod replying;
mod requests;
mod rooms;
pub mod search;
mod seek;
mod sending;
pub mod shortcuts;
pub mod switcher;
mod typing;
pub mod uploads;

use shared::protocol::PROTOCOL_VERSION;
use shared::{ClientFrame, ConversationInfo, ErrorCode, RoomInfo, ServerFrame, UserName};

pub use away::IDLE_AFTER_MS;
pub use composer::BodyProblem;
pub use conversation::{Conversation, Gap, MAX_LINES};
pub use conversations::ConvSummary;
pub use key::ConvKey;
pub use link::Link;
pub use notices::{Notice, NOTICE_MS};
pub use presence::{Availability, Person};
pub use read::{count_label, READ_EVERY_MS};
pub use receipts::Receipt;
pub use sending::{ACK_TIMEOUT_MS, MAX_RATE_REFUSALS};
pub use typing::TYPING_SHOWN_MS;

use away::Attention;
use changes::Change;
use conversations::Conversations;
use link::ResumePoint;
use notices::Notices;
use presence::Presence;
use requests::RequestIds;
use sending::Outbox;

use crate::timeline::{Delivery, Line, Millis};

/// Everything the chat page shows, and the bookkeeping behind it.
#[derive(Debug, Clone)]
pub struct ChatState {
    /// Our name, as the server writes it.
    me: String,
    /// The connection, as the status bar shows it.
    link: Link,
    /// Where the next connection resumes.
    resume: ResumePoint,
    /// Who is online.
    presence: Presence,
    /// Whether this page is away, and what the server was told.
    attention: Attention,
    /// The conversations muted for notifications and the tab's count.
    mutes: notify::Mutes,
    /// Rooms and private conversations, and the open one.
    convs: Conversations,
    /// Our sends waiting for an `ack` on this connection.
    outbox: Outbox,
    /// Request ids for our sends and requests.
    reqs: RequestIds,
    /// When we last sent a read marker (they are throttled).
    read_sent_at: Option<Millis>,
    /// Short notices and the screen readers' announcement.
    notices: Notices,
    /// The room the person asked to join: open it when the server confirms.
    focus_on_join: Option<String>,
    /// The message the composer edits (our own), by conversation and id.
    editing: Option<(ConvKey, u64)>,
    /// The message the composer's next send answers.
    replying: Option<(ConvKey, u64)>,
    /// The quoted message to show once it is held (older pages are asked for until it is).
    seeking: Option<(ConvKey, u64)>,
    /// The message search and its results.
    search: search::Search,
    /// The request id of our `history` page around a search result, on its way.
    around: Option<String>,
    /// The name keys of the people we block, as the server last listed them.
    blocked: Vec<String>,
    /// The room browser's rooms and request.
    directory: directory::Directory,
    /// Invitations to us, to show.
    invitations: invitations::Invitations,
    /// The room whose audit log was shown last, and the id its older entries are below,
    /// when there are older ones.
    audit_older: Option<(String, u64)>,
}

impl ChatState {
    /// A fresh state for `me`; `req_prefix` should differ between page loads.
    pub fn new(me: &str, req_prefix: &str) -> Self {
        Self {
            me: me.to_owned(),
            link: Link::Connecting,
            resume: ResumePoint::default(),
            presence: Presence::default(),
            attention: Attention::default(),
            mutes: notify::Mutes::default(),
            convs: Conversations::new(),
            outbox: Outbox::default(),
            reqs: RequestIds::new(req_prefix),
            read_sent_at: None,
            notices: Notices::default(),
            focus_on_join: None,
            editing: None,
            replying: None,
            seeking: None,
            search: search::Search::default(),
            around: None,
            blocked: Vec::new(),
            directory: directory::Directory::default(),
            invitations: invitations::Invitations::default(),
            audit_older: None,
        }
    }

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

    pub fn notices(&self) -> &[Notice] {
        self.notices.shown()
    }

    pub fn announcement(&self) -> &str {
        self.notices.announcement()
    }

    /// Shows a notice for [`NOTICE_MS`].
    pub fn notify(&mut self, text: String, now: Millis) {
        self.notices.push(text, now);
    }

    pub fn dismiss(&mut self, notice: u64) {
        self.notices.dismiss(notice);
    }

    // ----- the server's frames -------------------------------------------------------------

    /// Applies one frame from the server; returns frames to send back.
    pub fn apply(&mut self, frame: ServerFrame, now: Millis) -> Vec<ClientFrame> {
        match frame {
            ServerFrame::Welcome {
                protocol,
                user,
                online,
                online_count,
                away,
                rooms,
                conversations,
                conversations_complete,
                last_id,
                limits,
            } => {
                self.outbox.set_limits(limits.rate_per_sec, limits.burst);
                if protocol != PROTOCOL_VERSION {
                    self.notify(
                        format!(
                            "The server speaks protocol {protocol}, this page {PROTOCOL_VERSION}: \
                             reload the page if something looks wrong."
                        ),
                        now,
                    );
                }
                let listed = (conversations, conversations_complete);
                let online = (online, &away[..], online_count);
                return self.welcome(user, online, rooms, listed, last_id, now);
            }
            ServerFrame::Ack { req, id, at } => {
                if let Some(req) = req {
                    self.acked(&req, id, at);
                }
                return self.next_send(now).into_iter().collect();
            }
            ServerFrame::RoomMessage {
                id,
                room,
                from,
                body,
                at,
                details,
            } => {
                let key = ConvKey::Room(room.clone());
                let title = room.clone();
                let place = format!("#{room}");
                self.incoming(key, title, id, from, body, at, &place, details);
            }
            ServerFrame::PrivateMessage {
                id,
                from,
                to,
                body,
                at,
                details,
            } => {
                let peer = if self.is_me(&from) { to } else { from.clone() };
                let key = ConvKey::Direct(peer.to_ascii_lowercase());
                self.incoming(key, peer, id, from, body, at, "private", details);
            }
            ServerFrame::History {
                target,
                messages,
                complete,
                req,
            } => self.history_page(&target, messages, complete, req.as_deref()),
            ServerFrame::ReplayCut { after, before } => self.replay_cut(after, before),
            ServerFrame::Read { target, up_to } => self.read_elsewhere(&target, up_to),
            ServerFrame::RoomJoined {
                room,
                members,
                online,
                away,
                settings,
            } => {
                self.presence_changed(online, Vec::new(), &away, Default::default());
                self.room_joined(room, members, settings);
            }
            ServerFrame::RoomUpdated { room, settings } => {
                if let Some(conv) = self.convs.get_mut(&ConvKey::Room(room)) {
                    conv.settings = settings;
                }
            }
            ServerFrame::Invitation { invite, .. } => self.invited(invite, now),
            ServerFrame::RoomList {
                mut rooms,
                next,
                req,
            } => self.directory_page(&mut rooms, next, req.as_deref()),
            ServerFrame::AuditLog {
                room,
                entries,
                complete,
                ..
            } => self.audit_log(room, &entries, complete, now),
            // What it did is told by the frames before it.
            ServerFrame::Done { .. } => {}
            ServerFrame::RoomLeft { room, by, banned } => {
                if let Some(by) = by {
                    self.removed_me(&room, &by, banned, now);
                }
                self.left(&room);
                self.interests_changed();
            }
            ServerFrame::MemberJoined { room, user } => self.member_joined(room, user, now),
            ServerFrame::MemberLeft {
                room,
                user,
                by,
                banned,
            } => {
                self.member_left(room, user, by, banned, now);
                self.interests_changed();
            }
            ServerFrame::Presence {
                online,
                offline,
                away,
                last_seen,
                online_count,
            } => {
                self.online_counted(online_count);
                self.presence_changed(online, offline, &away, last_seen);
            }
            ServerFrame::Members {
                room,
                members,
                away,
                complete,
                req,
            } => {
                if room == shared::limits::LOBBY {
                    self.members_page(members, &away, complete, req.as_deref());
                }
            }
            ServerFrame::Typing { from, target } => self.someone_typing(from, target, now),
            ServerFrame::Error { code, message, req } => {
                return self.refused(code, message, req, now);
            }
            ServerFrame::Pong { .. } => {}
            ServerFrame::SearchResults {
                messages,
                next,
                req,
            } => {
                self.search_results(messages, next, req.as_deref());
            }
            ServerFrame::MessageEdited {
                id,
                change_id,
                place,
                body,
                edited_at,
            } => self.changed(&place, change_id, id, Change::Edit(body), edited_at),
            ServerFrame::MessageDeleted {
                id,
                change_id,
                place,
            } => self.changed(&place, change_id, id, Change::Delete, 0),
            ServerFrame::Reaction {
                id,
                change_id,
                place,
                emoji,
                user,
                added,
            } => self.changed(
                &place,
                change_id,
                id,
                Change::React { emoji, user, added },
                0,
            ),
            ServerFrame::Receipts {
                target, readers, ..
            } => self.receipts_arrived(&target, readers),
            ServerFrame::Blocked { users, .. } => self.blocked_listed(&users),
            ServerFrame::Retention { room, days, .. } => self.retention_set(room, days, now),
            ServerFrame::Conversations {
                conversations,
                complete,
                online,
                away,
                req: _,
            } => {
                self.presence_changed(online, Vec::new(), &away, Default::default());
                return self
                    .conversations_listed(conversations, complete)
                    .into_iter()
                    .collect();
            }
        }
        Vec::new()
    }

    /// A connection opened: take who is online (those of interest, and how many in all), our
    /// rooms and where each listed conversation stands (with `complete`, whether older
    /// private ones exist) from the server, and send again what it has not confirmed, after
    /// asking for the next page of conversations.
    fn welcome(
        &mut self,
        user: String,
        (online, away, count): (Vec<String>, &[String], u64),
        rooms: Vec<RoomInfo>,
        (conversations, complete): (Vec<ConversationInfo>, bool),
        last_id: u64,
        now: Millis,
    ) -> Vec<ClientFrame> {
        self.me = user;
        self.link = Link::Connected;
        self.presence.reset(online, away, count);
        // "Everyone online" was listed on the connection before: ask again to know.
        self.presence.everyone = everyone::Everyone::default();
        self.attention.reconnected();
        self.welcome_rooms(rooms);
        let mut out: Vec<ClientFrame> = self
            .conversations_listed(conversations, complete)
            .into_iter()
            .collect();
        self.resume.welcomed(last_id);
        out.extend(self.resend(now));
        out
    }

    /// The server's `error`: what it refused (a send, a history request, a join) is settled,
    /// and the person sees why. A send refused for its rate goes out again by itself, without
    /// a word. Returns what to send now.
    fn refused(
        &mut self,
        code: ErrorCode,
        message: String,
        req: Option<String>,
        now: Millis,
    ) -> Vec<ClientFrame> {
        if let Some(req) = req.as_deref().filter(|req| self.outbox.waiting(req)) {
            if self.send_refused(req, code, &message, now) {
                let reason = self
                    .failed_reason(req)
                    .unwrap_or_else(|| sending::refusal_text(code, &message));
                self.notify(format!("Not sent: {reason}"), now);
            }
            return self.next_send(now).into_iter().collect();
        }
        let text = if message.trim().is_empty() {
            code.as_str().replace('_', " ")
        } else {
            message
        };
        if let Some(req) = req {
            self.history_refused(&req, code);
            self.search_refused(&req);
            self.directory_refused(Some(&req));
            self.everyone_refused(Some(&req));
            self.join_refused(code);
        }
        self.notify(text, now);
        Vec::new()
    }

    /// Why our message with request id `req` failed, if it did.
    fn failed_reason(&self, req: &str) -> Option<String> {
        self.convs
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter_map(Line::message)
            .find_map(|m| match &m.delivery {
                Delivery::Failed { reason, req: r, .. } if r == req => Some(reason.clone()),
                _ => None,
            })
    }

    // ----- the connection ------------------------------------------------------------------

    pub fn set_link(&mut self, link: Link) {
        self.link = link;
    }

    /// The connection closed: every send still on its way waits for the next connection (it
    /// goes out again after the next `welcome`), history requests are lost, nobody is typing
    /// any more, and who is online is unknown.
    pub fn connection_lost(&mut self) {
        self.fail_waiting();
        self.directory_refused(None);
        self.everyone_refused(None);
        // Nobody's presence is known until the next `welcome`.
        self.presence.unknown();
        for conv in self.convs.iter_mut() {
            conv.typing.clear();
            conv.loading = None;
            // Receipts sent meanwhile are not replayed: ask again.
            conv.receipts_asked = false;
        }
    }

    /// Time passes: sends without ack fail, typing notices and notices expire.
    /// Returns whether anything changed.
    pub fn tick(&mut self, now: Millis) -> bool {
        let mut changed = self.time_out_sends(now);
        for conv in self.convs.iter_mut() {
            changed |= conv.typing.expire(now);
        }
        changed |= self.notices.expire(now);
        changed
    }

    /// What to send now without being asked: the open conversation's newest history page
    /// when it has none yet, where its readers stand (once per connection), and, while the
    /// page is `visible`, its read marker when there is something new to mark read (at most
    /// every [`READ_EVERY_MS`]). `activity` is apart: see [`Self::activity`].
    pub fn due(&mut self, now: Millis, visible: bool) -> Vec<ClientFrame> {
        let mut out = Vec::new();
        if !self.is_connected() {
            return out;
        }
        out.extend(self.next_send(now));
        let key = self.active().clone();
        out.extend(self.history_request(&key, false));
        out.extend(self.seek_more(now));
        out.extend(self.receipts_request(&key));
        if visible {
            out.extend(self.read_request(&key, now));
        }
        out
    }

    // ----- helpers -------------------------------------------------------------------------

    /// Drops a conversation from this page, and the sends to it still waiting for an `ack`.
    pub(super) fn forget(&mut self, key: &ConvKey) {
        self.convs.remove(key);
        self.outbox.forget(key);
    }

    /// Whether `name` is the signed-in user.
    fn is_me(&self, name: &str) -> bool {
        UserName::parse(&self.me).is_ok_and(|me| me.same_as(name))
            || self.me.eq_ignore_ascii_case(name)
    }
}

#[cfg(test)]
mod tests;
