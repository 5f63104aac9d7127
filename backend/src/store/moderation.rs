//! Moderation (migration 0014): removing a member (kick), keeping them out (ban, `bans`),
//! letting them back (unban), and the audit log of every such action and of deletions of
//! others' messages (`audit_log`, numbered from the `audit` row of `sequences`).

use shared::{AuditEntry, RoomName, UserName};
use sqlx::{Any, Row, Transaction};

use super::sql::{now_ms, to_i64, to_u64};
use super::sql_store::SqlStore;
use super::StoreError;

/// A moderation action to record: `actor` did `action` to `target` (a deletion: of message
/// `message`, by `target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action<'a> {
    pub room: &'a RoomName,
    pub actor: &'a UserName,
    /// `kick`, `ban`, `unban` or `delete`.
    pub action: &'static str,
    pub target: &'a UserName,
    pub message: Option<u64>,
}

/// Records `action` in `tx`, under the next id of the log (a deletion: in the transaction
/// that stores it, `changes::apply`).
pub(super) async fn record_in(
    tx: &mut Transaction<'_, Any>,
    action: &Action<'_>,
) -> Result<(), StoreError> {
    let id: i64 = sqlx::query_scalar(
        "UPDATE sequences SET value = value + 1 WHERE name = 'audit' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_log (id, room, at, actor, action, target, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(action.room.as_str())
    .bind(now_ms())
    .bind(action.actor.to_string())
    .bind(action.action)
    .bind(action.target.to_string())
    .bind(action.message.map(to_i64))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// [`Store::remove_member`](super::Store::remove_member): `action` is `kick` or `ban`.
pub(super) async fn remove_member(
    store: &SqlStore,
    action: &Action<'_>,
) -> Result<bool, StoreError> {
    let mut tx = store.pool.begin().await?;
    let removed = sqlx::query("DELETE FROM memberships WHERE room = $1 AND name_key = $2")
        .bind(action.room.as_str())
        .bind(action.target.key())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if action.action == "ban" {
        sqlx::query(
            "INSERT INTO bans (room, name_key, by_name, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (room, name_key) DO NOTHING",
        )
        .bind(action.room.as_str())
        .bind(action.target.key())
        .bind(action.actor.to_string())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM invitations WHERE room = $1 AND name_key = $2")
            .bind(action.room.as_str())
            .bind(action.target.key())
            .execute(&mut *tx)
            .await?;
    } else if !removed {
        return Ok(false);
    }
    record_in(&mut tx, action).await?;
    tx.commit().await?;
    Ok(removed)
}

/// [`Store::unban`](super::Store::unban).
pub(super) async fn unban(store: &SqlStore, action: &Action<'_>) -> Result<bool, StoreError> {
    let mut tx = store.pool.begin().await?;
    let lifted = sqlx::query("DELETE FROM bans WHERE room = $1 AND name_key = $2")
        .bind(action.room.as_str())
        .bind(action.target.key())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if lifted {
        record_in(&mut tx, action).await?;
        tx.commit().await?;
    }
    Ok(lifted)
}

/// [`Store::audit`](super::Store::audit).
pub(super) async fn audit(
    store: &SqlStore,
    room: &RoomName,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, message_id FROM audit_log \
         WHERE room = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(room.as_str())
    .bind(before.map_or(i64::MAX, to_i64))
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                id: to_u64(row.try_get("id")?),
                at: to_u64(row.try_get("at")?),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                user: row.try_get("target")?,
                message: row.try_get::<Option<i64>, _>("message_id")?.map(to_u64),
            })
        })
        .collect()
}

/// Whether `name` is banned from `room`, read in `tx`.
pub(super) async fn is_banned(
    tx: &mut Transaction<'_, Any>,
    room: &RoomName,
    name: &UserName,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("SELECT 1 FROM bans WHERE room = $1 AND name_key = $2")
            .bind(room.as_str())
            .bind(name.key())
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}
