//! Confusable skeletons of account names (`accounts.name_skeleton`, migration 0007): the unique
//! index that keeps two accounts from having names that look alike, and its backfill.
//!
//! SQL cannot compute a skeleton, so rows written before the column existed (or by a server of
//! an older version during a rolling upgrade) have none; [`backfill`] computes theirs in Rust
//! every time the store opens, oldest account first. When two old accounts already look alike,
//! the older keeps the skeleton and the younger keeps its name with none (nobody loses a name
//! they hold), and a warning says so; no new account can look like either.

use shared::UserName;
use sqlx::{AnyPool, Row};

use super::StoreError;

/// Fills in `name_skeleton` where it is NULL. Returns how many rows got one.
pub(super) async fn backfill(pool: &AnyPool) -> Result<u64, StoreError> {
    let rows = sqlx::query(
        "SELECT name_key, name FROM accounts WHERE name_skeleton IS NULL \
         ORDER BY created_at, name_key",
    )
    .fetch_all(pool)
    .await?;
    let mut filled = 0;
    for row in rows {
        let key: String = row.try_get("name_key")?;
        let name: String = row.try_get("name")?;
        let Ok(parsed) = UserName::parse(&name) else {
            tracing::warn!(%name, "stored account name breaks the naming rules: no skeleton");
            continue;
        };
        let result = sqlx::query(
            "UPDATE accounts SET name_skeleton = $1 WHERE name_key = $2 AND name_skeleton IS NULL",
        )
        .bind(parsed.skeleton())
        .bind(&key)
        .execute(pool)
        .await;
        match result {
            Ok(done) => filled += done.rows_affected(),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tracing::warn!(%name, "account name looks like an older account's: no skeleton");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Why inserting the account `name` broke a unique index: its key is taken
/// ([`StoreError::NameTaken`]), or its skeleton ([`StoreError::NameConfusable`]). If the owner
/// went away meanwhile, `NameTaken`: the claim may be tried again. Asked on the connection of
/// the transaction that tried, so that it sees the accounts that transaction created.
pub(super) async fn which_taken(conn: &mut sqlx::AnyConnection, name: &UserName) -> StoreError {
    let found = sqlx::query(
        "SELECT name, name_key FROM accounts WHERE name_key = $1 OR name_skeleton = $2",
    )
    .bind(name.key())
    .bind(name.skeleton())
    .fetch_all(conn)
    .await;
    let rows = match found {
        Ok(rows) => rows,
        Err(e) => return e.into(),
    };
    for row in &rows {
        let key: Result<String, _> = row.try_get("name_key");
        if key.ok().as_deref() == Some(name.key().as_str()) {
            return StoreError::NameTaken;
        }
    }
    rows.first()
        .and_then(|row| row.try_get::<String, _>("name").ok())
        .and_then(|like| UserName::parse(&like).ok())
        .map_or(StoreError::NameTaken, |like| StoreError::NameConfusable {
            like,
        })
}
