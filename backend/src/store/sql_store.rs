//! [`SqlStore`]: the [`Store`](super::Store) over SQL, opened on SQLite or PostgreSQL (each
//! engine's module says how), and closed. What it answers is in the module of each concern.

use std::path::Path;
use std::sync::Arc;

use sqlx::AnyPool;

use super::kept::{Kept, Writer};
use super::lists::{Lists, ListsSql};
use super::search::{search_sql, SearchIndex};
use super::sql::Engine;
use super::{postgres, sqlite, StoreError};
use crate::tasks::Tasks;

/// The [`Store`](super::Store) over SQL: SQLite or PostgreSQL, one set of statements for both
/// but for where the conversation lists live. A cheap handle: clones share the connections.
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Connections through sqlx's `Any` driver, all to one engine.
    pub(super) pool: AnyPool,
    /// Where `append` runs. SQLite: one connection of its own, so that its page cache lives:
    /// SQLite empties a connection's cache whenever another connection has written, so with
    /// batches taking turns on the pool's connections each one read again the pages the
    /// previous batch wrote (7.4 pages read per message instead of 5.4, same cache size).
    /// The journal stores one batch at a time anyway; it is kept between uses, unpinged
    /// (`kept::Writer`). PostgreSQL: the pool.
    pub(super) writer: Writer,
    /// SQLite: the connections of the WebSockets' opening reads, given back without sqlx's
    /// ping (see `kept`). PostgreSQL: `None`, those reads use the pool.
    pub(super) kept: Option<Arc<Kept>>,
    /// Which engine the pool talks to.
    pub(super) engine: Engine,
    /// Where the conversation lists and the private messages' (conversation, id) index live:
    /// SQLite's lists file, with its connections, or PostgreSQL's tables.
    pub(super) lists: Arc<dyn Lists>,
    /// The statements that go through the lists, composed once for them.
    pub(super) sql: Arc<ListsSql>,
    /// The engine's full-text index of message bodies.
    pub(super) search: &'static dyn SearchIndex,
    /// The search statement over it, composed once.
    pub(super) search_sql: Arc<str>,
}

/// The name `SqlStore` had when SQLite was its only engine; `SqliteStore::open(dir, tasks)`
/// still opens `chat.db` in `dir`.
pub type SqliteStore = SqlStore;

impl SqlStore {
    /// Opens (creating when missing) `chat.db` in `data_dir` and runs the migrations: the
    /// embedded default. Its checkpoint and lists tasks are spawned through `tasks`.
    pub async fn open(data_dir: &Path, tasks: &Tasks) -> Result<Self, StoreError> {
        Self::open_with(data_dir, tasks, sqlite::Policy::default()).await
    }

    /// [`SqlStore::open`], with checkpoints run by `checkpoints`.
    pub(super) async fn open_with(
        data_dir: &Path,
        tasks: &Tasks,
        checkpoints: sqlite::Policy,
    ) -> Result<Self, StoreError> {
        let url = sqlite::url_in(data_dir)?;
        Ok(Self::of_sqlite(
            sqlite::open(&url, tasks, checkpoints).await?,
        ))
    }

    /// Connects to the database `url` names and runs the migrations. `postgres://…` or
    /// `postgresql://…` is PostgreSQL; `sqlite:<path>` is that SQLite file, created when missing
    /// unless the URL sets a `mode`, its tasks spawned through `tasks`.
    pub async fn connect(url: &str, tasks: &Tasks) -> Result<Self, StoreError> {
        let engine = Engine::of(url)?;
        Ok(match engine {
            Engine::Postgres => {
                let (pool, writer, lists) = postgres::open(url).await?;
                Self::new(engine, pool, Writer::pooled(writer), None, lists)
            }
            Engine::Sqlite => {
                let url = sqlite::url_of(url)?;
                Self::of_sqlite(sqlite::open(&url, tasks, sqlite::Policy::default()).await?)
            }
        })
    }

    /// The store over what [`sqlite::open`] opened.
    fn of_sqlite(opened: sqlite::Opened) -> Self {
        Self::new(
            Engine::Sqlite,
            opened.pool,
            opened.writer,
            Some(Arc::new(opened.kept)),
            opened.lists,
        )
    }

    /// The store over `pool` and `writer` (and `kept`, on SQLite), with its lists kept by
    /// `lists`.
    pub(super) fn new(
        engine: Engine,
        pool: AnyPool,
        writer: Writer,
        kept: Option<Arc<Kept>>,
        lists: Arc<dyn Lists>,
    ) -> Self {
        let sql = Arc::new(ListsSql::new(lists.as_ref()));
        let search: &'static dyn SearchIndex = match engine {
            Engine::Sqlite => &sqlite::Fts5,
            Engine::Postgres => &postgres::TsVector,
        };
        let search_sql = search_sql(search, &sql.own_private).into();
        Self {
            pool,
            writer,
            kept,
            engine,
            lists,
            sql,
            search,
            search_sql,
        }
    }

    /// Closes every connection, waiting for those in use to come back. (SQLite's tasks end
    /// then too, if [`Tasks::shutdown`] has not stopped them before.)
    pub async fn close(&self) {
        self.lists.close().await;
        self.writer.close().await;
        if let Some(kept) = &self.kept {
            kept.close().await;
        }
        self.pool.close().await;
    }

    /// Brings the conversation lists up to every message stored so far, as the background
    /// task does each second (SQLite; on PostgreSQL they always are); returns how many ids it
    /// covered. For tests and tools that look at the lists file.
    pub async fn catch_up_lists(&self) -> Result<u64, StoreError> {
        self.lists.catch_up().await
    }
}
