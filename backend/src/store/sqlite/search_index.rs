//! [`Fts5`]: the SQLite engine's full-text index of message bodies, an FTS5 table
//! (`message_search`) whose external content is `messages`: it stores the index, not the
//! bodies.
//!
//! The index covers the messages up to an id (`search_covered`): `search_rounds` adds the ones
//! stored since, in rounds of their own, off the journal's commits (FTS5 flushes and merges its
//! pending terms at every commit that added some, about 150,000 instructions per commit
//! whatever its size: with the index in the storing transaction, the small batches of a light
//! load paid it per message). A search first brings the index up to the newest id
//! ([`SearchIndex::catch_up`]), so it finds every message stored before it began.
//!
//! Triggers on `messages` keep the covered part exact, in the transaction that writes: an edit
//! of a covered message replaces the old body's words by the new one's, a tombstone (body
//! erased) leaves none, a deleted row takes its words along. A message above the covered id has
//! no entry yet: a round indexes its body as it then is.
//!
//! The tokenizer is `unicode61` without diacritics folding: words are runs of letters and
//! digits, lowercased, as `shared::search` cuts them.

use async_trait::async_trait;
use sqlx::{AnyPool, Executor};

use crate::store::kept::Writer;
use crate::store::search::SearchIndex;
use crate::store::StoreError;

/// The FTS5 index (SQLite).
#[derive(Debug)]
pub(in crate::store) struct Fts5;

/// The table, the covered id's table, and the triggers that keep the covered part exact (made
/// again at each start: an older store indexed every message as it was stored, with a trigger
/// this drops).
const SCHEMA: &str = "\
    CREATE VIRTUAL TABLE IF NOT EXISTS main.message_search USING fts5( \
        body, content = 'messages', content_rowid = 'id', \
        tokenize = 'unicode61 remove_diacritics 0'); \
    CREATE TABLE IF NOT EXISTS main.search_covered (id INTEGER NOT NULL); \
    DROP TRIGGER IF EXISTS main.message_search_stored; \
    DROP TRIGGER IF EXISTS main.message_search_changed; \
    DROP TRIGGER IF EXISTS main.message_search_deleted; \
    CREATE TRIGGER main.message_search_changed AFTER UPDATE OF body ON messages \
    WHEN old.id <= (SELECT id FROM search_covered) BEGIN \
        INSERT INTO message_search (message_search, rowid, body) \
            VALUES ('delete', old.id, old.body); \
        INSERT INTO message_search (rowid, body) VALUES (new.id, new.body); \
    END; \
    CREATE TRIGGER main.message_search_deleted AFTER DELETE ON messages \
    WHEN old.id <= (SELECT id FROM search_covered) BEGIN \
        INSERT INTO message_search (message_search, rowid, body) \
            VALUES ('delete', old.id, old.body); \
    END;";

#[async_trait]
impl SearchIndex for Fts5 {
    /// Creates the tables and triggers; a new index is filled from every stored message
    /// (`rebuild`), in the same transaction. An index without a covered id (new, or kept by an
    /// older store's trigger) covers every message stored.
    async fn prepare(&self, pool: &AnyPool) -> Result<(), StoreError> {
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let existed: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM main.sqlite_master \
                 WHERE type = 'table' AND name = 'message_search')",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.execute(SCHEMA).await?;
        if existed == 0 {
            tx.execute(
                "INSERT INTO message_search (message_search) VALUES ('rebuild'); \
                 DELETE FROM search_covered;",
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO search_covered (id) SELECT COALESCE(MAX(id), 0) FROM messages \
             WHERE NOT EXISTS (SELECT 1 FROM search_covered)",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rounds until the index covers every message stored when it was called.
    async fn catch_up(&self, writer: &Writer) -> Result<(), StoreError> {
        super::search_rounds::catch_up(writer).await
    }

    fn matching(&self) -> &'static str {
        "message_search JOIN messages m ON m.id = message_search.rowid \
         WHERE message_search MATCH $2"
    }

    fn rank(&self) -> &'static str {
        "bm25(message_search)"
    }

    /// `"deploy"* "friday"*`: each term a prefix, all of them (FTS5's implicit AND). The
    /// terms hold only letters and digits; quoting makes them strings, never operators.
    fn query_text(&self, terms: &[String]) -> String {
        terms
            .iter()
            .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
