//! [`ListsTable`]: the conversation lists in PostgreSQL's database (`private_conversations`),
//! written by `append` in the transaction that stores the messages, and found with the
//! messages' own `(conversation, id)` index.

use std::collections::BTreeSet;

use async_trait::async_trait;
use shared::limits::UNREAD_COUNTED;
use sqlx::Any;

use crate::message::{Destination, NewMessage};
use crate::store::lists::Lists;
use crate::store::sql::{insert_chunks, placeholders, Engine, MESSAGE_COLUMNS};
use crate::store::StoreError;

/// The conversation lists' table, in the database.
const LISTED_IN_DATABASE: &str = "private_conversations";

/// The conversation lists in the database (PostgreSQL).
#[derive(Debug)]
pub(in crate::store) struct ListsTable;

#[async_trait]
impl Lists for ListsTable {
    fn table(&self) -> &'static str {
        LISTED_IN_DATABASE
    }

    /// None: `append` lists each conversation with its first message.
    fn unlisted_sql(&self) -> Option<String> {
        None
    }

    fn last_id_sql(&self, conversation: &str) -> String {
        format!("(SELECT MAX(id) FROM messages WHERE conversation = {conversation})")
    }

    fn unread_sql(&self, conversation: &str, after: &str) -> String {
        format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE conversation = {conversation} \
                 AND id > {after} AND sender_key <> $1 \
                 AND (hidden_for IS NULL OR hidden_for <> $1) LIMIT {UNREAD_COUNTED}) counted)"
        )
    }

    fn history_sql(&self) -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = $1 AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        )
    }

    fn replay_sql(&self) -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = $1 AND id > $4 \
             AND id < $2 ORDER BY id DESC LIMIT $3"
        )
    }

    fn later_sql(&self) -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        )
    }

    fn delete_conversations_sql(&self, these: &str) -> Vec<String> {
        vec![format!(
            "DELETE FROM messages WHERE conversation IN {these}"
        )]
    }

    /// None: the index is `messages_by_conversation`, which goes with the rows.
    fn forget_sql(&self, _these: &str) -> Option<String> {
        None
    }

    async fn add(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        rows: &[(&NewMessage, i64)],
        hidden: &std::collections::HashMap<i64, String>,
    ) -> Result<(), StoreError> {
        let pairs = ConversationRows::of(rows, hidden);
        insert_conversation_rows(Engine::Postgres, tx, LISTED_IN_DATABASE, pairs).await
    }

    fn stored(&self, _newest: i64) {}

    fn behind(&self) -> Option<u64> {
        None
    }

    async fn catch_up(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn close(&self) {}
}

/// Conversation-list rows `(name key, conversation, other's key)`, sorted and without repeats.
struct ConversationRows(BTreeSet<(String, String, String)>);

impl ConversationRows {
    fn new() -> Self {
        Self(BTreeSet::new())
    }

    /// Lists a private message's conversation under both participants (once when they are
    /// one), or under its sender alone when it is hidden from its recipient.
    fn add(&mut self, from: String, to: String, conversation: String, hidden: bool) {
        if !hidden {
            self.0
                .insert((to.clone(), conversation.clone(), from.clone()));
        }
        self.0.insert((from, conversation, to));
    }

    /// The rows for the private messages among `rows` (new messages), but the recipient's of
    /// those `hidden` from them.
    fn of(rows: &[(&NewMessage, i64)], hidden: &std::collections::HashMap<i64, String>) -> Self {
        let mut pairs = Self::new();
        for (new, id) in rows {
            if let Destination::User(to) = &new.to {
                let conversation = new.conversation_key();
                pairs.add(
                    new.from.key(),
                    to.key(),
                    conversation,
                    hidden.contains_key(id),
                );
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
