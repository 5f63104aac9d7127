//! Changes to stored messages (edits, deletions, reactions), applied in `append`'s
//! transaction (a deletion of someone else's room message with its audit log entry), and what reads need of them: a message's details (quote, reactions), the
//! changes a reconnecting client missed, collapsed to where each message stands now, and the
//! changes other nodes stored.

use std::collections::{BTreeMap, HashMap, HashSet};

use shared::changes::MAX_REACTIONS_PER_MESSAGE;
use shared::{ErrorCode, MessageDetails, Place, Quote, Reaction, RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Row};

use super::sql::{placeholders, room, to_i64, to_u64, user, Engine, LOOKUP_ROWS};
use super::{mentions, Action, StoreError};
use crate::change::{Change, ChangeKind};
use crate::message::{Destination, Message, NewMessage};

/// What became of a change in `append`'s transaction.
pub(super) enum Applied {
    /// Applied: the change with its message's place, the message's conversation key and the
    /// destination its frame is delivered to.
    Done(Change, String, Destination),
    /// Nothing to do (a reaction already there, a deletion of a tombstone): acknowledged with
    /// the message's id.
    Unchanged(u64),
    /// Refused now that the transaction sees the message.
    Refused(ErrorCode, &'static str),
}

/// The changed message's row, as a change needs it.
struct Target {
    conversation: String,
    place: Place,
    sender_key: String,
    sender: String,
    recipient: Option<String>,
    room: Option<String>,
    deleted: bool,
}

impl Target {
    /// Where the frame of a change by `actor` goes: the room, or the other participant.
    fn destination(&self, actor: &UserName) -> Result<Destination, StoreError> {
        Ok(match &self.room {
            Some(r) => Destination::Room(room(r)?),
            None if actor.key() == self.sender_key => {
                Destination::User(user(self.recipient.as_deref().unwrap_or_default())?)
            }
            None => Destination::User(user(&self.sender)?),
        })
    }
}

fn place_of(room: Option<String>, sender: String, recipient: Option<String>) -> Place {
    match room {
        Some(room) => Place::Room { room },
        None => Place::Private {
            from: sender,
            to: recipient.unwrap_or_default(),
        },
    }
}

/// Applies one change (`new.change` is set) in the storing transaction, which holds the
/// sequence's lock.
pub(super) async fn apply(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    new: &NewMessage,
) -> Result<Applied, StoreError> {
    let Some(change) = &new.change else {
        return Ok(Applied::Refused(ErrorCode::Internal, "not a change"));
    };
    let id = to_i64(change.message);
    let row = sqlx::query(
        "SELECT conversation, room, sender_key, sender, recipient, deleted_at, body \
         FROM messages WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Applied::Refused(
            ErrorCode::UnknownMessage,
            "no such message in your conversations",
        ));
    };
    let room_name: Option<String> = row.try_get("room")?;
    let sender: String = row.try_get("sender")?;
    let recipient: Option<String> = row.try_get("recipient")?;
    let target = Target {
        conversation: row.try_get("conversation")?,
        place: place_of(room_name.clone(), sender.clone(), recipient.clone()),
        sender_key: row.try_get("sender_key")?,
        sender,
        recipient,
        room: room_name,
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
    };
    let old_body: String = row.try_get("body")?;
    let at = to_i64(new.at);
    match &change.kind {
        ChangeKind::Edit => {
            if target.deleted {
                return Ok(Applied::Refused(
                    ErrorCode::MessageDeleted,
                    "the message was deleted",
                ));
            }
            sqlx::query("UPDATE messages SET body = $1, edited_at = $2 WHERE id = $3")
                .bind(new.body.as_str())
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            if let Some(room) = &target.room {
                let body = Some(new.body.as_str());
                mentions::rewrite(engine, tx, room, &target.sender_key, id, &old_body, body)
                    .await?;
            }
        }
        ChangeKind::Delete => {
            if target.deleted {
                return Ok(Applied::Unchanged(change.message));
            }
            // The body goes from the store, with every copy of it: the edits' bodies.
            sqlx::query("UPDATE messages SET body = '', deleted_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM reactions WHERE message_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE changes SET body = NULL WHERE message_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            // Its files go with it: the attachment sweeper removes the bytes.
            super::files::doom(tx, id, at).await?;
            if let Some(room_key) = &target.room {
                mentions::rewrite(
                    engine,
                    tx,
                    room_key,
                    &target.sender_key,
                    id,
                    &old_body,
                    None,
                )
                .await?;
                // Someone else's, deleted by who runs the room (the command checked): the
                // room's audit log records it with the deletion, or neither is stored.
                if !authored(tx, &target, id, &new.from).await? {
                    let action = Action {
                        room: &room(room_key)?,
                        actor: &new.from,
                        action: "delete",
                        target: &user(&target.sender)?,
                        message: Some(change.message),
                    };
                    super::moderation::record_in(tx, &action).await?;
                }
            }
        }
        ChangeKind::React(emoji) => {
            if target.deleted {
                return Ok(Applied::Refused(
                    ErrorCode::MessageDeleted,
                    "the message was deleted",
                ));
            }
            let emoji_rows: Vec<(String, String)> =
                sqlx::query_as("SELECT emoji, user_key FROM reactions WHERE message_id = $1")
                    .bind(id)
                    .fetch_all(&mut **tx)
                    .await?;
            let key = new.from.key();
            if emoji_rows.iter().any(|(e, u)| e == emoji && *u == key) {
                return Ok(Applied::Unchanged(change.message));
            }
            let distinct: HashSet<&str> = emoji_rows.iter().map(|(e, _)| e.as_str()).collect();
            if !distinct.contains(emoji.as_str()) && distinct.len() >= MAX_REACTIONS_PER_MESSAGE {
                return Ok(Applied::Refused(
                    ErrorCode::TooManyReactions,
                    "the message has as many different reactions as allowed",
                ));
            }
            sqlx::query(
                "INSERT INTO reactions (message_id, emoji, user_key, user_name, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(key)
            .bind(new.from.to_string())
            .bind(at)
            .execute(&mut **tx)
            .await?;
        }
        ChangeKind::Unreact(emoji) => {
            let gone = sqlx::query(
                "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_key = $3",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(new.from.key())
            .execute(&mut **tx)
            .await?;
            if gone.rows_affected() == 0 {
                return Ok(Applied::Unchanged(change.message));
            }
        }
    }
    let destination = target.destination(&new.from)?;
    let done = Change {
        message: change.message,
        kind: change.kind.clone(),
        place: target.place,
    };
    Ok(Applied::Done(done, target.conversation, destination))
}

/// Whether `actor` wrote message `id` (`target`): sent under their name, and not by a
/// former holder of it, before their account was created by releasing the name.
async fn authored(
    tx: &mut sqlx::Transaction<'_, Any>,
    target: &Target,
    id: i64,
    actor: &UserName,
) -> Result<bool, StoreError> {
    if target.sender_key != actor.key() {
        return Ok(false);
    }
    let from: Option<i64> =
        sqlx::query_scalar("SELECT history_from FROM accounts WHERE name_key = $1")
            .bind(actor.key())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(id > from.unwrap_or(0))
}

/// Records applied changes under their ids.
pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(&NewMessage, &str, i64)],
) -> Result<(), StoreError> {
    for (new, conversation, id) in rows {
        let Some(change) = &new.change else { continue };
        sqlx::query(
            "INSERT INTO changes (id, message_id, conversation, kind, actor_key, actor, body, \
             emoji, at, req) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(*id)
        .bind(to_i64(change.message))
        .bind(*conversation)
        .bind(change.kind.as_str())
        .bind(new.from.key())
        .bind(new.from.to_string())
        .bind((change.kind == ChangeKind::Edit).then(|| new.body.clone()))
        .bind(change.kind.emoji().map(str::to_owned))
        .bind(to_i64(new.at))
        .bind(new.req.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A change stored before under the same `(actor, req)`.
pub(super) struct EarlierChange {
    pub(super) id: i64,
    pub(super) at: i64,
    /// Whether it is the same change as the one sent again.
    pub(super) same: bool,
}

/// The change `new`'s actor stored under its `req`, if any.
pub(super) async fn earlier(
    tx: &mut sqlx::Transaction<'_, Any>,
    new: &NewMessage,
) -> Result<Option<EarlierChange>, StoreError> {
    let (Some(req), Some(change)) = (&new.req, &new.change) else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT id, at, message_id, kind, emoji FROM changes WHERE actor_key = $1 AND req = $2",
    )
    .bind(new.from.key())
    .bind(req.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    let emoji: Option<String> = row.try_get("emoji")?;
    let message: i64 = row.try_get("message_id")?;
    Ok(Some(EarlierChange {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        same: to_u64(message) == change.message
            && kind == change.kind.as_str()
            && emoji.as_deref() == change.kind.emoji(),
    }))
}

/// Whether two changes of one batch sent with one `req` are the same change.
pub(super) fn same_change(a: &NewMessage, b: &NewMessage) -> bool {
    match (&a.change, &b.change) {
        (Some(x), Some(y)) => x.message == y.message && x.kind == y.kind && a.body == b.body,
        _ => false,
    }
}

/// [`fill_details`] on a connection of `pool`, borrowed only when there is something to fill
/// (a connection given back costs a hand-off to SQLite's thread: sqlx pings it).
pub(super) async fn fill_details_from(
    pool: &AnyPool,
    engine: Engine,
    messages: &mut [Message],
) -> Result<(), StoreError> {
    if messages.is_empty() {
        return Ok(());
    }
    fill_details(&mut *pool.acquire().await?, engine, messages).await
}

/// Fills in the details of read messages (their `details.reply` holds only the quoted id, as
/// `message_from` left it): the quotes as the originals read now, the reactions, the files.
pub(super) async fn fill_details(
    conn: &mut AnyConnection,
    engine: Engine,
    messages: &mut [Message],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = messages
        .iter()
        .filter(|m| m.change.is_none() && !m.details.deleted)
        .map(|m| to_i64(m.id))
        .collect();
    let mut reactions: HashMap<u64, Vec<Reaction>> = HashMap::new();
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "SELECT message_id, emoji, user_name FROM reactions WHERE message_id IN {} \
             ORDER BY at, user_key",
            placeholders(engine, 1, chunk.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let list = reactions
                .entry(to_u64(row.try_get("message_id")?))
                .or_default();
            let emoji: String = row.try_get("emoji")?;
            let name: String = row.try_get("user_name")?;
            match list.iter_mut().find(|r| r.emoji == emoji) {
                Some(reaction) => reaction.users.push(name),
                None => list.push(Reaction {
                    emoji,
                    users: vec![name],
                }),
            }
        }
    }
    let quoted: Vec<i64> = messages
        .iter()
        .filter_map(|m| m.details.reply.as_ref().map(|q| to_i64(q.id)))
        .collect();
    let quotes = quotes(&mut *conn, engine, &quoted).await?;
    let mut files = super::files::of_messages(&mut *conn, engine, &ids).await?;
    for message in messages.iter_mut() {
        if let Some(list) = reactions.remove(&message.id) {
            message.details.reactions = list;
        }
        if let Some(list) = files.remove(&message.id) {
            message.details.attachments = list;
        }
        if let Some(reply) = message.details.reply.take() {
            message.details.reply = quotes.get(&reply.id).cloned();
        }
    }
    Ok(())
}

/// The quotes of messages `ids`, as they read now.
pub(super) async fn quotes(
    conn: &mut AnyConnection,
    engine: Engine,
    ids: &[i64],
) -> Result<HashMap<u64, Quote>, StoreError> {
    let mut quotes = HashMap::new();
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "SELECT id, sender, body, deleted_at FROM messages WHERE id IN {}",
            placeholders(engine, 1, chunk.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id = to_u64(row.try_get("id")?);
            let body: String = row.try_get("body")?;
            let deleted = row.try_get::<Option<i64>, _>("deleted_at")?.is_some();
            quotes.insert(id, Quote::of(id, row.try_get("sender")?, &body, deleted));
        }
    }
    Ok(quotes)
}

/// A stored change as a carrying [`Message`], from a row of `changes` joined with its
/// message's `room`, `sender`, `sender_key` and `recipient`.
fn change_from(row: &AnyRow) -> Result<Option<Message>, StoreError> {
    let Some(kind) = ChangeKind::parse(row.try_get("kind")?, row.try_get("emoji")?) else {
        return Ok(None);
    };
    let actor = user(row.try_get("actor")?)?;
    let room_name: Option<String> = row.try_get("room")?;
    let sender: String = row.try_get("sender")?;
    let sender_key: String = row.try_get("sender_key")?;
    let recipient: Option<String> = row.try_get("recipient")?;
    let to = match &room_name {
        Some(r) => Destination::Room(room(r)?),
        None if actor.key() == sender_key => {
            Destination::User(user(recipient.as_deref().unwrap_or_default())?)
        }
        None => Destination::User(user(&sender)?),
    };
    Ok(Some(Message {
        id: to_u64(row.try_get("id")?),
        from: actor,
        to,
        body: row
            .try_get::<Option<String>, _>("body")?
            .unwrap_or_default(),
        at: to_u64(row.try_get("at")?),
        details: MessageDetails::default(),
        change: Some(Change {
            message: to_u64(row.try_get("message_id")?),
            kind,
            place: place_of(room_name, sender, recipient),
        }),
        hidden_for: row.try_get("hidden_for")?,
    }))
}

/// Up to `limit` changes with ids above `after`, oldest first (what other nodes stored).
pub(super) async fn since(
    pool: &AnyPool,
    after: u64,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.message_id, c.kind, c.actor, c.body, c.emoji, c.at, \
             m.room, m.sender, m.sender_key, m.recipient, m.hidden_for \
         FROM changes c JOIN messages m ON m.id = c.message_id \
         WHERE c.id > $1 ORDER BY c.id LIMIT $2",
    )
    .bind(to_i64(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        changes.extend(change_from(row)?);
    }
    Ok(changes)
}

/// The changes with ids in `(after, up_to]` of conversation `key` to messages a client had
/// (ids in `(floor, after]`), collapsed to one frame's worth per message (its deletion, or its
/// latest edit with the body it has now) and per (message, emoji, user) (whether that reaction
/// stands now), each at the id of the newest change it stands for.
pub(super) async fn missed(
    conn: &mut AnyConnection,
    engine: Engine,
    key: &str,
    floor: u64,
    after: u64,
    up_to: u64,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(
        "SELECT message_id, kind, actor_key, actor, emoji, MAX(id) AS last \
         FROM changes WHERE conversation = $1 AND id > $2 AND id <= $3 \
             AND message_id <= $2 AND message_id > $4 \
         GROUP BY message_id, kind, actor_key, actor, emoji",
    )
    .bind(key)
    .bind(to_i64(after))
    .bind(to_i64(up_to))
    .bind(to_i64(floor))
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    struct Touch {
        message: u64,
        kind: String,
        actor_key: String,
        actor: String,
        emoji: Option<String>,
        last: u64,
    }
    let mut touches = Vec::with_capacity(rows.len());
    for row in &rows {
        touches.push(Touch {
            message: to_u64(row.try_get("message_id")?),
            kind: row.try_get("kind")?,
            actor_key: row.try_get("actor_key")?,
            actor: row.try_get("actor")?,
            emoji: row.try_get("emoji")?,
            last: to_u64(row.try_get("last")?),
        });
    }
    let mut ids: Vec<i64> = touches.iter().map(|t| to_i64(t.message)).collect();
    ids.sort_unstable();
    ids.dedup();
    // Where each touched message stands now, and its reactions.
    let mut now: HashMap<u64, (Message, HashSet<(String, String)>)> = HashMap::new();
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let these = placeholders(engine, 1, chunk.len(), 1);
        let sql = format!(
            "SELECT id, room, sender, sender_key, recipient, body, edited_at, deleted_at, \
                 hidden_for FROM messages WHERE id IN {these}"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let room_name: Option<String> = row.try_get("room")?;
            let sender: String = row.try_get("sender")?;
            let recipient: Option<String> = row.try_get("recipient")?;
            let message = Message {
                id: to_u64(row.try_get("id")?),
                from: user(&sender)?,
                to: match &room_name {
                    Some(r) => Destination::Room(room(r)?),
                    None => Destination::User(user(recipient.as_deref().unwrap_or_default())?),
                },
                body: row.try_get("body")?,
                at: to_u64(row.try_get::<Option<i64>, _>("edited_at")?.unwrap_or(0)),
                details: MessageDetails {
                    deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                    ..MessageDetails::default()
                },
                change: Some(Change {
                    message: 0,
                    kind: ChangeKind::Edit,
                    place: place_of(room_name, sender, recipient),
                }),
                hidden_for: row.try_get("hidden_for")?,
            };
            now.insert(message.id, (message, HashSet::new()));
        }
        let sql = format!(
            "SELECT message_id, emoji, user_key FROM reactions WHERE message_id IN {these}"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            if let Some((_, set)) = now.get_mut(&to_u64(row.try_get("message_id")?)) {
                set.insert((row.try_get("emoji")?, row.try_get("user_key")?));
            }
        }
    }
    // Per message: its deletion or latest edit; per (message, emoji, user): the reaction.
    let mut edits: BTreeMap<u64, (u64, String)> = BTreeMap::new();
    let mut deletes: BTreeMap<u64, (u64, String)> = BTreeMap::new();
    let mut reactions: BTreeMap<(u64, String, String), (u64, String)> = BTreeMap::new();
    for touch in touches {
        let slot = match (touch.kind.as_str(), touch.emoji) {
            ("edit", _) => edits.entry(touch.message).or_insert((0, String::new())),
            ("delete", _) => deletes.entry(touch.message).or_insert((0, String::new())),
            ("react" | "unreact", Some(emoji)) => reactions
                .entry((touch.message, emoji, touch.actor_key))
                .or_insert((0, String::new())),
            _ => continue,
        };
        if touch.last > slot.0 {
            *slot = (touch.last, touch.actor);
        }
    }
    let mut out = Vec::new();
    let carry =
        |base: &Message, id: u64, actor: &str, kind: ChangeKind| -> Result<Message, StoreError> {
            let place = base.change.as_ref().map(|c| c.place.clone());
            Ok(Message {
                id,
                from: user(actor)?,
                to: base.to.clone(),
                body: if kind == ChangeKind::Edit {
                    base.body.clone()
                } else {
                    String::new()
                },
                at: base.at,
                details: MessageDetails::default(),
                change: Some(Change {
                    message: base.id,
                    kind,
                    place: place.unwrap_or(Place::Room {
                        room: RoomName::lobby().to_string(),
                    }),
                }),
                hidden_for: base.hidden_for.clone(),
            })
        };
    for (message, (base, present)) in &now {
        if base.details.deleted {
            // Only its deletion: its edits and reactions are gone with it.
            let (id, actor) = deletes
                .get(message)
                .cloned()
                .or_else(|| edits.get(message).cloned())
                .unwrap_or((*message, base.from.to_string()));
            out.push(carry(base, id, &actor, ChangeKind::Delete)?);
            continue;
        }
        if let Some((id, actor)) = edits.get(message) {
            out.push(carry(base, *id, actor, ChangeKind::Edit)?);
        }
        for ((_, emoji, key), (id, actor)) in reactions
            .range((*message, String::new(), String::new())..)
            .take_while(|((m, _, _), _)| m == message)
        {
            let kind = if present.contains(&(emoji.clone(), key.clone())) {
                ChangeKind::React(emoji.clone())
            } else {
                ChangeKind::Unreact(emoji.clone())
            };
            out.push(carry(base, *id, actor, kind)?);
        }
    }
    out.sort_by_key(|m| m.id);
    Ok(out)
}
