//! Room memberships: who is in which room (the lobby aside: everyone is), and the rules of
//! entering one: created by its first member (its owner), a private room joined only with an
//! invitation, an archived one by nobody new, none by those banned from it (migration 0013:
//! `rooms`, `invitations`; 0014: `bans`). A room outlives its members: once created, its row,
//! settings, invitations, bans and audit log stay when the last member leaves, so whoever
//! comes next joins it by the same rules, as a plain member, and never owns it. An owner who
//! leaves hands the room on to its first moderator, else its first member.

use shared::{RoomName, RoomSettings, UserName};
use sqlx::{Any, Row, Transaction};

use super::conversations::mark_all_read;
use super::moderation::is_banned;
use super::rooms::settings_in;
use super::sql::{now_ms, room, user};
use super::sql_store::SqlStore;
use super::{JoinRefusal, Joined, StoreError};
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

/// Creates the row of `room` unless it exists; whether it did.
async fn insert_room(
    tx: &mut Transaction<'_, Any>,
    room: &RoomName,
    topic: Option<&str>,
    private: bool,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO rooms (room, topic, private, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (room) DO NOTHING",
    )
    .bind(room.as_str())
    .bind(topic.map(str::to_owned))
    .bind(i64::from(private))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Records the membership (as `role`), consumes any invitation, starts the read marker at the
/// newest message, and reads the room's settings as they now are.
async fn enter(
    store: &SqlStore,
    mut tx: Transaction<'_, Any>,
    name: &UserName,
    room: &RoomName,
    role: Option<&str>,
) -> Result<RoomSettings, StoreError> {
    sqlx::query(
        "INSERT INTO memberships (name_key, room, joined_at, role) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name_key, room) DO NOTHING",
    )
    .bind(name.key())
    .bind(room.as_str())
    .bind(now_ms())
    .bind(role.map(str::to_owned))
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM invitations WHERE room = $1 AND name_key = $2")
        .bind(room.as_str())
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    let conversation = Conversation::Room(room.clone()).key();
    mark_all_read(store, &mut tx, name, &conversation).await?;
    let settings = settings_in(&mut tx, room).await?.unwrap_or_default();
    tx.commit().await?;
    Ok(settings)
}

/// [`Store::join_room`](super::Store::join_room).
pub(super) async fn join_room(
    store: &SqlStore,
    name: &UserName,
    room: &RoomName,
) -> Result<Joined, StoreError> {
    let mut tx = store.pool.begin().await?;
    // The first member of a room that never was creates it, and owns it.
    if insert_room(&mut tx, room, None, false).await? {
        let settings = enter(store, tx, name, room, Some("owner")).await?;
        return Ok(Joined::Member(settings));
    }
    let row = sqlx::query(
        "SELECT r.private, r.archived, \
             EXISTS (SELECT 1 FROM memberships WHERE room = $1 AND name_key = $2) AS member, \
             EXISTS (SELECT 1 FROM invitations WHERE room = $1 AND name_key = $2) AS invited \
         FROM rooms r WHERE r.room = $1",
    )
    .bind(room.as_str())
    .bind(name.key())
    .fetch_one(&mut *tx)
    .await?;
    let flag = |column: &str| -> Result<bool, StoreError> {
        // SQLite answers EXISTS with an integer, PostgreSQL with a boolean.
        Ok(match row.try_get::<i64, _>(column) {
            Ok(n) => n != 0,
            Err(_) => row.try_get::<bool, _>(column)?,
        })
    };
    let (private, archived) = (flag("private")?, flag("archived")?);
    let (member, invited) = (flag("member")?, flag("invited")?);
    if !member && is_banned(&mut tx, room, name).await? {
        return Ok(Joined::Refused(JoinRefusal::Banned));
    }
    if !member {
        if private && !invited {
            return Ok(Joined::Refused(JoinRefusal::Unknown));
        }
        if archived {
            return Ok(Joined::Refused(JoinRefusal::Archived));
        }
    }
    Ok(Joined::Member(enter(store, tx, name, room, None).await?))
}

/// [`Store::create_room`](super::Store::create_room).
pub(super) async fn create_room(
    store: &SqlStore,
    name: &UserName,
    room: &RoomName,
    topic: Option<&str>,
    private: bool,
) -> Result<Option<RoomSettings>, StoreError> {
    let mut tx = store.pool.begin().await?;
    if !insert_room(&mut tx, room, topic, private).await? {
        return Ok(None);
    }
    Ok(Some(enter(store, tx, name, room, Some("owner")).await?))
}

/// [`Store::leave_room`](super::Store::leave_room): the membership goes, and with an owner's
/// the ownership passes on, in one transaction: to the moderator who joined first, else to
/// the member who joined first (a tie goes to the smaller name key).
pub(super) async fn leave_room(
    store: &SqlStore,
    name: &UserName,
    room: &RoomName,
) -> Result<Option<RoomSettings>, StoreError> {
    let mut tx = store.pool.begin().await?;
    let role: Option<Option<String>> = sqlx::query_scalar(
        "DELETE FROM memberships WHERE name_key = $1 AND room = $2 RETURNING role",
    )
    .bind(name.key())
    .bind(room.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if role.flatten().as_deref() != Some("owner") {
        tx.commit().await?;
        return Ok(None);
    }
    let settings = pass_on(&mut tx, room).await?;
    tx.commit().await?;
    Ok(settings)
}

/// In `tx`, where `room`'s owner has just left it (or was released with his name): the
/// ownership passes to the moderator who joined first, else to the member who joined first
/// (a tie goes to the smaller name key). The room's settings then, or `None` when nobody is
/// left to take it.
pub(super) async fn pass_on(
    tx: &mut Transaction<'_, Any>,
    room: &RoomName,
) -> Result<Option<RoomSettings>, StoreError> {
    let passed = sqlx::query(
        "UPDATE memberships SET role = 'owner' WHERE room = $1 AND name_key = ( \
             SELECT name_key FROM memberships WHERE room = $1 \
             ORDER BY CASE WHEN role = 'moderator' THEN 0 ELSE 1 END, joined_at, name_key \
             LIMIT 1)",
    )
    .bind(room.as_str())
    .execute(&mut **tx)
    .await?;
    if passed.rows_affected() == 1 {
        settings_in(tx, room).await
    } else {
        Ok(None)
    }
}
