//! [`ListsFile`]: the conversation lists and the private messages' `(conversation, id)` index
//! in a file of their own (SQLite), as readers use it. The file covers the messages up to an
//! id (`schema::COVERED`); above it readers look at the private messages themselves, found by
//! id (at most a round's worth). Room messages are found by `chat.db`'s `messages_by_room`.

use std::sync::Arc;

use async_trait::async_trait;
use shared::limits::UNREAD_COUNTED;
use sqlx::{Any, SqlitePool};

use super::rounds::{index_list_round, ListsProgress, LIST_ROUND_IDS};
use super::schema::{uncovered_private, LISTED_IN_FILE};
use crate::message::NewMessage;
use crate::store::lists::Lists;
use crate::store::sql::{to_u64, MESSAGE_COLUMNS};
use crate::store::StoreError;

/// The conversation lists in a file of their own (SQLite), and the connections that write it.
#[derive(Debug)]
pub(in crate::store) struct ListsFile {
    /// The connection that runs the rounds, at the lowest priority.
    pub(super) indexer: SqlitePool,
    /// The connection that runs them when the lists fall far behind, at normal priority.
    pub(super) urgent: SqlitePool,
    /// The newest id stored and the newest the file covers.
    pub(super) progress: Arc<ListsProgress>,
}

#[async_trait]
impl Lists for ListsFile {
    fn table(&self) -> &'static str {
        LISTED_IN_FILE
    }

    /// Those of `$1`'s messages above the id the lists reached, found by id (there are at most
    /// a round's worth), then by sender or recipient.
    fn unlisted_sql(&self) -> Option<String> {
        Some(format!(
            "SELECT conversation FROM messages WHERE {} \
             AND (sender_key = $1 OR (recipient_key = $1 AND hidden_for IS NULL))",
            uncovered_private()
        ))
    }

    /// The newest private message above the id the file covers (found by id), else the file's
    /// last entry, else the last entry of `messages_by_room` (a conversation is private or a
    /// room: only one of the three can be there).
    fn last_id_sql(&self, conversation: &str) -> String {
        format!(
            "COALESCE( \
                 (SELECT MAX(id) FROM messages WHERE {} AND conversation = {conversation}), \
                 (SELECT MAX(id) FROM lists.conversation_ids \
                     WHERE conversation = {conversation}), \
                 (SELECT MAX(id) FROM messages \
                     WHERE conversation = {conversation} AND room IS NOT NULL))",
            uncovered_private()
        )
    }

    /// The file's entries, the private messages above the id it covers, and
    /// `messages_by_room`: each counted up to the bound, and their sum cut to it.
    fn unread_sql(&self, conversation: &str, after: &str) -> String {
        format!(
            "MIN({UNREAD_COUNTED}, \
               (SELECT COUNT(*) FROM (SELECT 1 FROM lists.conversation_ids l \
                 JOIN messages m ON m.id = l.id \
                 WHERE l.conversation = {conversation} AND l.id > {after} \
                 AND m.sender_key <> $1 AND (m.hidden_for IS NULL OR m.hidden_for <> $1) \
                 LIMIT {UNREAD_COUNTED})) \
             + (SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE {} AND id > {after} \
                 AND conversation = {conversation} AND sender_key <> $1 \
                 AND (hidden_for IS NULL OR hidden_for <> $1) LIMIT {UNREAD_COUNTED})) \
             + (SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE conversation = {conversation} \
                 AND room IS NOT NULL AND id > {after} AND sender_key <> $1 \
                 LIMIT {UNREAD_COUNTED})))",
            uncovered_private()
        )
    }

    /// The page's ids from the file's entries, from the private messages above the id it
    /// covers (by id) and from `messages_by_room`; then the messages by id.
    fn history_sql(&self) -> String {
        page_sql("id < $2", "DESC")
    }

    /// As [`Self::history_sql`], with the ids bounded below as well.
    fn replay_sql(&self) -> String {
        page_sql("id > $4 AND id < $2", "DESC")
    }

    /// As [`Self::history_sql`], above `$2` and oldest first.
    fn later_sql(&self) -> String {
        page_sql("id > $2", "")
    }

    /// The messages the file's entries name, the entries, then the messages above the id it
    /// covers (the file's write lock is taken by then: see `delete_account`).
    fn delete_conversations_sql(&self, these: &str) -> Vec<String> {
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
    }

    /// The file's entries of those ids (ids above the id it covers have none yet, and the
    /// rounds never list a deleted message).
    fn forget_sql(&self, these: &str) -> Option<String> {
        Some(format!(
            "DELETE FROM lists.conversation_ids WHERE conversation = $1 AND id IN {these}"
        ))
    }

    /// Nothing: the lists task adds them later, off the commit path.
    async fn add(
        &self,
        _tx: &mut sqlx::Transaction<'_, Any>,
        _rows: &[(&NewMessage, i64)],
        _hidden: &std::collections::HashMap<i64, String>,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    fn stored(&self, newest: i64) {
        self.progress.stored(to_u64(newest));
    }

    fn behind(&self) -> Option<u64> {
        Some(self.progress.behind())
    }

    /// Rounds on the urgent connection, back to back, until none is left.
    async fn catch_up(&self) -> Result<u64, StoreError> {
        let mut covered = 0;
        loop {
            let round = index_list_round(&self.urgent, &self.progress, LIST_ROUND_IDS).await?;
            covered += round.covered;
            if round.behind == 0 {
                return Ok(covered);
            }
        }
    }

    async fn close(&self) {
        self.indexer.close().await;
        self.urgent.close().await;
    }
}

/// The messages of conversation `$1` whose ids satisfy `ids` (on `id`), in `order` of their
/// ids (`DESC`: newest first), at most `$3`: their ids from the file's entries, from the
/// private messages above the id it covers and from `messages_by_room`, then the messages by
/// id.
fn page_sql(ids: &str, order: &str) -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ( \
             SELECT id FROM lists.conversation_ids WHERE conversation = $1 AND {ids} \
             UNION ALL \
             SELECT id FROM messages WHERE {} AND conversation = $1 AND {ids} \
             UNION ALL \
             SELECT id FROM messages WHERE conversation = $1 AND room IS NOT NULL \
                 AND {ids} \
             ORDER BY id {order} LIMIT $3) \
         ORDER BY id {order}",
        uncovered_private()
    )
}
