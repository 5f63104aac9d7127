//! Mentions (`@name`, the rule in `shared::mentions`): which members each new room message
//! mentions, written in the transaction that stores it (table `mentions`, migration 0009), so
//! that a member's unread mentions are counted from the store (`ListsSql::standing`), exact
//! across reconnects, restarts and nodes.
//!
//! A room's members are its memberships; the lobby's are every account. The sender never
//! mentions themselves; private messages have no mentions (every one is for its recipient).
//! An edit replaces a message's mentions with those of its new text and a deletion removes
//! them (`rewrite`, in the change's transaction).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use shared::limits::UNREAD_COUNTED;
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
        let conversation = new.conversation_key();
        let keys = mentioned(&new.body, &new.from.key(), members);
        found.extend(keys.into_iter().map(|key| (key, conversation.clone(), *id)));
    }
    insert(engine, tx, &found).await
}

/// Room message `id` of `room`, sent by `sender_key`, was edited from `old_body` to `new_body`
/// or deleted (`new_body` is `None`), in `tx`: the mentions of its old text go (each is one of
/// the old body's candidate keys, so the primary key finds them) and those of the new text
/// come, so the unread mention counts follow what the message says now.
pub(super) async fn rewrite(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    room: &str,
    sender_key: &str,
    id: i64,
    old_body: &str,
    new_body: Option<&str>,
) -> Result<(), StoreError> {
    let conversation = format!("room:{room}");
    let old: Vec<String> = shared::mentions::candidate_keys(old_body);
    for chunk in old.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "DELETE FROM mentions WHERE conversation = $1 AND id = $2 AND name_key IN ({})",
            list(engine, chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql).bind(conversation.as_str()).bind(id);
        for key in chunk {
            query = query.bind(key.as_str());
        }
        query.execute(&mut **tx).await?;
    }
    let Some(body) = new_body else {
        return Ok(());
    };
    let candidates: BTreeSet<String> = shared::mentions::candidate_keys(body).into_iter().collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let members = members_among(engine, tx, room, &candidates).await?;
    let rows: Vec<(String, String, i64)> = mentioned(body, sender_key, &members)
        .into_iter()
        .map(|key| (key, conversation.clone(), id))
        .collect();
    insert(engine, tx, &rows).await
}

/// The keys of the `members` that `body` by `sender_key` mentions, sorted, each once; the
/// sender never mentions themselves.
fn mentioned(body: &str, sender_key: &str, members: &HashSet<String>) -> Vec<String> {
    let mut keys: Vec<String> =
        shared::mentions::find(body, |key| key != sender_key && members.contains(key))
            .into_iter()
            .map(|mention| mention.key)
            .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
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
/// a range of the `mentions` primary key, counted up to
/// [`UNREAD_COUNTED`](shared::limits::UNREAD_COUNTED), as the unread messages are.
pub(super) fn unread_sql(conversation: &str, after: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM (SELECT 1 FROM mentions x \
          WHERE x.name_key = $1 AND x.conversation = {conversation} AND x.id > {after} \
          LIMIT {UNREAD_COUNTED}) counted)"
    )
}
