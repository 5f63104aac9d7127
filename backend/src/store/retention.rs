//! Deleting old messages ([`Safety::expire`](super::Safety::expire)): one bounded batch per
//! call, the oldest first, in one transaction with everything that hangs on them.
//!
//! The batch is the first `batch` messages of the scope in id order (every message, or one
//! room's through its `(conversation, id)` index), cut at the first one stored at or after the
//! age's limit: ids follow commit order and times follow ids within milliseconds, so reading
//! a batch never scans past the messages that go. A message newer than the limit is never
//! deleted; one a few milliseconds older than a newer neighbour may wait for the next pass.
//!
//! With a message go its reactions, the changes to it, its mentions, its entry in the private
//! messages' index (SQLite's lists file: `Lists::forget_sql`) and its full-text entry (SQLite:
//! the `message_search_deleted` trigger; PostgreSQL: the row's own column); its attachments
//! are marked deleted in the same transaction ([`doom_attachments`]), so that the attachment
//! sweeper removes their bytes and rows, as for a deleted message.

use std::collections::BTreeMap;

use sqlx::{Any, Row};

use super::safety::Expiry;
use super::sql::{placeholders, to_u64, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::Conversation;

/// [`Safety::expire`](super::Safety::expire).
pub(super) async fn expire(
    store: &SqlStore,
    scope: &Expiry,
    before_ms: u64,
    batch: u32,
) -> Result<u64, StoreError> {
    let mut tx = store.pool.begin().await?;
    // The sequence's lock first, as `delete_account` does: SQLite starts writing at once, and
    // no batch is stored between the statements below.
    sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
        .execute(&mut *tx)
        .await?;
    let rows = match scope {
        Expiry::All => {
            sqlx::query("SELECT id, at, conversation FROM messages ORDER BY id LIMIT $1")
                .bind(i64::from(batch))
                .fetch_all(&mut *tx)
                .await?
        }
        Expiry::Room(room) => {
            sqlx::query(
                "SELECT id, at, conversation FROM messages \
                 WHERE conversation = $1 AND room IS NOT NULL ORDER BY id LIMIT $2",
            )
            .bind(Conversation::Room(room.clone()).key())
            .bind(i64::from(batch))
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let mut by_conversation: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut ids = Vec::new();
    for row in &rows {
        let at: i64 = row.try_get("at")?;
        if to_u64(at) >= before_ms {
            break;
        }
        let id: i64 = row.try_get("id")?;
        ids.push(id);
        by_conversation
            .entry(row.try_get("conversation")?)
            .or_default()
            .push(id);
    }
    if ids.is_empty() {
        return Ok(0);
    }
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let these = placeholders(store.engine, 1, chunk.len(), 1);
        doom_attachments(&mut tx, store.engine, chunk).await?;
        for sql in [
            format!("DELETE FROM reactions WHERE message_id IN {these}"),
            format!("DELETE FROM changes WHERE message_id IN {these}"),
            format!("DELETE FROM mentions WHERE id IN {these}"),
        ] {
            run(&mut tx, &sql, None, chunk).await?;
        }
    }
    for (conversation, ids) in &by_conversation {
        for chunk in ids.chunks(LOOKUP_ROWS) {
            let these = placeholders(store.engine, 1, chunk.len(), 2);
            if let Some(sql) = store.lists.forget_sql(&these) {
                run(&mut tx, &sql, Some(conversation), chunk).await?;
            }
        }
    }
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let these = placeholders(store.engine, 1, chunk.len(), 1);
        run(
            &mut tx,
            &format!("DELETE FROM messages WHERE id IN {these}"),
            None,
            chunk,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
}

/// Runs `sql` with `first` (when given) then `ids` bound.
async fn run(
    tx: &mut sqlx::Transaction<'_, Any>,
    sql: &str,
    first: Option<&String>,
    ids: &[i64],
) -> Result<(), StoreError> {
    let mut query = sqlx::query(sql);
    if let Some(first) = first {
        query = query.bind(first.as_str());
    }
    for id in ids {
        query = query.bind(*id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Marks the attachments of the messages `ids` deleted now, for the attachment sweeper, which
/// removes their bytes and their rows.
async fn doom_attachments(
    tx: &mut sqlx::Transaction<'_, Any>,
    engine: super::sql::Engine,
    ids: &[i64],
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE attachments SET deleted_at = $1 WHERE message_id IN {} AND deleted_at IS NULL",
        placeholders(engine, 1, ids.len(), 2)
    );
    let mut query = sqlx::query(&sql).bind(super::sql::now_ms());
    for id in ids {
        query = query.bind(*id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
