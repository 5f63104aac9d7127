//! Read receipts: where the other people of a conversation have read up to (their read
//! markers, by `read_markers_by_conversation`), and whose room messages a moving marker
//! passed (by the room's `(conversation, id)` index), so that only they hear of it.

use shared::UserName;
use sqlx::Row;

use super::sql::{to_i64, to_u64};
use super::sql_store::SqlStore;
use super::StoreError;
use crate::message::Conversation;

/// Where the others of a conversation have read up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readers {
    /// Each reader's name (as displayed) and read marker, furthest along first.
    pub readers: Vec<(String, u64)>,
    /// Whether readers were left out (more than the limit asked for).
    pub more: bool,
}

/// [`Store::readers`](super::Store::readers): the markers above 0 of everyone in
/// `conversation` but `name`, furthest along first, at most `limit`. In a room other than the
/// lobby only its members count (a member who left keeps a marker, and is not asked); the
/// lobby is everyone's; a private conversation's only other person is its other participant.
pub(super) async fn readers(
    store: &SqlStore,
    name: &UserName,
    conversation: &Conversation,
    limit: u32,
) -> Result<Readers, StoreError> {
    let room = match conversation {
        Conversation::Room(room) if !room.is_lobby() => Some(room),
        _ => None,
    };
    let sql = readers_sql(room.is_some());
    let mut query = sqlx::query(&sql)
        .bind(conversation.key())
        .bind(name.key())
        .bind(i64::from(limit) + 1);
    if let Some(room) = room {
        query = query.bind(room.as_str());
    }
    let rows = query.fetch_all(&store.pool).await?;
    let mut readers = Vec::with_capacity(rows.len());
    for row in &rows {
        let up_to: i64 = row.try_get("up_to")?;
        readers.push((row.try_get("name")?, to_u64(up_to)));
    }
    let more = readers.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    readers.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Readers { readers, more })
}

/// The markers above 0 of conversation `$1` but `$2`'s, with the readers' names, furthest
/// along first, at most `$3`; with `members`, only those of the members of room `$4`.
pub(super) fn readers_sql(members: bool) -> String {
    let members = if members {
        "JOIN memberships m ON m.name_key = r.name_key AND m.room = $4"
    } else {
        ""
    };
    format!(
        "SELECT a.name, r.up_to FROM read_markers r \
         JOIN accounts a ON a.name_key = r.name_key {members} \
         WHERE r.conversation = $1 AND r.up_to > 0 AND r.name_key <> $2 \
         ORDER BY r.up_to DESC, r.name_key LIMIT $3"
    )
}

/// The senders of the newest `$4` messages of room conversation `$1` with ids in
/// `(` `$2` `, $3]`. `room IS NOT NULL` lets SQLite use its index of room messages
/// (`messages_by_room`).
pub(super) const PASSED_SENDERS_SQL: &str = "SELECT DISTINCT passed.sender_key FROM ( \
         SELECT sender_key FROM messages \
         WHERE conversation = $1 AND room IS NOT NULL AND id > $2 AND id <= $3 \
         ORDER BY id DESC LIMIT $4) passed";

/// [`Store::passed_senders`](super::Store::passed_senders): the name keys of those who sent
/// the newest `limit` messages of room `conversation` with ids in `(after, up_to]`, each once.
pub(super) async fn passed_senders(
    store: &SqlStore,
    conversation: &Conversation,
    after: u64,
    up_to: u64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let keys: Vec<String> = sqlx::query_scalar(PASSED_SENDERS_SQL)
        .bind(conversation.key())
        .bind(to_i64(after))
        .bind(to_i64(up_to))
        .bind(i64::from(limit))
        .fetch_all(&store.pool)
        .await?;
    Ok(keys)
}
