//! Durable state behind one trait, [`Store`], so the engine can change without the rest of the
//! server noticing. [`SqlStore`] implements it over sqlx's `Any` driver, with one set of SQL
//! and one set of migrations (`migrations/`, portable SQL) for both engines:
//!
//! - **SQLite** (the embedded default): `chat.db` in the data directory, or the file a
//!   `sqlite:` URL names. Every connection runs with `journal_mode=WAL`, `synchronous=FULL`
//!   (an acknowledged message survives a power cut; group commit keeps that cheap) and
//!   `foreign_keys=ON`; commits never checkpoint the WAL, [`crate::checkpoint`]'s task does.
//! - **PostgreSQL**, chosen by a `postgres://` or `postgresql://` URL, for several nodes on one
//!   database. The tables live in the first schema of the connection's `search_path`, which a
//!   URL can set: `…?options=-c%20search_path%3Dmy_schema`.
//!
//! [`open_store`] picks the engine from the configuration.
//!
//! It keeps accounts (who owns which name, with an optional password hash), sessions (hashes
//! of the tokens that prove it), room memberships, every message, read markers, and who has
//! which private conversations (`private_conversations`, one row per participant, added when a
//! pair first talks: `messages` needs no index by sender or by recipient).
//!
//! **Where the conversation lists and the private messages' index live.** On PostgreSQL
//! `append` writes the list rows in the transaction that stores the messages, and `messages`
//! has its `(conversation, id)` index. On SQLite both live in a second file beside the database
//! (`chat-lists.db` beside `chat.db`, attached to every connection as `lists`): the rows, and
//! the private messages' `(conversation, id)` entries as a table (`lists.conversation_ids`),
//! written by [`crate::lists`]'s task once a second from the private messages stored since,
//! with the last id it covered (`lists.indexed`), in one transaction of that file alone.
//! `chat.db` indexes only room messages by conversation ([`ROOM_INDEX`]). A private message's
//! list row or index entry lands on a random page (its conversation's place among all of
//! them), and SQLite has one writer per file: written with each batch, they took most of the
//! time a private message waited to be stored, and the index's page splits made commits sweep
//! the writer's whole page cache (docs/benchmarks.md). Readers take the rows and entries and,
//! for messages above that id, the messages themselves, found by id. All of it derives from
//! `messages`: a lost or deleted lists file is rebuilt as the store opens.
//! Messages are stored in batches ([`Store::append`], fed by the journal): one transaction, one
//! sync to disk, a handful of statements for many messages.
//!
//! **Ids are visible in commit order**, on either engine and from any number of nodes: ids come
//! from the `messages` row of `sequences`, and the storing transaction locks that row first
//! (SQLite: the database's write lock; PostgreSQL: the row lock, held to commit) and bumps it
//! once for the batch. Writers are thus serialised, and one that numbers its messages after
//! another commits after it. So a reader that sees id N sees every stored id below N, which is
//! what makes `missed` and `since` exact cursors. Taking the lock before looking for repeated
//! `req`s also makes that look-up see every committed message, whichever node stored it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use shared::{ConversationInfo, RoomName, UserName};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Row};
use tokio_util::sync::DropGuard;

use crate::checkpoint;
use crate::config::Config;
use crate::lists;
use crate::message::{Conversation, Destination, Message, NewMessage};

/// An account: the owner of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as its owner first wrote it.
    pub name: UserName,
    /// argon2id PHC string; `None` when the session token is the only key.
    pub password_hash: Option<String>,
}

/// Identifies a session without being the secret: the hex SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone owns the name already.
    #[error("the name is taken")]
    NameTaken,
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
pub trait Store: Send + Sync + 'static {
    /// Creates the account for `name`, with its first session when `session` is given, in one
    /// transaction (one sync to disk); [`StoreError::NameTaken`] when the name (ignoring case)
    /// has an owner already.
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&SessionId>,
    ) -> Result<(), StoreError>;
    /// The account that owns `name`, ignoring case.
    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError>;
    /// Deletes the account that owns `name` and all its sessions.
    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError>;
    /// Records a new session of `name`'s owner.
    async fn create_session(&self, id: &SessionId, name: &UserName) -> Result<(), StoreError>;
    /// The account a session belongs to.
    async fn find_session(&self, id: &SessionId) -> Result<Option<Account>, StoreError>;
    /// Ends a session; returns how many sessions its account still has.
    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError>;

    /// Every room membership, lobby aside, with the member's name as displayed.
    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError>;
    /// Records that `name` is in `room` (again: no error).
    async fn join_room(&self, name: &UserName, room: &RoomName) -> Result<(), StoreError>;
    /// Records that `name` left `room`.
    async fn leave_room(&self, name: &UserName, room: &RoomName) -> Result<(), StoreError>;

    /// Stores `batch` in one transaction, in order, giving each message the next id. A message
    /// whose sender already stored one with the same `req` (earlier, or earlier in this batch)
    /// is not stored again: its slot in the answer holds the stored message's id and time, and
    /// `true`.
    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<(Message, bool)>, StoreError>;
    /// The highest message id stored, 0 when there is none.
    async fn last_id(&self) -> Result<u64, StoreError>;
    /// Up to `limit` messages of a conversation with ids below `before` (all when `None`),
    /// oldest first, and whether they reach back to its first message.
    async fn history(
        &self,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError>;
    /// Up to `limit` messages in `name`'s conversations with ids in `(after, up_to]`, oldest
    /// first: the lobby, `name`'s rooms, and private messages to or from `name`.
    async fn missed(
        &self,
        name: &UserName,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;
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
    /// Moves `name`'s read marker forward to `up_to`; returns the marker as it now stands.
    async fn mark_read(
        &self,
        name: &UserName,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<u64, StoreError>;
    /// One cheap round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
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
/// [`SqlStore::connect`]), else `chat.db` in `--data-dir`.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    let store = match config.database_url.as_deref() {
        Some(url) => SqlStore::connect(url).await?,
        None => SqlStore::open(&config.data_dir).await?,
    };
    Ok(Arc::new(store))
}

/// The database engines a [`SqlStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a URL names, by its scheme.
    fn of(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedUrl),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Set on every SQLite connection as it opens.
/// Checkpoints are [`crate::checkpoint`]'s, never a commit's.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;";

/// Set, after [`SQLITE_PRAGMAS`], on the SQLite connection that stores messages: a page cache
/// of 16 MB (the default is 2 MB) keeps more of the index pages it writes to at random places
/// (storing private messages among 1,000 users on a 200,000-message database, it halved the
/// pages read per message, from 5.4 to 2.7).
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16000;";

/// Set on every SQLite connection once the lists file is attached. The file is derived data,
/// rebuilt from `messages`, so its commits need not sync (in WAL mode it stays consistent
/// through a power cut: it only loses its last rounds, which are then done again).
const LISTS_PRAGMAS: &str = "PRAGMA lists.journal_mode = WAL; PRAGMA lists.synchronous = NORMAL;";

/// Set, after [`LISTS_PRAGMAS`], on the connection of [`crate::lists`]'s task, the only one
/// that writes the lists file often: it checkpoints that file itself (it never writes
/// `chat.db`), and keeps the rows' pages cached, as the writer does for the messages'.
const SQLITE_INDEXER_PRAGMAS: &str =
    "PRAGMA wal_autocheckpoint = 1000; PRAGMA lists.cache_size = -16000;";

/// The lists file's tables, created when missing. `WITHOUT ROWID`: the rows live in the key's
/// B-tree, one page written per new row rather than two. `conversation_ids` is the
/// `(conversation, id)` index of the private messages (on SQLite `chat.db` indexes only room
/// messages by conversation: [`ROOM_INDEX`]). `indexed` holds one row, named
/// `private_conversations` since the file first held only those: the id up to which both
/// tables cover the messages.
const LISTS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS lists.private_conversations ( \
         name_key     TEXT NOT NULL, \
         conversation TEXT NOT NULL, \
         other_key    TEXT NOT NULL, \
         PRIMARY KEY (name_key, conversation)) WITHOUT ROWID; \
     CREATE TABLE IF NOT EXISTS lists.conversation_ids ( \
         conversation TEXT NOT NULL, \
         id           INTEGER NOT NULL, \
         PRIMARY KEY (conversation, id)) WITHOUT ROWID; \
     CREATE TABLE IF NOT EXISTS lists.indexed ( \
         name  TEXT PRIMARY KEY, \
         up_to INTEGER NOT NULL);";

/// On SQLite, `chat.db`'s index of messages by conversation holds the room messages only (it
/// replaces migration 0002's `messages_by_conversation`): a room's new messages go to the end
/// of its range, a few pages written per batch, where a private message's entry lands on a
/// random page. Queries that use it say `room IS NOT NULL`.
const ROOM_INDEX: &str = "CREATE INDEX IF NOT EXISTS main.messages_by_room \
     ON messages (conversation, id) WHERE room IS NOT NULL";

/// The id up to which the lists file covers the messages (SQLite), as an SQL expression.
const COVERED: &str = "(SELECT up_to FROM lists.indexed WHERE name = 'private_conversations')";

/// The newest message id stored, 0 when there is none, as an SQL expression.
const NEWEST_ID: &str = "(SELECT COALESCE(MAX(id), 0) FROM messages)";

/// The condition that picks the private messages the lists file does not cover yet (SQLite):
/// a range of ids, found by the primary key.
fn uncovered_private() -> String {
    format!("id > {COVERED} AND recipient_key IS NOT NULL")
}

/// The lists file that goes with the SQLite database at `db`: `chat-lists.db` for `chat.db`.
fn lists_path(db: &Path) -> PathBuf {
    if db.as_os_str() == ":memory:" {
        return db.to_owned();
    }
    let stem = db.file_stem().unwrap_or_default().to_string_lossy();
    let name = match db.extension() {
        Some(ext) => format!("{stem}-lists.{}", ext.to_string_lossy()),
        None => format!("{stem}-lists"),
    };
    db.with_file_name(name)
}

/// Attaches the lists file at `path` as `lists` and sets [`LISTS_PRAGMAS`]: statements for any
/// SQLite connection, through either driver.
fn attach_lists_sql(path: &str) -> String {
    format!(
        "ATTACH DATABASE '{}' AS lists; {LISTS_PRAGMAS}",
        path.replace('\'', "''")
    )
}

/// Creates the lists file's tables, in one transaction with what fills them. A new lists file
/// covers every stored message at once: the conversation rows come from `chat.db`'s table
/// when it has one (migration 0003, from when `append` wrote them), else from the messages,
/// and the `(conversation, id)` entries from the messages, as they do for a lists file from
/// before the entries moved here (up to the id it covers). `chat.db` then keeps neither the
/// rows nor the private messages' index entries: [`ROOM_INDEX`] replaces its index by
/// conversation.
async fn prepare_lists(pool: &AnyPool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // What there is before: lists with or without the ids (from before they moved here), and
    // in `chat.db` the conversation rows (migration 0003) and the index by conversation.
    let (had_ids, rows_in_main, index_in_main): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
             EXISTS (SELECT 1 FROM lists.sqlite_master \
                 WHERE type = 'table' AND name = 'conversation_ids'), \
             EXISTS (SELECT 1 FROM main.sqlite_master \
                 WHERE type = 'table' AND name = 'private_conversations'), \
             EXISTS (SELECT 1 FROM main.sqlite_master \
                 WHERE type = 'index' AND name = 'messages_by_conversation')",
    )
    .fetch_one(&mut *tx)
    .await?;
    let (had_ids, rows_in_main, index_in_main) =
        (had_ids != 0, rows_in_main != 0, index_in_main != 0);
    tx.execute(LISTS_SCHEMA).await?;
    let started: Option<i64> = sqlx::query_scalar(&format!("SELECT {COVERED}"))
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    let up_to = match started {
        Some(up_to) => up_to,
        None => {
            // A new lists file covers every message at once: the rows from `chat.db`'s table
            // when it has one, else from the messages.
            let rows = if rows_in_main {
                "SELECT name_key, conversation, other_key FROM main.private_conversations"
                    .to_owned()
            } else {
                list_rows_sql("true")
            };
            sqlx::query(&format!(
                "INSERT INTO lists.private_conversations (name_key, conversation, other_key) \
                 {rows}"
            ))
            .execute(&mut *tx)
            .await?;
            let up_to: i64 = sqlx::query_scalar(&format!("SELECT {NEWEST_ID}"))
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO lists.indexed (name, up_to) VALUES ('private_conversations', $1)",
            )
            .bind(up_to)
            .execute(&mut *tx)
            .await?;
            up_to
        }
    };
    if started.is_none() || !had_ids {
        sqlx::query(&format!(
            "INSERT INTO lists.conversation_ids (conversation, id) {}",
            entries_sql("id <= $1")
        ))
        .bind(up_to)
        .execute(&mut *tx)
        .await?;
    }
    if rows_in_main {
        tx.execute("DROP TABLE main.private_conversations").await?;
    }
    tx.execute(ROOM_INDEX).await?;
    if index_in_main {
        tx.execute("DROP INDEX main.messages_by_conversation")
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The conversation-list rows `(name key, conversation, other's key)` of the private messages
/// whose ids meet `range`, for both participants (once when they are one), sorted and without
/// repeats: rows that share a page of the lists file are written together.
fn list_rows_sql(range: &str) -> String {
    format!(
        "SELECT sender_key, conversation, recipient_key FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL \
         UNION \
         SELECT recipient_key, conversation, sender_key FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL \
         ORDER BY 1, 2"
    )
}

/// The `(conversation, id)` index entries of the private messages whose ids meet `range`,
/// sorted.
fn entries_sql(range: &str) -> String {
    format!(
        "SELECT conversation, id FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL ORDER BY conversation, id"
    )
}

/// A round's two statements, for the private messages with ids in `($1, $2]`: their index
/// entries, then their conversation-list rows. Both run in SQLite, on the round's own thread:
/// no row crosses to the async side, whose one worker thread also serves every connection
/// (taking 20,000 rows a round there delayed the messages that arrived meanwhile).
fn list_round_sql() -> [String; 2] {
    let range = "id > $1 AND id <= $2";
    [
        format!(
            "INSERT INTO lists.conversation_ids (conversation, id) {} \
             ON CONFLICT (conversation, id) DO NOTHING",
            entries_sql(range)
        ),
        format!(
            "INSERT INTO {LISTED_IN_FILE} (name_key, conversation, other_key) {} \
             ON CONFLICT (name_key, conversation) DO NOTHING",
            list_rows_sql(range)
        ),
    ]
}

/// Most ids one round of [`index_list_round`] covers.
pub(crate) const LIST_ROUND_IDS: i64 = 20_000;

/// What a round of [`index_list_round`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListRound {
    /// Ids it covered.
    pub covered: u64,
    /// Ids stored that the lists still do not cover.
    pub behind: u64,
}

/// How far the lists file is (SQLite): the newest id stored, kept by `append`, and the newest
/// it covers, kept by [`index_list_round`], both read from the files as the store opens. Both
/// only grow; within one process only its own writer stores messages in a SQLite file.
#[derive(Debug)]
pub(crate) struct ListsProgress {
    newest: AtomicU64,
    covered: AtomicU64,
}

impl ListsProgress {
    /// Progress with `newest` stored and `covered` by the file, as read when the store opens.
    fn new(newest: i64, covered: i64) -> Self {
        Self {
            newest: AtomicU64::new(to_u64(newest)),
            covered: AtomicU64::new(to_u64(covered)),
        }
    }

    /// Stored ids the lists do not cover yet.
    pub(crate) fn behind(&self) -> u64 {
        let covered = self.covered.load(Ordering::Relaxed);
        self.newest.load(Ordering::Relaxed).saturating_sub(covered)
    }

    fn stored(&self, id: u64) {
        self.newest.fetch_max(id, Ordering::Relaxed);
    }

    fn covered(&self, id: u64) {
        self.covered.fetch_max(id, Ordering::Relaxed);
    }
}

/// One round: adds the private messages stored since the last one, up to `round_ids` ids, to
/// the lists file (SQLite): their `(conversation, id)` entries, and their conversations to the
/// conversation lists. A round is one transaction of the lists file: its write lock first
/// (so that rounds, and account deletions, take turns), then the private messages above the id
/// it covers (ids are visible in commit order, so none below the newest can appear later), the
/// rows in sorted order, the new id. `chat.db` is only read: its writer never waits for a round.
pub(crate) async fn index_list_round(
    indexer: &SqlitePool,
    progress: &ListsProgress,
    round_ids: i64,
) -> Result<ListRound, StoreError> {
    let mut tx = indexer.begin().await?;
    let up_to: i64 = sqlx::query_scalar(
        "UPDATE lists.indexed SET up_to = up_to WHERE name = 'private_conversations' \
         RETURNING up_to",
    )
    .fetch_one(&mut *tx)
    .await?;
    let newest: i64 = sqlx::query_scalar(&format!("SELECT {NEWEST_ID}"))
        .fetch_one(&mut *tx)
        .await?;
    if newest <= up_to {
        tx.rollback().await?;
        return Ok(ListRound {
            covered: 0,
            behind: 0,
        });
    }
    let through = newest.min(up_to + round_ids);
    for sql in list_round_sql() {
        sqlx::query(&sql)
            .bind(up_to)
            .bind(through)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE lists.indexed SET up_to = $1 WHERE name = 'private_conversations'")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    progress.covered(to_u64(through));
    Ok(ListRound {
        covered: to_u64(through - up_to),
        behind: to_u64(newest - through),
    })
}

/// The name of the thread that runs the lists' usual connection: [`crate::lists`] lowers its
/// priority by it.
pub(crate) const LISTS_THREAD: &str = "chat-lists";
/// The name of the thread that runs the lists' other connection, which keeps its priority.
pub(crate) const LISTS_URGENT_THREAD: &str = "chat-lists-now";

/// A pool of the one connection, on a thread named `thread`, that writes the lists file.
async fn lists_pool(url: &str, file: &str, thread: &'static str) -> Result<SqlitePool, StoreError> {
    // SQLite's own driver, not `Any`: it lets the connection's thread be named, so that
    // `lists` can find it and lower its priority.
    let options = SqliteConnectOptions::from_str(url)?.thread_name(move |_| thread.to_owned());
    let attach = attach_lists_sql(file);
    let pool = SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let attach = attach.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(attach.as_str()).await?;
                conn.execute(SQLITE_INDEXER_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// The conversation lists' table: in the lists file (SQLite) or the database (PostgreSQL).
const LISTED_IN_FILE: &str = "lists.private_conversations";
const LISTED_IN_DATABASE: &str = "private_conversations";

/// [`LISTED_IN_FILE`] or [`LISTED_IN_DATABASE`].
fn listed_table(lists: bool) -> &'static str {
    if lists {
        LISTED_IN_FILE
    } else {
        LISTED_IN_DATABASE
    }
}

/// How often [`crate::lists`]'s task runs a round. Rarer rounds write fewer pages (rows of one
/// round that share a page share its write) but leave more messages for readers to look at.
const LIST_ROUND: std::time::Duration = std::time::Duration::from_secs(1);

/// The [`Store`] over SQL: SQLite or PostgreSQL, one set of statements for both.
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Connections through sqlx's `Any` driver, all to one engine.
    pool: AnyPool,
    /// Where `append` runs. SQLite: one connection of its own, so that its page cache lives:
    /// SQLite empties a connection's cache whenever another connection has written, so with
    /// batches taking turns on the pool's connections each one read again the pages the
    /// previous batch wrote (7.4 pages read per message instead of 5.4, same cache size).
    /// The journal stores one batch at a time anyway. PostgreSQL: the pool.
    writer: AnyPool,
    /// Which engine the pool talks to.
    engine: Engine,
    /// SQLite: stops the checkpoint task when the last clone of the store is dropped.
    _checkpoints: Option<Arc<DropGuard>>,
    /// SQLite: the lists file's writer, and its task. `None` on PostgreSQL, where `append`
    /// writes the lists.
    lists: Option<Lists>,
}

/// The conversation lists in a file of their own (SQLite).
#[derive(Debug, Clone)]
struct Lists {
    /// The connection that runs [`index_list_round`], at the lowest priority.
    indexer: SqlitePool,
    /// The connection that runs it when the lists fall far behind, at normal priority.
    urgent: SqlitePool,
    /// The newest id stored and the newest the file covers.
    progress: Arc<ListsProgress>,
    /// Stops [`crate::lists`]'s task when the last clone of the store is dropped.
    _task: Arc<DropGuard>,
}

/// The name `SqlStore` had when SQLite was its only engine; `SqliteStore::open(dir)` still
/// opens `chat.db` in `dir`.
pub type SqliteStore = SqlStore;

impl SqlStore {
    /// Opens (creating when missing) `chat.db` in `data_dir` and runs the migrations: the
    /// embedded default.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, checkpoint::Policy::default()).await
    }

    /// [`SqlStore::open`], with checkpoints run by `checkpoints`.
    async fn open_with(
        data_dir: &Path,
        checkpoints: checkpoint::Policy,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join("chat.db"))
            .create_if_missing(true);
        Self::connect_with(Engine::Sqlite, options.to_url_lossy().as_str(), checkpoints).await
    }

    /// Connects to the database `url` names and runs the migrations. `postgres://…` or
    /// `postgresql://…` is PostgreSQL; `sqlite:<path>` is that SQLite file, created when missing
    /// unless the URL sets a `mode`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let engine = Engine::of(url)?;
        let url = match engine {
            Engine::Postgres => url.to_owned(),
            Engine::Sqlite => {
                let mut options = SqliteConnectOptions::from_str(url)?;
                if !url.contains("mode=") {
                    options = options.create_if_missing(true);
                }
                options.to_url_lossy().to_string()
            }
        };
        Self::connect_with(engine, &url, checkpoint::Policy::default()).await
    }

    async fn connect_with(
        engine: Engine,
        url: &str,
        checkpoints: checkpoint::Policy,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url)?;
        let lists_file = match engine {
            Engine::Sqlite => {
                let db = SqliteConnectOptions::from_str(url)?;
                Some(lists_path(db.get_filename()).to_string_lossy().into_owned())
            }
            Engine::Postgres => None,
        };
        let attach = lists_file.as_deref().map(attach_lists_sql);
        let pool = AnyPoolOptions::new()
            // A database that does not answer fails a request in seconds, not half a minute:
            // a send is refused (`unavailable`) rather than left hanging.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .max_connections(match engine {
                Engine::Sqlite => 4,
                Engine::Postgres => 8,
            })
            // Before lending a connection the pool pings it. A SQLite connection is a file
            // handle with a thread of its own: the ping finds nothing wrong, and it is one more
            // hand-over to that thread and back for every query (a sign-in makes several).
            .test_before_acquire(engine == Engine::Postgres)
            .after_connect(move |conn, _| {
                let attach = attach.clone();
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    if let Some(attach) = attach {
                        conn.execute(attach.as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        if lists_file.is_some() {
            prepare_lists(&pool).await?;
        }
        let writer = match engine {
            Engine::Postgres => pool.clone(),
            Engine::Sqlite => {
                AnyPoolOptions::new()
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .max_connections(1)
                    // Kept for good, and not pinged before each batch: it is a local file.
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            conn.execute(SQLITE_WRITER_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        let lists = match lists_file {
            Some(file) => {
                let indexer = lists_pool(url, &file, LISTS_THREAD).await?;
                let urgent = lists_pool(url, &file, LISTS_URGENT_THREAD).await?;
                let (newest, covered): (i64, i64) =
                    sqlx::query_as(&format!("SELECT {NEWEST_ID}, {COVERED}"))
                        .fetch_one(&urgent)
                        .await?;
                let progress = Arc::new(ListsProgress::new(newest, covered));
                let task = lists::spawn(
                    indexer.clone(),
                    urgent.clone(),
                    progress.clone(),
                    LIST_ROUND,
                );
                Some(Lists {
                    indexer,
                    urgent,
                    progress,
                    _task: Arc::new(task),
                })
            }
            None => None,
        };
        let checkpoints = (engine == Engine::Sqlite)
            .then(|| Arc::new(checkpoint::spawn(pool.clone(), writer.clone(), checkpoints)));
        Ok(Self {
            pool,
            writer,
            engine,
            _checkpoints: checkpoints,
            lists,
        })
    }

    /// Closes every connection, waiting for those in use to come back.
    pub async fn close(&self) {
        if let Some(lists) = &self.lists {
            lists.indexer.close().await;
            lists.urgent.close().await;
        }
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Brings the conversation lists up to every message stored so far, as the background
    /// task does each second (SQLite; on PostgreSQL they always are); returns how many ids it
    /// covered. For tests and tools that look at the lists file.
    pub async fn catch_up_lists(&self) -> Result<u64, StoreError> {
        match &self.lists {
            Some(lists) => {
                let mut covered = 0;
                loop {
                    let round =
                        index_list_round(&lists.urgent, &lists.progress, LIST_ROUND_IDS).await?;
                    covered += round.covered;
                    if round.behind == 0 {
                        return Ok(covered);
                    }
                }
            }
            None => Ok(0),
        }
    }

    /// Whether the conversation lists and the private messages' (conversation, id) index are
    /// in the lists file (SQLite) rather than in the database.
    fn in_lists_file(&self) -> bool {
        self.lists.is_some()
    }
}

/// The private conversations of `$1` that the lists file does not cover yet (SQLite): those of
/// its messages above the id the lists reached, found by id (there are at most a round's
/// worth), then by sender or recipient.
fn unlisted_sql() -> String {
    format!(
        "SELECT conversation FROM messages WHERE {} \
         AND (sender_key = $1 OR recipient_key = $1)",
        uncovered_private()
    )
}

/// The conversations of `$1` in the conversation lists: with the lists file (`lists`), also
/// those it does not cover yet.
fn own_conversations_sql(lists: bool) -> String {
    let own = format!(
        "SELECT conversation FROM {} WHERE name_key = $1",
        listed_table(lists)
    );
    if lists {
        format!("{own} UNION {}", unlisted_sql())
    } else {
        own
    }
}

/// The newest id of the conversation `conversation` (an SQL expression), NULL when it has
/// none: the last entry of the (conversation, id) index. With the lists file (`lists`), the
/// newest private message above the id the file covers (found by id), else the file's last
/// entry, else the last entry of [`ROOM_INDEX`] (a conversation is private or a room: only one
/// of the three can be there).
fn last_id_sql(lists: bool, conversation: &str) -> String {
    if lists {
        format!(
            "COALESCE( \
                 (SELECT MAX(id) FROM messages WHERE {} AND conversation = {conversation}), \
                 (SELECT MAX(id) FROM lists.conversation_ids \
                     WHERE conversation = {conversation}), \
                 (SELECT MAX(id) FROM messages \
                     WHERE conversation = {conversation} AND room IS NOT NULL))",
            uncovered_private()
        )
    } else {
        format!("(SELECT MAX(id) FROM messages WHERE conversation = {conversation})")
    }
}

/// How many messages of `conversation` above the id `after` (SQL expressions) someone other
/// than `$1` sent, found by the (conversation, id) index: with the lists file (`lists`), its
/// entries, the private messages above the id it covers, and [`ROOM_INDEX`].
fn unread_sql(lists: bool, conversation: &str, after: &str) -> String {
    if lists {
        format!(
            "(SELECT COUNT(*) FROM lists.conversation_ids l JOIN messages m ON m.id = l.id \
                 WHERE l.conversation = {conversation} AND l.id > {after} \
                 AND m.sender_key <> $1) \
             + (SELECT COUNT(*) FROM messages WHERE {} AND id > {after} \
                 AND conversation = {conversation} AND sender_key <> $1) \
             + (SELECT COUNT(*) FROM messages WHERE conversation = {conversation} \
                 AND room IS NOT NULL AND id > {after} AND sender_key <> $1)",
            uncovered_private()
        )
    } else {
        format!(
            "(SELECT COUNT(*) FROM messages WHERE conversation = {conversation} \
                 AND id > {after} AND sender_key <> $1)"
        )
    }
}

/// A page of history: the messages of conversation `$1` below id `$2`, newest first, at most
/// `$3`. With the lists file (`lists`): the page's ids from its entries, from the private
/// messages above the id it covers (by id) and from [`ROOM_INDEX`]; then the messages by id.
fn history_sql(lists: bool) -> String {
    if lists {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ( \
                 SELECT id FROM lists.conversation_ids WHERE conversation = $1 AND id < $2 \
                 UNION ALL \
                 SELECT id FROM messages WHERE {} AND conversation = $1 AND id < $2 \
                 UNION ALL \
                 SELECT id FROM messages WHERE conversation = $1 AND room IS NOT NULL \
                     AND id < $2 \
                 ORDER BY id DESC LIMIT $3) \
             ORDER BY id DESC",
            uncovered_private()
        )
    } else {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = $1 AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        )
    }
}

/// The newest message of each of `$1`'s private conversations (it says how the other
/// participant's name is written), newest first: the conversations (a range of the lists' key),
/// then per conversation its newest id ([`last_id_sql`]) and the message by id.
fn newest_private_sql(lists: bool) -> String {
    format!(
        "SELECT m.sender_key, m.sender, m.recipient FROM ( \
             SELECT {} AS last FROM ({}) own) newest \
         JOIN messages m ON m.id = newest.last \
         ORDER BY m.id DESC",
        last_id_sql(lists, "own.conversation"),
        own_conversations_sql(lists)
    )
}

/// Deletes the rows of the other participants of `$1`'s private conversations, by key, and
/// returns their conversations.
fn delete_others_rows_sql(listed: &str) -> String {
    format!(
        "DELETE FROM {listed} WHERE (name_key, conversation) IN ( \
             SELECT other_key, conversation FROM {listed} WHERE name_key = $1) \
         RETURNING conversation"
    )
}

/// The statements that delete the messages of `n` conversations: with the lists file
/// (`lists`), also their entries in it (the file's write lock is taken by then: see
/// `delete_account`).
fn delete_conversations_sql(engine: Engine, lists: bool, n: usize) -> Vec<String> {
    let these = placeholders(engine, 1, n, 1);
    if lists {
        vec![
            format!(
                "DELETE FROM messages WHERE id IN ( \
                     SELECT id FROM lists.conversation_ids WHERE conversation IN {these})"
            ),
            format!("DELETE FROM lists.conversation_ids WHERE conversation IN {these}"),
            format!(
                "DELETE FROM messages WHERE {} AND conversation IN {these}",
                uncovered_private()
            ),
        ]
    } else {
        vec![format!(
            "DELETE FROM messages WHERE conversation IN {these}"
        )]
    }
}

/// How long a request waits for a database connection.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn now_ms() -> i64 {
    i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn user(raw: &str) -> Result<UserName, StoreError> {
    UserName::parse(raw).map_err(|e| StoreError::Corrupt(format!("user {raw:?}: {e}")))
}

fn room(raw: &str) -> Result<RoomName, StoreError> {
    RoomName::parse(raw).map_err(|e| StoreError::Corrupt(format!("room {raw:?}: {e}")))
}

/// The columns [`message_from`] reads.
const MESSAGE_COLUMNS: &str = "id, room, sender, recipient, body, at";

fn message_from(row: &AnyRow) -> Result<Message, StoreError> {
    let to = match row.try_get::<Option<String>, _>("room")? {
        Some(r) => Destination::Room(room(&r)?),
        None => {
            let recipient: Option<String> = row.try_get("recipient")?;
            Destination::User(user(recipient.as_deref().unwrap_or_default())?)
        }
    };
    Ok(Message {
        id: to_u64(row.try_get("id")?),
        from: user(row.try_get("sender")?)?,
        to,
        body: row.try_get("body")?,
        at: to_u64(row.try_get("at")?),
    })
}

/// `(…, …), (…, …), …`: `rows` tuples of `columns` placeholders for the parameters numbered
/// from `first`, in order of appearance.
///
/// `$n` is what both engines read. But SQLite finds a named parameter's number by a linear
/// search, and sqlx asks for the name of every parameter it binds: with thousands that is
/// quadratic (it took 40% of `append`'s time). So when a statement has no other parameters
/// (`first == 1`), SQLite gets anonymous `?`, which are numbered by position.
fn placeholders(engine: Engine, rows: usize, columns: usize, first: usize) -> String {
    let anonymous = engine == Engine::Sqlite && first == 1;
    let mut sql = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(first + r * columns + c).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

/// Most rows in one multi-row `INSERT` (ten bind parameters each: far below SQLite's 32,766
/// and PostgreSQL's 65,535).
const INSERT_ROWS: usize = 256;
/// Most `(sender, req)` pairs or conversations looked up in one statement.
const LOOKUP_ROWS: usize = 512;

/// Splits `n` rows into chunks of powers of two, largest first, none above [`INSERT_ROWS`]:
/// few statements per batch, and few distinct statements for the engines to prepare and cache.
fn insert_chunks(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= INSERT_ROWS {
            INSERT_ROWS
        } else {
            1 << n.ilog2()
        };
        n -= size;
        Some(size)
    })
}

/// The id and time of messages already stored under each `(sender key, req)` of `batch`.
async fn stored_requests(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    batch: &[NewMessage],
) -> Result<HashMap<(String, String), (i64, i64)>, StoreError> {
    let mut pairs: Vec<(String, &str)> = batch
        .iter()
        .filter_map(|m| Some((m.from.key(), m.req.as_deref()?)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut stored = HashMap::new();
    for chunk in pairs.chunks(LOOKUP_ROWS) {
        let rows = padded(chunk.len());
        let sql = stored_requests_sql(engine, rows);
        let mut query = sqlx::query(&sql);
        for i in 0..rows {
            let (sender_key, req) = &chunk[i.min(chunk.len() - 1)];
            query = query.bind(sender_key.as_str()).bind(*req);
        }
        let mut found: HashMap<i64, (String, String)> = HashMap::new();
        for row in query.fetch_all(&mut **tx).await? {
            if let Some(id) = row.try_get::<Option<i64>, _>("id")? {
                found.insert(id, (row.try_get("sender_key")?, row.try_get("req")?));
            }
        }
        if found.is_empty() {
            continue;
        }
        // Repeats are rare: only then a second look, for the stored times.
        let sql = format!(
            "SELECT id, at FROM messages WHERE id IN {}",
            placeholders(engine, 1, found.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in found.keys() {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let id: i64 = row.try_get("id")?;
            if let Some(pair) = found.remove(&id) {
                stored.insert(pair, (id, row.try_get("at")?));
            }
        }
    }
    Ok(stored)
}

/// Looks up `rows` pairs `(sender key, req)`: the id stored under each, or NULL.
///
/// `VALUES` columns are named column1, column2… by both engines. The correlated subquery makes
/// each pair one probe of the (sender_key, req) index on both (partial, `req IS NOT NULL`:
/// `m.req = …` implies it); a join would let PostgreSQL's planner pick a scan of the whole
/// table while it is small.
fn stored_requests_sql(engine: Engine, rows: usize) -> String {
    format!(
        "SELECT b.column1 AS sender_key, b.column2 AS req, \
             (SELECT m.id FROM messages m \
              WHERE m.sender_key = b.column1 AND m.req = b.column2) AS id \
         FROM (VALUES {}) AS b",
        placeholders(engine, rows, 2, 1)
    )
}

/// `n` rounded up: to a power of two up to 32, then to a multiple of 32. Look-ups are padded
/// to it (repeating their last row, which is harmless), so that the engines see few distinct
/// statements and reuse their plans, at the cost of at most 31 extra rows.
fn padded(n: usize) -> usize {
    if n <= 32 {
        n.next_power_of_two()
    } else {
        n.next_multiple_of(32)
    }
}

/// Stores new messages with multi-row `INSERT`s.
async fn insert_messages(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(&NewMessage, i64)],
) -> Result<(), StoreError> {
    let mut rest = rows;
    for size in insert_chunks(rows.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let sql = format!(
            "INSERT INTO messages (id, conversation, room, sender_key, sender, \
             recipient_key, recipient, body, at, req) VALUES {}",
            placeholders(engine, chunk.len(), 10, 1)
        );
        let mut query = sqlx::query(&sql);
        for (new, id) in chunk {
            let (room, recipient_key, recipient) = match &new.to {
                Destination::Room(room) => (Some(room.to_string()), None, None),
                Destination::User(to) => (None, Some(to.key()), Some(to.to_string())),
            };
            query = query
                .bind(*id)
                .bind(new.conversation_key())
                .bind(room)
                .bind(new.from.key())
                .bind(new.from.to_string())
                .bind(recipient_key)
                .bind(recipient)
                .bind(new.body.clone())
                .bind(to_i64(new.at))
                .bind(new.req.clone());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Conversation-list rows `(name key, conversation, other's key)`, sorted and without repeats.
struct ConversationRows(BTreeSet<(String, String, String)>);

impl ConversationRows {
    fn new() -> Self {
        Self(BTreeSet::new())
    }

    /// Lists a private message's conversation under both participants (once when they are one).
    fn add(&mut self, from: String, to: String, conversation: String) {
        self.0
            .insert((to.clone(), conversation.clone(), from.clone()));
        self.0.insert((from, conversation, to));
    }

    /// The rows for the private messages among `rows` (new messages).
    fn of(rows: &[(&NewMessage, i64)]) -> Self {
        let mut pairs = Self::new();
        for (new, _) in rows {
            if let Destination::User(to) = &new.to {
                pairs.add(new.from.key(), to.key(), new.conversation_key());
            }
        }
        pairs
    }
}

/// Adds `rows` conversation-list rows to `table`, skipping those listed before.
fn conversation_rows_sql(engine: Engine, table: &str, rows: usize) -> String {
    format!(
        "INSERT INTO {table} (name_key, conversation, other_key) VALUES {} \
         ON CONFLICT (name_key, conversation) DO NOTHING",
        placeholders(engine, rows, 3, 1)
    )
}

/// Adds `pairs` to the conversation lists in `table`, skipping those listed before, in
/// multi-row `INSERT`s (`append`, where the database holds the lists).
async fn insert_conversation_rows(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    table: &str,
    pairs: ConversationRows,
) -> Result<(), StoreError> {
    let mut pairs = pairs.0.into_iter();
    for size in insert_chunks(pairs.len()) {
        let sql = conversation_rows_sql(engine, table, size);
        let mut query = sqlx::query(&sql);
        for (name_key, conversation, other_key) in pairs.by_ref().take(size) {
            query = query.bind(name_key).bind(conversation).bind(other_key);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Moves `name`'s read marker in `conversation` to its newest message, for someone arriving
/// in it: what was said before they came is history, not unread news. `lists`: the
/// (conversation, id) index is in the lists file.
async fn mark_all_read(
    tx: &mut sqlx::Transaction<'_, Any>,
    lists: bool,
    name: &UserName,
    conversation: &str,
) -> Result<(), StoreError> {
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` is not a join's `ON`.
    sqlx::query(&format!(
        "INSERT INTO read_markers (name_key, conversation, up_to) \
         SELECT $1, $2, COALESCE({}, 0) WHERE true \
         ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
         WHERE read_markers.up_to < excluded.up_to",
        last_id_sql(lists, "$2")
    ))
    .bind(name.key())
    .bind(conversation)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn account_from(row: &AnyRow) -> Result<Account, StoreError> {
    let name: String = row.try_get("name")?;
    let name = UserName::parse(&name).map_err(|e| StoreError::Corrupt(format!("{name:?}: {e}")))?;
    Ok(Account {
        name,
        password_hash: row.try_get("password_hash")?,
    })
}

/// Where one message of an `append` batch ends up.
enum Slot {
    /// Stored now, with this id.
    New(i64),
    /// Stored before, with this id and time.
    Stored(i64, i64),
    /// A repeat of the batch's message at this index.
    Repeat(usize),
}

#[async_trait]
impl Store for SqlStore {
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&SessionId>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO accounts (name_key, name, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(name.key())
        .bind(name.as_str())
        .bind(password_hash)
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        match result {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::NameTaken)
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(id) = session {
            sqlx::query(
                "INSERT INTO sessions (token_hash, name_key, created_at) VALUES ($1, $2, $3)",
            )
            .bind(&id.0)
            .bind(name.key())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        // A newcomer starts with the lobby read: its past is history, not news.
        let lobby = Conversation::Room(RoomName::lobby()).key();
        mark_all_read(&mut tx, self.in_lists_file(), name, &lobby).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT name, password_hash FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError> {
        // Its private conversations go too, for both participants: whoever claims the name
        // next must not read them. Room messages stay; memberships, sessions and read markers
        // follow the account.
        let mut tx = self.pool.begin().await?;
        // The sequence's lock first, as `append` does: no message can join one of these
        // conversations between the statements below (and SQLite starts writing at once,
        // instead of failing to upgrade a read transaction that a commit overtook).
        sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
            .execute(&mut *tx)
            .await?;
        // The lists' rows first, the other participants' and then the name's own, each saying
        // which conversation it was (a conversation with oneself has one row, which the first
        // takes): with the lists file, writing to it first takes its lock before anything is
        // read from it.
        let lists = self.in_lists_file();
        let listed = listed_table(lists);
        let mut conversations: Vec<String> = sqlx::query_scalar(&delete_others_rows_sql(listed))
            .bind(name.key())
            .fetch_all(&mut *tx)
            .await?;
        let own: Vec<String> = sqlx::query_scalar(&format!(
            "DELETE FROM {listed} WHERE name_key = $1 RETURNING conversation"
        ))
        .bind(name.key())
        .fetch_all(&mut *tx)
        .await?;
        conversations.extend(own);
        if lists {
            let unlisted: Vec<String> = sqlx::query_scalar(&unlisted_sql())
                .bind(name.key())
                .fetch_all(&mut *tx)
                .await?;
            conversations.extend(unlisted);
        }
        conversations.sort_unstable();
        conversations.dedup();
        // Their messages by a list of conversations, which both engines look up in the
        // (conversation, id) index; given a subquery, PostgreSQL may rather scan every message.
        // With the lists file: the messages its entries name, the entries, the messages above
        // the id it covers.
        for chunk in conversations.chunks(LOOKUP_ROWS) {
            let size = padded(chunk.len());
            for sql in delete_conversations_sql(self.engine, lists, size) {
                let mut query = sqlx::query(&sql);
                for i in 0..size {
                    query = query.bind(chunk[i.min(chunk.len() - 1)].as_str());
                }
                query.execute(&mut *tx).await?;
            }
        }
        sqlx::query("DELETE FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, id: &SessionId, name: &UserName) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, name_key, created_at) VALUES ($1, $2, $3)")
            .bind(&id.0)
            .bind(name.key())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn find_session(&self, id: &SessionId) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT a.name, a.password_hash FROM sessions s \
             JOIN accounts a ON a.name_key = s.name_key WHERE s.token_hash = $1",
        )
        .bind(&id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE name_key = $1")
            .bind(name.key())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(to_u64(left))
    }

    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.room, a.name FROM memberships m JOIN accounts a ON a.name_key = m.name_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((room(r.try_get("room")?)?, user(r.try_get("name")?)?)))
            .collect()
    }

    async fn join_room(&self, name: &UserName, room: &RoomName) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO memberships (name_key, room, joined_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name_key, room) DO NOTHING",
        )
        .bind(name.key())
        .bind(room.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let conversation = Conversation::Room(room.clone()).key();
        mark_all_read(&mut tx, self.in_lists_file(), name, &conversation).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn leave_room(&self, name: &UserName, room: &RoomName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM memberships WHERE name_key = $1 AND room = $2")
            .bind(name.key())
            .bind(room.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<(Message, bool)>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer.begin().await?;
        let stored = if batch.iter().any(|m| m.req.is_some()) {
            // The sequence's lock first (see the module doc): writers queue here, and the
            // look-up below sees everything stored before, by this node or another. Without
            // a `req` there is nothing to look up, and the bump below takes the lock.
            sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
                .execute(&mut *tx)
                .await?;
            stored_requests(self.engine, &mut tx, batch).await?
        } else {
            HashMap::new()
        };

        // Which messages are new, and which repeat a `req` stored before or earlier in the batch.
        let mut firsts: HashMap<(String, &str), usize> = HashMap::new();
        let mut slots = Vec::with_capacity(batch.len());
        let mut fresh = 0usize;
        for (i, new) in batch.iter().enumerate() {
            let slot = match new.req.as_deref() {
                Some(req) => {
                    let key = (new.from.key(), req);
                    if let Some(&(id, at)) = stored.get(&(key.0.clone(), req.to_owned())) {
                        Slot::Stored(id, at)
                    } else if let Some(&first) = firsts.get(&key) {
                        Slot::Repeat(first)
                    } else {
                        firsts.insert(key, i);
                        fresh += 1;
                        Slot::New(0)
                    }
                }
                None => {
                    fresh += 1;
                    Slot::New(0)
                }
            };
            slots.push(slot);
        }

        let mut newest = None;
        if fresh > 0 {
            let count = i64::try_from(fresh).unwrap_or(i64::MAX);
            let last: i64 = sqlx::query_scalar(
                "UPDATE sequences SET value = value + $1 WHERE name = 'messages' RETURNING value",
            )
            .bind(count)
            .fetch_one(&mut *tx)
            .await?;
            newest = Some(last);
            let mut next = last - count + 1;
            let mut rows = Vec::with_capacity(fresh);
            for (new, slot) in batch.iter().zip(&mut slots) {
                if let Slot::New(id) = slot {
                    *id = next;
                    rows.push((new, next));
                    next += 1;
                }
            }
            insert_messages(self.engine, &mut tx, &rows).await?;
            if self.lists.is_none() {
                let pairs = ConversationRows::of(&rows);
                insert_conversation_rows(self.engine, &mut tx, LISTED_IN_DATABASE, pairs).await?;
            }
        }
        tx.commit().await?;
        if let (Some(lists), Some(newest)) = (&self.lists, newest) {
            lists.progress.stored(to_u64(newest));
        }

        let mut answers: Vec<(Message, bool)> = Vec::with_capacity(batch.len());
        for (new, slot) in batch.iter().zip(slots) {
            let (id, at, repeat) = match slot {
                Slot::New(id) => (to_u64(id), new.at, false),
                Slot::Stored(id, at) => (to_u64(id), to_u64(at), true),
                Slot::Repeat(first) => (answers[first].0.id, answers[first].0.at, true),
            };
            let message = Message {
                id,
                from: new.from.clone(),
                to: new.to.clone(),
                body: new.body.clone(),
                at,
            };
            answers.push((message, repeat));
        }
        Ok(answers)
    }

    async fn last_id(&self) -> Result<u64, StoreError> {
        let value: i64 = sqlx::query_scalar("SELECT value FROM sequences WHERE name = 'messages'")
            .fetch_one(&self.pool)
            .await?;
        Ok(to_u64(value))
    }

    async fn history(
        &self,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let rows = sqlx::query(&history_sql(self.in_lists_file()))
            .bind(conversation.key())
            .bind(before.map_or(i64::MAX, to_i64))
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let complete = rows.len() <= limit as usize;
        let mut messages = rows
            .iter()
            .take(limit as usize)
            .map(message_from)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        Ok((messages, complete))
    }

    async fn missed(
        &self,
        name: &UserName,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > $1 AND id <= $2 AND ( \
                 room = 'lobby' OR sender_key = $3 OR recipient_key = $3 \
                 OR room IN (SELECT room FROM memberships WHERE name_key = $3)) \
             ORDER BY id LIMIT $4"
        ))
        .bind(to_i64(after))
        .bind(to_i64(up_to))
        .bind(name.key())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from).collect()
    }

    async fn since(&self, after: u64, limit: u32) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(to_i64(after))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from).collect()
    }

    async fn conversations(
        &self,
        name: &UserName,
        rooms: &[RoomName],
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        let mut conversations: Vec<Conversation> =
            rooms.iter().cloned().map(Conversation::Room).collect();
        let lists = self.in_lists_file();
        let private = sqlx::query(&newest_private_sql(lists))
            .bind(name.key())
            .fetch_all(&self.pool)
            .await?;
        for row in &private {
            let sender_key: String = row.try_get("sender_key")?;
            let other = if sender_key == name.key() {
                let recipient: Option<String> = row.try_get("recipient")?;
                user(recipient.as_deref().unwrap_or_default())?
            } else {
                user(row.try_get("sender")?)?
            };
            conversations.push(Conversation::Private {
                me: name.clone(),
                other,
            });
        }

        // Where each stands, one statement per [`LOOKUP_ROWS`] conversations. The newest id
        // is a correlated MAX, which both engines answer from the (conversation, id) index
        // without reading the conversation's other messages ([`last_id_sql`]).
        let keys: Vec<String> = conversations.iter().map(Conversation::key).collect();
        let mut standing: HashMap<String, (i64, i64, i64)> = HashMap::new();
        for chunk in keys.chunks(LOOKUP_ROWS) {
            let sql = format!(
                "SELECT k.column1 AS conversation, {} AS last_id, \
                     COALESCE(r.up_to, 0) AS read_up_to, {} AS unread \
                 FROM (VALUES {}) AS k \
                 LEFT JOIN read_markers r ON r.name_key = $1 AND r.conversation = k.column1",
                last_id_sql(lists, "k.column1"),
                unread_sql(lists, "k.column1", "COALESCE(r.up_to, 0)"),
                placeholders(self.engine, chunk.len(), 1, 2)
            );
            let mut query = sqlx::query(&sql).bind(name.key());
            for key in chunk {
                query = query.bind(key.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                let last_id: Option<i64> = row.try_get("last_id")?;
                standing.insert(
                    row.try_get("conversation")?,
                    (
                        last_id.unwrap_or(0),
                        row.try_get("read_up_to")?,
                        row.try_get("unread")?,
                    ),
                );
            }
        }
        Ok(conversations
            .iter()
            .zip(&keys)
            .map(|(conversation, key)| {
                let (last_id, read_up_to, unread) = standing.get(key).copied().unwrap_or((0, 0, 0));
                ConversationInfo {
                    target: conversation.target(),
                    last_id: to_u64(last_id),
                    read_up_to: to_u64(read_up_to),
                    unread: to_u64(unread),
                }
            })
            .collect())
    }

    async fn mark_read(
        &self,
        name: &UserName,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO read_markers (name_key, conversation, up_to) VALUES ($1, $2, $3) \
             ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
             WHERE read_markers.up_to < excluded.up_to",
        )
        .bind(name.key())
        .bind(conversation.key())
        .bind(to_i64(up_to))
        .execute(&mut *tx)
        .await?;
        let now: i64 = sqlx::query_scalar(
            "SELECT up_to FROM read_markers WHERE name_key = $1 AND conversation = $2",
        )
        .bind(name.key())
        .bind(conversation.key())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(to_u64(now))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        self.engine.name()
    }

    fn lists_behind(&self) -> Option<u64> {
        self.lists.as_ref().map(|lists| lists.progress.behind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings durability relies on, as a connection reports them for the database
    /// `schema` (`main`, or the attached `lists`).
    async fn durability(conn: &mut sqlx::AnyConnection, schema: &str) -> (String, i64, i64) {
        let journal: String = sqlx::query_scalar(&format!("PRAGMA {schema}.journal_mode"))
            .fetch_one(&mut *conn)
            .await
            .expect("journal_mode");
        let synchronous: i64 = sqlx::query_scalar(&format!("PRAGMA {schema}.synchronous"))
            .fetch_one(&mut *conn)
            .await
            .expect("synchronous");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .expect("foreign_keys");
        (journal, synchronous, foreign_keys)
    }

    /// Every SQLite connection, pooled or the writer's, runs with the settings durability
    /// relies on.
    #[tokio::test]
    async fn sqlite_connections_are_durable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open(&dir.path().join("nested"))
            .await
            .expect("open");
        let durable = ("wal".to_owned(), 2, 1);
        // Hold several at once, so that more than the first connection is looked at.
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = store.pool.acquire().await.expect("connection");
            assert_eq!(durability(&mut conn, "main").await, durable);
            // The lists file is attached: WAL, and commits that do not sync (it is rebuilt).
            let lists = ("wal".to_owned(), 1, 1);
            assert_eq!(durability(&mut conn, "lists").await, lists);
            held.push(conn);
        }
        let mut writer = store.writer.acquire().await.expect("the writer");
        assert_eq!(durability(&mut writer, "main").await, durable);
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *writer)
            .await
            .expect("wal_autocheckpoint");
        assert_eq!(autocheckpoint, 0, "checkpoints are the checkpoint task's");
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *writer)
            .await
            .expect("cache_size");
        assert_eq!(cache, -16_000);
        assert!(dir.path().join("nested/chat.db").exists());
        assert!(dir.path().join("nested/chat-lists.db").exists());
    }

    /// SQLite's plans for what replaced the indexes by sender and by recipient, and for the
    /// look-up of stored `req`s in the partial index: index searches, no scan of a table.
    #[tokio::test]
    async fn sqlite_plans_search_indexes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open(dir.path()).await.expect("open");
        let plan = |sql: String, params: usize| {
            let pool = store.pool.clone();
            async move {
                let explain = format!("EXPLAIN QUERY PLAN {sql}");
                let mut query = sqlx::query(&explain);
                for _ in 0..params {
                    query = query.bind("x");
                }
                let rows = query.fetch_all(&pool).await.expect("plan");
                let details: Vec<String> = rows
                    .iter()
                    .map(|row| row.try_get("detail").expect("detail"))
                    .collect();
                for line in &details {
                    let scanned = line.strip_prefix("SCAN ").and_then(|s| s.split(' ').next());
                    assert!(
                        !matches!(
                            scanned,
                            Some(
                                "messages"
                                    | "m"
                                    | "l"
                                    | "private_conversations"
                                    | "lists.private_conversations"
                            )
                        ),
                        "{sql}: {details:?}"
                    );
                }
                details
            }
        };
        let has = |details: &[String], line: &str| {
            assert!(details.iter().any(|d| d == line), "{line}: {details:?}");
        };
        let lookup = plan(stored_requests_sql(Engine::Sqlite, 4), 8).await;
        has(
            &lookup,
            "SEARCH m USING INDEX messages_idempotency (sender_key=? AND req=?)",
        );
        // A round reads the range of ids it covers, not every message.
        for sql in list_round_sql() {
            has(
                &plan(sql, 2).await,
                "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>? AND id<?)",
            );
        }
        // What the lists file does not cover yet: a range of ids, not every message.
        let above = "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>?)";
        let entries = "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=?)";
        let newest = plan(newest_private_sql(true), 1).await;
        has(
            &newest,
            "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=?)",
        );
        has(&newest, above);
        has(&newest, entries);
        let standing = plan(
            format!(
                "SELECT {}, {} FROM (VALUES ($2)) AS k",
                last_id_sql(true, "k.column1"),
                unread_sql(true, "k.column1", "$3")
            ),
            3,
        )
        .await;
        has(&standing, above);
        has(
            &standing,
            "SEARCH l USING PRIMARY KEY (conversation=? AND id>?)",
        );
        has(
            &standing,
            "SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)",
        );
        has(
            &standing,
            "SEARCH messages USING INDEX messages_by_room (conversation=? AND id>?)",
        );
        let history = plan(history_sql(true), 3).await;
        has(&history, "MERGE (UNION ALL)");
        has(
            &history,
            "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=? AND id<?)",
        );
        has(
            &history,
            "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>? AND id<?)",
        );
        let rooms = "SEARCH messages USING INDEX messages_by_room (conversation=? AND id<?)";
        has(&history, rooms);
        // `chat.db` indexes only room messages by conversation (`messages_by_room`, above):
        // migration 0002's full index is gone, private messages' entries are the lists file's.
        let indexes: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'messages_by_conversation'",
        )
        .fetch_one(&store.pool)
        .await
        .expect("indexes");
        assert_eq!(indexes, 0);
        let delete = delete_conversations_sql(Engine::Sqlite, true, 4);
        has(
            &plan(delete[0].clone(), 4).await,
            "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=?)",
        );
        has(&plan(delete[2].clone(), 4).await, above);
        let others = plan(delete_others_rows_sql(LISTED_IN_FILE), 1).await;
        has(
            &others,
            "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=? AND conversation=?)",
        );
        has(&plan(unlisted_sql(), 1).await, above);
    }

    /// Rounds cover a bounded range of ids each, and as many as it takes.
    #[tokio::test]
    async fn the_lists_catch_up_in_rounds_of_bounded_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open(dir.path()).await.expect("open");
        let users: Vec<UserName> = ["ann", "ben", "cal"]
            .iter()
            .map(|n| UserName::parse(n).expect("a name"))
            .collect();
        // Ten messages, ids 1 to 10: a room message at 5, and ben and cal first talk at 10.
        let batch: Vec<NewMessage> = (0..10)
            .map(|i| NewMessage {
                from: users[usize::from(i == 9)].clone(),
                to: match i {
                    4 => Destination::Room(RoomName::lobby()),
                    9 => Destination::User(users[2].clone()),
                    _ => Destination::User(users[1 + i % 2].clone()),
                },
                body: format!("{i}"),
                at: 1,
                req: None,
            })
            .collect();
        store.append(&batch).await.expect("append");
        // What `/metrics` shows: every id stored is above the covered one.
        assert_eq!(store.lists_behind(), Some(10));
        let lists = store.lists.as_ref().expect("SQLite has a lists file");
        let mut rounds = Vec::new();
        loop {
            let round = index_list_round(&lists.indexer, &lists.progress, 3)
                .await
                .expect("a round");
            rounds.push((round.covered, round.behind, store.lists_behind()));
            if round.behind == 0 {
                break;
            }
        }
        assert_eq!(
            rounds,
            [
                (3, 7, Some(7)),
                (3, 4, Some(4)),
                (3, 1, Some(1)),
                (1, 0, Some(0))
            ]
        );
        let round = index_list_round(&lists.indexer, &lists.progress, 3)
            .await
            .expect("a round");
        assert_eq!((round.covered, round.behind), (0, 0));
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name_key, conversation, other_key FROM lists.private_conversations \
             ORDER BY name_key, conversation",
        )
        .fetch_all(&store.pool)
        .await
        .expect("rows");
        let row = |a: &str, c: &str, b: &str| (a.to_owned(), c.to_owned(), b.to_owned());
        assert_eq!(
            rows,
            [
                row("ann", "dm:ann:ben", "ben"),
                row("ann", "dm:ann:cal", "cal"),
                row("ben", "dm:ann:ben", "ann"),
                row("ben", "dm:ben:cal", "cal"),
                row("cal", "dm:ann:cal", "ann"),
                row("cal", "dm:ben:cal", "ben"),
            ]
        );
        let up_to: i64 = sqlx::query_scalar("SELECT up_to FROM lists.indexed")
            .fetch_one(&store.pool)
            .await
            .expect("up_to");
        assert_eq!(up_to, 10);
        store.close().await;
    }

    /// The largest the WAL grows while `batches` batches of private messages between varied
    /// pairs are stored back to back, checkpointed by `policy`.
    async fn wal_extent(policy: checkpoint::Policy, batches: usize) -> u64 {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open_with(dir.path(), policy).await.expect("open");
        let users: Vec<UserName> = (0..50)
            .map(|i| UserName::parse(&format!("user{i}")).expect("a name"))
            .collect();
        let wal = dir.path().join("chat.db-wal");
        let mut largest = 0;
        for b in 0..batches {
            let batch: Vec<NewMessage> = (0..10)
                .map(|i| {
                    let n = b * 10 + i;
                    NewMessage {
                        from: users[n % 50].clone(),
                        to: Destination::User(users[(n * 7 + b) % 50].clone()),
                        body: format!("message {n}"),
                        at: 1,
                        req: Some(format!("r{n}")),
                    }
                })
                .collect();
            store.append(&batch).await.expect("append");
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        assert_eq!(store.last_id().await.expect("last id"), batches as u64 * 10);
        largest
    }

    /// Under a steady stream of commits the WAL starts over once it reaches the policy's size,
    /// rather than growing for as long as the stream lasts.
    #[tokio::test]
    async fn the_wal_starts_over_under_steady_commits() {
        let tight = checkpoint::Policy {
            round: std::time::Duration::from_millis(10),
            restart_frames: 100,
            settled_frames: 16,
            max_rounds: 8,
        };
        let never = checkpoint::Policy {
            round: std::time::Duration::from_secs(3600),
            ..tight
        };
        let checkpointed = wal_extent(tight, 150).await;
        let unchecked = wal_extent(never, 150).await;
        eprintln!("WAL extent: {checkpointed} B checkpointed, {unchecked} B without checkpoints");
        assert!(
            checkpointed * 4 < unchecked,
            "{checkpointed} B checkpointed, {unchecked} B without"
        );
    }

    #[test]
    fn urls_choose_the_engine() {
        assert_eq!(Engine::of("postgres://u@h/db").ok(), Some(Engine::Postgres));
        assert_eq!(
            Engine::of("PostgreSQL://u@h/db").ok(),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::of("sqlite:chat.db").ok(), Some(Engine::Sqlite));
        assert_eq!(
            Engine::of("sqlite://data/chat.db").ok(),
            Some(Engine::Sqlite)
        );
        assert!(Engine::of("mysql://u:p@h/db").is_err());
        assert!(Engine::of("chat.db").is_err());
    }

    #[test]
    fn batches_split_into_few_inserts() {
        let chunks = |n| insert_chunks(n).collect::<Vec<_>>();
        assert_eq!(chunks(0), Vec::<usize>::new());
        assert_eq!(chunks(1), [1]);
        assert_eq!(chunks(500), [256, 128, 64, 32, 16, 4]);
        assert_eq!(chunks(512), [256, 256]);
        assert_eq!(chunks(600), [256, 256, 64, 16, 8]);
        assert_eq!(
            placeholders(Engine::Postgres, 2, 2, 1),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(placeholders(Engine::Sqlite, 2, 2, 1), "(?, ?), (?, ?)");
        assert_eq!(placeholders(Engine::Sqlite, 2, 1, 3), "($3), ($4)");
        let sizes: Vec<usize> = [1, 3, 32, 33, 500, 512].map(padded).into();
        assert_eq!(sizes, [1, 4, 32, 64, 512, 512]);
    }
}
