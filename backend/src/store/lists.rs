//! Where the conversation lists and the private messages' `(conversation, id)` index live: the
//! one thing the engines do differently, behind one trait, [`Lists`], with one implementation
//! per engine. SQLite keeps them in a file of their own, written by a task behind the commits
//! (`sqlite::ListsFile`); PostgreSQL in the database, written by `append` in the transaction
//! that stores the messages (`postgres::ListsTable`).
//!
//! [`ListsSql`] holds the statements that read or write them, composed once, as the store
//! opens, from its implementation's parts.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Any;

use super::StoreError;
use crate::message::NewMessage;

/// Where one engine keeps the conversation lists (a row `(name_key, conversation, other_key)`
/// per participant of each private conversation) and the private messages' `(conversation, id)`
/// index, and how statements find a conversation's messages through them.
#[async_trait]
pub(super) trait Lists: Send + Sync + std::fmt::Debug + 'static {
    /// The conversation lists' table.
    fn table(&self) -> &'static str;
    /// The private conversations of `$1` that the lists do not hold yet; `None` when they hold
    /// each one as soon as its first message is stored.
    fn unlisted_sql(&self) -> Option<String>;
    /// The newest id of the conversation `conversation` (an SQL expression), NULL when it has
    /// none: the last entry of the (conversation, id) index.
    fn last_id_sql(&self, conversation: &str) -> String;
    /// How many messages of `conversation` above the id `after` (SQL expressions) someone
    /// other than `$1` sent, found by the (conversation, id) index, counted up to
    /// [`UNREAD_COUNTED`](shared::limits::UNREAD_COUNTED) and no further.
    fn unread_sql(&self, conversation: &str, after: &str) -> String;
    /// A page of history: the messages (their `MESSAGE_COLUMNS`) of conversation `$1` below
    /// id `$2`, newest first, at most `$3`.
    fn history_sql(&self) -> String;
    /// What a reconnecting client missed in one conversation: as [`Self::history_sql`], and
    /// only ids above `$4`.
    fn replay_sql(&self) -> String;
    /// The messages (their `MESSAGE_COLUMNS`) of conversation `$1` above id `$2`, oldest
    /// first, at most `$3`: the newer half of a page around a message.
    fn later_sql(&self) -> String;
    /// The statements that delete the messages of the conversations `these` (a tuple of
    /// placeholders), run in a transaction that took the lists' write lock.
    fn delete_conversations_sql(&self, these: &str) -> Vec<String>;
    /// The statement that deletes the index entries of conversation `$1` whose ids are
    /// `these` (a tuple of placeholders from `$2`), run before their messages are deleted;
    /// `None` where the index is the messages' own.
    fn forget_sql(&self, these: &str) -> Option<String>;
    /// Lists the private conversations among `rows` (the new messages of a batch, with their
    /// ids), in the transaction that stores them, when the lists are written there: under
    /// both participants, but under the recipient only when the message is not `hidden`
    /// from them (by id: they block its sender).
    async fn add(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        rows: &[(&NewMessage, i64)],
        hidden: &HashMap<i64, String>,
    ) -> Result<(), StoreError>;
    /// Told, once a batch committed, the newest id it stored.
    fn stored(&self, newest: i64);
    /// How many stored ids the lists do not cover yet, read from memory; `None` where they
    /// always cover every one.
    fn behind(&self) -> Option<u64>;
    /// Brings the lists up to every message stored so far; returns how many ids it covered.
    async fn catch_up(&self) -> Result<u64, StoreError>;
    /// Closes the connections the lists have of their own.
    async fn close(&self);
}

/// The statements that go through the lists, composed once from a [`Lists`]'s parts.
#[derive(Debug)]
pub(super) struct ListsSql {
    /// The newest message of each of `$1`'s private conversations, newest first.
    pub(super) newest_private: String,
    /// The same, only those below id `$2`, at most `$3`: a page of the conversation list.
    pub(super) newest_private_page: String,
    /// Where conversations stand for `$1`: what comes before the `VALUES` of their keys
    /// (numbered from `$2`), and what comes after.
    pub(super) standing: (String, String),
    /// Moves `$1`'s read marker in conversation `$2` to its newest message.
    pub(super) mark_all_read: String,
    /// A page of history ([`Lists::history_sql`]).
    pub(super) history: String,
    /// A conversation's missed messages ([`Lists::replay_sql`]).
    pub(super) replay: String,
    /// The messages after an id ([`Lists::later_sql`]).
    pub(super) later: String,
    /// The keys (`conversation`) of `$1`'s private conversations, the lists' and those they
    /// do not hold yet.
    pub(super) own_private: String,
    /// Moves `$1`'s read marker in conversation `$2` forward to `$3`, or to the conversation's
    /// newest message if that is lower.
    pub(super) mark_read: String,
    /// Deletes the list rows of the other participants of `$1`'s private conversations.
    pub(super) delete_others_rows: String,
    /// Deletes `$1`'s own list rows.
    pub(super) delete_own_rows: String,
    /// The private conversations of `$1` the lists do not hold yet ([`Lists::unlisted_sql`]).
    pub(super) unlisted: Option<String>,
}

impl ListsSql {
    pub(super) fn new(lists: &dyn Lists) -> Self {
        let listed = lists.table();
        Self {
            newest_private: newest_private_sql(lists, ""),
            newest_private_page: newest_private_sql(
                lists,
                "WHERE m.id < $2 ORDER BY m.id DESC LIMIT $3",
            ),
            standing: standing_sql(lists),
            mark_all_read: mark_all_read_sql(lists),
            history: lists.history_sql(),
            replay: lists.replay_sql(),
            later: lists.later_sql(),
            own_private: own_conversations_sql(lists),
            mark_read: mark_read_sql(lists),
            delete_others_rows: delete_others_rows_sql(listed),
            delete_own_rows: format!(
                "DELETE FROM {listed} WHERE name_key = $1 RETURNING conversation"
            ),
            unlisted: lists.unlisted_sql(),
        }
    }
}

/// The conversations of `$1` in the conversation lists, and those they do not hold yet.
fn own_conversations_sql(lists: &dyn Lists) -> String {
    let own = format!(
        "SELECT conversation FROM {} WHERE name_key = $1",
        lists.table()
    );
    match lists.unlisted_sql() {
        Some(unlisted) => format!("{own} UNION {unlisted}"),
        None => own,
    }
}

/// The newest message of each of `$1`'s private conversations (it says how the other
/// participant's name is written), newest first: the conversations (a range of the lists' key),
/// then per conversation its newest id ([`Lists::last_id_sql`]) and the message by id.
/// `page` (empty, or a `WHERE` on `m.id` with its own `ORDER BY … LIMIT`) cuts a page of them.
fn newest_private_sql(lists: &dyn Lists, page: &str) -> String {
    let order = if page.is_empty() {
        "ORDER BY m.id DESC"
    } else {
        page
    };
    format!(
        "SELECT m.id, m.sender_key, m.sender, m.recipient FROM ( \
             SELECT {} AS last FROM ({}) own) newest \
         JOIN messages m ON m.id = newest.last \
         {order}",
        lists.last_id_sql("own.conversation"),
        own_conversations_sql(lists)
    )
}

/// Where each conversation of a list stands for `$1`: its newest id, `$1`'s read marker,
/// how many messages above it others sent and how many of those mention `$1`; split where the `VALUES` of the conversations'
/// keys go. The newest id is a correlated MAX, which both engines answer from the
/// (conversation, id) index without reading the conversation's other messages.
fn standing_sql(lists: &dyn Lists) -> (String, String) {
    (
        format!(
            "SELECT k.column1 AS conversation, {} AS last_id, \
                 COALESCE(r.up_to, 0) AS read_up_to, {} AS unread, {} AS mentions \
             FROM (VALUES ",
            lists.last_id_sql("k.column1"),
            lists.unread_sql("k.column1", "COALESCE(r.up_to, 0)"),
            super::mentions::unread_sql("k.column1", "COALESCE(r.up_to, 0)"),
        ),
        ") AS k \
         LEFT JOIN read_markers r ON r.name_key = $1 AND r.conversation = k.column1"
            .to_owned(),
    )
}

/// Moves `$1`'s read marker in conversation `$2` to its newest message.
fn mark_all_read_sql(lists: &dyn Lists) -> String {
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` is not a join's `ON`.
    format!(
        "INSERT INTO read_markers (name_key, conversation, up_to) \
         SELECT $1, $2, COALESCE({}, 0) WHERE true \
         ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
         WHERE read_markers.up_to < excluded.up_to",
        lists.last_id_sql("$2")
    )
}

/// Moves `$1`'s read marker in conversation `$2` forward to `$3`, clamped to the
/// conversation's newest id: a marker never passes the newest message, or every later one
/// would count as read.
fn mark_read_sql(lists: &dyn Lists) -> String {
    format!(
        "INSERT INTO read_markers (name_key, conversation, up_to) \
         SELECT $1, $2, CASE WHEN $3 < newest.id THEN $3 ELSE newest.id END \
         FROM (SELECT COALESCE({}, 0) AS id) newest WHERE true \
         ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
         WHERE read_markers.up_to < excluded.up_to",
        lists.last_id_sql("$2")
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
