//! Durable state behind one trait, so the engine can change (SQLite now, PostgreSQL for
//! several nodes later) without the rest of the server noticing.
//!
//! It keeps accounts (who owns which name, with an optional password hash), sessions (hashes
//! of the tokens that prove it), room memberships, every message, and read markers. Messages
//! are stored in batches ([`Store::append`], fed by the journal): one transaction, one sync to
//! disk, for many messages.

use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use shared::{ConversationInfo, RoomName, UserName};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use crate::message::{Conversation, Destination, Message, NewMessage};

/// An account: the owner of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: UserName,
    /// argon2id PHC string; `None` when the session token is the only key.
    pub password_hash: Option<String>,
}

/// Identifies a session without being the secret: the hex SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the name is taken")]
    NameTaken,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What the server needs from durable storage.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the account for `name`; [`StoreError::NameTaken`] when the name (ignoring case)
    /// has an owner already.
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
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
    /// whose sender already stored one with the same `req` is not stored again: its slot in the
    /// answer holds the stored message and `true`.
    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<(Message, bool)>, StoreError>;
    /// The highest message id stored, 0 when there is none.
    async fn last_id(&self) -> Result<u64, StoreError>;
    /// Up to `limit` messages of every conversation with ids above `after`, oldest first.
    async fn since(&self, after: u64, limit: u32) -> Result<Vec<Message>, StoreError>;
    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
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
}

/// The embedded default: one SQLite file in the data directory.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) `chat.db` in `data_dir` and runs the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(data_dir.join("chat.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged message survives even a power cut; group commit keeps it cheap.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

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

fn message_from(row: &SqliteRow) -> Result<Message, StoreError> {
    let to = match row.get::<Option<String>, _>("room") {
        Some(r) => Destination::Room(room(&r)?),
        None => {
            let recipient: Option<String> = row.get("recipient");
            Destination::User(user(recipient.as_deref().unwrap_or_default())?)
        }
    };
    Ok(Message {
        id: to_u64(row.get("id")),
        from: user(row.get("sender"))?,
        to,
        body: row.get("body"),
        at: to_u64(row.get("at")),
    })
}

/// Moves `name`'s read marker in `conversation` to its newest message, for someone arriving
/// in it: what was said before they came is history, not unread news.
async fn mark_all_read(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    name: &UserName,
    conversation: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO read_markers (name_key, conversation, up_to) \
         SELECT $1, $2, COALESCE(MAX(id), 0) FROM messages WHERE conversation = $2 \
         ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
         WHERE read_markers.up_to < excluded.up_to",
    )
    .bind(name.key())
    .bind(conversation)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn account_from(name: &str, password_hash: Option<String>) -> Result<Account, StoreError> {
    let name = UserName::parse(name).map_err(|e| StoreError::Corrupt(format!("{name:?}: {e}")))?;
    Ok(Account {
        name,
        password_hash,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
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
        // A newcomer starts with the lobby read: its past is history, not news.
        mark_all_read(&mut tx, name, &Conversation::Room(RoomName::lobby()).key()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT name, password_hash FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| account_from(r.get("name"), r.get("password_hash")))
            .transpose()
    }

    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError> {
        // Its private conversations go too: whoever claims the name next must not read them.
        // Room messages stay; memberships, sessions and read markers follow the account.
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM messages WHERE room IS NULL AND (sender_key = $1 OR recipient_key = $1)",
        )
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
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
        row.map(|r| account_from(r.get("name"), r.get("password_hash")))
            .transpose()
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
        Ok(u64::try_from(left).unwrap_or(0))
    }

    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.room, a.name FROM memberships m JOIN accounts a ON a.name_key = m.name_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((room(r.get("room"))?, user(r.get("name"))?)))
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
        mark_all_read(&mut tx, name, &Conversation::Room(room.clone()).key()).await?;
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
        let mut tx = self.pool.begin().await?;
        let mut answers = Vec::with_capacity(batch.len());
        for new in batch {
            // Rows stored earlier in this transaction count, so a repeat within the batch is
            // found here too.
            if let Some(req) = new.req.as_deref() {
                let stored =
                    sqlx::query("SELECT id, at FROM messages WHERE sender_key = $1 AND req = $2")
                        .bind(new.from.key())
                        .bind(req)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(row) = stored {
                    let message = Message {
                        id: to_u64(row.get("id")),
                        from: new.from.clone(),
                        to: new.to.clone(),
                        body: new.body.clone(),
                        at: to_u64(row.get("at")),
                    };
                    answers.push((message, true));
                    continue;
                }
            }
            let id: i64 = sqlx::query_scalar(
                "UPDATE sequences SET value = value + 1 WHERE name = 'messages' RETURNING value",
            )
            .fetch_one(&mut *tx)
            .await?;
            let message = Message {
                id: to_u64(id),
                from: new.from.clone(),
                to: new.to.clone(),
                body: new.body.clone(),
                at: new.at,
            };
            let (room, recipient_key, recipient) = match &new.to {
                Destination::Room(room) => (Some(room.to_string()), None, None),
                Destination::User(to) => (None, Some(to.key()), Some(to.to_string())),
            };
            sqlx::query(
                "INSERT INTO messages (id, conversation, room, sender_key, sender, \
                 recipient_key, recipient, body, at, req) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(message.conversation_key())
            .bind(room)
            .bind(new.from.key())
            .bind(new.from.as_str())
            .bind(recipient_key)
            .bind(recipient)
            .bind(&new.body)
            .bind(to_i64(new.at))
            .bind(new.req.as_deref())
            .execute(&mut *tx)
            .await?;
            answers.push((message, false));
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn last_id(&self) -> Result<u64, StoreError> {
        let value: i64 = sqlx::query_scalar("SELECT value FROM sequences WHERE name = 'messages'")
            .fetch_one(&self.pool)
            .await?;
        Ok(to_u64(value))
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

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn history(
        &self,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = $1 AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        ))
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

    async fn conversations(
        &self,
        name: &UserName,
        rooms: &[RoomName],
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        let mut conversations: Vec<Conversation> =
            rooms.iter().cloned().map(Conversation::Room).collect();
        let private = sqlx::query(
            "SELECT m.sender_key, m.sender, m.recipient FROM messages m JOIN ( \
                 SELECT MAX(id) AS last FROM messages \
                 WHERE room IS NULL AND (sender_key = $1 OR recipient_key = $1) \
                 GROUP BY conversation) newest ON m.id = newest.last \
             ORDER BY m.id DESC",
        )
        .bind(name.key())
        .fetch_all(&self.pool)
        .await?;
        for row in &private {
            let sender_key: String = row.get("sender_key");
            let other = if sender_key == name.key() {
                let recipient: Option<String> = row.get("recipient");
                user(recipient.as_deref().unwrap_or_default())?
            } else {
                user(row.get("sender"))?
            };
            conversations.push(Conversation::Private {
                me: name.clone(),
                other,
            });
        }
        let mut infos = Vec::with_capacity(conversations.len());
        for conversation in conversations {
            let key = conversation.key();
            let last_id: Option<i64> =
                sqlx::query_scalar("SELECT MAX(id) FROM messages WHERE conversation = $1")
                    .bind(&key)
                    .fetch_one(&self.pool)
                    .await?;
            let read_up_to: Option<i64> = sqlx::query_scalar(
                "SELECT up_to FROM read_markers WHERE name_key = $1 AND conversation = $2",
            )
            .bind(name.key())
            .bind(&key)
            .fetch_optional(&self.pool)
            .await?;
            let read_up_to = read_up_to.unwrap_or(0);
            let unread: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM messages \
                 WHERE conversation = $1 AND id > $2 AND sender_key <> $3",
            )
            .bind(&key)
            .bind(read_up_to)
            .bind(name.key())
            .fetch_one(&self.pool)
            .await?;
            infos.push(ConversationInfo {
                target: conversation.target(),
                last_id: to_u64(last_id.unwrap_or(0)),
                read_up_to: to_u64(read_up_to),
                unread: to_u64(unread),
            });
        }
        Ok(infos)
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
}
