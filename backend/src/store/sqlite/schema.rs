//! The lists file's schema (SQLite): its tables, `chat.db`'s index of room messages, and
//! preparing both as the store opens, the file rebuilt from the messages when it is new; with
//! the SQL expressions and row sources that the rounds and the readers share.

use sqlx::{AnyPool, Executor};

use crate::store::StoreError;

/// The conversation lists' table, in the lists file.
pub(super) const LISTED_IN_FILE: &str = "lists.private_conversations";

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
pub(super) const COVERED: &str =
    "(SELECT up_to FROM lists.indexed WHERE name = 'private_conversations')";

/// The newest message id stored, 0 when there is none, as an SQL expression.
pub(super) const NEWEST_ID: &str = "(SELECT COALESCE(MAX(id), 0) FROM messages)";

/// The condition that picks the private messages the lists file does not cover yet (SQLite):
/// a range of ids, found by the primary key.
pub(super) fn uncovered_private() -> String {
    format!("id > {COVERED} AND recipient_key IS NOT NULL")
}

/// Creates the lists file's tables, in one transaction with what fills them. A new lists file
/// covers every stored message at once: the conversation rows come from `chat.db`'s table
/// when it has one (migration 0003, from when `append` wrote them), else from the messages,
/// and the `(conversation, id)` entries from the messages, as they do for a lists file from
/// before the entries moved here (up to the id it covers). `chat.db` then keeps neither the
/// rows nor the private messages' index entries: [`ROOM_INDEX`] replaces its index by
/// conversation.
pub(super) async fn prepare_lists(pool: &AnyPool) -> Result<(), StoreError> {
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
pub(super) fn list_rows_sql(range: &str) -> String {
    format!(
        "SELECT sender_key, conversation, recipient_key FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL \
         UNION \
         SELECT recipient_key, conversation, sender_key FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL AND hidden_for IS NULL \
         ORDER BY 1, 2"
    )
}

/// The `(conversation, id)` index entries of the private messages whose ids meet `range`,
/// sorted.
pub(super) fn entries_sql(range: &str) -> String {
    format!(
        "SELECT conversation, id FROM messages \
         WHERE {range} AND recipient_key IS NOT NULL ORDER BY conversation, id"
    )
}
