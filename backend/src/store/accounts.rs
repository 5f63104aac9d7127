//! Accounts, and the sessions that prove them: creating an account (with its first session),
//! finding one by name or by session, ending a session, and deleting an account with its
//! private conversations.

use shared::{RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::conversations::mark_all_read;
use super::sql::{now_ms, padded, placeholders, room, to_i64, to_u64, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::{Account, NewSession, SessionId, SessionOwner, SessionRecord, StoreError};
use crate::message::Conversation;

/// [`Store::create_account`](super::Store::create_account).
pub(super) async fn create_account(
    store: &SqlStore,
    name: &UserName,
    password_hash: Option<&str>,
    session: Option<&NewSession>,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    if !insert_account_row(&mut tx, name, password_hash, 0).await? {
        return Err(super::skeletons::which_taken(&mut tx, name).await);
    }
    if let Some(session) = session {
        insert_session(session, name).execute(&mut *tx).await?;
    }
    // A newcomer starts with the lobby read: its past is history, not news.
    let lobby = Conversation::Room(RoomName::lobby()).key();
    mark_all_read(store, &mut tx, name, &lobby).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts the account `name`'s row in `tx`, used now, its private conversations starting
/// above `history_from`; `false`, with nothing inserted, when a unique index holds its key or
/// its skeleton already. (`ON CONFLICT DO NOTHING` rather than the error: the transaction
/// goes on, so a batch of sign-ins keeps its other accounts, and on PostgreSQL a claim
/// racing another one waits for it to commit, then does nothing.)
pub(super) async fn insert_account_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &UserName,
    password_hash: Option<&str>,
    history_from: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO accounts (name_key, name, password_hash, created_at, name_skeleton, \
         last_used_at, history_from) VALUES ($1, $2, $3, $4, $5, $4, $6) ON CONFLICT DO NOTHING",
    )
    .bind(name.key())
    .bind(name.as_str())
    .bind(password_hash)
    .bind(now_ms())
    .bind(name.skeleton())
    .bind(history_from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// [`Store::find_account`](super::Store::find_account).
pub(super) async fn find_account(
    store: &SqlStore,
    name: &UserName,
) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(
        "SELECT name, password_hash, last_used_at AS account_used_at, disabled_at FROM accounts \
         WHERE name_key = $1",
    )
    .bind(name.key())
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(account_from).transpose()
}

/// [`Store::delete_account`](super::Store::delete_account).
pub(super) async fn delete_account(store: &SqlStore, name: &UserName) -> Result<(), StoreError> {
    // Its private conversations go too, for both participants: whoever claims the name
    // next must not read them. Room messages stay; memberships, sessions and read markers
    // follow the account.
    let mut tx = store.pool.begin().await?;
    // The sequence's lock first, as `append` does: no message can join one of these
    // conversations between the statements below (and SQLite starts writing at once,
    // instead of failing to upgrade a read transaction that a commit overtook).
    sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
        .execute(&mut *tx)
        .await?;
    // The lists' rows first, the other participants' and then the name's own, each saying
    // which conversation it was (a conversation with oneself has one row, which the first
    // takes): with the lists file, writing to it first takes its lock before anything is
    // read from it.
    let mut conversations: Vec<String> = sqlx::query_scalar(&store.sql.delete_others_rows)
        .bind(name.key())
        .fetch_all(&mut *tx)
        .await?;
    let own: Vec<String> = sqlx::query_scalar(&store.sql.delete_own_rows)
        .bind(name.key())
        .fetch_all(&mut *tx)
        .await?;
    conversations.extend(own);
    if let Some(unlisted) = &store.sql.unlisted {
        let unlisted: Vec<String> = sqlx::query_scalar(unlisted)
            .bind(name.key())
            .fetch_all(&mut *tx)
            .await?;
        conversations.extend(unlisted);
    }
    conversations.sort_unstable();
    conversations.dedup();
    // Their messages by a list of conversations, which both engines look up in the
    // (conversation, id) index; given a subquery, PostgreSQL may rather scan every message.
    // With the lists file: the messages its entries name, the entries, the messages above
    // the id it covers.
    // Its reactions and its changes' rows go with it, and those of the conversations going.
    sqlx::query("DELETE FROM reactions WHERE user_key = $1")
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    for chunk in conversations.chunks(LOOKUP_ROWS) {
        let size = padded(chunk.len());
        let these = placeholders(store.engine, 1, size, 1);
        let statements = [
            format!(
                "DELETE FROM reactions WHERE message_id IN ( \
                     SELECT c.message_id FROM changes c WHERE c.conversation IN {these})"
            ),
            format!("DELETE FROM changes WHERE conversation IN {these}"),
        ];
        for sql in statements
            .iter()
            .chain(&delete_conversations_sql(store, size))
        {
            let mut query = sqlx::query(sql);
            for i in 0..size {
                query = query.bind(chunk[i.min(chunk.len() - 1)].as_str());
            }
            query.execute(&mut *tx).await?;
        }
    }
    sqlx::query("DELETE FROM accounts WHERE name_key = $1")
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::replace_account`](super::Store::replace_account).
pub(super) async fn replace_account(
    store: &SqlStore,
    name: &UserName,
    password_hash: Option<&str>,
    session: Option<&NewSession>,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    replace_in(store, &mut tx, name, password_hash, session, None).await?;
    tx.commit().await?;
    Ok(())
}

/// [`replace_account`] in `tx`, which the caller commits (or rolls back on an error).
/// `unused_before`: only if the account holding `name` still has no password, is not
/// disabled nor an administrator (`admin grant`), and neither it nor a session of it was used since that time (ms since the
/// epoch); else [`StoreError::NameTaken`], nothing changed (someone else released it first,
/// or its owner came back).
pub(super) async fn replace_in(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &UserName,
    password_hash: Option<&str>,
    session: Option<&NewSession>,
    unused_before: Option<u64>,
) -> Result<(), StoreError> {
    // The sequence's lock first, as `append` does: no message is stored between reading the
    // newest id and creating the account that reads above it. (It also makes two releases of
    // one name, on any node, take turns: the second sees the first's new account below.)
    sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
        .execute(&mut **tx)
        .await?;
    if let Some(before) = unused_before {
        let releasable: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE name_key = $1 AND password_hash IS NULL \
             AND disabled_at IS NULL AND admin_since IS NULL AND last_used_at < $2 \
             AND NOT EXISTS \
             (SELECT 1 FROM sessions WHERE name_key = $1 AND last_used_at >= $2)",
        )
        .bind(name.key())
        .bind(to_i64(before))
        .fetch_one(&mut **tx)
        .await?;
        if releasable == 0 {
            return Err(StoreError::NameTaken);
        }
    }
    let history_from: i64 =
        sqlx::query_scalar("SELECT value FROM sequences WHERE name = 'messages'")
            .fetch_one(&mut **tx)
            .await?;
    // The old holder's own list rows (writing to the lists first, as `delete_account` does);
    // the other participants keep theirs, and the messages.
    let mut conversations: Vec<String> = sqlx::query_scalar(&store.sql.delete_own_rows)
        .bind(name.key())
        .fetch_all(&mut **tx)
        .await?;
    if let Some(unlisted) = &store.sql.unlisted {
        let unlisted: Vec<String> = sqlx::query_scalar(unlisted)
            .bind(name.key())
            .fetch_all(&mut **tx)
            .await?;
        conversations.extend(unlisted);
    }
    conversations.sort_unstable();
    conversations.dedup();
    // The old holder's uploads are no longer the name's: not to read, send or export.
    super::files::release(tx, name, history_from, now_ms()).await?;
    // The rooms he owned pass on, as when an owner leaves.
    let owned: Vec<String> = sqlx::query_scalar(
        "SELECT room FROM memberships WHERE name_key = $1 AND role = 'owner' ORDER BY room",
    )
    .bind(name.key())
    .fetch_all(&mut **tx)
    .await?;
    // Deleting the account deletes with it (`ON DELETE CASCADE`) everything else of the old
    // holder's that is keyed by the name: mentions, invitations, bans, blocks, export
    // tickets; and with the memberships, the roles in rooms.
    for sql in [
        "DELETE FROM read_markers WHERE name_key = $1",
        "DELETE FROM memberships WHERE name_key = $1",
        "DELETE FROM sessions WHERE name_key = $1",
        "DELETE FROM accounts WHERE name_key = $1",
    ] {
        sqlx::query(sql).bind(name.key()).execute(&mut **tx).await?;
    }
    for owned in &owned {
        super::memberships::pass_on(tx, &room(owned)?).await?;
    }
    if !insert_account_row(tx, name, password_hash, history_from).await? {
        return Err(super::skeletons::which_taken(tx, name).await);
    }
    if let Some(session) = session {
        insert_session(session, name).execute(&mut **tx).await?;
    }
    // A newcomer starts with the lobby read, and the old conversations are read for the new
    // holder: when one comes back to his list (a new message in it), only the messages above
    // `history_from` count as unread.
    let lobby = Conversation::Room(RoomName::lobby()).key();
    mark_all_read(store, tx, name, &lobby).await?;
    for conversation in &conversations {
        mark_all_read(store, tx, name, conversation).await?;
    }
    Ok(())
}

/// Where the private conversations of `name` start for its holder: the newest message id when
/// the account was created by releasing the name (`accounts.history_from`), or 0.
pub(super) async fn history_from(store: &SqlStore, name: &UserName) -> Result<u64, StoreError> {
    history_from_on(&store.pool, name).await
}

/// [`history_from`], read through `db` (a connection a caller holds for several reads).
pub(super) async fn history_from_on<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    name: &UserName,
) -> Result<u64, StoreError> {
    let value: Option<i64> =
        sqlx::query_scalar("SELECT history_from FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .fetch_optional(db)
            .await?;
    Ok(value.map_or(0, to_u64))
}

/// [`Store::set_password`](super::Store::set_password).
pub(super) async fn set_password(
    store: &SqlStore,
    name: &UserName,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE accounts SET password_hash = $1 WHERE name_key = $2 AND password_hash IS NULL",
    )
    .bind(password_hash)
    .bind(name.key())
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// [`Store::create_session`](super::Store::create_session).
pub(super) async fn create_session(
    store: &SqlStore,
    session: &NewSession,
    name: &UserName,
) -> Result<(), StoreError> {
    insert_session(session, name).execute(&store.pool).await?;
    Ok(())
}

/// The statement that records `session` of `name`'s owner, used now.
pub(super) fn insert_session<'q>(
    session: &'q NewSession,
    name: &UserName,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, name_key, created_at, last_used_at, user_agent, address) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(session.id.0.as_str())
    .bind(name.key())
    .bind(now)
    .bind(now)
    .bind(session.user_agent.as_deref())
    .bind(session.address.as_deref())
}

/// [`Store::touch_session`](super::Store::touch_session).
pub(super) async fn touch_session(
    store: &SqlStore,
    id: &SessionId,
    at_ms: u64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET last_used_at = $1 WHERE token_hash = $2 AND last_used_at < $1",
    )
    .bind(to_i64(at_ms))
    .bind(&id.0)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// [`Store::set_last_seen`](super::Store::set_last_seen).
pub(super) async fn set_last_seen(
    store: &SqlStore,
    seen: &[(UserName, u64)],
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    for (name, at_ms) in seen {
        sqlx::query(
            "UPDATE accounts SET last_seen_at = $1 \
             WHERE name_key = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)",
        )
        .bind(to_i64(*at_ms))
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// [`Store::sessions_of`](super::Store::sessions_of).
pub(super) async fn sessions_of(
    store: &SqlStore,
    name: &UserName,
) -> Result<Vec<SessionRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT token_hash, created_at, last_used_at, user_agent, address FROM sessions \
         WHERE name_key = $1 ORDER BY created_at, token_hash",
    )
    .bind(name.key())
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SessionRecord {
                id: SessionId(row.try_get("token_hash")?),
                created_at: to_u64(row.try_get("created_at")?),
                last_used_at: to_u64(row.try_get("last_used_at")?),
                user_agent: row.try_get("user_agent")?,
                address: row.try_get("address")?,
            })
        })
        .collect()
}

/// [`Store::find_session`](super::Store::find_session).
pub(super) async fn find_session(
    store: &SqlStore,
    id: &SessionId,
) -> Result<Option<SessionOwner>, StoreError> {
    // Every WebSocket's upgrade checks its token: on a connection kept for the opening
    // reads, given back without a ping (see `kept`).
    let mut conn = store.opening_conn().await?;
    let row = sqlx::query(
        "SELECT a.name, a.password_hash, a.last_used_at AS account_used_at, a.disabled_at, \
             s.last_used_at \
         FROM sessions s \
         JOIN accounts a ON a.name_key = s.name_key WHERE s.token_hash = $1",
    )
    .bind(&id.0)
    .fetch_optional(&mut *conn)
    .await?;
    conn.give_back();
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(SessionOwner {
        account: account_from(&row)?,
        last_used_at: to_u64(row.try_get("last_used_at")?),
    }))
}

/// [`Store::delete_session`](super::Store::delete_session).
pub(super) async fn delete_session(
    store: &SqlStore,
    id: &SessionId,
    name: &UserName,
) -> Result<u64, StoreError> {
    let mut tx = store.pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&id.0)
        .execute(&mut *tx)
        .await?;
    // The account was in use until now: its inactivity counts from here.
    sqlx::query("UPDATE accounts SET last_used_at = $1 WHERE name_key = $2 AND last_used_at < $1")
        .bind(now_ms())
        .bind(name.key())
        .execute(&mut *tx)
        .await?;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE name_key = $1")
        .bind(name.key())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(to_u64(left))
}

/// The account a row of `accounts` holds.
fn account_from(row: &AnyRow) -> Result<Account, StoreError> {
    let name: String = row.try_get("name")?;
    let name = UserName::parse(&name).map_err(|e| StoreError::Corrupt(format!("{name:?}: {e}")))?;
    Ok(Account {
        name,
        password_hash: row.try_get("password_hash")?,
        last_used_at: to_u64(row.try_get("account_used_at")?),
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

/// The statements that delete the messages of `n` conversations (and, with the lists file,
/// their entries in it).
pub(super) fn delete_conversations_sql(store: &SqlStore, n: usize) -> Vec<String> {
    let these = placeholders(store.engine, 1, n, 1);
    store.lists.delete_conversations_sql(&these)
}
