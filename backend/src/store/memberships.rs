//! Room memberships: who is in which room (the lobby aside: everyone is).

use shared::{RoomName, UserName};
use sqlx::Row;

use super::conversations::mark_all_read;
use super::sql::{now_ms, room, user};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::Conversation;

/// [`Store::memberships`](super::Store::memberships).
pub(super) async fn memberships(store: &SqlStore) -> Result<Vec<(RoomName, UserName)>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.room, a.name FROM memberships m JOIN accounts a ON a.name_key = m.name_key",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((room(r.try_get("room")?)?, user(r.try_get("name")?)?)))
        .collect()
}

/// [`Store::join_room`](super::Store::join_room).
pub(super) async fn join_room(
    store: &SqlStore,
    name: &UserName,
    room: &RoomName,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    // The first member of a room that has none creates it, and owns it.
    sqlx::query(
        "INSERT INTO memberships (name_key, room, joined_at, role) \
         SELECT $1, $2, $3, CASE WHEN EXISTS (SELECT 1 FROM memberships WHERE room = $2) \
             THEN NULL ELSE 'owner' END WHERE true \
         ON CONFLICT (name_key, room) DO NOTHING",
    )
    .bind(name.key())
    .bind(room.as_str())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let conversation = Conversation::Room(room.clone()).key();
    mark_all_read(store, &mut tx, name, &conversation).await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::leave_room`](super::Store::leave_room).
pub(super) async fn leave_room(
    store: &SqlStore,
    name: &UserName,
    room: &RoomName,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE name_key = $1 AND room = $2")
        .bind(name.key())
        .bind(room.as_str())
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// [`Store::room_owner`](super::Store::room_owner).
pub(super) async fn room_owner(
    store: &SqlStore,
    room: &RoomName,
) -> Result<Option<UserName>, StoreError> {
    let name: Option<String> = sqlx::query_scalar(
        "SELECT a.name FROM memberships m JOIN accounts a ON a.name_key = m.name_key \
         WHERE m.room = $1 AND m.role = 'owner'",
    )
    .bind(room.as_str())
    .fetch_optional(&store.pool)
    .await?;
    name.as_deref().map(user).transpose()
}

/// [`Store::room_owners`](super::Store::room_owners).
pub(super) async fn room_owners(store: &SqlStore) -> Result<Vec<(RoomName, UserName)>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.room, a.name FROM memberships m JOIN accounts a ON a.name_key = m.name_key \
         WHERE m.role = 'owner'",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((room(r.try_get("room")?)?, user(r.try_get("name")?)?)))
        .collect()
}
