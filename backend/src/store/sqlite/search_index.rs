//! [`Fts5`]: the SQLite engine's full-text index of message bodies, an FTS5 table
//! (`message_search`) whose external content is `messages`: it stores the index, not the
//! bodies. Triggers on `messages` keep it in step in the transaction that writes a message:
//! a stored message is added, an edit replaces the old body's words by the new one's, a
//! tombstone (body erased) leaves none, a deleted row takes its words along.
//!
//! The tokenizer is `unicode61` without diacritics folding: words are runs of letters and
//! digits, lowercased, as `shared::search` cuts them.

use async_trait::async_trait;
use sqlx::{AnyPool, Executor};

use crate::store::search::SearchIndex;
use crate::store::StoreError;

/// The FTS5 index (SQLite).
#[derive(Debug)]
pub(in crate::store) struct Fts5;

/// The table and its triggers, each created only when missing.
const SCHEMA: &str = "\
    CREATE VIRTUAL TABLE IF NOT EXISTS main.message_search USING fts5( \
        body, content = 'messages', content_rowid = 'id', \
        tokenize = 'unicode61 remove_diacritics 0'); \
    CREATE TRIGGER IF NOT EXISTS main.message_search_stored AFTER INSERT ON messages BEGIN \
        INSERT INTO message_search (rowid, body) VALUES (new.id, new.body); \
    END; \
    CREATE TRIGGER IF NOT EXISTS main.message_search_changed AFTER UPDATE OF body ON messages \
    BEGIN \
        INSERT INTO message_search (message_search, rowid, body) \
            VALUES ('delete', old.id, old.body); \
        INSERT INTO message_search (rowid, body) VALUES (new.id, new.body); \
    END; \
    CREATE TRIGGER IF NOT EXISTS main.message_search_deleted AFTER DELETE ON messages BEGIN \
        INSERT INTO message_search (message_search, rowid, body) \
            VALUES ('delete', old.id, old.body); \
    END;";

#[async_trait]
impl SearchIndex for Fts5 {
    /// Creates the table and triggers; a new table is filled from every stored message
    /// (`rebuild`), in the same transaction.
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
            tx.execute("INSERT INTO message_search (message_search) VALUES ('rebuild')")
                .await?;
        }
        tx.commit().await?;
        Ok(())
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
