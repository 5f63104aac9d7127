//! Full-text search over the messages a user may read.
//!
//! Each engine keeps an index of `messages.body` of its own, behind [`SearchIndex`]: SQLite an
//! FTS5 table with `messages` as its external content, kept in step by triggers on `messages`
//! (`sqlite::search_index`), which rounds of its own extend to the messages stored since, and
//! which a search first brings up to date (`SearchIndex::catch_up`); PostgreSQL a generated
//! `tsvector` column with a GIN index (`postgres::search_index`), written by the statements that
//! store messages. Either way a search finds every message stored before it began; an edited
//! message is found by its new words only, a tombstone (its body erased) by none. Neither engine's DDL is portable SQL, so each creates
//! its index as the store opens (idempotent, and filled from the stored messages the first
//! time), after the shared migrations.
//!
//! The index finds candidates; what is kept and highlighted follows one rule for both engines,
//! `shared::search::marks`. Who may read what is the statement's: `lobby` and the user's rooms
//! (`memberships`), the user's private conversations from their account's start
//! (`accounts.history_from`, as `history` applies it), never a deleted message.

use async_trait::async_trait;
use shared::UserName;
use sqlx::AnyPool;

use super::accounts::history_from;
use super::changes;
use super::kept::Writer;
use super::sql::{message_from, to_i64, MESSAGE_COLUMNS};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::{Conversation, Message};

/// What to search for, checked by the command.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// The query's words (`shared::search::terms`), lowercased.
    pub terms: Vec<String>,
    /// Only this conversation (one the user is in).
    pub conversation: Option<Conversation>,
    /// Only messages from this user.
    pub sender: Option<UserName>,
    /// At or after, ms since the Unix epoch.
    pub since: u64,
    /// Before, ms since the Unix epoch.
    pub until: u64,
    /// Results wanted.
    pub limit: u32,
    /// Ranked results skipped.
    pub offset: u32,
}

/// A page of results: each message with the byte ranges of its body that matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPage {
    /// Best first.
    pub hits: Vec<(Message, Vec<[u32; 2]>)>,
    /// The index holds more candidates past this page.
    pub more: bool,
}

/// One engine's full-text index of message bodies.
#[async_trait]
pub(super) trait SearchIndex: Send + Sync + std::fmt::Debug + 'static {
    /// Creates the index when it does not exist, and fills it from the stored messages.
    async fn prepare(&self, pool: &AnyPool) -> Result<(), StoreError>;
    /// Brings the index up to every message stored so far, on the store's `writer`, when it
    /// is kept apart from the storing transactions (SQLite); a search calls it first.
    async fn catch_up(&self, _writer: &Writer) -> Result<(), StoreError> {
        Ok(())
    }
    /// The `FROM` clause and first condition of a search: `messages` as `m`, restricted to
    /// the bodies that match the engine's query text `$2`.
    fn matching(&self) -> &'static str;
    /// The rank of a match (an SQL expression over the [`Self::matching`] clause): smaller is
    /// better.
    fn rank(&self) -> &'static str;
    /// The engine's query text for `terms`: every one a prefix of some word.
    fn query_text(&self, terms: &[String]) -> String;
}

/// The search statement over `index`: `$1` the searcher's name key, `$2` the engine's query
/// text, `$3` the id up to which the searcher reads nothing private (`history_from`), `$4` the
/// conversation key or '', `$5` the sender's name key or '', `$6`..`$7` the time range,
/// `$8` rows wanted, `$9` rows skipped. `own_private` lists `$1`'s private conversations.
pub(super) fn search_sql(index: &dyn SearchIndex, own_private: &str) -> String {
    format!(
        "SELECT {columns}, {rank} AS score FROM {matching} \
         AND m.deleted_at IS NULL \
         AND (m.hidden_for IS NULL OR m.hidden_for <> $1) \
         AND m.conversation IN ( \
             SELECT 'room:lobby' \
             UNION ALL SELECT 'room:' || room FROM memberships WHERE name_key = $1 \
             UNION ALL SELECT conversation FROM ({own_private}) own) \
         AND (m.room IS NOT NULL OR m.id > $3) \
         AND ($4 = '' OR m.conversation = $4) \
         AND ($5 = '' OR m.sender_key = $5) \
         AND m.at >= $6 AND m.at < $7 \
         ORDER BY score, m.id DESC LIMIT $8 OFFSET $9",
        columns = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        rank = index.rank(),
        matching = index.matching(),
    )
}

/// [`Store::search`](super::Store::search).
pub(super) async fn search(
    store: &SqlStore,
    searcher: &UserName,
    query: &SearchQuery,
) -> Result<SearchPage, StoreError> {
    store.search.catch_up(&store.writer).await?;
    let from = history_from(store, searcher).await?;
    let rows = sqlx::query(&store.search_sql)
        .bind(searcher.key())
        .bind(store.search.query_text(&query.terms))
        .bind(to_i64(from))
        .bind(
            query
                .conversation
                .as_ref()
                .map(Conversation::key)
                .unwrap_or_default(),
        )
        .bind(query.sender.as_ref().map(UserName::key).unwrap_or_default())
        .bind(to_i64(query.since))
        .bind(to_i64(query.until))
        .bind(i64::from(query.limit) + 1)
        .bind(i64::from(query.offset))
        .fetch_all(&store.pool)
        .await?;
    let more = rows.len() > query.limit as usize;
    let mut messages = Vec::with_capacity(rows.len());
    let mut marks = Vec::with_capacity(rows.len());
    for row in rows.iter().take(query.limit as usize) {
        let message = message_from(row)?;
        // The engines' tokenizers differ at the edges (PostgreSQL's parser, FTS5's
        // unicode61): one rule keeps and marks the results, whichever engine found them.
        if let Some(found) = shared::search::marks(&message.body, &query.terms) {
            messages.push(message);
            marks.push(found);
        }
    }
    changes::fill_details_from(&store.pool, store.engine, &mut messages).await?;
    Ok(SearchPage {
        hits: messages.into_iter().zip(marks).collect(),
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fake;

    #[async_trait]
    impl SearchIndex for Fake {
        async fn prepare(&self, _pool: &AnyPool) -> Result<(), StoreError> {
            Ok(())
        }
        fn matching(&self) -> &'static str {
            "messages m WHERE m.body = $2"
        }
        fn rank(&self) -> &'static str {
            "0"
        }
        fn query_text(&self, terms: &[String]) -> String {
            terms.join(" ")
        }
    }

    #[test]
    fn the_statement_reads_only_what_the_searcher_may() {
        let sql = search_sql(&Fake, "SELECT 'dm:a:b' AS conversation");
        assert!(sql.starts_with("SELECT m.id, m.room, m.sender,"), "{sql}");
        for needed in [
            "m.deleted_at IS NULL",
            "memberships WHERE name_key = $1",
            "(m.room IS NOT NULL OR m.id > $3)",
            "LIMIT $8 OFFSET $9",
        ] {
            assert!(sql.contains(needed), "{needed} in {sql}");
        }
    }
}
