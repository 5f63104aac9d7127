//! Mentions (`@name`, the rule in `shared::mentions`): which members each new room message
//! mentions, written in the transaction that stores it (table `mentions`, migration 0009), so
//! that a member's unread mentions are counted from the store (`ListsSql::standing`), exact
//! across reconnects, restarts and nodes.
//!
//! A room's members are its memberships; the lobby's are every account. The sender never
//! mentions themselves; private messages have no mentions (every one is for its recipient).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sqlx::Any;

use super::sql::{insert_chunks, placeholders, Engine, LOOKUP_ROWS};
use super::StoreError;
use crate::message::{Destination, NewMessage};

/// Records who the room messages among `rows` (new messages with their ids) mention, in `tx`.
pub(super) async fn record(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(&NewMessage, i64)],
) -> Result<(), StoreError> {
    // The names each room's messages might mention, looked up once per room.
    let mut wanted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (new, _) in rows {
        if let Destination::Room(room) = &new.to {
            let keys = shared::mentions::candidate_keys(&new.body);
            if !keys.is_empty() {
                wanted.entry(room.as_str()).or_default().extend(keys);
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let mut members: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for (room, keys) in &wanted {
        members.insert(room, members_among(engine, tx, room, keys).await?);
    }
    let mut found: Vec<(String, String, i64)> = Vec::new();
    for (new, id) in rows {
        let Destination::Room(room) = &new.to else {
            continue;
        };
        let Some(members) = members.get(room.as_str()) else {
            continue;
        };
        let sender = new.from.key();
        let mut keys: Vec<String> =
            shared::mentions::find(&new.body, |key| key != sender && members.contains(key))
                .into_iter()
                .map(|mention| mention.key)
                .collect();
        keys.sort_unstable();
        keys.dedup();
        let conversation = new.conversation_key();
        found.extend(keys.into_iter().map(|key| (key, conversation.clone(), *id)));
    }
    insert(engine, tx, &found).await
}

/// Which of `keys` are members of `room` (for the lobby: accounts).
async fn members_among(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    room: &str,
    keys: &BTreeSet<String>,
) -> Result<HashSet<String>, StoreError> {
    let keys: Vec<&String> = keys.iter().collect();
    let mut members = HashSet::new();
    for chunk in keys.chunks(LOOKUP_ROWS) {
        let sql = if room == shared::limits::LOBBY {
            format!(
                "SELECT name_key FROM accounts WHERE name_key IN ({})",
                list(engine, chunk.len(), 1)
            )
        } else {
            format!(
                "SELECT name_key FROM memberships WHERE room = $1 AND name_key IN ({})",
                list(engine, chunk.len(), 2)
            )
        };
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        if room != shared::limits::LOBBY {
            query = query.bind(room);
        }
        for key in chunk {
            query = query.bind(key.as_str());
        }
        members.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(members)
}

/// `n` placeholders from `first`, separated by commas (no parentheses).
fn list(engine: Engine, n: usize, first: usize) -> String {
    let tuples = placeholders(engine, n, 1, first);
    tuples.replace(['(', ')'], "")
}

/// Inserts `(name_key, conversation, id)` rows.
async fn insert(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(String, String, i64)],
) -> Result<(), StoreError> {
    let mut rest = rows;
    for size in insert_chunks(rows.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let sql = format!(
            "INSERT INTO mentions (name_key, conversation, id) VALUES {} \
             ON CONFLICT DO NOTHING",
            placeholders(engine, chunk.len(), 3, 1)
        );
        let mut query = sqlx::query(&sql);
        for (key, conversation, id) in chunk {
            query = query
                .bind(key.as_str())
                .bind(conversation.as_str())
                .bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// How many messages of `conversation` above the id `after` (SQL expressions) mention `$1`:
/// a range of the `mentions` primary key.
pub(super) fn unread_sql(conversation: &str, after: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM mentions x \
          WHERE x.name_key = $1 AND x.conversation = {conversation} AND x.id > {after})"
    )
}
