//! The WebSocket protocol: JSON text frames, each an object tagged by its `type` field.
//!
//! [`ClientFrame`] is everything a client may send, [`ServerFrame`] everything the server sends.
//! Names and bodies travel as plain strings and are checked by the server with the rules in
//! [`crate::names`] and [`crate::limits`], so a bad one is answered with its own
//! [`ErrorCode`] rather than a generic "invalid frame". Fields a client adds that a frame does
//! not define (a `from`, say) are ignored: the server alone says who sent what.
//!
//! Longer than 600 lines on purpose: every frame of both directions is here, side by side, as
//! the document lists them. The rooms' types are in [`crate::rooms`], the error codes in
//! [`crate::error_code`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::changes::{MessageDetails, Place};
pub use crate::error_code::ErrorCode;
pub use crate::rooms::{AuditEntry, Invite, RoomInfo, RoomListing, RoomSettings};
use crate::skip::{is_false, is_zero};

/// The protocol version the server announces in [`ServerFrame::Welcome`].
pub const PROTOCOL_VERSION: u32 = 13;

/// Messages in one `history` answer when the client asks for no particular number.
pub const HISTORY_PAGE: u32 = 50;
/// The most messages one `history` answer holds.
pub const MAX_HISTORY_PAGE: u32 = 100;
/// The most readers one `receipts` answer lists (those furthest along); a room's others are
/// left out, and the answer says `more`.
pub const MAX_RECEIPTS: u32 = 100;
/// The most users one user may block.
pub const MAX_BLOCKS: usize = 1000;
/// The longest retention a room's owner may set, in days (about 100 years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// The newest messages a read marker passes whose senders hear of it live (a `receipts`
/// frame): a marker that jumps further tells the senders of older ones nothing until they ask.
pub const RECEIPT_SENDERS_SCAN: u32 = 100;
/// The most names one `members` answer lists.
pub const MEMBERS_PAGE: usize = 100;

/// Where a message or a typing notice goes: a room, or one user privately.
///
/// On the wire this is one field of the frame: `"room": "lobby"` or `"to": "bob"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Target {
    Room { room: String },
    User { to: String },
}

/// A frame from a client to the server.
///
/// `req` is an optional request id of the client's choosing (at most
/// [`crate::limits::MAX_REQ_CHARS`] characters); the server repeats it in the
/// [`ServerFrame::Ack`] or [`ServerFrame::Error`] that answers the frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Join a room, creating it if nobody is in it.
    Join {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Leave a room. `lobby` cannot be left.
    Leave {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Say something in a room one has joined. `req` is also the message's idempotency key:
    /// a message sent again with the same `req` (after a reconnect, say) is stored once.
    RoomMessage {
        room: String,
        body: String,
        /// The id of the message this one answers, in the same conversation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        /// Files one uploaded (`POST /api/attachments`) and has not attached yet, by id; with
        /// one or more, `body` may be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Say something privately to one user, online or not. `req` is the idempotency key.
    PrivateMessage {
        to: String,
        body: String,
        /// The id of the message this one answers, in the same conversation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        /// Files one uploaded (`POST /api/attachments`) and has not attached yet, by id; with
        /// one or more, `body` may be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// "I am typing" in a room or to a user; the server forwards it at most once per interval.
    Typing {
        #[serde(flatten)]
        target: Target,
    },
    /// An application-level ping (browsers cannot send WebSocket pings); answered by `pong`.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Ask for a page of a conversation's history: the latest messages, those before `before`,
    /// or those around message `around` (half older, with it, half newer).
    History {
        #[serde(flatten)]
        target: Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        around: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// "I have read this conversation up to message `up_to`." Markers only move forward.
    Read {
        #[serde(flatten)]
        target: Target,
        up_to: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Ask for a page of one's private conversations, newest first: those whose newest
    /// message is older than `before` (a `last_id` the client holds), or the newest.
    Conversations {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Replace the body of one's own message `id`. `req` is the idempotency key, as for sends.
    Edit {
        id: u64,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Delete message `id` (one's own, or any in a room one owns): it becomes a tombstone.
    Delete {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Add one's reaction `emoji` to message `id`.
    React {
        id: u64,
        emoji: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Take back one's reaction `emoji` from message `id`.
    Unreact {
        id: u64,
        emoji: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// "This page is away (hidden, or nobody has touched it for a while)", or back
    /// (`away: false`). A user is away when every one of their connections is; a new
    /// connection counts as present. Sent on change only; never answered.
    Activity { away: bool },
    /// Ask where the other people of a conversation have read up to (their read markers):
    /// answered by [`ServerFrame::Receipts`].
    Receipts {
        #[serde(flatten)]
        target: Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Search the messages one may read for `query`'s words (see [`crate::search`]), best
    /// first: in one conversation (`room` or `to`) or all, from one `sender`, at or after
    /// `since` and before `until` (ms since the Unix epoch); `limit` results from `offset` on.
    /// Answered by [`ServerFrame::SearchResults`].
    Search {
        query: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sender: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Create room `room` with a `topic`, public (listed, anyone joins) or `private` (unlisted,
    /// joined by invitation only); you are its owner and first member.
    CreateRoom {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        private: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// List the public rooms whose name, title or topic holds `query` (all without it), most
    /// members first, a page from `offset` on. Answered by [`ServerFrame::RoomList`].
    Rooms {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Invite `user` to `room` (its owner or a moderator): they may join it, private or not.
    Invite {
        room: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Change a room (its owner): its `title` (the name shown), `topic`, or whether it is
    /// `archived` (read-only, out of the list). An empty title or topic removes it; an absent
    /// field stays as it is.
    SetRoom {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        archived: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Make member `user` of `room` a moderator, or no longer one (the room's owner).
    SetRole {
        room: String,
        user: String,
        moderator: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Remove member `user` from `room` (its owner, or a moderator for a plain member).
    Kick {
        room: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Remove `user` from `room`, if in it, and keep them out until unbanned.
    Ban {
        room: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Let a banned `user` join `room` again.
    Unban {
        room: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Read a page of `room`'s audit log (those who run it): the newest entries with ids
    /// below `before` (the newest without it). Answered by [`ServerFrame::AuditLog`].
    Audit {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Block `user`: their private messages no longer reach you, and your client collapses
    /// their room messages. Answered (and told to your other connections) with
    /// [`ServerFrame::Blocked`].
    Block {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Unblock `user`; answered like [`ClientFrame::Block`].
    Unblock {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// The room's owner sets how many days its messages are kept (`days` absent: as long as
    /// the server keeps messages). Answered, to every member, by [`ServerFrame::Retention`].
    /// A page of the members of `room` who are online (for `lobby`: everyone online), in
    /// name order ignoring case, starting after the name `after`.
    Members {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    Retention {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
}

impl ClientFrame {
    /// Every `type` a client may send, for telling an unknown type from a malformed frame.
    pub const TYPES: &'static [&'static str] = &[
        "join",
        "leave",
        "room_message",
        "private_message",
        "typing",
        "ping",
        "history",
        "read",
        "conversations",
        "edit",
        "delete",
        "react",
        "unreact",
        "activity",
        "receipts",
        "search",
        "create_room",
        "rooms",
        "invite",
        "set_room",
        "set_role",
        "kick",
        "ban",
        "unban",
        "audit",
        "block",
        "unblock",
        "retention",
        "members",
    ];

    /// The request id the client attached, if any.
    pub fn req(&self) -> Option<&str> {
        match self {
            Self::Join { req, .. }
            | Self::Leave { req, .. }
            | Self::RoomMessage { req, .. }
            | Self::PrivateMessage { req, .. }
            | Self::Ping { req }
            | Self::History { req, .. }
            | Self::Read { req, .. }
            | Self::Conversations { req, .. }
            | Self::Edit { req, .. }
            | Self::Delete { req, .. }
            | Self::React { req, .. }
            | Self::Unreact { req, .. }
            | Self::Receipts { req, .. }
            | Self::Search { req, .. }
            | Self::CreateRoom { req, .. }
            | Self::Rooms { req, .. }
            | Self::Invite { req, .. }
            | Self::SetRoom { req, .. }
            | Self::SetRole { req, .. }
            | Self::Kick { req, .. }
            | Self::Ban { req, .. }
            | Self::Unban { req, .. }
            | Self::Audit { req, .. }
            | Self::Block { req, .. }
            | Self::Unblock { req, .. }
            | Self::Retention { req, .. }
            | Self::Members { req, .. } => req.as_deref(),
            Self::Typing { .. } | Self::Activity { .. } => None,
        }
    }
}

/// A stored message, as `history` returns it: in a room (`room`) or private (`to`).
/// `Deserialize` is written by hand (in `frames_de.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMessage {
    pub id: u64,
    pub from: String,
    #[serde(flatten)]
    pub target: Target,
    pub body: String,
    pub at: u64,
    /// Reply, edit, tombstone and reactions, as the message stands now.
    #[serde(flatten)]
    pub details: MessageDetails,
    /// Search results only: the byte ranges of `body` (UTF-8, `[start, end)`) of the words the
    /// query matched, in order. Empty (absent on the wire) elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<[u32; 2]>,
}

/// Where one of your conversations stands: a room you are in, or a private conversation
/// (`to` names the other person) with at least one message. `Deserialize` is written by hand
/// (in `frames_de.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationInfo {
    #[serde(flatten)]
    pub target: Target,
    /// The newest message's id, 0 when there is none.
    pub last_id: u64,
    /// Your read marker: you have read every message up to this id.
    pub read_up_to: u64,
    /// Messages from others after your read marker.
    pub unread: u64,
    /// Rooms only: how many of the `unread` messages mention you (`@name`, see the mentions
    /// module). Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mentions: u64,
    /// Private conversations only: when the other person's account was created, ms since the
    /// Unix epoch, when it was created by releasing the name of an earlier holder (after long
    /// inactivity). The messages before it were with that former holder. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Private conversations only: when the other person's last connection closed, ms since
    /// the Unix epoch, if it ever did (stored, so it survives restarts). Stale while they are
    /// online: show it only for someone offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<u64>,
}

/// The limits this server enforces, announced in [`ServerFrame::Welcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLimits {
    /// Longest message body in characters.
    pub max_body_chars: usize,
    /// Largest frame in bytes; a larger one closes the connection with 1009.
    pub max_frame_bytes: usize,
    /// Frames per second a connection may send on average.
    pub rate_per_sec: u32,
    /// Frames a connection may send in a burst.
    pub burst: u32,
}

/// A frame from the server to a client. Times (`at`) are milliseconds since the Unix epoch, UTC;
/// message ids are positive integers that grow with every message the server accepts.
///
/// `Deserialize` is written by hand (in `frames_de.rs`): a field added here goes there too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame on every connection: who you are, who is online, your rooms and
    /// conversations. With `after` in the connection URL, the messages you missed follow it.
    Welcome {
        protocol: u32,
        user: String,
        /// You, and the users online you have an interest in (the members of your rooms but
        /// the lobby, the people of your private conversations): not everyone online.
        online: Vec<String>,
        /// How many users are online in all (on every node), you included.
        online_count: u64,
        /// The users of `online` who are away (every connection of theirs is).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        rooms: Vec<RoomInfo>,
        /// Your rooms, then your newest private conversations (at most a page of them).
        conversations: Vec<ConversationInfo>,
        /// `false` when older private conversations exist: ask for them with `conversations`.
        conversations_complete: bool,
        /// Every message with a larger id reaches this connection; resume after it.
        last_id: u64,
        limits: ServerLimits,
    },
    /// Right after `welcome`, on a resuming connection that missed more messages than the
    /// server replays: the ids in `(after, before)` are not replayed; page them in with
    /// `history` (`before`) in each conversation. The replayed ones (ids from `before` on)
    /// follow.
    ReplayCut { after: u64, before: u64 },
    /// Your message or change (`edit`, `delete`, `react`, `unreact`) was stored: its id and
    /// time. Sent only to the connection that sent it.
    Ack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
        id: u64,
        at: u64,
    },
    /// A message in a room you are in, from someone else or from another of your connections.
    RoomMessage {
        id: u64,
        room: String,
        from: String,
        body: String,
        at: u64,
        /// The message it answers (a new message has no edit or reaction yet; a replayed one
        /// has them as they stand now).
        #[serde(flatten)]
        details: MessageDetails,
    },
    /// A private message to you, or one you sent from another connection.
    PrivateMessage {
        id: u64,
        from: String,
        to: String,
        body: String,
        at: u64,
        /// As for `room_message`.
        #[serde(flatten)]
        details: MessageDetails,
    },
    /// You are now in this room (sent to every connection of yours).
    RoomJoined {
        room: String,
        members: Vec<String>,
        /// The members online now (none for the lobby), and those of them away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        online: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        /// Its title, topic, kind, owner and moderators (see [`RoomSettings`]).
        #[serde(flatten)]
        settings: RoomSettings,
    },
    /// A room you are in changed: its settings as they are now (sent to every member).
    RoomUpdated {
        room: String,
        #[serde(flatten)]
        settings: RoomSettings,
    },
    /// An invitation: to the invited user's connections, and to the connection that sent
    /// the `invite` (with its `req`).
    Invitation {
        #[serde(flatten)]
        invite: Invite,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// A page of the public rooms, answering `rooms`. `next`: the `offset` of the next page.
    RoomList {
        rooms: Vec<RoomListing>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// A page of a room's audit log, newest first, answering `audit`. `complete`: nothing
    /// older exists.
    AuditLog {
        room: String,
        entries: Vec<AuditEntry>,
        complete: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Your frame with this `req` was carried out (those whose effect the other frames do not
    /// answer to the asker: `set_room`, `set_role`, `kick`, `ban`, `unban`).
    Done {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// You are no longer in this room (sent to every connection of yours): you left, or
    /// `by` removed you (`banned`: and keeps you out).
    RoomLeft {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        banned: bool,
    },
    /// Someone joined a room you are in.
    MemberJoined { room: String, user: String },
    /// Someone left a room you are in, or `by` removed them (`banned`: and keeps them out).
    MemberLeft {
        room: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        banned: bool,
    },
    /// Who came online (their first connection opened) and who went offline (their last
    /// connection closed) since the last `presence`, coalesced by the server: each name is in
    /// at most one list, the one it belongs to now. Both lists are sorted ignoring case and
    /// may be empty. A client applies them as set operations; one may repeat what it knows.
    /// `away` names those of `online` who are away (a name in `online` and not in `away` is
    /// present); `last_seen` says, for names in `offline`, when their last connection closed.
    Presence {
        online: Vec<String>,
        offline: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        last_seen: BTreeMap<String, u64>,
        /// How many users are online in all, when that changed since this connection last
        /// heard it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        online_count: Option<u64>,
    },
    /// A page of a room's members who are online (for `lobby`: everyone online), answering
    /// `members`; `complete` when no later name exists.
    Members {
        room: String,
        members: Vec<String>,
        /// Those of `members` who are away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        complete: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Someone is typing in a room you are in, or to you.
    Typing {
        from: String,
        #[serde(flatten)]
        target: Target,
    },
    /// Your frame was refused; the connection keeps working.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// The answer to a `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// A page of a conversation's history, oldest first. `complete`: nothing older exists.
    History {
        #[serde(flatten)]
        target: Target,
        messages: Vec<StoredMessage>,
        complete: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Your read marker moved (sent to every connection of yours).
    Read {
        #[serde(flatten)]
        target: Target,
        up_to: u64,
    },
    /// A page of your private conversations, newest first, answering `conversations`.
    /// `complete`: none older exists.
    Conversations {
        conversations: Vec<ConversationInfo>,
        complete: bool,
        /// The people of the listed private conversations who are online now, and those of
        /// them away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        online: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Message `id` of a conversation you are in now reads `body`. `change_id` is the change's
    /// own id, from the sequence of message ids: it counts towards your resume point.
    MessageEdited {
        id: u64,
        change_id: u64,
        #[serde(flatten)]
        place: Place,
        body: String,
        edited_at: u64,
    },
    /// Message `id` was deleted: show a tombstone, drop its text and reactions, and empty the
    /// quotes of it.
    MessageDeleted {
        id: u64,
        change_id: u64,
        #[serde(flatten)]
        place: Place,
    },
    /// `user` added (`added: true`) or took back their reaction `emoji` on message `id`.
    Reaction {
        id: u64,
        change_id: u64,
        #[serde(flatten)]
        place: Place,
        emoji: String,
        user: String,
        added: bool,
    },
    /// Where other people of a conversation have read up to (each reader's name and read
    /// marker: they have seen every message up to that id). The answer to `receipts` (with its
    /// `req`; `more`: readers were left out, see [`MAX_RECEIPTS`]), or, live and without `req`,
    /// a reader whose marker just passed messages of yours.
    Receipts {
        #[serde(flatten)]
        target: Target,
        readers: BTreeMap<String, u64>,
        #[serde(default, skip_serializing_if = "is_false")]
        more: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// The answer to `search`: the messages found, best first, each with its `marks`. `next`:
    /// the `offset` that asks for the next page, absent when there is none.
    SearchResults {
        messages: Vec<StoredMessage>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// Everyone you block, as displayed: right after `welcome` (when you block anyone), and
    /// to every connection of yours, on every node, after a `block` or `unblock` (the one that
    /// sent it gets its `req`).
    Blocked {
        users: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
    /// How many days a room keeps its messages (`days` absent: as long as the server does),
    /// to every member once its owner set it (the owner's connection gets its `req`).
    Retention {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<String>,
    },
}

/// WebSocket close codes the server uses.
#[path = "close.rs"]
pub mod close;

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
