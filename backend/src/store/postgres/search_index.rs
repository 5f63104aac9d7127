//! [`TsVector`]: the PostgreSQL engine's full-text index of message bodies, a generated
//! `tsvector` column of `messages` (`search_words`) with a GIN index. PostgreSQL computes the
//! column whenever a row is stored or its body changes, so an edit or a tombstone updates it
//! in the transaction that writes it.
//!
//! The column is `to_tsvector('simple', …)` (no stemming, no stop words, lowercased) of the
//! body with ASCII punctuation turned into spaces first, so that PostgreSQL's parser sees the
//! words `shared::search` cuts (it would otherwise keep `example.com` or `a-b` whole).

use async_trait::async_trait;
use sqlx::{AnyPool, Executor};

use crate::store::search::SearchIndex;
use crate::store::StoreError;

/// The `tsvector` index (PostgreSQL).
#[derive(Debug)]
pub(in crate::store) struct TsVector;

/// A key for the advisory lock under which nodes starting together add the column once.
const LOCK: i64 = 0x0063_6861_7473_6561; // "chatsea"

/// The column and its index, each added only when missing.
const SCHEMA: &str = "\
    ALTER TABLE messages ADD COLUMN IF NOT EXISTS search_words tsvector \
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, \
            regexp_replace(body, '[!-/:-@[-`{-~]', ' ', 'g'))) STORED; \
    CREATE INDEX IF NOT EXISTS messages_search ON messages USING GIN (search_words);";

#[async_trait]
impl SearchIndex for TsVector {
    /// Adds the column (PostgreSQL computes it for every stored message) and its index, in
    /// one transaction under an advisory lock: nodes that start together add them once.
    async fn prepare(&self, pool: &AnyPool) -> Result<(), StoreError> {
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCK)
            .execute(&mut *tx)
            .await?;
        tx.execute(SCHEMA).await?;
        tx.commit().await?;
        Ok(())
    }

    fn matching(&self) -> &'static str {
        "messages m WHERE m.search_words @@ to_tsquery('simple', $2)"
    }

    fn rank(&self) -> &'static str {
        "-ts_rank(m.search_words, to_tsquery('simple', $2))"
    }

    /// `'deploy':* & 'friday':*`: each term a prefix, all of them. The terms hold only
    /// letters and digits.
    fn query_text(&self, terms: &[String]) -> String {
        terms
            .iter()
            .map(|t| format!("'{}':*", t.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}
