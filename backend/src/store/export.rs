//! What a user's export reads: the messages they wrote, page by page, and the one-use tickets
//! that let a browser download the archive by a plain link.

use shared::UserName;
use sqlx::Row;

use super::accounts::history_from;
use super::sql::{message_from, to_i64, user, MESSAGE_COLUMNS};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::Message;

/// [`Store::authored`](super::Store::authored).
///
/// There is no index by sender (the one there was went in migration 0003: every message would
/// pay for it on every write). A page walks the primary key from `after`, so a whole export,
/// page after page, reads the messages table once. A released name's new holder wrote
/// nothing before his account (`accounts.history_from`): the pages start above it.
pub(super) async fn authored(
    store: &SqlStore,
    name: &UserName,
    after: u64,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let after = after.max(history_from(store, name).await?);
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages \
         WHERE id > $1 AND sender_key = $2 AND deleted_at IS NULL ORDER BY id LIMIT $3"
    ))
    .bind(to_i64(after))
    .bind(name.key())
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(message_from).collect()
}

/// [`Store::create_export_ticket`](super::Store::create_export_ticket).
pub(super) async fn create_export_ticket(
    store: &SqlStore,
    hash: &str,
    name: &UserName,
    expires_at: u64,
) -> Result<(), StoreError> {
    // A new ticket replaces the user's earlier one: at most one row per account.
    let mut tx = store.pool.begin().await?;
    sqlx::query("DELETE FROM export_tickets WHERE name_key = $1")
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO export_tickets (ticket_hash, name_key, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(hash)
    .bind(name.key())
    .bind(to_i64(expires_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::take_export_ticket`](super::Store::take_export_ticket).
pub(super) async fn take_export_ticket(
    store: &SqlStore,
    hash: &str,
    now: u64,
) -> Result<Option<UserName>, StoreError> {
    let mut tx = store.pool.begin().await?;
    // Expired tickets are forgotten whenever one is taken: there are never many.
    sqlx::query("DELETE FROM export_tickets WHERE expires_at <= $1")
        .bind(to_i64(now))
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query(
        "SELECT a.name FROM export_tickets t JOIN accounts a ON a.name_key = t.name_key \
         WHERE t.ticket_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM export_tickets WHERE ticket_hash = $1")
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|r| user(r.try_get("name")?)).transpose()
}
