//! Storing messages: a batch in one transaction, numbered from the `messages` sequence, a
//! message whose `req` its sender stored before answered with the stored one (or refused as a
//! conflict when its content differs); and the newest id stored.

use std::collections::HashMap;

use sqlx::{Any, Row};

use shared::{ErrorCode, MessageDetails};

use super::changes::{self, Applied};
use super::sql::{insert_chunks, padded, placeholders, to_i64, to_u64, Engine, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::{Appended, StoreError};
use crate::change::{Change, ChangeKind};
use crate::message::{Destination, Message, NewMessage};

/// [`Store::append`](super::Store::append).
pub(super) async fn append(
    store: &SqlStore,
    batch: &[NewMessage],
) -> Result<Vec<Appended>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = store.writer.conn().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let stored = if batch.iter().any(|m| m.req.is_some() || m.change.is_some()) {
        // The sequence's lock first (see the module doc): writers queue here, and the
        // look-up below sees everything stored before, by this node or another. Without
        // a `req` there is nothing to look up, and the bump below takes the lock.
        sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
            .execute(&mut *tx)
            .await?;
        stored_requests(store.engine, &mut tx, batch).await?
    } else {
        HashMap::new()
    };

    // Which messages are new, and which repeat a `req` stored before or earlier in the batch:
    // with the same content a repeat, else a conflict.
    let mut firsts: HashMap<(String, &str), usize> = HashMap::new();
    let mut change_firsts: HashMap<(String, &str), usize> = HashMap::new();
    let mut slots = Vec::with_capacity(batch.len());
    let mut fresh = 0usize;
    for (i, new) in batch.iter().enumerate() {
        if new.change.is_some() {
            let slot =
                change_slot(store.engine, &mut tx, new, i, batch, &mut change_firsts).await?;
            if matches!(slot, Slot::NewChange(..)) {
                fresh += 1;
            }
            slots.push(slot);
            continue;
        }
        let slot = match new.req.as_deref() {
            Some(req) => {
                let key = (new.from.key(), req);
                if let Some(earlier) = stored.get(&(key.0.clone(), req.to_owned())) {
                    if earlier.conversation == new.conversation_key() && earlier.body == new.body {
                        Slot::Stored(earlier.id, earlier.at)
                    } else {
                        Slot::Conflict
                    }
                } else if let Some(&first) = firsts.get(&key) {
                    let same = batch[first].conversation_key() == new.conversation_key()
                        && batch[first].body == new.body;
                    if same {
                        Slot::Repeat(first)
                    } else {
                        Slot::Conflict
                    }
                } else {
                    firsts.insert(key, i);
                    fresh += 1;
                    Slot::New(0)
                }
            }
            None => {
                fresh += 1;
                Slot::New(0)
            }
        };
        slots.push(slot);
    }

    let mut newest = None;
    let mut linked = HashMap::new();
    // The private messages stored now whose recipient blocks their sender, and the private
    // messages changed now that are hidden so: by id, whom from.
    let mut hidden: HashMap<i64, String> = HashMap::new();
    if fresh > 0 {
        let count = i64::try_from(fresh).unwrap_or(i64::MAX);
        // On SQLite a batch without changes is stored in one hand-off to the connection's
        // thread (the sequence, the rows, the blocks: `sqlite::store_batch`); else statement
        // by statement below.
        let at_once = store.engine == Engine::Sqlite
            && !slots.iter().any(|slot| matches!(slot, Slot::NewChange(..)));
        let (last, hidden_now) = if at_once {
            let new: Vec<&NewMessage> = batch
                .iter()
                .zip(&slots)
                .filter(|(_, slot)| matches!(slot, Slot::New(_)))
                .map(|(new, _)| new)
                .collect();
            let (last, hidden_now) = super::sqlite::store_batch(&mut tx, &new).await?;
            (last, Some(hidden_now))
        } else {
            let last: i64 = sqlx::query_scalar(
                "UPDATE sequences SET value = value + $1 WHERE name = 'messages' RETURNING value",
            )
            .bind(count)
            .fetch_one(&mut *tx)
            .await?;
            (last, None)
        };
        newest = Some(last);
        let mut next = last - count + 1;
        let mut rows = Vec::with_capacity(fresh);
        let mut changes = Vec::new();
        for (new, slot) in batch.iter().zip(&mut slots) {
            match slot {
                Slot::New(id) => {
                    *id = next;
                    rows.push((new, next));
                    next += 1;
                }
                Slot::NewChange(id, _, conversation, _) => {
                    *id = next;
                    changes.push((new, conversation.as_str(), next));
                    next += 1;
                }
                _ => {}
            }
        }
        hidden = match hidden_now {
            Some(hidden_now) => hidden_now,
            None => {
                insert_messages(store.engine, &mut tx, &rows).await?;
                let private: Vec<i64> = rows
                    .iter()
                    .filter(|(new, _)| matches!(new.to, Destination::User(_)))
                    .map(|(_, id)| *id)
                    .collect();
                let targets: Vec<i64> = changes
                    .iter()
                    .filter(|(new, _, _)| matches!(new.to, Destination::User(_)))
                    .filter_map(|(new, _, _)| new.change.as_ref().map(|c| to_i64(c.message)))
                    .collect();
                super::safety::hidden(store.engine, &mut tx, &private, &targets).await?
            }
        };
        super::mentions::record(store.engine, &mut tx, &rows).await?;
        store.lists.add(&mut tx, &rows, &hidden).await?;
        changes::insert(&mut tx, &changes).await?;
        let with_files: Vec<(usize, &NewMessage, i64)> = batch
            .iter()
            .zip(&slots)
            .enumerate()
            .filter_map(|(i, (new, slot))| match slot {
                Slot::New(id) if !new.attachments.is_empty() => Some((i, new, *id)),
                _ => None,
            })
            .collect();
        if !with_files.is_empty() {
            linked = super::files::link(&mut tx, &with_files).await?;
        }
    }
    tx.commit().await?;
    conn.give_back();
    if let Some(newest) = newest {
        store.lists.stored(newest);
    }

    // The quotes of the replies stored now, as the originals read at this moment.
    let replies: Vec<i64> = batch
        .iter()
        .zip(&slots)
        .filter(|(_, slot)| matches!(slot, Slot::New(_)))
        .filter_map(|(new, _)| new.reply_to.map(to_i64))
        .collect();
    let quotes = if replies.is_empty() {
        HashMap::new()
    } else {
        changes::quotes(&mut *store.pool.acquire().await?, store.engine, &replies).await?
    };

    let mut answers: Vec<Appended> = Vec::with_capacity(batch.len());
    for (i, (new, slot)) in batch.iter().zip(slots).enumerate() {
        let hidden_for = match slot {
            Slot::New(id) => hidden.get(&id).cloned(),
            _ => None,
        };
        let (id, at, repeat) = match slot {
            Slot::NewChange(id, change, _, to) => {
                answers.push(Appended::Stored(Message {
                    id: to_u64(id),
                    from: new.from.clone(),
                    to,
                    body: if change.kind == ChangeKind::Edit {
                        new.body.clone()
                    } else {
                        String::new()
                    },
                    at: new.at,
                    hidden_for: hidden.get(&to_i64(change.message)).cloned(),
                    details: MessageDetails::default(),
                    change: Some(change),
                }));
                continue;
            }
            Slot::Unchanged(id) => {
                answers.push(Appended::Unchanged { id, at: new.at });
                continue;
            }
            Slot::Refused(code, why) => {
                answers.push(Appended::Refused(code, why));
                continue;
            }
            Slot::New(id) => (to_u64(id), new.at, false),
            Slot::Stored(id, at) => (to_u64(id), to_u64(at), true),
            Slot::Repeat(first) => match answers[first].message() {
                Some(message) => (message.id, message.at, true),
                // A change its first use left unapplied: answered alike.
                None => {
                    answers.push(answers[first].clone());
                    continue;
                }
            },
            Slot::Conflict => {
                answers.push(Appended::Conflict);
                continue;
            }
        };
        let message = Message {
            id,
            from: new.from.clone(),
            to: new.to.clone(),
            body: new.body.clone(),
            at,
            details: MessageDetails {
                reply: new.reply_to.and_then(|r| quotes.get(&r).cloned()),
                // Those linked now; a repeat's are the first's, which its sender has.
                attachments: linked.remove(&i).unwrap_or_default(),
                ..MessageDetails::default()
            },
            change: new.change.clone(),
            hidden_for,
        };
        answers.push(if repeat {
            Appended::Repeat(message)
        } else {
            Appended::Stored(message)
        });
    }
    Ok(answers)
}

/// [`Store::last_id`](super::Store::last_id).
pub(super) async fn last_id(store: &SqlStore) -> Result<u64, StoreError> {
    let value: i64 = sqlx::query_scalar("SELECT value FROM sequences WHERE name = 'messages'")
        .fetch_one(&store.pool)
        .await?;
    Ok(to_u64(value))
}

/// Where one message of an `append` batch ends up.
enum Slot {
    /// Stored now, with this id.
    New(i64),
    /// Stored before, with this id and time.
    Stored(i64, i64),
    /// A repeat of the batch's message at this index.
    Repeat(usize),
    /// A `req` its sender used for a different message: not stored.
    Conflict,
    /// A change applied now, to be stored with this id: the change with its message's place,
    /// its conversation's key and where its frame goes.
    NewChange(i64, Change, String, Destination),
    /// A change that changes nothing, acknowledged with the message's id.
    Unchanged(u64),
    /// A change refused now that the transaction sees the message.
    Refused(ErrorCode, &'static str),
}

/// Where one change of a batch ends up: a repeat of its `req` (stored before, or earlier in the
/// batch), or applied now.
async fn change_slot<'a>(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    new: &'a NewMessage,
    i: usize,
    batch: &'a [NewMessage],
    firsts: &mut HashMap<(String, &'a str), usize>,
) -> Result<Slot, StoreError> {
    if let Some(req) = new.req.as_deref() {
        if let Some(earlier) = changes::earlier(tx, new).await? {
            return Ok(if earlier.same {
                Slot::Stored(earlier.id, earlier.at)
            } else {
                Slot::Conflict
            });
        }
        let key = (new.from.key(), req);
        if let Some(&first) = firsts.get(&key) {
            return Ok(if changes::same_change(&batch[first], new) {
                Slot::Repeat(first)
            } else {
                Slot::Conflict
            });
        }
        firsts.insert(key, i);
    }
    Ok(match changes::apply(engine, tx, new).await? {
        Applied::Done(change, conversation, to) => Slot::NewChange(0, change, conversation, to),
        Applied::Unchanged(id) => Slot::Unchanged(id),
        Applied::Refused(code, why) => Slot::Refused(code, why),
    })
}

/// A message stored under a `(sender key, req)`: what a repeat is compared with.
struct Earlier {
    id: i64,
    at: i64,
    /// Its conversation's key (which also tells a room message from a private one).
    conversation: String,
    body: String,
}

/// The messages already stored under each `(sender key, req)` of `batch`.
async fn stored_requests(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    batch: &[NewMessage],
) -> Result<HashMap<(String, String), Earlier>, StoreError> {
    let mut pairs: Vec<(String, &str)> = batch
        .iter()
        .filter(|m| m.change.is_none())
        .filter_map(|m| Some((m.from.key(), m.req.as_deref()?)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut stored = HashMap::new();
    for chunk in pairs.chunks(LOOKUP_ROWS) {
        let rows = padded(chunk.len());
        let sql = stored_requests_sql(engine, rows);
        let mut query = sqlx::query(&sql);
        for i in 0..rows {
            let (sender_key, req) = &chunk[i.min(chunk.len() - 1)];
            query = query.bind(sender_key.as_str()).bind(*req);
        }
        let mut found: HashMap<i64, (String, String)> = HashMap::new();
        for row in query.fetch_all(&mut **tx).await? {
            if let Some(id) = row.try_get::<Option<i64>, _>("id")? {
                found.insert(id, (row.try_get("sender_key")?, row.try_get("req")?));
            }
        }
        if found.is_empty() {
            continue;
        }
        // Repeats are rare: only then a second look, for the stored times and content.
        let sql = format!(
            "SELECT id, at, conversation, body FROM messages WHERE id IN {}",
            placeholders(engine, 1, found.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in found.keys() {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let id: i64 = row.try_get("id")?;
            if let Some(pair) = found.remove(&id) {
                let earlier = Earlier {
                    id,
                    at: row.try_get("at")?,
                    conversation: row.try_get("conversation")?,
                    body: row.try_get("body")?,
                };
                stored.insert(pair, earlier);
            }
        }
    }
    Ok(stored)
}

/// Looks up `rows` pairs `(sender key, req)`: the id stored under each, or NULL.
///
/// `VALUES` columns are named column1, column2… by both engines. The correlated subquery makes
/// each pair one probe of the (sender_key, req) index on both (partial, `req IS NOT NULL`:
/// `m.req = …` implies it); a join would let PostgreSQL's planner pick a scan of the whole
/// table while it is small.
pub(super) fn stored_requests_sql(engine: Engine, rows: usize) -> String {
    format!(
        "SELECT b.column1 AS sender_key, b.column2 AS req, \
             (SELECT m.id FROM messages m \
              WHERE m.sender_key = b.column1 AND m.req = b.column2) AS id \
         FROM (VALUES {}) AS b",
        placeholders(engine, rows, 2, 1)
    )
}

/// Stores new messages with multi-row `INSERT`s.
async fn insert_messages(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(&NewMessage, i64)],
) -> Result<(), StoreError> {
    let mut rest = rows;
    for size in insert_chunks(rows.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let sql = format!(
            "INSERT INTO messages (id, conversation, room, sender_key, sender, \
             recipient_key, recipient, body, at, req, reply_to) VALUES {}",
            placeholders(engine, chunk.len(), 11, 1)
        );
        let mut query = sqlx::query(&sql);
        for (new, id) in chunk {
            let (room, recipient_key, recipient) = new.to.columns();
            query = query
                .bind(*id)
                .bind(new.conversation_key())
                .bind(room)
                .bind(new.from.key())
                .bind(new.from.as_str())
                .bind(recipient_key)
                .bind(recipient)
                .bind(new.body.as_str())
                .bind(to_i64(new.at))
                .bind(new.req.as_deref())
                .bind(new.reply_to.map(to_i64));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
