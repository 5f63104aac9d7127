//! Running one store test on each engine: [`on_sqlite`] (a temporary directory) and
//! [`on_postgres`] (a fresh schema, dropped at the end whether the test passed or not), their
//! `_url` forms for a test that opens the store itself (migrations, upgrades), and
//! [`on_both_engines!`](crate::on_both_engines), which makes a test of each per function;
//! [`migrate_before`] gives an upgrade test the schema as an older server left it.

use std::future::Future;
use std::time::Duration;

use backend::store::{SqlStore, Store};
use backend::tasks::Tasks;

use crate::app::{open_store, StoreAt};
use crate::services::Schema;

/// Runs `test` on a fresh SQLite store, then closes it and stops its tasks.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let tasks = Tasks::new();
    let store = open_store(&StoreAt::Dir(dir.path().to_path_buf()), &tasks)
        .await
        .expect("open SQLite");
    assert_eq!(store.engine(), "sqlite");
    test(store.clone()).await;
    store.close().await;
    assert!(tasks.shutdown(Duration::from_secs(5)).await);
}

/// Runs `test` on a fresh PostgreSQL store in a schema of its own, then drops the schema,
/// whether the test passed or not.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let schema = Schema::create().await;
    let store = open_store(&StoreAt::Url(schema.url()), &Tasks::new())
        .await
        .expect("open PostgreSQL");
    assert_eq!(store.engine(), "postgres");
    // In a task of its own, so that a failing test still gets here and the schema is dropped.
    let outcome = tokio::spawn(test(store.clone())).await;
    store.close().await;
    drop(schema);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `test` on a fresh, empty SQLite database, named by its URL: no store opened yet.
pub async fn on_sqlite_url<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("chat.db").display());
    test(url).await;
}

/// Runs `test` on a fresh, empty PostgreSQL schema, named by its URL, then drops the schema,
/// whether the test passed or not.
pub async fn on_postgres_url<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let schema = Schema::create().await;
    let outcome = tokio::spawn(test(schema.url())).await;
    drop(schema);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Each test function once per engine, in the modules named before the runners:
/// `on_both_engines!(sqlite = on_sqlite, postgres = on_postgres: a, b)` makes `sqlite::a`,
/// `postgres::a`, and so on. The runners are names in scope where it is used (`super::`).
#[macro_export]
macro_rules! on_both_engines {
    ($sqlite:ident = $on_sqlite:ident, $postgres:ident = $on_postgres:ident: $($name:ident),* $(,)?) => {
        mod $sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$on_sqlite(super::$name).await;
                }
            )*
        }
        mod $postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$on_postgres(super::$name).await;
                }
            )*
        }
    };
}

/// Runs on `db` the backend's migrations whose file names sort below `before` (`"0019"`: every
/// one up to 0018), from the same files and so with the same checksums: the schema as an
/// older server left it, for a test of what the next migrations do to its rows.
pub async fn migrate_before(db: &sqlx::AnyPool, before: &str) {
    let old = tempfile::tempdir().expect("temp dir");
    let migrations = crate::repo_root().join("backend/migrations");
    for entry in std::fs::read_dir(&migrations).expect("the migrations") {
        let path = entry.expect("a migration").path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        if file.ends_with(".sql") && file < before {
            std::fs::copy(&path, old.path().join(file)).expect("copy a migration");
        }
    }
    sqlx::migrate::Migrator::new(old.path())
        .await
        .expect("the old migrations")
        .run(db)
        .await
        .expect("run the old migrations");
}
