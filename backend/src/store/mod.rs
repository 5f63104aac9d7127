//! Durable state behind one trait, [`Store`], so the engine can change without the rest of the
//! server noticing. [`SqlStore`] implements it over sqlx's `Any` driver, with one set of
//! migrations (`migrations/`, portable SQL) for both engines, and the statements both run in
//! one module per concern:
//!
//! - `accounts`: accounts and the sessions that prove them; deleting an account.
//! - `sign_ins`: new accounts and sessions stored in batches, each with its own outcome.
//! - `memberships`: who is in which room; creating, joining (private and archived rooms'
//!   rules) and leaving one.
//! - `rooms`: rooms' settings and roles, the list of public rooms, invitations.
//! - `moderation`: kicks, bans, and the audit log of moderation actions.
//! - `mentions`: whom each room message mentions, and the count of unread mentions.
//! - `append`: storing a batch of messages, numbered, without repeating a `req`.
//! - `changes`: edits, deletions and reactions, applied in `append`'s transaction; the
//!   details (quotes, reactions) reads add to messages; changes missed and stored elsewhere.
//! - `history`: a conversation's pages, the messages a user missed, what other nodes stored.
//! - `conversations`: where each of a user's conversations stands; read markers.
//! - `receipts`: the others' read markers in a conversation, and whose messages a marker
//!   passed.
//! - `files`: uploaded files' records (the bytes are elsewhere): the quota, who may
//!   read one, the message that carries it, and those whose bytes should go.
//! - `safety` (with `retention`): administrators, disabled accounts, blocks, figures, and
//!   deleting old messages in bounded batches, behind a supertrait of [`Store`], [`Safety`].
//! - `search`: full-text search over what a user may read, through each engine's index
//!   (SQLite FTS5, PostgreSQL `tsvector`), behind an internal trait, `search::SearchIndex`.
//! - `start`: what a connection reads before it joins the hub, on one connection (on SQLite
//!   in one hand-off to its thread), and what it reads once it has joined, on one connection.
//! - `sql`: what every statement shares (parameters, conversions, the columns of a message).
//! - `sql_store`: [`SqlStore`] itself, opened on either engine and closed; `sql_impl`: its
//!   `impl Store`, each method handed to the module of its concern.
//!
//! What differs between the engines is where the conversation lists and the private
//! messages' `(conversation, id)` index live, behind one internal trait, `lists::Lists`, with
//! one implementation per engine, each in its own module with how that engine is opened:
//!
//! - **SQLite** (`sqlite`, the embedded default): `chat.db` in the data directory, or the file
//!   a `sqlite:` URL names. Every connection runs with `journal_mode=WAL`, `synchronous=FULL`
//!   (an acknowledged message survives a power cut; group commit keeps that cheap) and
//!   `foreign_keys=ON`; commits never checkpoint the WAL, a task of its own does. The lists
//!   live in a second file beside the database, written by a task behind the commits.
//! - **PostgreSQL** (`postgres`), chosen by a `postgres://` or `postgresql://` URL, for several
//!   nodes on one database. The tables live in the first schema of the connection's
//!   `search_path`, which a URL can set: `…?options=-c%20search_path%3Dmy_schema`. `append`
//!   writes the lists in the transaction that stores the messages.
//!
//! [`open_store`] picks the engine from the configuration; the SQLite tasks are spawned
//! through the [`Tasks`] it is given, and stop with them.
//!
//! It keeps accounts (who owns which name, with an optional password hash), sessions (hashes
//! of the tokens that prove it), room memberships, every message, read markers, and who has
//! which private conversations (`private_conversations`, one row per participant, added when a
//! pair first talks: `messages` needs no index by sender or by recipient).
//! Messages are stored in batches ([`Store::append`], fed by the journal): one transaction, one
//! sync to disk, a handful of statements for many messages.
//!
//! **Ids are visible in commit order**, on either engine and from any number of nodes: ids come
//! from the `messages` row of `sequences`, and the storing transaction locks that row first
//! (SQLite: the database's write lock; PostgreSQL: the row lock, held to commit) and bumps it
//! once for the batch. Writers are thus serialised, and one that numbers its messages after
//! another commits after it. So a reader that sees id N sees every stored id below N, which is
//! what makes `missed` and `since` exact cursors.
//!
//! Taking the lock before looking for repeated `req`s also makes that look-up see every
//! committed message, whichever node stored it.

mod accounts;
mod append;
mod changes;
mod conversations;
mod export;
mod files;
mod history;
mod kept;
mod lists;
mod memberships;
mod mentions;
mod moderation;
mod postgres;
mod receipts;
mod retention;
mod rooms;
mod safety;
mod search;
mod sign_ins;
mod skeletons;
mod sql;
mod sql_impl;
mod sql_store;
mod sqlite;
mod start;

use std::sync::Arc;

use async_trait::async_trait;
use shared::{ConversationInfo, RoomName, UserName};

use crate::config::Config;
use crate::message::{Conversation, Message, NewMessage};
use crate::tasks::Tasks;

pub use receipts::Readers;
pub use safety::{Expiry, Opening, Safety, Standing, StoredFigures};

pub use moderation::Action;
pub use rooms::{Invited, JoinRefusal, Joined, RoomChange};
pub use search::{SearchPage, SearchQuery};
pub use sign_ins::SessionWrite;
pub use start::{Replay, Start};

/// A read marker that [`Store::mark_read`] moved, or left where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marked {
    /// Where it stood before (0 when there was none).
    pub before: u64,
    /// Where it stands now.
    pub up_to: u64,
}

pub use sql_store::{SqlStore, SqliteStore};

/// An account: the owner of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as its owner first wrote it.
    pub name: UserName,
    /// argon2id PHC string; `None` when the session token is the only key.
    pub password_hash: Option<String>,
    /// When it was created or a session of it last ended, ms since the Unix epoch: with its
    /// sessions' `last_used_at`, how long it has been unused.
    pub last_used_at: u64,
    /// Disabled by an administrator: its sessions and password are refused, its name is
    /// never released.
    pub disabled: bool,
}

/// An uploaded file's record (its bytes are in the attachment storage, under its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// What messages say of it.
    pub attachment: shared::Attachment,
    /// Who uploaded it: the only one who may attach it to a message.
    pub uploader: UserName,
    /// The uploader's name was released since (the file is the former holder's, not the
    /// name's new holder's: see [`AttachmentRecord::is_of`]).
    pub former: bool,
    /// Whether a thumbnail is stored beside it.
    pub thumbnail: bool,
    /// ms since the Unix epoch.
    pub created_at: u64,
    /// The message carrying it, once sent.
    pub message_id: Option<u64>,
    /// That message's conversation key (`room:…` or `dm:…:…`).
    pub conversation: Option<String>,
}

impl AttachmentRecord {
    /// Whether `name`'s account uploaded it: not when the name was released since (its
    /// new holder has nothing of the uploads of the one before him).
    pub fn is_of(&self, name: &UserName) -> bool {
        !self.former && self.uploader.key() == name.key()
    }
}

/// Identifies a session without being the secret: the hex SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

/// What became of one message of an [`Store::append`] batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored now, with the next id.
    Stored(Message),
    /// Its sender had stored a message with the same `req` and the same content (before, or
    /// earlier in this batch): that message, not stored again.
    Repeat(Message),
    /// Its sender had used the `req` for a different message (another body, conversation or
    /// kind): not stored.
    Conflict,
    /// A change that changes nothing (a reaction already there, a tombstone deleted again):
    /// acknowledged with the message's id and this time, delivered to nobody.
    Unchanged { id: u64, at: u64 },
    /// A change refused once the storing transaction saw its message (deleted meanwhile, too
    /// many reactions).
    Refused(shared::ErrorCode, &'static str),
}

impl Appended {
    /// The message stored now or before; `None` for a conflict.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Self::Stored(message) | Self::Repeat(message) => Some(message),
            Self::Conflict | Self::Unchanged { .. } | Self::Refused(..) => None,
        }
    }
}

/// A stored message as a change needs it (see [`Store::find_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessage {
    pub from: UserName,
    pub to: crate::message::Destination,
    pub deleted: bool,
    /// Whether the viewer wrote it: its sender's name, and sent by the account that holds the
    /// name now (a released name's new holder did not write his predecessor's messages).
    pub own: bool,
}

/// A session about to be recorded: its id, and where it was opened, for its owner's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: SessionId,
    /// The `User-Agent` it was opened with, if any (cut to a bounded length).
    pub user_agent: Option<String>,
    /// The client address it was opened from.
    pub address: Option<String>,
}

impl NewSession {
    /// A session with nothing known of where it was opened.
    pub fn bare(id: SessionId) -> Self {
        Self {
            id,
            user_agent: None,
            address: None,
        }
    }
}

/// What a reconnecting user missed: the newest messages, and the older ones left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missed {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// The ids left out, when there were more than the limit.
    pub cut: Option<ReplayCut>,
}

/// Missed messages left out of a replay: every id in `(after, before)`, to be paged in with
/// `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayCut {
    /// The client's `after`.
    pub after: u64,
    /// The oldest id replayed (the newest missed id plus one when none was).
    pub before: u64,
}

/// The account a session proves, and when the session was last used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOwner {
    pub account: Account,
    /// ms since the Unix epoch.
    pub last_used_at: u64,
}

/// One session, as its owner's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    /// ms since the Unix epoch.
    pub created_at: u64,
    /// ms since the Unix epoch.
    pub last_used_at: u64,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone owns the name already.
    #[error("the name is taken")]
    NameTaken,
    /// The name looks like the account name `like` (same confusable skeleton).
    #[error("the name looks like {like}, which is taken")]
    NameConfusable { like: UserName },
    #[error("the database did not answer in time")]
    Timeout,
    /// A stored value breaks the rules it was stored under.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database URL names no engine this server speaks. (The URL itself is not repeated:
    /// it may hold a password.)
    #[error("unsupported database URL: it must start with postgres://, postgresql:// or sqlite:")]
    UnsupportedUrl,
    /// The engine failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What the server needs from durable storage.
#[async_trait]
pub trait Store: Safety + Send + Sync + 'static {
    /// Creates the account for `name`, with its first session when `session` is given, in one
    /// transaction (one sync to disk); [`StoreError::NameTaken`] when the name (ignoring case)
    /// has an owner already, [`StoreError::NameConfusable`] when an account's name looks like
    /// it (the same [`UserName::skeleton`]). The database's unique indexes decide, so two
    /// claims at once cannot both win.
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&NewSession>,
    ) -> Result<(), StoreError>;
    /// The account that owns `name`, ignoring case.
    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError>;
    /// Deletes the account that owns `name` and all its sessions.
    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError>;
    /// Releases the account that owns `name` (unused for the release period) and creates the
    /// new one, as [`Self::create_account`] does, in one transaction. The old holder's
    /// sessions, memberships, read markers and own conversation list rows go; the messages and
    /// the other participants' rows stay. The new account reads nothing private up to the
    /// newest id at this moment (`accounts.history_from`).
    async fn replace_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&NewSession>,
    ) -> Result<(), StoreError> {
        self.delete_account(name).await?;
        self.create_account(name, password_hash, session).await
    }
    /// Stores a batch of sign-ins in one transaction: each write's outcome, in order, as it
    /// would be alone after the writes before it (a name taken fails that write only); `Err`
    /// when the batch as a whole failed, nothing stored. By default one write at a time.
    async fn write_sessions(
        &self,
        batch: &[SessionWrite],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        sign_ins::one_by_one(self, batch).await
    }
    /// Protects the passwordless account `name` with `password_hash`; `false` (and nothing
    /// changed) when it has a password already or does not exist.
    async fn set_password(&self, name: &UserName, password_hash: &str) -> Result<bool, StoreError>;
    /// Records a new session of `name`'s owner.
    async fn create_session(&self, session: &NewSession, name: &UserName)
        -> Result<(), StoreError>;
    /// The account a session belongs to, and when the session was last used.
    async fn find_session(&self, id: &SessionId) -> Result<Option<SessionOwner>, StoreError>;
    /// Records that a session was used at `at_ms`.
    async fn touch_session(&self, id: &SessionId, at_ms: u64) -> Result<(), StoreError>;
    /// Records that each user was last seen at their time (ms; their last connection
    /// closed), unless a later time is stored already (`accounts.last_seen_at`); all in one
    /// transaction. A name with no account changes nothing.
    async fn set_last_seen(&self, seen: &[(UserName, u64)]) -> Result<(), StoreError>;
    /// The sessions of `name`'s owner, oldest first.
    async fn sessions_of(&self, name: &UserName) -> Result<Vec<SessionRecord>, StoreError>;
    /// Ends a session; returns how many sessions its account still has.
    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError>;

    /// Every room membership, lobby aside, with the member's name as displayed.
    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError>;
    /// Records that `name` is in `room` (again: no error), creating it (public, owned by
    /// `name`) when it never existed; an existing room, with members or none, is joined as a
    /// plain member, refused when private without an invitation (which joining uses up),
    /// archived, or when `name` is banned from it.
    async fn join_room(&self, name: &UserName, room: &RoomName) -> Result<Joined, StoreError>;
    /// Creates `room`, owned by `name`, its first member; `None` when it exists (with members
    /// or none).
    async fn create_room(
        &self,
        name: &UserName,
        room: &RoomName,
        topic: Option<&str>,
        private: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError>;
    /// Records that `name` left `room` (with any role they had there); the room stays, with
    /// its settings, invitations, bans and audit log, when its last member leaves. An owner's
    /// room passes to its moderator who joined first, else to its member who joined first:
    /// the room's settings then; `None` when no role changed hands.
    async fn leave_room(
        &self,
        name: &UserName,
        room: &RoomName,
    ) -> Result<Option<shared::RoomSettings>, StoreError>;
    /// Every room's settings, roles included.
    async fn rooms(&self) -> Result<Vec<(RoomName, shared::RoomSettings)>, StoreError>;
    /// The settings of `room`, roles included, if it exists.
    async fn room(&self, room: &RoomName) -> Result<Option<shared::RoomSettings>, StoreError>;
    /// A page of the public rooms (neither private nor archived) whose name, title or topic
    /// holds `query` (ignoring case), most members first (rooms with none last, with 0).
    async fn public_rooms(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<shared::RoomListing>, StoreError>;
    /// Records that `from` invited `to` to `room` (again: the newer invitation stands),
    /// unless `to` is a member already or banned from it.
    async fn invite(
        &self,
        room: &RoomName,
        from: &UserName,
        to: &UserName,
    ) -> Result<Invited, StoreError>;
    /// Takes `action.target` out of `action.room` (`kick`; `ban` also keeps them out, and
    /// takes back their invitation) and records the action; whether they were a member. A
    /// kick of someone not in the room changes and records nothing.
    async fn remove_member(&self, action: &Action<'_>) -> Result<bool, StoreError>;
    /// Lifts the ban of `action.target` from `action.room` and records it; whether there was
    /// one (nothing is recorded otherwise).
    async fn unban(&self, action: &Action<'_>) -> Result<bool, StoreError>;
    /// Up to `limit` entries of `room`'s audit log with ids below `before` (the newest without
    /// it), newest first.
    async fn audit(
        &self,
        room: &RoomName,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<shared::AuditEntry>, StoreError>;
    /// The invitations `name` holds, to rooms not archived, oldest first.
    async fn invitations(&self, name: &UserName) -> Result<Vec<shared::Invite>, StoreError>;
    /// Changes `room`'s settings; its settings now, or `None` when it does not exist.
    async fn update_room(
        &self,
        room: &RoomName,
        change: &RoomChange,
    ) -> Result<Option<shared::RoomSettings>, StoreError>;
    /// Makes member `name` of `room` a moderator, or a plain member again; the room's settings
    /// now, or `None` when `name` is not a member or is the owner.
    async fn set_moderator(
        &self,
        room: &RoomName,
        name: &UserName,
        moderator: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError>;

    /// Stores `batch` in one transaction, in order, giving each message the next id. A message
    /// whose sender already stored one with the same `req` (earlier, or earlier in this batch)
    /// is not stored again: its slot in the answer is [`Appended::Repeat`] with the stored
    /// message's id and time when the content is the same (conversation and body), else
    /// [`Appended::Conflict`].
    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<Appended>, StoreError>;
    /// The highest message id stored, 0 when there is none.
    async fn last_id(&self) -> Result<u64, StoreError>;
    /// Message `id` if `viewer` may see it as a participant of a private conversation, or if
    /// it is a room message (the caller checks the membership): its sender, destination,
    /// whether it is a tombstone and whether `viewer`'s account wrote it. `None` for a change's id, or a private message of another
    /// pair or from before `viewer`'s account.
    async fn find_message(
        &self,
        viewer: &UserName,
        id: u64,
    ) -> Result<Option<FoundMessage>, StoreError>;
    /// Up to `limit` messages of a conversation with ids below `before` (all when `None`),
    /// oldest first, and whether they reach back to its first message.
    async fn history(
        &self,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError>;
    /// The messages of a conversation around `id`: the newest `limit - limit / 2` with ids up
    /// to `id`, and the oldest `limit / 2` above it, oldest first, and whether they reach back
    /// to its first message.
    async fn history_around(
        &self,
        conversation: &Conversation,
        id: u64,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError>;
    /// A page of the messages `searcher` may read that match `query`, best first.
    async fn search(
        &self,
        searcher: &UserName,
        query: &SearchQuery,
    ) -> Result<SearchPage, StoreError>;
    /// The newest `limit` messages in `name`'s conversations with ids in `(after, up_to]`,
    /// oldest first (the lobby, `name`'s rooms, and private messages to or from `name`), and
    /// the cut when there were more. Each conversation is read through its `(conversation, id)`
    /// index, never by scanning the ids of everyone's messages.
    async fn missed(
        &self,
        name: &UserName,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Missed, StoreError>;
    /// Up to `limit` messages of every conversation with ids above `after`, oldest first: what
    /// other nodes stored since a node last looked.
    async fn since(&self, after: u64, limit: u32) -> Result<Vec<Message>, StoreError>;
    /// Where each of `name`'s conversations stands: `rooms` (in that order), then every private
    /// conversation with a message, newest first.
    async fn conversations(
        &self,
        name: &UserName,
        rooms: &[RoomName],
    ) -> Result<Vec<ConversationInfo>, StoreError>;
    /// Where `rooms` stand for `name` (in that order), then a page of `name`'s private
    /// conversations, newest first: at most `limit` of those whose newest message has an id
    /// below `before` (every one, without it). The cursor is exact: no two conversations share
    /// a newest id. By default cut from [`Store::conversations`]; engines answer it from
    /// their indexes.
    async fn conversations_page(
        &self,
        name: &UserName,
        rooms: &[RoomName],
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        let all = self.conversations(name, rooms).await?;
        let (rooms, private) = all.split_at(rooms.len());
        let page = private
            .iter()
            .filter(|c| before.is_none_or(|before| c.last_id < before))
            .take(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(rooms.iter().chain(page).cloned().collect())
    }
    /// What a connection of `name`'s reads before it joins the hub: where `rooms` stand and
    /// the newest `limit` private conversations ([`Store::conversations_page`] without a
    /// cursor), the invitations `name` holds ([`Store::invitations`]), and whether `session`
    /// stands and whom its account blocks ([`Safety::opening`]). One read for all, because
    /// in a reconnection storm each read costs more in hand-offs than in the database; by
    /// default the three calls.
    async fn start(
        &self,
        session: &SessionId,
        name: &UserName,
        rooms: &[RoomName],
        limit: u32,
    ) -> Result<Start, StoreError> {
        Ok(Start {
            conversations: self.conversations_page(name, rooms, None, limit).await?,
            invitations: self.invitations(name).await?,
            opening: self.opening(session).await?,
        })
    }
    /// What a connection of `name`'s reads once it has joined the hub: whether `session`
    /// still stands and whom its account blocks ([`Safety::opening`]), and, for a client
    /// that resumes, what it missed ([`Store::missed`]; `None` when the session no longer
    /// stands or nothing is to be replayed). On one connection: each connection borrowed
    /// and given back costs a hand-off to SQLite's thread. By default the two calls.
    async fn joined(
        &self,
        session: &SessionId,
        name: &UserName,
        replay: Option<Replay>,
    ) -> Result<(Opening, Option<Missed>), StoreError> {
        let opening = self.opening(session).await?;
        let missed = match replay {
            Some(replay) if opening.standing == Standing::Active => Some(
                self.missed(name, replay.after, replay.up_to, replay.limit)
                    .await?,
            ),
            _ => None,
        };
        Ok((opening, missed))
    }
    /// Moves `name`'s read marker forward to `up_to`, or to the conversation's newest message
    /// if that is lower; returns where the marker stood and where it now stands.
    async fn mark_read(
        &self,
        name: &UserName,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<Marked, StoreError>;
    /// The read markers (above 0) of everyone in `conversation` but `name`, furthest along
    /// first, at most `limit`: a room's members (the lobby's: everyone), a private
    /// conversation's other participant.
    async fn readers(
        &self,
        name: &UserName,
        conversation: &Conversation,
        limit: u32,
    ) -> Result<Readers, StoreError>;
    /// The name keys of the senders of the newest `limit` messages of room `conversation` with
    /// ids in `(after, up_to]`, each once: whose messages a read marker moving from `after`
    /// to `up_to` passed.
    async fn passed_senders(
        &self,
        conversation: &Conversation,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// A page of the messages `name` wrote (rooms and private, not deleted), ids above `after`,
    /// oldest first, at most `limit`; their details are not filled in. For the export. Not
    /// those of a released name's former holder, from before `name`'s account.
    async fn authored(
        &self,
        name: &UserName,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;
    /// Stores a one-use export ticket for `name` (only `hash`, its SHA-256), valid until
    /// `expires_at` (ms since the Unix epoch); it replaces any earlier one of `name`.
    async fn create_export_ticket(
        &self,
        hash: &str,
        name: &UserName,
        expires_at: u64,
    ) -> Result<(), StoreError>;
    /// Takes the ticket whose hash is `hash`: deleted, and the account it was made for if it
    /// was still valid at `now`. Expired tickets are deleted on the way.
    async fn take_export_ticket(
        &self,
        hash: &str,
        now: u64,
    ) -> Result<Option<UserName>, StoreError>;
    /// Records an upload, unless it takes its uploader's stored bytes past `quota`: then
    /// `false`, nothing stored.
    async fn add_attachment(
        &self,
        record: &AttachmentRecord,
        quota: u64,
    ) -> Result<bool, StoreError>;
    /// An upload's record, unless its message was deleted.
    async fn attachment(&self, id: &str) -> Result<Option<AttachmentRecord>, StoreError>;
    /// Every upload of a user still kept (sent or not), oldest first: for an export. Not a
    /// released name's former holder's (see [`AttachmentRecord::is_of`]).
    async fn attachments_of(
        &self,
        uploader: &UserName,
    ) -> Result<Vec<AttachmentRecord>, StoreError>;
    /// Whether `viewer` may read the attachment: its uploader, or whoever may read the message
    /// carrying it.
    async fn may_read_attachment(
        &self,
        viewer: &UserName,
        record: &AttachmentRecord,
    ) -> Result<bool, StoreError>;
    /// Up to `limit` uploads whose bytes should be removed: their message was deleted, or
    /// they were never sent and were uploaded before `unsent_before` (ms since the epoch).
    async fn doomed_attachments(
        &self,
        unsent_before: u64,
        limit: u32,
    ) -> Result<Vec<AttachmentRecord>, StoreError>;
    /// Removes the records of uploads whose bytes are gone.
    async fn forget_attachments(&self, ids: &[String]) -> Result<(), StoreError>;
    /// One cheap round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Whether the database takes writes now: a write that is rolled back, so that a store
    /// that answers reads but refuses writes (read-only file, locked, broken schema) is not
    /// reported ready. A store with no separate write path answers as [`Store::ping`].
    async fn probe_write(&self) -> Result<(), StoreError> {
        self.ping().await
    }
    /// How many stored ids SQLite's lists file (conversation lists and private messages'
    /// index) does not cover yet; `None` where there is no such file (PostgreSQL). Read from
    /// memory, without a query: it is for `/metrics`.
    fn lists_behind(&self) -> Option<u64> {
        None
    }
    /// The engine behind the store: `"sqlite"` or `"postgres"`.
    fn engine(&self) -> &'static str;
}

/// Opens the store the configuration names: `--database-url` when set (see
/// [`SqlStore::connect`]), else `chat.db` in `--data-dir`. Its background tasks (SQLite's)
/// are spawned through `tasks`.
pub async fn open_store(config: &Config, tasks: &Tasks) -> Result<Arc<dyn Store>, StoreError> {
    let store = match config.database_url.as_deref() {
        Some(url) => SqlStore::connect(url, tasks).await?,
        None => SqlStore::open(&config.data_dir, tasks).await?,
    };
    Ok(Arc::new(store))
}
