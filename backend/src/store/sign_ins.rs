//! Sign-ins stored in batches ([`Store::write_sessions`](super::Store::write_sessions)): new
//! accounts with their first session, and new sessions of accounts signed in to, many in one
//! transaction (one sync to disk), each with its own outcome.
//!
//! In the transaction the new accounts whose key and look no earlier write of the batch shares
//! go first, in a few multi-row inserts with `ON CONFLICT DO NOTHING`; every other write then
//! goes in turn, so a name taken (before, or by a write earlier in the same batch) fails that
//! write alone, with the answer it would get on its own; a release runs under a savepoint,
//! undone alone when it fails. Then the batch's sessions go in a few multi-row inserts, and
//! the new accounts start with the lobby read in one more.

use std::collections::HashSet;

use shared::{RoomName, UserName};
use sqlx::Acquire;

use super::accounts::{insert_account_row, replace_in};
use super::sql::{insert_chunks, now_ms, placeholders};
use super::sql_store::SqlStore;
use super::{NewSession, Store, StoreError};
use crate::message::Conversation;

/// One write of a batch of sign-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionWrite {
    /// A new account for `name` (protected by `password_hash`, if any) with its first session,
    /// as [`Store::create_account`](super::Store::create_account) makes it.
    Account {
        name: UserName,
        password_hash: Option<String>,
        session: NewSession,
        /// `Some(t)`: in place of the passwordless account that holds `name`, released if
        /// neither it nor a session of it was used since `t` (ms since the epoch), as
        /// [`Store::replace_account`](super::Store::replace_account) does; else the write
        /// fails with [`StoreError::NameTaken`].
        release: Option<u64>,
    },
    /// A new session of the existing account `name` (signed in to with its password).
    Session { name: UserName, session: NewSession },
}

impl SessionWrite {
    /// Roughly the bytes it holds, for the bound on a queue of them.
    pub fn bytes(&self) -> usize {
        let (name, hash, session) = match self {
            Self::Account {
                name,
                password_hash,
                session,
                ..
            } => (name, password_hash.as_deref(), session),
            Self::Session { name, session } => (name, None, session),
        };
        std::mem::size_of::<Self>()
            + name.as_str().len()
            + hash.map_or(0, str::len)
            + session.id.0.len()
            + session.user_agent.as_deref().map_or(0, str::len)
            + session.address.as_deref().map_or(0, str::len)
    }
}

/// [`Store::write_sessions`](super::Store::write_sessions) by default: each write alone, through
/// the store's other methods.
pub(super) async fn one_by_one<S: Store + ?Sized>(
    store: &S,
    batch: &[SessionWrite],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut outcomes = Vec::with_capacity(batch.len());
    for write in batch {
        outcomes.push(match write {
            SessionWrite::Account {
                name,
                password_hash,
                session,
                release,
            } => {
                let hash = password_hash.as_deref();
                match release {
                    Some(_) => store.replace_account(name, hash, Some(session)).await,
                    None => store.create_account(name, hash, Some(session)).await,
                }
            }
            SessionWrite::Session { name, session } => store.create_session(session, name).await,
        });
    }
    Ok(outcomes)
}

/// [`Store::write_sessions`](super::Store::write_sessions) on SQL: one transaction.
pub(super) async fn write_sessions(
    store: &SqlStore,
    batch: &[SessionWrite],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut tx = store.pool.begin().await?;
    let mut outcomes: Vec<Option<Result<(), StoreError>>> =
        std::iter::repeat_with(|| None).take(batch.len()).collect();
    // The sessions to insert after the accounts, and the new accounts that start with the
    // lobby read (a release marks its own).
    let mut sessions: Vec<(&NewSession, &UserName)> = Vec::with_capacity(batch.len());
    let mut newcomers: Vec<&UserName> = Vec::with_capacity(batch.len());
    // First the accounts no earlier write of the batch could have stopped, all at once.
    for i in insert_fresh_accounts(&mut tx, store, batch).await? {
        if let SessionWrite::Account { name, session, .. } = &batch[i] {
            sessions.push((session, name));
            newcomers.push(name);
            outcomes[i] = Some(Ok(()));
        }
    }
    // Then the others, one by one, in order.
    for (write, slot) in batch.iter().zip(&mut outcomes) {
        if slot.is_some() {
            continue;
        }
        let outcome = match write {
            SessionWrite::Account {
                name,
                password_hash,
                session,
                release: None,
            } => {
                if insert_account_row(&mut tx, name, password_hash.as_deref(), 0).await? {
                    sessions.push((session, name));
                    newcomers.push(name);
                    Ok(())
                } else {
                    Err(super::skeletons::which_taken(&mut tx, name).await)
                }
            }
            SessionWrite::Account {
                name,
                password_hash,
                session,
                release: Some(before),
            } => {
                let mut savepoint = (&mut tx).begin().await?;
                let hash = password_hash.as_deref();
                let replaced = replace_in(
                    store,
                    &mut savepoint,
                    name,
                    hash,
                    Some(session),
                    Some(*before),
                )
                .await;
                match replaced {
                    Ok(()) => {
                        savepoint.commit().await?;
                        Ok(())
                    }
                    Err(e @ (StoreError::NameTaken | StoreError::NameConfusable { .. })) => {
                        savepoint.rollback().await?;
                        Err(e)
                    }
                    // Anything else fails the batch: the writer then tries each write alone.
                    Err(e) => return Err(e),
                }
            }
            SessionWrite::Session { name, session } => {
                sessions.push((session, name));
                Ok(())
            }
        };
        *slot = Some(outcome);
    }
    insert_sessions(&mut tx, store, &sessions).await?;
    mark_lobby_read(&mut tx, store, &newcomers).await?;
    tx.commit().await?;
    Ok(outcomes.into_iter().flatten().collect())
}

/// Inserts, in a few multi-row statements, the new accounts of `batch` whose key and whose
/// skeleton no earlier write of it has: those that only an account stored before could stop.
/// Returns the indexes of those created. (Inserting them before the others changes no
/// outcome: a later write that could clash with one of them is not one of them, and is tried
/// after it, as it would be alone.) None when the batch releases a name: then every write
/// goes one by one.
async fn insert_fresh_accounts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    store: &SqlStore,
    batch: &[SessionWrite],
) -> Result<Vec<usize>, StoreError> {
    let releases = batch.iter().any(|w| {
        matches!(
            w,
            SessionWrite::Account {
                release: Some(_),
                ..
            }
        )
    });
    if releases {
        return Ok(Vec::new());
    }
    // The fresh accounts: index, name, password hash, key, skeleton.
    let mut keys = HashSet::new();
    let mut skeletons = HashSet::new();
    let mut fresh: Vec<(usize, &UserName, Option<&str>, String, String)> = Vec::new();
    for (i, write) in batch.iter().enumerate() {
        if let SessionWrite::Account {
            name,
            password_hash,
            ..
        } = write
        {
            let (key, skeleton) = (name.key(), name.skeleton());
            let new_key = keys.insert(key.clone());
            let new_look = skeletons.insert(skeleton.clone());
            if new_key && new_look {
                fresh.push((i, name, password_hash.as_deref(), key, skeleton));
            }
        }
    }
    let now = now_ms();
    let mut created = Vec::with_capacity(fresh.len());
    let mut rest = fresh.as_slice();
    for size in insert_chunks(fresh.len()) {
        let (chunk, after) = rest.split_at(size);
        rest = after;
        let sql = format!(
            "INSERT INTO accounts (name_key, name, password_hash, created_at, name_skeleton, \
             last_used_at, history_from) VALUES {} ON CONFLICT DO NOTHING RETURNING name_key",
            placeholders(store.engine, size, 7, 1)
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for (_, name, password_hash, key, skeleton) in chunk {
            query = query
                .bind(key.as_str())
                .bind(name.as_str())
                .bind(*password_hash)
                .bind(now)
                .bind(skeleton.as_str())
                .bind(now)
                .bind(0_i64);
        }
        let inserted: HashSet<String> = query.fetch_all(&mut **tx).await?.into_iter().collect();
        created.extend(
            chunk
                .iter()
                .filter(|(_, _, _, key, _)| inserted.contains(key))
                .map(|(i, ..)| *i),
        );
    }
    Ok(created)
}

/// Records `sessions` (each of its account), used now, in a few multi-row inserts.
async fn insert_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    store: &SqlStore,
    sessions: &[(&NewSession, &UserName)],
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut rest = sessions;
    for size in insert_chunks(sessions.len()) {
        let (chunk, after) = rest.split_at(size);
        rest = after;
        let sql = format!(
            "INSERT INTO sessions (token_hash, name_key, created_at, last_used_at, user_agent, \
             address) VALUES {}",
            placeholders(store.engine, size, 6, 1)
        );
        let mut query = sqlx::query(&sql);
        for (session, name) in chunk {
            query = query
                .bind(session.id.0.as_str())
                .bind(name.key())
                .bind(now)
                .bind(now)
                .bind(session.user_agent.as_deref())
                .bind(session.address.as_deref());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks the lobby read for the new accounts `names`, up to its newest message (read once for
/// them all), in a few multi-row inserts: a newcomer's past is history, not news.
async fn mark_lobby_read(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    store: &SqlStore,
    names: &[&UserName],
) -> Result<(), StoreError> {
    if names.is_empty() {
        return Ok(());
    }
    let lobby = Conversation::Room(RoomName::lobby()).key();
    let newest: i64 = sqlx::query_scalar(&format!(
        "SELECT COALESCE({}, 0)",
        store.lists.last_id_sql("$1")
    ))
    .bind(lobby.as_str())
    .fetch_one(&mut **tx)
    .await?;
    let mut rest = names;
    for size in insert_chunks(names.len()) {
        let (chunk, after) = rest.split_at(size);
        rest = after;
        let sql = format!(
            "INSERT INTO read_markers (name_key, conversation, up_to) VALUES {} \
             ON CONFLICT (name_key, conversation) DO UPDATE SET up_to = excluded.up_to \
             WHERE read_markers.up_to < excluded.up_to",
            placeholders(store.engine, size, 3, 1)
        );
        let mut query = sqlx::query(&sql);
        for name in chunk {
            query = query.bind(name.key()).bind(lobby.as_str()).bind(newest);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
