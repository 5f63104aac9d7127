//! What a connection reads from the store as it starts: before it joins the hub
//! ([`Store::start`]) where its rooms stand, the first page of its private conversations, the
//! invitations its user holds, whether its session still stands and whom its user blocks,
//! all on one of the pool's connections; once it has joined ([`Store::joined`]), when the hub
//! cannot vouch for that standing or the client resumes, the standing again and what it
//! missed, on one connection too.
//!
//! In a reconnection storm each read is a hand-off to a SQLite connection's thread and back,
//! and each connection given back to the pool one more (sqlx pings it): the context switches
//! were most of a reconnection's CPU (docs/benchmarks.md). So on SQLite the four reads go
//! as one string of four statements, one hand-off for a user without private conversations;
//! PostgreSQL, which takes one statement per query with parameters, gets them one after
//! another on the same connection. (Several statements with parameters in one query is
//! something only sqlx's SQLite driver does, and sqlx calls it deprecated: should a later
//! sqlx drop it, the store test comparing `start` with its parts fails, and SQLite can take
//! the one-by-one path too.)
//!
//! Both borrow their connection with [`SqlStore::opening_conn`], which on SQLite gives it
//! back without sqlx's ping (see `kept`).
//!
//! [`Store::start`]: super::Store::start
//! [`Store::joined`]: super::Store::joined

use futures_util::TryStreamExt;
use shared::{ConversationInfo, Invite, RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Column, Row};

use super::conversations::{add_standing, complete, room_keys, standing_sql, Standings};
use super::history::missed_on;
use super::rooms::{invitations_from, INVITATIONS};
use super::safety::{opening_from, opening_on, Opening, Standing, OPENING};
use super::sql::{Engine, LOOKUP_ROWS};
use super::sql_store::SqlStore;
use super::{Missed, SessionId, StoreError};

/// What a connection reads before it joins the hub (see [`Store::start`](super::Store::start)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// Where its rooms stand, in their order, then its newest private conversations, at most
    /// the limit asked for, newest first: as [`Store::conversations_page`] answers without a
    /// cursor.
    ///
    /// [`Store::conversations_page`]: super::Store::conversations_page
    pub conversations: Vec<ConversationInfo>,
    /// The invitations its user holds, to rooms not archived, oldest first.
    pub invitations: Vec<Invite>,
    /// Whether its session stands and whom its user blocks, as
    /// [`Safety::opening`](super::Safety::opening) reads them.
    pub opening: Opening,
}

/// What a resuming client missed, to be read once its connection joined the hub: the
/// messages with ids in `(after, up_to]`, at most `limit` (see
/// [`Store::missed`](super::Store::missed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// The client's `after`.
    pub after: u64,
    /// The last message delivered before the connection joined the hub.
    pub up_to: u64,
    /// `--max-replay`.
    pub limit: u32,
}

/// [`Store::joined`](super::Store::joined): the standing, then what was missed while it
/// stands, on one connection.
pub(super) async fn joined(
    store: &SqlStore,
    session: &SessionId,
    name: &UserName,
    replay: Option<Replay>,
) -> Result<(Opening, Option<Missed>), StoreError> {
    let mut conn = store.opening_conn().await?;
    let opening = opening_on(&mut *conn, session).await?;
    let missed = match replay {
        Some(replay) if opening.standing == Standing::Active => Some(
            missed_on(
                store,
                &mut conn,
                name,
                replay.after,
                replay.up_to,
                replay.limit,
            )
            .await?,
        ),
        _ => None,
    };
    conn.give_back();
    Ok((opening, missed))
}

/// [`Store::start`](super::Store::start).
pub(super) async fn start(
    store: &SqlStore,
    session: &SessionId,
    name: &UserName,
    rooms: &[RoomName],
    limit: u32,
) -> Result<Start, StoreError> {
    let mut conn = store.opening_conn().await?;
    let rooms = room_keys(rooms);
    let keys: Vec<&str> = rooms.iter().map(|(_, key)| key.as_str()).collect();
    let reads = match store.engine {
        Engine::Sqlite if !keys.is_empty() && keys.len() <= LOOKUP_ROWS => {
            together(store, &mut conn, session, name, &keys, limit).await?
        }
        _ => one_by_one(store, &mut conn, session, name, &keys, limit).await?,
    };
    let conversations = complete(
        store,
        &mut conn,
        name,
        rooms,
        reads.standing,
        &reads.private,
    )
    .await?;
    conn.give_back();
    Ok(Start {
        conversations,
        invitations: invitations_from(name, &reads.invitations)?,
        opening: reads.opening,
    })
}

/// The four first reads of a connection's start.
struct Reads {
    /// The rows of `ListsSql::newest_private_page`: the newest private conversations.
    private: Vec<AnyRow>,
    /// Where the rooms stand.
    standing: Standings,
    /// The rows of [`INVITATIONS`].
    invitations: Vec<AnyRow>,
    /// What the rows of [`OPENING`] say.
    opening: Opening,
}

/// The reads as one string of statements (SQLite: one hand-off to the connection's thread),
/// sharing their parameters: `$1` the user's key, `$2` and `$3` the page's cursor and size,
/// the rooms' keys from `$4`, then the session's token hash.
async fn together(
    store: &SqlStore,
    conn: &mut AnyConnection,
    session: &SessionId,
    name: &UserName,
    rooms: &[&str],
    limit: u32,
) -> Result<Reads, StoreError> {
    // [`OPENING`] with its `$1` renumbered to the token hash's place.
    let opening_sql = OPENING.replace("$1", &format!("${}", rooms.len() + 4));
    let sql = format!(
        "{}; {}; {INVITATIONS}; {opening_sql}",
        store.sql.newest_private_page,
        standing_sql(store, rooms.len(), 4)
    );
    let mut query = sqlx::query(&sql)
        .bind(name.key())
        .bind(i64::MAX)
        .bind(i64::from(limit));
    for key in rooms {
        query = query.bind(*key);
    }
    query = query.bind(&session.0);
    // The rows of all four come in one stream, each statement's after the one before;
    // their first columns tell them apart.
    let mut private = Vec::new();
    let mut standing_rows = Vec::new();
    let mut invitations = Vec::new();
    let mut opening_rows = Vec::new();
    let mut rows = query.fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let first = row.columns().first().map(|c| c.name().to_owned());
        match first.as_deref() {
            Some("id") => private.push(row),
            Some("conversation") => standing_rows.push(row),
            Some("room") => invitations.push(row),
            Some("disabled_at") => opening_rows.push(row),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "a row of a connection's start with the first column {other:?}"
                )))
            }
        }
    }
    drop(rows);
    let mut standing = Standings::new();
    add_standing(&mut standing, &standing_rows)?;
    Ok(Reads {
        private,
        standing,
        invitations,
        opening: opening_from(&opening_rows)?,
    })
}

/// The reads one after another, on `conn`.
async fn one_by_one(
    store: &SqlStore,
    conn: &mut AnyConnection,
    session: &SessionId,
    name: &UserName,
    rooms: &[&str],
    limit: u32,
) -> Result<Reads, StoreError> {
    let private = sqlx::query(&store.sql.newest_private_page)
        .bind(name.key())
        .bind(i64::MAX)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    let mut standing = Standings::new();
    for chunk in rooms.chunks(LOOKUP_ROWS) {
        let sql = standing_sql(store, chunk.len(), 2);
        let mut query = sqlx::query(&sql).bind(name.key());
        for key in chunk {
            query = query.bind(*key);
        }
        add_standing(&mut standing, &query.fetch_all(&mut *conn).await?)?;
    }
    let invitations = sqlx::query(INVITATIONS)
        .bind(name.key())
        .fetch_all(&mut *conn)
        .await?;
    let opening = opening_on(&mut *conn, session).await?;
    Ok(Reads {
        private,
        standing,
        invitations,
        opening,
    })
}
