//! Storing a batch of new messages on SQLite in one statement string: the sequence bumped,
//! the rows inserted and the private messages whose recipient blocks their sender hidden, in
//! one hand-off to the connection's thread.
//!
//! sqlx runs each SQLite statement on the connection's own thread: every statement is a hand-off
//! there and back (two thread switches on the server's one core). Storing a batch took one for
//! the sequence, one per power of two in the batch's size for the inserts and one for the
//! blocks; now the three go as one string of statements (as `Store::start` does for reads),
//! whose text never changes: the messages travel as one JSON array (`json_each`), so SQLite
//! prepares the statements once, whatever the batch's size.

use std::collections::HashMap;

use sqlx::{Any, Row};

use crate::message::NewMessage;
use crate::store::sql::to_i64;
use crate::store::StoreError;

/// The statements, with `$1` the number of messages and `$2` their JSON array (in the order
/// their ids follow): the sequence's new value (the last id), the rows (ids numbered up to it),
/// then `(id, hidden_for)` for each private message now hidden from its recipient.
const STORE_BATCH: &str = "\
    UPDATE sequences SET value = value + $1 WHERE name = 'messages' RETURNING value; \
    INSERT INTO messages (id, conversation, room, sender_key, sender, recipient_key, \
        recipient, body, at, req, reply_to) \
    SELECT s.value - $1 + 1 + j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, \
        j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, \
        j.value ->> 8, j.value ->> 9 \
    FROM json_each($2) AS j, sequences AS s WHERE s.name = 'messages' ORDER BY j.key; \
    UPDATE messages SET hidden_for = recipient_key \
    WHERE id > (SELECT value FROM sequences WHERE name = 'messages') - $1 \
        AND recipient_key IS NOT NULL AND EXISTS ( \
            SELECT 1 FROM blocks b WHERE b.blocker_key = messages.recipient_key \
                AND b.blocked_key = messages.sender_key) \
    RETURNING id, hidden_for;";

/// One message's columns, as the JSON array element [`STORE_BATCH`] reads.
type Columns<'a> = (
    String,
    Option<&'a str>,
    String,
    &'a str,
    Option<String>,
    Option<&'a str>,
    &'a str,
    i64,
    Option<&'a str>,
    Option<i64>,
);

/// Stores `messages` (none a change) in `tx` with the next ids, in their order; returns the
/// last id, and whom each private message now hidden is hidden for, by id.
pub(in crate::store) async fn store_batch(
    tx: &mut sqlx::Transaction<'_, Any>,
    messages: &[&NewMessage],
) -> Result<(i64, HashMap<i64, String>), StoreError> {
    let rows: Vec<Columns<'_>> = messages
        .iter()
        .map(|new| {
            let (room, recipient_key, recipient) = new.to.columns();
            (
                new.conversation_key(),
                room,
                new.from.key(),
                new.from.as_str(),
                recipient_key,
                recipient,
                new.body.as_str(),
                to_i64(new.at),
                new.req.as_deref(),
                new.reply_to.map(to_i64),
            )
        })
        .collect();
    let json = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let count = i64::try_from(messages.len()).unwrap_or(i64::MAX);
    let answers = sqlx::query(STORE_BATCH)
        .bind(count)
        .bind(json)
        .fetch_all(&mut **tx)
        .await?;
    let mut last = None;
    let mut hidden = HashMap::new();
    for row in answers {
        if row.columns().len() == 1 {
            last = Some(row.try_get::<i64, _>(0)?);
        } else {
            hidden.insert(row.try_get("id")?, row.try_get("hidden_for")?);
        }
    }
    let last = last.ok_or(sqlx::Error::RowNotFound)?;
    Ok((last, hidden))
}
