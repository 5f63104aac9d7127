//! Reading messages back: a page of a conversation's history, the messages a user missed
//! while away, and what other nodes stored since a node last looked.

use shared::{RoomName, UserName};

use super::accounts::{history_from, history_from_on};
use sqlx::{AnyConnection, Row};

use super::changes;
use super::sql::{message_from, to_i64, to_u64, MESSAGE_COLUMNS};
use super::sql_store::SqlStore;
use super::{FoundMessage, Missed, ReplayCut, StoreError};
use crate::message::{Conversation, Destination, Message};

/// [`Store::history`](super::Store::history).
pub(super) async fn history(
    store: &SqlStore,
    conversation: &Conversation,
    mut before: Option<u64>,
    limit: u32,
) -> Result<(Vec<Message>, bool), StoreError> {
    let (mut messages, complete) = loop {
        let rows = sqlx::query(&store.sql.history)
            .bind(conversation.key())
            .bind(before.map_or(i64::MAX, to_i64))
            .bind(i64::from(limit) + 1)
            .fetch_all(&store.pool)
            .await?;
        let mut complete = rows.len() <= limit as usize;
        let mut messages = rows
            .iter()
            .take(limit as usize)
            .map(message_from)
            .collect::<Result<Vec<_>, _>>()?;
        let oldest = messages.last().map(|m| m.id);
        // A released name's new holder reads his private conversations from his account's
        // start; nobody reads the messages hidden from them (they block the sender).
        if let Conversation::Private { me, .. } = conversation {
            let from = history_from(store, me).await?;
            if messages.last().is_some_and(|m| m.id <= from) {
                messages.retain(|m| m.id > from);
                complete = true;
            }
            messages.retain(|m| visible_to(m, me));
        }
        // A page of hidden messages only reads on, so that a page is never empty but at
        // the start.
        if !messages.is_empty() || complete {
            break (messages, complete);
        }
        before = oldest;
    };
    messages.reverse();
    changes::fill_details_from(&store.pool, store.engine, &mut messages).await?;
    Ok((messages, complete))
}

/// [`Store::history_around`](super::Store::history_around): the older half (with `id`) as a
/// page below `id + 1`, then the newer half through `Lists::later_sql`.
pub(super) async fn history_around(
    store: &SqlStore,
    conversation: &Conversation,
    id: u64,
    limit: u32,
) -> Result<(Vec<Message>, bool), StoreError> {
    let newer = limit / 2;
    let (mut messages, complete) = history(
        store,
        conversation,
        Some(id.saturating_add(1)),
        limit - newer,
    )
    .await?;
    if newer == 0 {
        return Ok((messages, complete));
    }
    let rows = sqlx::query(&store.sql.later)
        .bind(conversation.key())
        .bind(to_i64(id))
        .bind(i64::from(newer))
        .fetch_all(&store.pool)
        .await?;
    let mut later = rows
        .iter()
        .map(message_from)
        .collect::<Result<Vec<_>, _>>()?;
    if let Conversation::Private { me, .. } = conversation {
        let from = history_from(store, me).await?;
        later.retain(|m| m.id > from && visible_to(m, me));
    }
    changes::fill_details_from(&store.pool, store.engine, &mut later).await?;
    messages.extend(later);
    Ok((messages, complete))
}

/// [`Store::missed`](super::Store::missed): the newest `limit` + 1 of each conversation,
/// through its `(conversation, id)` index (`Lists::replay_sql`), merged; one more than
/// `limit` in all says there is a cut.
pub(super) async fn missed(
    store: &SqlStore,
    name: &UserName,
    after: u64,
    up_to: u64,
    limit: u32,
) -> Result<Missed, StoreError> {
    if after >= up_to {
        return Ok(Missed::default());
    }
    missed_on(
        store,
        &mut *store.pool.acquire().await?,
        name,
        after,
        up_to,
        limit,
    )
    .await
}

/// [`missed`], every statement on `conn` (a statement per conversation, and more: on
/// connections borrowed from the pool one at a time, each given back would cost a hand-off
/// to SQLite's thread, as sqlx pings it).
pub(super) async fn missed_on(
    store: &SqlStore,
    conn: &mut AnyConnection,
    name: &UserName,
    after: u64,
    up_to: u64,
    limit: u32,
) -> Result<Missed, StoreError> {
    if after >= up_to {
        return Ok(Missed::default());
    }
    let mut keys = vec![Conversation::Room(RoomName::lobby()).key()];
    let rooms: Vec<String> = sqlx::query_scalar("SELECT room FROM memberships WHERE name_key = $1")
        .bind(name.key())
        .fetch_all(&mut *conn)
        .await?;
    keys.extend(rooms.iter().map(|room| format!("room:{room}")));
    let private: Vec<String> = sqlx::query_scalar(&store.sql.own_private)
        .bind(name.key())
        .fetch_all(&mut *conn)
        .await?;
    // A released name's new holder misses nothing private from before his account.
    let from = to_i64(history_from_on(&mut *conn, name).await?);
    keys.extend(private);
    keys.sort_unstable();
    keys.dedup();

    let wanted = i64::from(limit) + 1;
    let mut messages = Vec::new();
    let mut changed = Vec::new();
    for key in &keys {
        let floor = if key.starts_with("dm:") {
            to_u64(from)
        } else {
            0
        };
        let touched = changes::missed(&mut *conn, store.engine, key, floor, after, up_to).await?;
        changed.extend(touched.into_iter().filter(|m| visible_to(m, name)));
        let rows = sqlx::query(&store.sql.replay)
            .bind(key.as_str())
            .bind(to_i64(up_to).saturating_add(1))
            .bind(wanted)
            .bind(if key.starts_with("dm:") {
                to_i64(after).max(from)
            } else {
                to_i64(after)
            })
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            let message = message_from(row)?;
            if visible_to(&message, name) {
                messages.push(message);
            }
        }
        // Only the newest `wanted` of all can be kept: the rest need not stay in memory.
        if messages.len() > 2 * wanted as usize {
            keep_newest(&mut messages, wanted as usize);
        }
    }
    keep_newest(&mut messages, wanted as usize);
    let cut = (messages.len() > limit as usize).then(|| {
        messages.truncate(limit as usize);
        ReplayCut {
            after,
            before: messages.last().map_or(up_to.saturating_add(1), |m| m.id),
        }
    });
    messages.reverse();
    changes::fill_details(&mut *conn, store.engine, &mut messages).await?;
    // The changes to messages the client had, among the replayed ones in id order.
    if !changed.is_empty() {
        messages.extend(changed);
        messages.sort_by_key(|m| m.id);
    }
    Ok(Missed { messages, cut })
}

/// Whether `viewer` sees `message`: not when it is hidden from them (they block its sender).
fn visible_to(message: &Message, viewer: &UserName) -> bool {
    message
        .hidden_for
        .as_deref()
        .is_none_or(|hidden| hidden != viewer.key())
}

/// Keeps the newest `n` of `messages`, newest first.
fn keep_newest(messages: &mut Vec<Message>, n: usize) {
    messages.sort_unstable_by_key(|m| std::cmp::Reverse(m.id));
    messages.truncate(n);
}

/// [`Store::since`](super::Store::since).
pub(super) async fn since(
    store: &SqlStore,
    after: u64,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(to_i64(after))
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    let mut messages = rows
        .iter()
        .map(message_from)
        .collect::<Result<Vec<_>, _>>()?;
    changes::fill_details_from(&store.pool, store.engine, &mut messages).await?;
    // The changes too, in id order: the first `limit` of both.
    let changed = changes::since(&store.pool, after, limit).await?;
    if !changed.is_empty() {
        messages.extend(changed);
        messages.sort_by_key(|m| m.id);
        messages.truncate(limit as usize);
    }
    Ok(messages)
}

/// [`Store::find_message`](super::Store::find_message).
pub(super) async fn find_message(
    store: &SqlStore,
    viewer: &UserName,
    id: u64,
) -> Result<Option<FoundMessage>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS}, sender_key, recipient_key FROM messages WHERE id = $1"
    ))
    .bind(to_i64(id))
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let message = message_from(&row)?;
    if !visible_to(&message, viewer) {
        return Ok(None);
    }
    let key = viewer.key();
    let sender: String = row.try_get("sender_key")?;
    let own = match &message.to {
        Destination::User(_) => {
            let recipient: Option<String> = row.try_get("recipient_key")?;
            if sender != key && recipient.as_deref() != Some(key.as_str()) {
                return Ok(None);
            }
            if id <= history_from(store, viewer).await? {
                return Ok(None);
            }
            sender == key
        }
        // A room message of the name's: the viewer's own unless a former holder of the name
        // sent it, before the viewer's account was created by releasing the name.
        Destination::Room(_) => sender == key && id > history_from(store, viewer).await?,
    };
    Ok(Some(FoundMessage {
        from: message.from,
        to: message.to,
        deleted: message.details.deleted,
        own,
    }))
}
