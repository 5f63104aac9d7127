//! The server in process: [`spawn_app`] starts it on port 0 with a fresh store and returns a
//! [`TestApp`], which reaches into its state and can shut it down or restart it on the same
//! store.
//!
//! The store is SQLite in a temporary directory, or, with `TEST_STORE=postgres`, a fresh
//! PostgreSQL schema ([`Storage`]). Every store opening goes through [`open_store`] and every
//! `AppState` through [`open_state`].

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use backend::store::{SqlStore, StoreError};
use backend::tasks::Tasks;
use backend::{server, AppState, Config};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::{Endpoint, ARRIVES_WITHIN};
use crate::services::Schema;

/// Where a store lives.
#[derive(Debug, Clone)]
pub enum StoreAt {
    /// SQLite: `chat.db` in this directory.
    Dir(PathBuf),
    /// A database URL (`postgres://…`).
    Url(String),
}

/// Opens (creating when missing) the store at `at`: the one place testkit opens a store.
pub async fn open_store(at: &StoreAt, tasks: &Tasks) -> Result<SqlStore, StoreError> {
    match at {
        StoreAt::Dir(dir) => SqlStore::open(dir, tasks).await,
        StoreAt::Url(url) => SqlStore::connect(url, tasks).await,
    }
}

/// The server's state on `store`: the one place testkit builds an `AppState`.
pub async fn open_state(config: Config, store: SqlStore, tasks: Tasks) -> AppState {
    AppState::open(config, Arc::new(store), tasks)
        .await
        .expect("the server's state opens")
}

/// The engine a test's store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `TEST_STORE`: `postgres` (or `postgresql`, `pg`), else SQLite.
    pub fn from_env() -> Self {
        match std::env::var("TEST_STORE").as_deref() {
            Ok("postgres" | "postgresql" | "pg") => Self::Postgres,
            Ok("sqlite" | "") | Err(_) => Self::Sqlite,
            Ok(other) => panic!("TEST_STORE={other}: expected sqlite or postgres"),
        }
    }
}

/// A test's data: a temporary directory, and on PostgreSQL a schema of its own; both outlive
/// restarts and go when the last holder drops them.
#[derive(Debug)]
pub struct Storage {
    /// The data directory (SQLite's files; on PostgreSQL only what else the server keeps).
    dir: TempDir,
    /// The schema, on PostgreSQL.
    schema: Option<Schema>,
}

impl Storage {
    /// Fresh storage on the engine `TEST_STORE` names.
    pub async fn from_env() -> Self {
        Self::on(Engine::from_env()).await
    }

    /// Fresh storage on `engine`.
    pub async fn on(engine: Engine) -> Self {
        let schema = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(Schema::create().await),
        };
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            schema,
        }
    }

    pub fn engine(&self) -> Engine {
        if self.schema.is_some() {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The schema's URL, on PostgreSQL.
    pub fn database_url(&self) -> Option<String> {
        self.schema.as_ref().map(Schema::url)
    }

    /// Where the store is.
    pub fn store_at(&self) -> StoreAt {
        match self.database_url() {
            Some(url) => StoreAt::Url(url),
            None => StoreAt::Dir(self.dir.path().to_path_buf()),
        }
    }
}

/// Installs a logger on the terminal when `TEST_LOG` is set (`RUST_LOG` filters, `debug` if
/// unset); once per test binary.
pub fn init_test_log() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
}

/// The configuration every in-process test server starts from.
pub fn test_config(storage: &Storage) -> Config {
    let mut config = Config::defaults();
    config.data_dir = storage.dir().to_path_buf();
    config.database_url = storage.database_url();
    config.static_dir = storage.dir().join("no-client");
    // Tests send faster than people do; the rate-limit tests set their own.
    config.rate_per_sec = 1000;
    config.rate_burst = 1000;
    // Every presence change goes out at once, while the connect or disconnect that caused it
    // is handled: so a `Client::sync` after it finds it, with no coalescing window to wait
    // out. The presence tests set the server's default.
    config.presence_interval_ms = 0;
    // Tests sign in many users fast from one address; the sign-in tests set their own limits.
    generous_sign_in(&mut config);
    config
}

/// Sign-in limits no test reaches by accident: attempts per name and per address, account
/// creations, and the queue of passwords waiting to be hashed.
pub fn generous_sign_in(config: &mut Config) {
    config.name_attempts = GENEROUS;
    config.name_attempts_per_hour = GENEROUS;
    config.address_attempts = GENEROUS;
    config.address_attempts_per_hour = GENEROUS;
    config.account_creations = GENEROUS;
    config.account_creations_per_hour = GENEROUS;
    config.hash_queue = 1024;
}

/// A limit of attempts no test reaches.
const GENEROUS: u32 = 1_000_000;

/// A server running in this process, on a port of loopback.
pub struct TestApp {
    endpoint: Endpoint,
    pub state: AppState,
    /// Its configuration, to start it again alike.
    config: Config,
    /// Resolves the shutdown future handed to `server::run`.
    stop: Option<oneshot::Sender<()>>,
    /// `server::run`.
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// Shared with the app started again on it by [`TestApp::restart`].
    storage: Arc<Storage>,
}

/// Starts the server with the test defaults on fresh storage.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test defaults, changed by `tweak`, on fresh storage.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let storage = Arc::new(Storage::from_env().await);
    let mut config = test_config(&storage);
    tweak(&mut config);
    start(config, storage).await
}

/// Starts the server with the test defaults, changed by `tweak`, on `storage`, which the test
/// made (on an engine of its choosing) and may reach itself through its URL.
pub async fn spawn_app_on(storage: Storage, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let storage = Arc::new(storage);
    let mut config = test_config(&storage);
    tweak(&mut config);
    start(config, storage).await
}

async fn start(config: Config, storage: Arc<Storage>) -> TestApp {
    init_test_log();
    // The app's background tasks and its store's, stopped by `server::run`.
    let tasks = Tasks::new();
    let store = open_store(&storage.store_at(), &tasks)
        .await
        .expect("store");
    let listener = server::listen::bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = open_state(config.clone(), store, tasks).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::run(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    TestApp {
        endpoint: Endpoint::new(addr),
        state,
        config,
        stop: Some(stop),
        server: Some(server),
        storage,
    }
}

impl Deref for TestApp {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl TestApp {
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The engine the store runs on.
    pub fn engine(&self) -> Engine {
        self.storage.engine()
    }

    /// Waits until the hub's pool has `connections` connections (they leave asynchronously).
    pub async fn wait_for_connections(&self, connections: usize) {
        let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
        while self.state.hub.stats().connections != connections {
            assert!(
                tokio::time::Instant::now() < deadline,
                "pool still has {:?}, expected {connections} connections",
                self.state.hub.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Triggers shutdown and waits for `run` to return; returns how long that took.
    pub async fn shutdown(mut self) -> Duration {
        self.stop_server().await
    }

    async fn stop_server(&mut self) -> Duration {
        let started = tokio::time::Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
        started.elapsed()
    }

    /// Shuts down and starts the server again, alike, on the same store (a new port).
    pub async fn restart(mut self) -> TestApp {
        self.stop_server().await;
        let (config, storage) = (self.config.clone(), self.storage.clone());
        drop(self);
        start(config, storage).await
    }
}
