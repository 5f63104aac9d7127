//! Rooms as things of their own (migration 0013): their settings (title, topic, private,
//! archived) and who runs them (the owner and moderators, `memberships.role`), the list of
//! public rooms, and invitations.

use std::collections::HashMap;

use shared::{Invite, RoomListing, RoomName, RoomSettings, UserName};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::sql::{now_ms, room, to_u64};
use super::sql_store::SqlStore;
use super::StoreError;

/// What [`Store::join_room`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The user is a member (now, or already): the room's settings, roles included.
    Member(RoomSettings),
    /// The user may not join.
    Refused(JoinRefusal),
}

/// Why a user may not join a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// It is private and they hold no invitation (told apart from nothing).
    Unknown,
    /// It is archived.
    Archived,
    /// They are banned from it.
    Banned,
}

/// What [`Store::invite`](super::Store::invite) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// Stored (or renewed).
    Stored,
    /// Not stored: the user is a member already.
    Member,
    /// Not stored: the user is banned from the room.
    Banned,
}

/// A change of a room's settings ([`Store::update_room`]): each field `None` stays as it is;
/// `Some(None)` removes a title or topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomChange {
    pub title: Option<Option<String>>,
    pub topic: Option<Option<String>>,
    pub archived: Option<bool>,
}

/// The columns [`settings_from`] reads.
const SETTINGS: &str = "room, title, topic, private, archived";

/// A `rooms` row's settings, without its roles.
fn settings_from(row: &AnyRow) -> Result<RoomSettings, StoreError> {
    Ok(RoomSettings {
        title: row.try_get("title")?,
        topic: row.try_get("topic")?,
        private: row.try_get::<i64, _>("private")? != 0,
        archived: row.try_get::<i64, _>("archived")? != 0,
        owner: None,
        moderators: Vec::new(),
    })
}

/// Fills in who runs the room from its members' roles, in name order.
fn add_role(settings: &mut RoomSettings, name: String, role: &str) {
    match role {
        "owner" => settings.owner = Some(name),
        "moderator" => settings.moderators.push(name),
        _ => {}
    }
}

/// The statement reading the roles of one room (`$1`), or of every room.
fn roles_sql(one: bool) -> String {
    format!(
        "SELECT m.room, a.name, m.role FROM memberships m \
         JOIN accounts a ON a.name_key = m.name_key \
         WHERE m.role IS NOT NULL{} ORDER BY a.name_key",
        if one { " AND m.room = $1" } else { "" }
    )
}

/// The settings of `room` with its roles, on `conn`.
async fn settings_of(
    conn: &mut AnyConnection,
    room: &RoomName,
) -> Result<Option<RoomSettings>, StoreError> {
    let Some(row) = sqlx::query(&format!("SELECT {SETTINGS} FROM rooms WHERE room = $1"))
        .bind(room.as_str())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut settings = settings_from(&row)?;
    for row in sqlx::query(&roles_sql(true))
        .bind(room.as_str())
        .fetch_all(&mut *conn)
        .await?
    {
        add_role(&mut settings, row.try_get("name")?, row.try_get("role")?);
    }
    Ok(Some(settings))
}

/// The settings of `room` read inside `tx`.
pub(super) async fn settings_in(
    tx: &mut Transaction<'_, Any>,
    room: &RoomName,
) -> Result<Option<RoomSettings>, StoreError> {
    settings_of(tx, room).await
}

/// [`Store::room`](super::Store::room).
pub(super) async fn room_settings(
    store: &SqlStore,
    room: &RoomName,
) -> Result<Option<RoomSettings>, StoreError> {
    settings_of(&mut *store.pool.acquire().await?, room).await
}

/// [`Store::rooms`](super::Store::rooms).
pub(super) async fn rooms(store: &SqlStore) -> Result<Vec<(RoomName, RoomSettings)>, StoreError> {
    let mut rooms = HashMap::new();
    for row in sqlx::query(&format!("SELECT {SETTINGS} FROM rooms"))
        .fetch_all(&store.pool)
        .await?
    {
        rooms.insert(room(row.try_get("room")?)?, settings_from(&row)?);
    }
    for row in sqlx::query(&roles_sql(false))
        .fetch_all(&store.pool)
        .await?
    {
        if let Some(settings) = rooms.get_mut(&room(row.try_get("room")?)?) {
            add_role(settings, row.try_get("name")?, row.try_get("role")?);
        }
    }
    Ok(rooms.into_iter().collect())
}

/// [`Store::public_rooms`](super::Store::public_rooms).
pub(super) async fn public_rooms(
    store: &SqlStore,
    query: &str,
    offset: u32,
    limit: u32,
) -> Result<Vec<RoomListing>, StoreError> {
    let mut pattern = String::from("%");
    for c in query.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    let rows = sqlx::query(
        "SELECT r.room, r.title, r.topic, COUNT(m.room) AS member_count \
         FROM rooms r LEFT JOIN memberships m ON m.room = r.room \
         WHERE r.private = 0 AND r.archived = 0 \
           AND (LOWER(r.room) LIKE $1 ESCAPE '\\' \
                OR LOWER(COALESCE(r.title, '')) LIKE $1 ESCAPE '\\' \
                OR LOWER(COALESCE(r.topic, '')) LIKE $1 ESCAPE '\\') \
         GROUP BY r.room, r.title, r.topic \
         ORDER BY member_count DESC, r.room LIMIT $2 OFFSET $3",
    )
    .bind(pattern)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RoomListing {
                room: row.try_get("room")?,
                title: row.try_get("title")?,
                topic: row.try_get("topic")?,
                member_count: to_u64(row.try_get("member_count")?),
            })
        })
        .collect()
}

/// [`Store::invite`](super::Store::invite).
pub(super) async fn invite(
    store: &SqlStore,
    room: &RoomName,
    from: &UserName,
    to: &UserName,
) -> Result<Invited, StoreError> {
    // One statement, so that SQLite takes the write lock at once.
    let stored = sqlx::query(
        "INSERT INTO invitations (room, name_key, inviter, at) SELECT $1, $2, $3, $4 \
         WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE room = $1 AND name_key = $2) \
           AND NOT EXISTS (SELECT 1 FROM bans WHERE room = $1 AND name_key = $2) \
         ON CONFLICT (room, name_key) DO UPDATE SET inviter = excluded.inviter, at = excluded.at",
    )
    .bind(room.as_str())
    .bind(to.key())
    .bind(from.to_string())
    .bind(now_ms())
    .execute(&store.pool)
    .await?;
    if stored.rows_affected() > 0 {
        return Ok(Invited::Stored);
    }
    let banned = sqlx::query("SELECT 1 FROM bans WHERE room = $1 AND name_key = $2")
        .bind(room.as_str())
        .bind(to.key())
        .fetch_optional(&store.pool)
        .await?;
    Ok(if banned.is_some() {
        Invited::Banned
    } else {
        Invited::Member
    })
}

/// [`Store::invitations`](super::Store::invitations).
pub(super) async fn invitations(
    store: &SqlStore,
    name: &UserName,
) -> Result<Vec<Invite>, StoreError> {
    let rows = sqlx::query(INVITATIONS)
        .bind(name.key())
        .fetch_all(&store.pool)
        .await?;
    invitations_from(name, &rows)
}

/// The invitations `$1` holds, to rooms not archived, oldest first ([`invitations_from`]
/// reads them).
pub(super) const INVITATIONS: &str =
    "SELECT i.room, i.inviter, r.title, r.topic FROM invitations i \
     JOIN rooms r ON r.room = i.room \
     WHERE i.name_key = $1 AND r.archived = 0 ORDER BY i.at, i.room";

/// The invitations `name` holds, from the rows of [`INVITATIONS`].
pub(super) fn invitations_from(
    name: &UserName,
    rows: &[AnyRow],
) -> Result<Vec<Invite>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok(Invite {
                room: row.try_get("room")?,
                user: name.to_string(),
                from: row.try_get("inviter")?,
                title: row.try_get("title")?,
                topic: row.try_get("topic")?,
            })
        })
        .collect()
}

/// [`Store::update_room`](super::Store::update_room).
pub(super) async fn update_room(
    store: &SqlStore,
    room: &RoomName,
    change: &RoomChange,
) -> Result<Option<RoomSettings>, StoreError> {
    let mut tx = store.pool.begin().await?;
    // The write first, so that SQLite takes the write lock at once.
    let changed = sqlx::query(
        "UPDATE rooms SET title = CASE WHEN $2 = 1 THEN $3 ELSE title END, \
             topic = CASE WHEN $4 = 1 THEN $5 ELSE topic END, \
             archived = CASE WHEN $6 = 1 THEN $7 ELSE archived END \
         WHERE room = $1",
    )
    .bind(room.as_str())
    .bind(i64::from(change.title.is_some()))
    .bind(change.title.clone().flatten())
    .bind(i64::from(change.topic.is_some()))
    .bind(change.topic.clone().flatten())
    .bind(i64::from(change.archived.is_some()))
    .bind(i64::from(change.archived.unwrap_or(false)))
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Ok(None);
    }
    let settings = settings_in(&mut tx, room).await?;
    tx.commit().await?;
    Ok(settings)
}

/// [`Store::set_moderator`](super::Store::set_moderator).
pub(super) async fn set_moderator(
    store: &SqlStore,
    room: &RoomName,
    name: &UserName,
    moderator: bool,
) -> Result<Option<RoomSettings>, StoreError> {
    let mut tx = store.pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE memberships SET role = $3 \
         WHERE room = $1 AND name_key = $2 AND (role IS NULL OR role = 'moderator')",
    )
    .bind(room.as_str())
    .bind(name.key())
    .bind(moderator.then(|| "moderator".to_owned()))
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Ok(None);
    }
    let settings = settings_in(&mut tx, room).await?;
    tx.commit().await?;
    Ok(settings)
}
