//! Safety's part of the store ([`Safety`], a supertrait of [`Store`](super::Store)):
//! administrators, disabled accounts, blocks, the figures an administrator reads, and
//! retention (per room, and the deletion of old messages in bounded batches).
//!
//! A private message whose recipient blocks its sender is stored with `hidden_for` set to the
//! recipient, in the transaction that stores it (`append` calls [`hide_blocked`]): its sender
//! sees it like any other, its recipient never does (delivery, replay, history, search,
//! unread counts). Changes to it carry the same mark.

use std::collections::HashMap;

use async_trait::async_trait;
use shared::{RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::sql::{now_ms, placeholders, room, to_u64, user, Engine};
use super::sql_store::SqlStore;
use super::{SessionId, StoreError};

/// What the store counts for an administrator's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredFigures {
    pub accounts: u64,
    pub disabled_accounts: u64,
    /// Messages stored, changes not counted.
    pub messages: u64,
}

/// What a connection reads of its standing: whether its session still stands, and whom its
/// user blocks. A session ended or an account disabled after the upgrade checked the token,
/// but before the connection joined the hub, closed nothing of it: read with its start
/// (before joining), it holds only if the hub heard of no such change meanwhile, else it is
/// read again once the connection has joined (anything later closes it through the hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub standing: Standing,
    /// Everyone the user blocks, as displayed, in name-key order (empty unless `Active`).
    pub blocked: Vec<UserName>,
}

/// Whether a session may still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// Signed out, revoked or expired: there is no such session any more.
    Ended,
    /// Its account is disabled.
    Disabled,
}

/// Which messages one retention pass deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// Every conversation's (`--retention-days`).
    All,
    /// One room's (its owner's setting).
    Room(RoomName),
}

/// Safety's durable state.
#[async_trait]
pub trait Safety: Send + Sync + 'static {
    /// Makes the account `name` an administrator, or no longer one; its name as displayed,
    /// `None` when there is no such account.
    async fn set_admin(&self, name: &UserName, admin: bool)
        -> Result<Option<UserName>, StoreError>;
    /// Whether the account `name` was made an administrator (`chat-server admin grant`).
    async fn is_admin(&self, name: &UserName) -> Result<bool, StoreError>;
    /// Disables the account `name`, or enables it again; its name as displayed, `None` when
    /// there is no such account.
    async fn set_disabled(
        &self,
        name: &UserName,
        disabled: bool,
    ) -> Result<Option<UserName>, StoreError>;
    /// Records that `blocker` blocks `blocked` (again: no error).
    async fn block(&self, blocker: &UserName, blocked: &UserName) -> Result<(), StoreError>;
    /// Records that `blocker` no longer blocks `blocked`.
    async fn unblock(&self, blocker: &UserName, blocked: &UserName) -> Result<(), StoreError>;
    /// Whether `session` still stands, and whom its account blocks, in one read.
    async fn opening(&self, session: &SessionId) -> Result<Opening, StoreError>;
    /// Everyone `blocker` blocks, as displayed, in name-key order.
    async fn blocked_by(&self, blocker: &UserName) -> Result<Vec<UserName>, StoreError>;
    /// Accounts, disabled accounts and messages stored.
    async fn figures(&self) -> Result<StoredFigures, StoreError>;
    /// Sets (or, with `None`, clears) how many days `room` keeps its messages.
    async fn set_room_retention(
        &self,
        room: &RoomName,
        days: Option<u32>,
        by: &UserName,
    ) -> Result<(), StoreError>;
    /// Every room with a retention of its own, and its days.
    async fn room_retentions(&self) -> Result<Vec<(RoomName, u32)>, StoreError>;
    /// Deletes at most `batch` of the oldest messages of `scope` stored before `before_ms`
    /// (ms since the Unix epoch), with their changes, reactions, mentions and search entries;
    /// returns how many it deleted. Messages are taken in id order and the pass stops at the
    /// first one that is not old enough, so a message newer than the cut is never deleted.
    async fn expire(&self, scope: &Expiry, before_ms: u64, batch: u32) -> Result<u64, StoreError>;
}

#[async_trait]
impl Safety for SqlStore {
    async fn set_admin(
        &self,
        name: &UserName,
        admin: bool,
    ) -> Result<Option<UserName>, StoreError> {
        let sql = "UPDATE accounts SET admin_since = CASE WHEN $2 IS NULL THEN NULL \
                       ELSE COALESCE(admin_since, $2) END WHERE name_key = $1 RETURNING name";
        updated_name(self, sql, name, admin).await
    }

    async fn is_admin(&self, name: &UserName) -> Result<bool, StoreError> {
        let since: Option<Option<i64>> =
            sqlx::query_scalar("SELECT admin_since FROM accounts WHERE name_key = $1")
                .bind(name.key())
                .fetch_optional(&self.pool)
                .await?;
        Ok(since.flatten().is_some())
    }

    async fn set_disabled(
        &self,
        name: &UserName,
        disabled: bool,
    ) -> Result<Option<UserName>, StoreError> {
        let sql = "UPDATE accounts SET disabled_at = CASE WHEN $2 IS NULL THEN NULL \
                       ELSE COALESCE(disabled_at, $2) END WHERE name_key = $1 RETURNING name";
        updated_name(self, sql, name, disabled).await
    }

    async fn block(&self, blocker: &UserName, blocked: &UserName) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO blocks (blocker_key, blocked_key, blocked, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (blocker_key, blocked_key) DO NOTHING",
        )
        .bind(blocker.key())
        .bind(blocked.key())
        .bind(blocked.as_str())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unblock(&self, blocker: &UserName, blocked: &UserName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM blocks WHERE blocker_key = $1 AND blocked_key = $2")
            .bind(blocker.key())
            .bind(blocked.key())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn opening(&self, session: &SessionId) -> Result<Opening, StoreError> {
        opening_on(&self.pool, session).await
    }

    async fn blocked_by(&self, blocker: &UserName) -> Result<Vec<UserName>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT blocked FROM blocks WHERE blocker_key = $1 ORDER BY blocked_key",
        )
        .bind(blocker.key())
        .fetch_all(&self.pool)
        .await?;
        names.iter().map(|n| user(n)).collect()
    }

    async fn figures(&self) -> Result<StoredFigures, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM accounts) AS accounts, \
                 (SELECT COUNT(*) FROM accounts WHERE disabled_at IS NOT NULL) AS disabled, \
                 (SELECT COUNT(*) FROM messages) AS messages",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StoredFigures {
            accounts: to_u64(row.try_get("accounts")?),
            disabled_accounts: to_u64(row.try_get("disabled")?),
            messages: to_u64(row.try_get("messages")?),
        })
    }

    async fn set_room_retention(
        &self,
        room: &RoomName,
        days: Option<u32>,
        by: &UserName,
    ) -> Result<(), StoreError> {
        match days {
            Some(days) => {
                sqlx::query(
                    "INSERT INTO room_retention (room, days, set_by, set_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (room) DO UPDATE \
                     SET days = excluded.days, set_by = excluded.set_by, \
                         set_at = excluded.set_at",
                )
                .bind(room.as_str())
                .bind(i64::from(days))
                .bind(by.key())
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM room_retention WHERE room = $1")
                    .bind(room.as_str())
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn room_retentions(&self) -> Result<Vec<(RoomName, u32)>, StoreError> {
        let rows = sqlx::query("SELECT room, days FROM room_retention ORDER BY room")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let days: i64 = row.try_get("days")?;
                let name: String = row.try_get("room")?;
                Ok((room(&name)?, u32::try_from(days).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    async fn expire(&self, scope: &Expiry, before_ms: u64, batch: u32) -> Result<u64, StoreError> {
        super::retention::expire(self, scope, before_ms, batch).await
    }
}

/// [`Safety::opening`]'s statement, `$1` the session's token hash: one row per block, or
/// one with no block, none at all when the session is gone; its first column is
/// `disabled_at`.
pub(super) const OPENING: &str = "SELECT a.disabled_at, b.blocked FROM sessions s \
     JOIN accounts a ON a.name_key = s.name_key \
     LEFT JOIN blocks b ON b.blocker_key = a.name_key \
     WHERE s.token_hash = $1 ORDER BY b.blocked_key";

/// [`Safety::opening`], read through `db` (a connection a caller holds for several reads).
pub(super) async fn opening_on<'c>(
    db: impl sqlx::Executor<'c, Database = Any>,
    session: &SessionId,
) -> Result<Opening, StoreError> {
    let rows = sqlx::query(OPENING).bind(&session.0).fetch_all(db).await?;
    opening_from(&rows)
}

/// The [`Opening`] that [`OPENING`]'s rows say.
pub(super) fn opening_from(rows: &[AnyRow]) -> Result<Opening, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(Opening {
            standing: Standing::Ended,
            blocked: Vec::new(),
        });
    };
    if first.try_get::<Option<i64>, _>("disabled_at")?.is_some() {
        return Ok(Opening {
            standing: Standing::Disabled,
            blocked: Vec::new(),
        });
    }
    let mut blocked = Vec::new();
    for row in rows {
        if let Some(name) = row.try_get::<Option<String>, _>("blocked")? {
            blocked.push(user(&name)?);
        }
    }
    Ok(Opening {
        standing: Standing::Active,
        blocked,
    })
}

/// Runs `sql` (`$1` the name key, `$2` now when `set`, else NULL) and reads the `name` it
/// returns.
async fn updated_name(
    store: &SqlStore,
    sql: &str,
    name: &UserName,
    set: bool,
) -> Result<Option<UserName>, StoreError> {
    let found: Option<String> = sqlx::query_scalar(sql)
        .bind(name.key())
        .bind(set.then(now_ms))
        .fetch_optional(&store.pool)
        .await?;
    found.as_deref().map(user).transpose()
}

/// In the storing transaction `tx`: marks, among the private messages just stored
/// (`stored`), those whose recipient blocks their sender as hidden from the recipient, and
/// finds, among the private messages changed now (`changed`), those hidden so. Returns
/// both, by id, with whom each is hidden from.
pub(super) async fn hidden(
    engine: Engine,
    tx: &mut sqlx::Transaction<'_, Any>,
    stored: &[i64],
    changed: &[i64],
) -> Result<HashMap<i64, String>, StoreError> {
    let mut hidden = HashMap::new();
    let statements = [
        (
            stored,
            "UPDATE messages SET hidden_for = recipient_key WHERE id IN {these} \
             AND recipient_key IS NOT NULL AND EXISTS ( \
                 SELECT 1 FROM blocks b WHERE b.blocker_key = messages.recipient_key \
                     AND b.blocked_key = messages.sender_key) \
             RETURNING id, hidden_for",
        ),
        (
            changed,
            "SELECT id, hidden_for FROM messages WHERE id IN {these} \
             AND hidden_for IS NOT NULL",
        ),
    ];
    for (ids, sql) in statements {
        for chunk in ids.chunks(super::sql::LOOKUP_ROWS) {
            let sql = sql.replace("{these}", &placeholders(engine, 1, chunk.len(), 1));
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut **tx).await? {
                hidden.insert(row.try_get("id")?, row.try_get("hidden_for")?);
            }
        }
    }
    Ok(hidden)
}
