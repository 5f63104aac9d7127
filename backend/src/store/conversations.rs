//! Where a user's conversations stand (their rooms, then their private conversations newest
//! first: the newest id, the read marker, how many unread, how many of those mention them),
//! and the read markers themselves.

use std::collections::HashMap;

use shared::{ConversationInfo, RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row};

use super::accounts::history_from_on;
use super::sql::{placeholders, to_i64, to_u64, user, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::{Marked, StoreError};
use crate::message::Conversation;

/// [`Store::conversations`](super::Store::conversations), on one of the pool's connections.
pub(super) async fn conversations(
    store: &SqlStore,
    name: &UserName,
    rooms: &[RoomName],
) -> Result<Vec<ConversationInfo>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let private = sqlx::query(&store.sql.newest_private)
        .bind(name.key())
        .fetch_all(&mut *conn)
        .await?;
    let rooms = room_keys(rooms);
    let standing = standing_of(store, &mut conn, name, &rooms).await?;
    complete(store, &mut conn, name, rooms, standing, &private).await
}

/// [`Store::conversations_page`](super::Store::conversations_page): the newest private
/// conversations below `before`, found as [`conversations`] finds them all, then cut.
pub(super) async fn conversations_page(
    store: &SqlStore,
    name: &UserName,
    rooms: &[RoomName],
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<ConversationInfo>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let private = sqlx::query(&store.sql.newest_private_page)
        .bind(name.key())
        .bind(before.map_or(i64::MAX, to_i64))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    let rooms = room_keys(rooms);
    let standing = standing_of(store, &mut conn, name, &rooms).await?;
    complete(store, &mut conn, name, rooms, standing, &private).await
}

/// Rooms as the conversations they are, with their keys.
pub(super) fn room_keys(rooms: &[RoomName]) -> Vec<(Conversation, String)> {
    rooms
        .iter()
        .map(|room| {
            let conversation = Conversation::Room(room.clone());
            let key = conversation.key();
            (conversation, key)
        })
        .collect()
}

/// Where `name`'s conversations stand, in order: `rooms` (with where they stand, `standing`,
/// read already), then the private conversations that `private` (rows of
/// `ListsSql::newest_private`) stands for, whose standing is read here, on `conn`.
pub(super) async fn complete(
    store: &SqlStore,
    conn: &mut AnyConnection,
    name: &UserName,
    rooms: Vec<(Conversation, String)>,
    mut standing: Standings,
    private: &[AnyRow],
) -> Result<Vec<ConversationInfo>, StoreError> {
    let others: Vec<(Conversation, String)> = others(conn, name, private)
        .await?
        .into_iter()
        .map(|conversation| {
            let key = conversation.key();
            (conversation, key)
        })
        .collect();
    standing.extend(standing_of(store, conn, name, &others).await?);
    let accounts = others_accounts(store, conn, &others).await?;
    Ok(rooms
        .iter()
        .chain(&others)
        .map(|(conversation, key)| {
            let (last_id, read_up_to, unread, mentions) =
                standing.get(key).copied().unwrap_or((0, 0, 0, 0));
            let (since, last_seen) = match conversation {
                Conversation::Private { other, .. } => {
                    accounts.get(&other.key()).copied().unwrap_or_default()
                }
                Conversation::Room(_) => (None, None),
            };
            ConversationInfo {
                target: conversation.target(),
                last_id: to_u64(last_id),
                read_up_to: to_u64(read_up_to),
                unread: to_u64(unread),
                mentions: to_u64(mentions),
                since,
                last_seen,
            }
        })
        .collect())
}

/// The private conversations of `name` that `rows` (newest messages) stand for, in order; for a
/// released name's new holder, only those with a message since his account was created.
async fn others(
    conn: &mut AnyConnection,
    name: &UserName,
    rows: &[AnyRow],
) -> Result<Vec<Conversation>, StoreError> {
    if rows.is_empty() {
        // No private conversation: nothing to cut, and no account to read.
        return Ok(Vec::new());
    }
    let from = to_i64(history_from_on(&mut *conn, name).await?);
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if id > from {
            kept.push(row);
        }
    }
    kept.into_iter()
        .map(|row| {
            let sender_key: String = row.try_get("sender_key")?;
            let other = if sender_key == name.key() {
                let recipient: Option<String> = row.try_get("recipient")?;
                user(recipient.as_deref().unwrap_or_default())?
            } else {
                user(row.try_get("sender")?)?
            };
            Ok(Conversation::Private {
                me: name.clone(),
                other,
            })
        })
        .collect()
}

/// Where conversations stand for a user, by key: their newest id, the user's read marker,
/// how many unread, how many of those mention the user.
pub(super) type Standings = HashMap<String, (i64, i64, i64, i64)>;

/// The statement that reads where `n` conversations stand for `$1`, their keys numbered from
/// `first` (`ListsSql::standing`).
pub(super) fn standing_sql(store: &SqlStore, n: usize, first: usize) -> String {
    let (head, tail) = &store.sql.standing;
    format!("{head}{}{tail}", placeholders(store.engine, n, 1, first))
}

/// Adds to `standing` the rows of a [`standing_sql`] statement.
pub(super) fn add_standing(standing: &mut Standings, rows: &[AnyRow]) -> Result<(), StoreError> {
    for row in rows {
        let last_id: Option<i64> = row.try_get("last_id")?;
        standing.insert(
            row.try_get("conversation")?,
            (
                last_id.unwrap_or(0),
                row.try_get("read_up_to")?,
                row.try_get("unread")?,
                row.try_get("mentions")?,
            ),
        );
    }
    Ok(())
}

/// Where each of `conversations` stands for `name`, read on `conn`.
async fn standing_of(
    store: &SqlStore,
    conn: &mut AnyConnection,
    name: &UserName,
    conversations: &[(Conversation, String)],
) -> Result<Standings, StoreError> {
    // Where each stands, one statement per [`LOOKUP_ROWS`] conversations. The newest id
    // is a correlated MAX, which both engines answer from the (conversation, id) index
    // without reading the conversation's other messages (`Lists::last_id_sql`).
    let mut standing = Standings::new();
    for chunk in conversations.chunks(LOOKUP_ROWS) {
        let sql = standing_sql(store, chunk.len(), 2);
        let mut query = sqlx::query(&sql).bind(name.key());
        for (_, key) in chunk {
            query = query.bind(key.as_str());
        }
        add_standing(&mut standing, &query.fetch_all(&mut *conn).await?)?;
    }
    Ok(standing)
}

/// What a private conversation's entry says of the other participant: when their account
/// was created, if by releasing their name (`history_from` > 0), and when they were last seen.
type OtherAccount = (Option<u64>, Option<u64>);

/// [`OtherAccount`] for the other participants of the private `conversations` (by name key).
async fn others_accounts(
    store: &SqlStore,
    conn: &mut AnyConnection,
    conversations: &[(Conversation, String)],
) -> Result<HashMap<String, OtherAccount>, StoreError> {
    let mut others: Vec<String> = conversations
        .iter()
        .filter_map(|(c, _)| match c {
            Conversation::Private { other, .. } => Some(other.key()),
            Conversation::Room(_) => None,
        })
        .collect();
    others.sort_unstable();
    others.dedup();
    let mut accounts = HashMap::new();
    for chunk in others.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "SELECT name_key, created_at, history_from, last_seen_at FROM accounts \
             WHERE (history_from > 0 OR last_seen_at IS NOT NULL) AND name_key IN (VALUES {})",
            placeholders(store.engine, chunk.len(), 1, 1)
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query.bind(key.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let history_from: i64 = row.try_get("history_from")?;
            let since = (history_from > 0)
                .then(|| row.try_get("created_at").map(to_u64))
                .transpose()?;
            let last_seen: Option<i64> = row.try_get("last_seen_at")?;
            accounts.insert(row.try_get("name_key")?, (since, last_seen.map(to_u64)));
        }
    }
    Ok(accounts)
}

/// [`Store::mark_read`](super::Store::mark_read): clamped to the conversation's newest id
/// (`ListsSql::mark_read`); where the marker stood before and where it stands now.
pub(super) async fn mark_read(
    store: &SqlStore,
    name: &UserName,
    conversation: &Conversation,
    up_to: u64,
) -> Result<Marked, StoreError> {
    const MARKER: &str = "SELECT up_to FROM read_markers WHERE name_key = $1 AND conversation = $2";
    // Read before the transaction: on SQLite a transaction that reads first and then writes
    // fails at once ("database is locked") when another writer went in between, where one
    // that writes first waits its turn. A marker moved meanwhile (another tab) only makes
    // `before` older than it was, so a receipt may go to someone who had it: never one lost.
    let before: Option<i64> = sqlx::query_scalar(MARKER)
        .bind(name.key())
        .bind(conversation.key())
        .fetch_optional(&store.pool)
        .await?;
    let mut tx = store.pool.begin().await?;
    sqlx::query(&store.sql.mark_read)
        .bind(name.key())
        .bind(conversation.key())
        .bind(to_i64(up_to))
        .execute(&mut *tx)
        .await?;
    let now: i64 = sqlx::query_scalar(MARKER)
        .bind(name.key())
        .bind(conversation.key())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Marked {
        before: to_u64(before.unwrap_or(0)),
        up_to: to_u64(now),
    })
}

/// Moves `name`'s read marker in `conversation` to its newest message, for someone arriving
/// in it: what was said before they came is history, not unread news. In `tx`.
pub(super) async fn mark_all_read(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'_, Any>,
    name: &UserName,
    conversation: &str,
) -> Result<(), StoreError> {
    sqlx::query(&store.sql.mark_all_read)
        .bind(name.key())
        .bind(conversation)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
