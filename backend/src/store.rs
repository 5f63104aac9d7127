//! Durable state behind one trait, so the engine can change (SQLite now, PostgreSQL for
//! several nodes later) without the rest of the server noticing.
//!
//! Today the store keeps accounts (who owns which name, with an optional password hash) and
//! sessions (hashes of the tokens that prove it). Message history comes next, behind the same
//! trait.

use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use shared::UserName;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

/// An account: the owner of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: UserName,
    /// argon2id PHC string; `None` when the session token is the only key.
    pub password_hash: Option<String>,
}

/// Identifies a session without being the secret: the hex SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the name is taken")]
    NameTaken,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What the server needs from durable storage.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the account for `name`; [`StoreError::NameTaken`] when the name (ignoring case)
    /// has an owner already.
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError>;
    /// The account that owns `name`, ignoring case.
    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError>;
    /// Deletes the account that owns `name` and all its sessions.
    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError>;
    /// Records a new session of `name`'s owner.
    async fn create_session(&self, id: &SessionId, name: &UserName) -> Result<(), StoreError>;
    /// The account a session belongs to.
    async fn find_session(&self, id: &SessionId) -> Result<Option<Account>, StoreError>;
    /// Ends a session; returns how many sessions its account still has.
    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError>;
}

/// The embedded default: one SQLite file in the data directory.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) `chat.db` in `data_dir` and runs the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(data_dir.join("chat.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

fn now_ms() -> i64 {
    i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX)
}

fn account_from(name: &str, password_hash: Option<String>) -> Result<Account, StoreError> {
    let name = UserName::parse(name).map_err(|e| StoreError::Corrupt(format!("{name:?}: {e}")))?;
    Ok(Account {
        name,
        password_hash,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO accounts (name_key, name, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(name.key())
        .bind(name.as_str())
        .bind(password_hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::NameTaken),
            Err(e) => Err(e.into()),
        }
    }

    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT name, password_hash FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| account_from(r.get("name"), r.get("password_hash")))
            .transpose()
    }

    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM accounts WHERE name_key = $1")
            .bind(name.key())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_session(&self, id: &SessionId, name: &UserName) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, name_key, created_at) VALUES ($1, $2, $3)")
            .bind(&id.0)
            .bind(name.key())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn find_session(&self, id: &SessionId) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT a.name, a.password_hash FROM sessions s \
             JOIN accounts a ON a.name_key = s.name_key WHERE s.token_hash = $1",
        )
        .bind(&id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_from(r.get("name"), r.get("password_hash")))
            .transpose()
    }

    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE name_key = $1")
            .bind(name.key())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(left).unwrap_or(0))
    }
}
