//! The shared services a test may need, each its own: a PostgreSQL [`Schema`] (created fresh,
//! dropped at the end), [`Services`] (a schema and a Redis channel prefix, what the nodes of
//! one cluster share), and a private [`Redis`] server that a test can stop and start again.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`; Redis is
//! `TEST_REDIS_URL`, else `redis://127.0.0.1:6379`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, PgConnection};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::net::free_addr;
use crate::process::ServerOptions;

/// The test database when `TEST_DATABASE_URL` is not set.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Heartbeat of the nodes [`Services::node`] configures.
pub const HEARTBEAT_MS: u64 = 200;
/// A node silent for this long counts as gone, on the nodes [`Services::node`] configures.
pub const EXPIRY_MS: u64 = 1000;

/// The test database's URL: `TEST_DATABASE_URL` or [`DEFAULT_TEST_DATABASE_URL`].
pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned())
}

/// The machine's Redis: `TEST_REDIS_URL` or `redis://127.0.0.1:6379`.
pub fn test_redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A name no other test (of this or another process) uses: `<prefix>_<pid>_<n>_<nanos>`.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A schema of its own for one test, in the test database; dropped when this is.
#[derive(Debug)]
pub struct Schema {
    /// The database the schema lives in.
    base_url: String,
    pub name: String,
}

impl Schema {
    /// Creates a fresh schema; fails the test, saying how to start PostgreSQL, if it cannot.
    pub async fn create() -> Self {
        let schema = Self {
            base_url: test_database_url(),
            name: unique("t"),
        };
        let mut admin = admin(&schema.base_url).await;
        sqlx::query(&format!("CREATE SCHEMA {}", schema.name))
            .execute(&mut admin)
            .await
            .expect("create the test schema");
        let _ = admin.close().await;
        schema
    }

    /// The test database with this schema first in the `search_path`.
    pub fn url(&self) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.base_url, self.name
        )
    }
}

/// A connection outside any test schema, to create and drop them.
async fn admin(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL for the tests is unreachable ({e}). Start it \
             (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or \
             `cargo xtask test` does) or point TEST_DATABASE_URL at one (default \
             {DEFAULT_TEST_DATABASE_URL})."
        )
    })
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        // Drop may run inside the test's runtime: clean up on a thread with its own. A server
        // in this process may be stopped mid-transaction on the schema, and this thread
        // blocks its runtime: give up on the lock rather than wait for it (the schema stays).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&url).await {
                    let _ = sqlx::query("SET lock_timeout = '3s'")
                        .execute(&mut conn)
                        .await;
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// The shared services of one test's cluster: its own PostgreSQL schema and Redis prefix.
#[derive(Debug)]
pub struct Services {
    pub database_url: String,
    pub redis_url: String,
    pub prefix: String,
    /// Dropped with the services.
    _schema: Schema,
}

impl Services {
    /// A fresh schema, and the machine's Redis with a fresh channel prefix.
    pub async fn new() -> Self {
        Self::with_redis(test_redis_url()).await
    }

    /// A fresh schema, and the Redis at `redis_url`.
    pub async fn with_redis(redis_url: String) -> Self {
        let schema = Schema::create().await;
        Self {
            database_url: schema.url(),
            redis_url,
            prefix: unique("chat-test"),
            _schema: schema,
        }
    }

    /// The options of a `chat-server` node `id` of this cluster: the schema, Redis and prefix,
    /// a [`HEARTBEAT_MS`] heartbeat and [`EXPIRY_MS`] expiry, generous rate limits; it is
    /// ready when `/readyz` answers 200.
    pub fn node(&self, id: &str) -> ServerOptions {
        ServerOptions::new()
            .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.redis_url)
            .env("REDIS_PREFIX", &self.prefix)
            .env("NODE_ID", id)
            .env("HEARTBEAT_MS", HEARTBEAT_MS.to_string())
            .env("NODE_EXPIRY_MS", EXPIRY_MS.to_string())
            .ready_path("/readyz")
    }

    /// The database URL with its host and port replaced by `addr` (to go through a relay).
    pub fn database_url_via(&self, addr: SocketAddr) -> String {
        let (scheme, rest) = self.database_url.split_once("://").expect("a URL");
        let (authority, path) = rest.split_once('/').expect("a database name");
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"));
        format!("{scheme}://{}{addr}/{path}", user.unwrap_or_default())
    }

    /// Where the database listens.
    pub fn database_addr(&self) -> SocketAddr {
        let rest = self.database_url.split_once("://").expect("a URL").1;
        let authority = rest.split_once('/').expect("a database name").0;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        std::net::ToSocketAddrs::to_socket_addrs(&host_port)
            .expect("a resolvable database host")
            .next()
            .expect("an address")
    }
}

/// A private `redis-server` that a test may stop and start again on the same port.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Redis {
    pub async fn start() -> Self {
        let port = free_addr().port();
        let mut redis = Self { child: None, port };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    pub async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be installed");
        self.child = Some(child);
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server did not start on {}", self.port);
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("kill redis-server");
            child.wait().await.expect("wait");
        }
    }
}
