//! Reading messages back: a page of a conversation's history, the messages a user missed
//! while away, and what other nodes stored since a node last looked.

use shared::UserName;

use super::sql::{message_from, to_i64, MESSAGE_COLUMNS};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::{Conversation, Message};

/// [`Store::history`](super::Store::history).
pub(super) async fn history(
    store: &SqlStore,
    conversation: &Conversation,
    before: Option<u64>,
    limit: u32,
) -> Result<(Vec<Message>, bool), StoreError> {
    let rows = sqlx::query(&store.sql.history)
        .bind(conversation.key())
        .bind(before.map_or(i64::MAX, to_i64))
        .bind(i64::from(limit) + 1)
        .fetch_all(&store.pool)
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

/// [`Store::missed`](super::Store::missed).
pub(super) async fn missed(
    store: &SqlStore,
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
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(message_from).collect()
}

/// [`Store::since`](super::Store::since).
pub(super) async fn since(
    store: &SqlStore,
    after: u64,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(to_i64(after))
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(message_from).collect()
}
