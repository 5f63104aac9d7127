//! Uploaded files' records (the bytes are in the attachment storage, elsewhere):
//! added with the uploader's quota checked in the same statement, linked to the message that
//! carries them in `append`'s transaction, read back into messages by `changes::fill_details`,
//! marked by a message's deletion (`doom`, in the tombstone's transaction) and removed by the
//! sweeper once their bytes are gone.

use std::collections::HashMap;

use shared::{Attachment, UserName};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row};

use super::sql::{placeholders, to_i64, to_u64, user, Engine, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::{AttachmentRecord, StoreError};
use crate::message::NewMessage;

/// The columns [`record_from`] reads.
const COLUMNS: &str = "id, uploader_key, uploader, name, content_type, size, thumbnail, \
     created_at, message_id, conversation";

fn record_from(row: &AnyRow) -> Result<AttachmentRecord, StoreError> {
    let uploader = user(row.try_get("uploader")?)?;
    let uploader_key: String = row.try_get("uploader_key")?;
    Ok(AttachmentRecord {
        attachment: Attachment {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            content_type: row.try_get("content_type")?,
            size: to_u64(row.try_get("size")?),
        },
        former: uploader_key != uploader.key(),
        uploader,
        thumbnail: row.try_get::<i64, _>("thumbnail")? != 0,
        created_at: to_u64(row.try_get("created_at")?),
        message_id: row.try_get::<Option<i64>, _>("message_id")?.map(to_u64),
        conversation: row.try_get("conversation")?,
    })
}

/// [`Store::add_attachment`](super::Store::add_attachment): the quota checked against what is
/// stored as it inserts, after the uploader's account row is locked (an update that changes
/// nothing), so two uploads of one user at the same moment take turns: on PostgreSQL each
/// would otherwise see the other's bytes missing and both pass; on SQLite it makes the
/// transaction a writer before it reads.
pub(super) async fn add(
    store: &SqlStore,
    record: &AttachmentRecord,
    quota: u64,
) -> Result<bool, StoreError> {
    let a = &record.attachment;
    let mut tx = store.pool.begin().await?;
    sqlx::query("UPDATE accounts SET name_key = name_key WHERE name_key = $1")
        .bind(record.uploader.key())
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query(
        "INSERT INTO attachments (id, uploader_key, uploader, name, content_type, size, \
             thumbnail, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE \
             (SELECT COALESCE(SUM(size), 0) FROM attachments WHERE uploader_key = $2) + $6 <= $9",
    )
    .bind(a.id.as_str())
    .bind(record.uploader.key())
    .bind(record.uploader.to_string())
    .bind(a.name.as_str())
    .bind(a.content_type.as_str())
    .bind(to_i64(a.size))
    .bind(i64::from(record.thumbnail))
    .bind(to_i64(record.created_at))
    .bind(to_i64(quota))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// [`Store::attachment`](super::Store::attachment).
pub(super) async fn find(
    store: &SqlStore,
    id: &str,
) -> Result<Option<AttachmentRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE id = $1 AND deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(record_from).transpose()
}

/// [`Store::attachments_of`](super::Store::attachments_of).
pub(super) async fn of_uploader(
    store: &SqlStore,
    uploader: &UserName,
) -> Result<Vec<AttachmentRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE uploader_key = $1 AND deleted_at IS NULL \
         ORDER BY created_at, id"
    ))
    .bind(uploader.key())
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(record_from).collect()
}

/// [`Store::may_read_attachment`](super::Store::may_read_attachment): the uploader (not a
/// released name's new holder: [`AttachmentRecord::is_of`]); for one on a message, whoever
/// may read that message (a room's members, everyone for `lobby`; the two people of a
/// private conversation, from the reader's account's `history_from`).
pub(super) async fn may_read(
    store: &SqlStore,
    viewer: &UserName,
    record: &AttachmentRecord,
) -> Result<bool, StoreError> {
    if record.is_of(viewer) {
        return Ok(true);
    }
    let (Some(message), Some(conversation)) = (record.message_id, &record.conversation) else {
        return Ok(false);
    };
    match conversation.strip_prefix("room:") {
        Some("lobby") => Ok(true),
        Some(room) => {
            let member: Option<String> = sqlx::query_scalar(
                "SELECT name_key FROM memberships WHERE name_key = $1 AND room = $2",
            )
            .bind(viewer.key())
            .bind(room)
            .fetch_optional(&store.pool)
            .await?;
            Ok(member.is_some())
        }
        None => Ok(super::history::find_message(store, viewer, message)
            .await?
            .is_some()),
    }
}

/// Links the attachments of messages stored now (in `append`'s transaction): each only if it
/// is its sender's and on no message yet. Returns, per batch index, those linked, in order.
pub(super) async fn link(
    tx: &mut sqlx::Transaction<'_, Any>,
    rows: &[(usize, &NewMessage, i64)],
) -> Result<HashMap<usize, Vec<Attachment>>, StoreError> {
    let mut linked = HashMap::new();
    for (index, new, id) in rows {
        let mut list = Vec::new();
        for (position, a) in new.attachments.iter().enumerate() {
            let done = sqlx::query(
                "UPDATE attachments SET message_id = $1, conversation = $2, position = $3 \
                 WHERE id = $4 AND uploader_key = $5 AND message_id IS NULL \
                 AND deleted_at IS NULL",
            )
            .bind(*id)
            .bind(new.conversation_key())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(a.id.as_str())
            .bind(new.from.key())
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 1 {
                list.push(a.clone());
            }
        }
        if !list.is_empty() {
            linked.insert(*index, list);
        }
    }
    Ok(linked)
}

/// In the transaction that releases `name` (`history_from` its new account's): its former
/// holder's uploads keep a key no name has, `<key>#<history_from>`, so none is the new
/// holder's to read as its uploader, to send, to count against his quota or to export; the
/// unsent ones are marked deleted now (`at`), for the sweeper. The sent ones stay on their
/// messages for whoever may read those.
pub(super) async fn release(
    tx: &mut sqlx::Transaction<'_, Any>,
    name: &UserName,
    history_from: i64,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE attachments SET uploader_key = $2, \
             deleted_at = CASE WHEN message_id IS NULL THEN $3 ELSE deleted_at END \
         WHERE uploader_key = $1",
    )
    .bind(name.key())
    .bind(format!("{}#{history_from}", name.key()))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the attachments of message `id`, deleted now (`at`), for the sweeper.
pub(super) async fn doom(
    tx: &mut sqlx::Transaction<'_, Any>,
    id: i64,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE attachments SET deleted_at = $1 WHERE message_id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The attachments of messages `ids`, each message's in its order.
pub(super) async fn of_messages(
    conn: &mut AnyConnection,
    engine: Engine,
    ids: &[i64],
) -> Result<HashMap<u64, Vec<Attachment>>, StoreError> {
    let mut found: HashMap<u64, Vec<Attachment>> = HashMap::new();
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "SELECT {COLUMNS} FROM attachments WHERE message_id IN {} AND deleted_at IS NULL \
             ORDER BY message_id, position",
            placeholders(engine, 1, chunk.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let record = record_from(&row)?;
            if let Some(message) = record.message_id {
                found.entry(message).or_default().push(record.attachment);
            }
        }
    }
    Ok(found)
}

/// [`Store::doomed_attachments`](super::Store::doomed_attachments): up to `limit` records
/// whose bytes should go: their message was deleted, or they were never sent and are older
/// than `unsent_before` (ms since the Unix epoch).
pub(super) async fn doomed(
    store: &SqlStore,
    unsent_before: u64,
    limit: u32,
) -> Result<Vec<AttachmentRecord>, StoreError> {
    let mut records = Vec::new();
    for sql in [
        format!("SELECT {COLUMNS} FROM attachments WHERE deleted_at IS NOT NULL LIMIT $1"),
        format!(
            "SELECT {COLUMNS} FROM attachments WHERE message_id IS NULL AND created_at < $2 \
             LIMIT $1"
        ),
    ] {
        let mut query = sqlx::query(&sql).bind(i64::from(limit));
        if sql.contains("$2") {
            query = query.bind(to_i64(unsent_before));
        }
        for row in query.fetch_all(&store.pool).await? {
            records.push(record_from(&row)?);
        }
    }
    records.truncate(limit as usize);
    Ok(records)
}

/// [`Store::forget_attachments`](super::Store::forget_attachments): removes the records
/// `ids` (their bytes are gone).
pub(super) async fn forget(store: &SqlStore, ids: &[String]) -> Result<(), StoreError> {
    for chunk in ids.chunks(LOOKUP_ROWS) {
        let sql = format!(
            "DELETE FROM attachments WHERE id IN {}",
            placeholders(store.engine, 1, chunk.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        query.execute(&store.pool).await?;
    }
    Ok(())
}
