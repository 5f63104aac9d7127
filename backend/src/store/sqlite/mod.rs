//! The SQLite engine: `chat.db`, the lists file beside it, and the tasks that keep both.
//!
//! Every connection runs with `journal_mode=WAL`, `synchronous=FULL` (an acknowledged message
//! survives a power cut; group commit keeps that cheap) and `foreign_keys=ON`; commits never
//! checkpoint the WAL, `checkpoint`'s task does.
//!
//! **The lists file.** The conversation lists and the private messages' `(conversation, id)`
//! index live in a second file beside the database (`chat-lists.db` beside `chat.db`, attached
//! to every connection as `lists`): the rows, and the private messages' `(conversation, id)`
//! entries as a table (`lists.conversation_ids`), written by `lists_task` once a second from
//! the private messages stored since, with the last id it covered (`lists.indexed`), in one
//! transaction of that file alone (`rounds`). `chat.db` indexes only room messages by
//! conversation (`schema::ROOM_INDEX`). A private message's list row or index entry lands on a
//! random page (its conversation's place among all of them), and SQLite has one writer per
//! file: written with each batch, they took most of the time a private message waited to be
//! stored, and the index's page splits made commits sweep the writer's whole page cache
//! (docs/benchmarks.md). Readers take the rows and entries and, for messages above that id,
//! the messages themselves, found by id (`lists_file`). All of it derives from `messages`: a
//! lost or deleted lists file is rebuilt as the store opens (`schema`).
//!
//! - `batch`: storing a batch of new messages in one hand-off to the connection's thread.
//! - `schema`: the lists file's tables, and preparing them as the store opens.
//! - `lists_file`: [`ListsFile`], the store's `Lists` on SQLite: how readers use the file.
//! - `rounds`: one round of the lists, and how far behind they are.
//! - `lists_task`: the task that runs the rounds, at the lowest priority.
//! - `checkpoint`: the task that checkpoints `chat.db`'s WAL.
//! - `search_index`: [`Fts5`], the full-text index of message bodies, in `chat.db`.
//! - `search_rounds`: the task that adds the messages stored since to that index, in rounds on
//!   the writer's connection, off the storing transactions.

mod batch;
mod checkpoint;
mod lists_file;
mod lists_task;
#[cfg(test)]
mod plans;
mod rounds;
mod schema;
mod search_index;
mod search_rounds;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use super::kept::{Kept, Writer};
use super::sql::{migrate, ACQUIRE_TIMEOUT};
use super::StoreError;
use crate::tasks::Tasks;
use lists_task::{LISTS_THREAD, LISTS_URGENT_THREAD};
use rounds::ListsProgress;
use schema::{prepare_lists, COVERED, NEWEST_ID};

pub(super) use batch::store_batch;
pub(super) use checkpoint::Policy;
pub(super) use lists_file::ListsFile;
pub(super) use search_index::Fts5;

/// Set on every SQLite connection as it opens.
/// Checkpoints are `checkpoint`'s, never a commit's.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;";

/// Set, after [`SQLITE_PRAGMAS`], on the SQLite connection that stores messages: a page cache
/// of 16 MB (the default is 2 MB) keeps more of the index pages it writes to at random places
/// (storing private messages among 1,000 users on a 200,000-message database, it halved the
/// pages read per message, from 5.4 to 2.7).
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16000;";

/// Set on every SQLite connection once the lists file is attached. The file is derived data,
/// rebuilt from `messages`, so its commits need not sync (in WAL mode it stays consistent
/// through a power cut: it only loses its last rounds, which are then done again).
const LISTS_PRAGMAS: &str = "PRAGMA lists.journal_mode = WAL; PRAGMA lists.synchronous = NORMAL;";

/// Set, after [`LISTS_PRAGMAS`], on the connections of `lists_task`, the only ones that
/// write the lists file often: it checkpoints that file itself (it never writes
/// `chat.db`), and keeps the rows' pages cached, as the writer does for the messages'.
const SQLITE_INDEXER_PRAGMAS: &str =
    "PRAGMA wal_autocheckpoint = 1000; PRAGMA lists.cache_size = -16000;";

/// How often `lists_task` runs a round. Rarer rounds write fewer pages (rows of one round that
/// share a page share its write) but leave more messages for readers to look at.
const LIST_ROUND: std::time::Duration = std::time::Duration::from_secs(1);

/// The URL of `chat.db` in `data_dir`, both created when missing.
pub(super) fn url_in(data_dir: &Path) -> Result<String, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join("chat.db"))
        .create_if_missing(true);
    Ok(options.to_url_lossy().to_string())
}

/// A `sqlite:` URL as the store opens it: the file is created when missing, unless the URL
/// sets a `mode`.
pub(super) fn url_of(url: &str) -> Result<String, StoreError> {
    let mut options = SqliteConnectOptions::from_str(url)?;
    if !url.contains("mode=") {
        options = options.create_if_missing(true);
    }
    Ok(options.to_url_lossy().to_string())
}

/// The lists file that goes with the SQLite database at `db`: `chat-lists.db` for `chat.db`.
fn lists_path(db: &Path) -> PathBuf {
    if db.as_os_str() == ":memory:" {
        return db.to_owned();
    }
    let stem = db.file_stem().unwrap_or_default().to_string_lossy();
    let name = match db.extension() {
        Some(ext) => format!("{stem}-lists.{}", ext.to_string_lossy()),
        None => format!("{stem}-lists"),
    };
    db.with_file_name(name)
}

/// Attaches the lists file at `path` as `lists` and sets [`LISTS_PRAGMAS`]: statements for any
/// SQLite connection, through either driver.
fn attach_lists_sql(path: &str) -> String {
    format!(
        "ATTACH DATABASE '{}' AS lists; {LISTS_PRAGMAS}",
        path.replace('\'', "''")
    )
}

/// Opens the SQLite database at `url` (as [`url_in`] or [`url_of`] give it), runs the
/// migrations and prepares the lists file; returns the pool, the writer's connection, the
/// connections kept for the opening reads and the lists, whose task and the checkpoint task (run by `checkpoints`) it spawns through `tasks`.
pub(super) async fn open(
    url: &str,
    tasks: &Tasks,
    checkpoints: Policy,
) -> Result<Opened, StoreError> {
    sqlx::any::install_default_drivers();
    let options = AnyConnectOptions::from_str(url)?;
    let db = SqliteConnectOptions::from_str(url)?;
    let file = lists_path(db.get_filename()).to_string_lossy().into_owned();
    let attach = attach_lists_sql(&file);
    let pool = readers(&options, &attach, READERS).await?;
    migrate(&pool).await?;
    prepare_lists(&pool).await?;
    crate::store::search::SearchIndex::prepare(&Fts5, &pool).await?;
    // As many again, kept out of any pool between the opening reads of WebSockets.
    let kept = readers(&options, &attach, KEPT).await?;
    let writer = AnyPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(1)
        // Kept for good, and not pinged before each batch: it is a local file.
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(SQLITE_WRITER_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    let writer = Writer::kept(writer);
    let indexer = lists_pool(url, &file, LISTS_THREAD).await?;
    let urgent = lists_pool(url, &file, LISTS_URGENT_THREAD).await?;
    let (newest, covered): (i64, i64) = sqlx::query_as(&format!("SELECT {NEWEST_ID}, {COVERED}"))
        .fetch_one(&urgent)
        .await?;
    let progress = Arc::new(ListsProgress::new(newest, covered));
    lists_task::spawn(
        tasks,
        indexer.clone(),
        urgent.clone(),
        progress.clone(),
        LIST_ROUND,
    );
    checkpoint::spawn(tasks, pool.clone(), writer.clone(), checkpoints);
    search_rounds::spawn(tasks, writer.clone(), progress.clone());
    let lists = ListsFile {
        indexer,
        urgent,
        progress,
    };
    Ok(Opened {
        pool,
        writer,
        kept: Kept::new(kept, KEPT as usize),
        lists: Arc::new(lists),
    })
}

/// What [`open`] opens.
pub(super) struct Opened {
    /// The readers.
    pub pool: AnyPool,
    /// The one writer.
    pub writer: Writer,
    /// The connections of the WebSockets' opening reads.
    pub kept: Kept,
    /// The lists file.
    pub lists: Arc<ListsFile>,
}

/// The store's readers in the pool.
const READERS: u32 = 4;

/// The connections kept for the WebSockets' opening reads (see `store::kept`).
const KEPT: u32 = 4;

/// A pool of at most `max` readers of the database (`options`), the lists file attached
/// (`attach`).
async fn readers(
    options: &AnyConnectOptions,
    attach: &str,
    max: u32,
) -> Result<AnyPool, StoreError> {
    let attach = attach.to_owned();
    let pool = AnyPoolOptions::new()
        // A database that does not answer fails a request in seconds, not half a minute:
        // a send is refused (`unavailable`) rather than left hanging.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(max)
        // Before lending a connection the pool may ping it. A SQLite connection is a file
        // handle with a thread of its own: the ping finds nothing wrong, and it is one more
        // hand-over to that thread and back for every query (a sign-in makes several).
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let attach = attach.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(attach.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?;
    Ok(pool)
}

/// A pool of the one connection, on a thread named `thread`, that writes the lists file.
async fn lists_pool(url: &str, file: &str, thread: &'static str) -> Result<SqlitePool, StoreError> {
    // SQLite's own driver, not `Any`: it lets the connection's thread be named, so that
    // `lists_task` can find it and lower its priority.
    let options = SqliteConnectOptions::from_str(url)?.thread_name(move |_| thread.to_owned());
    let attach = attach_lists_sql(file);
    let pool = SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let attach = attach.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(attach.as_str()).await?;
                conn.execute(SQLITE_INDEXER_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::SqlStore;

    /// The settings durability relies on, as a connection reports them for the database
    /// `schema` (`main`, or the attached `lists`).
    async fn durability(conn: &mut sqlx::AnyConnection, schema: &str) -> (String, i64, i64) {
        let journal: String = sqlx::query_scalar(&format!("PRAGMA {schema}.journal_mode"))
            .fetch_one(&mut *conn)
            .await
            .expect("journal_mode");
        let synchronous: i64 = sqlx::query_scalar(&format!("PRAGMA {schema}.synchronous"))
            .fetch_one(&mut *conn)
            .await
            .expect("synchronous");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .expect("foreign_keys");
        (journal, synchronous, foreign_keys)
    }

    /// Every SQLite connection, pooled or the writer's, runs with the settings durability
    /// relies on.
    #[tokio::test]
    async fn sqlite_connections_are_durable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open(&dir.path().join("nested"), &Tasks::new())
            .await
            .expect("open");
        let durable = ("wal".to_owned(), 2, 1);
        // Hold several at once, so that more than the first connection is looked at.
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = store.pool.acquire().await.expect("connection");
            assert_eq!(durability(&mut conn, "main").await, durable);
            // The lists file is attached: WAL, and commits that do not sync (it is rebuilt).
            let lists = ("wal".to_owned(), 1, 1);
            assert_eq!(durability(&mut conn, "lists").await, lists);
            held.push(conn);
        }
        let mut writer = store.writer.conn().await.expect("the writer");
        assert_eq!(durability(&mut writer, "main").await, durable);
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *writer)
            .await
            .expect("wal_autocheckpoint");
        assert_eq!(autocheckpoint, 0, "checkpoints are the checkpoint task's");
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *writer)
            .await
            .expect("cache_size");
        assert_eq!(cache, -16_000);
        assert!(dir.path().join("nested/chat.db").exists());
        assert!(dir.path().join("nested/chat-lists.db").exists());
    }

    /// Shutting the tasks down stops a SQLite store's checkpoint, lists and search index tasks, promptly:
    /// each waits for the stop between two rounds.
    #[tokio::test]
    async fn the_tasks_stop_when_shut_down() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tasks = Tasks::new();
        let store = SqlStore::open(dir.path(), &tasks).await.expect("open");
        assert_eq!(
            tasks.len(),
            3,
            "the checkpoint, lists and search index tasks"
        );
        let started = std::time::Instant::now();
        assert!(tasks.shutdown(Duration::from_secs(5)).await);
        assert!(tasks.is_empty());
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
        // The store still answers: the tasks only kept the WAL short and the lists caught up.
        store.catch_up_lists().await.expect("catch up");
        store.close().await;
    }
}
