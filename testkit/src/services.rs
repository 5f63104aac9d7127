//! The shared services a test may need, each its own: a PostgreSQL [`Schema`] (created fresh,
//! dropped at the end), [`Services`] (a schema and a Redis channel prefix, what the nodes of
//! one cluster share), and a private [`Redis`] server that a test can stop and start again.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`; Redis is
//! `TEST_REDIS_URL`, else `redis://127.0.0.1:6379`.
//!
//! A test fails, saying how to start them, when they are unreachable; [`Services::try_at`]
//! and [`Services::probe`] return an [`Unreachable`] instead, for a caller that decides what
//! to do without them (the benchmark skips or fails its scale-out scenario).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
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

/// How long reaching PostgreSQL or Redis may take before it counts as unreachable.
const REACH_WITHIN: Duration = Duration::from_secs(5);

/// How to start the services when they are down.
const HOW_TO_START: &str = "Start them (`pg_ctlcluster --skip-systemctl-redirect \
    $(ls /etc/postgresql) main start` and `redis-server --daemonize yes`, or `cargo xtask test` \
    does both) or point TEST_DATABASE_URL and TEST_REDIS_URL at others";

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

/// PostgreSQL or Redis could not be reached: which, where (without a password), why, and
/// how to start them.
#[derive(Debug, Clone)]
pub struct Unreachable {
    /// One entry a service: `PostgreSQL at postgres://… is unreachable (…)`.
    pub services: Vec<String>,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}. {HOW_TO_START}.", self.services.join("; "))
    }
}

impl std::error::Error for Unreachable {}

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
        Self::try_create_in(&test_database_url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Creates a fresh schema in the database at `base_url`.
    pub async fn try_create_in(base_url: &str) -> Result<Self, Unreachable> {
        let schema = Self {
            base_url: base_url.to_owned(),
            name: unique("t"),
        };
        let mut admin = admin(base_url).await?;
        sqlx::query(&format!("CREATE SCHEMA {}", schema.name))
            .execute(&mut admin)
            .await
            .map_err(|e| Unreachable {
                services: vec![format!(
                    "PostgreSQL at {} refused `CREATE SCHEMA` ({e})",
                    redact(base_url)
                )],
            })?;
        let _ = admin.close().await;
        Ok(schema)
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
async fn admin(url: &str) -> Result<PgConnection, Unreachable> {
    match tokio::time::timeout(REACH_WITHIN, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(postgres_unreachable(url, &e.to_string())),
        Err(_) => Err(postgres_unreachable(
            url,
            &format!("no answer within {REACH_WITHIN:?}"),
        )),
    }
}

fn postgres_unreachable(url: &str, why: &str) -> Unreachable {
    Unreachable {
        services: vec![format!(
            "PostgreSQL at {} is unreachable ({why})",
            redact(url)
        )],
    }
}

/// Whether Redis at `url` answers a `PING` (any answer will do: an `-NOAUTH` is Redis too).
async fn ping_redis(url: &str) -> Result<(), Unreachable> {
    let ping = async {
        let addr = authority_addr(url, 6379).map_err(|e| e.to_string())?;
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connecting to {addr}: {e}"))?;
        stream
            .write_all(b"PING\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        if line.starts_with(['+', '-']) {
            Ok(())
        } else {
            Err(format!("{addr} does not answer like Redis: {line:?}"))
        }
    };
    let why = match tokio::time::timeout(REACH_WITHIN, ping).await {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(why)) => why,
        Err(_) => format!("no answer within {REACH_WITHIN:?}"),
    };
    Err(Unreachable {
        services: vec![format!("Redis at {} is unreachable ({why})", redact(url))],
    })
}

/// The address in `url`'s authority (`scheme://[user[:password]@]host[:port]/…`), with
/// `default_port` when it names none.
fn authority_addr(url: &str, default_port: u16) -> Result<SocketAddr, String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    };
    host_port
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_port} resolves to no address"))
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) if rest.contains('@') => {
            let (credentials, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_owned(),
    }
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
        Self::around(schema, redis_url)
    }

    /// A fresh schema in the database at `database_url` and a fresh prefix on the Redis at
    /// `redis_url`, once both answer; which does not, otherwise.
    pub async fn try_at(database_url: &str, redis_url: String) -> Result<Self, Unreachable> {
        Self::probe(database_url, &redis_url).await?;
        let schema = Schema::try_create_in(database_url).await?;
        Ok(Self::around(schema, redis_url))
    }

    /// Whether PostgreSQL at `database_url` and Redis at `redis_url` both answer; which do not,
    /// otherwise.
    pub async fn probe(database_url: &str, redis_url: &str) -> Result<(), Unreachable> {
        let postgres = async {
            let conn = admin(database_url).await?;
            let _ = conn.close().await;
            Ok::<_, Unreachable>(())
        };
        let (postgres, redis) = tokio::join!(postgres, ping_redis(redis_url));
        let services: Vec<String> = [postgres, redis]
            .into_iter()
            .filter_map(Result::err)
            .flat_map(|e| e.services)
            .collect();
        if services.is_empty() {
            Ok(())
        } else {
            Err(Unreachable { services })
        }
    }

    fn around(schema: Schema, redis_url: String) -> Self {
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
        self.node_with(
            id,
            ServerOptions::new()
                .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
                .env("HEARTBEAT_MS", HEARTBEAT_MS.to_string())
                .env("NODE_EXPIRY_MS", EXPIRY_MS.to_string()),
        )
    }

    /// `options` made node `id` of this cluster: the schema, Redis and prefix; it is ready
    /// when `/readyz` answers 200. Heartbeat, expiry and limits are what `options` say (the
    /// server's defaults unless set).
    pub fn node_with(&self, id: &str, options: ServerOptions) -> ServerOptions {
        options
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.redis_url)
            .env("REDIS_PREFIX", &self.prefix)
            .env("NODE_ID", id)
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
        authority_addr(&self.database_url, 5432).expect("a resolvable database host")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords_and_find_their_ports() {
        assert_eq!(
            redact("postgres://me:secret@db:5432/x"),
            "postgres://me@db:5432/x"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            authority_addr("redis://127.0.0.1", 6379),
            Ok("127.0.0.1:6379".parse().unwrap())
        );
        assert_eq!(
            authority_addr("postgres://u:p@127.0.0.1:5433/test?x=1", 5432),
            Ok("127.0.0.1:5433".parse().unwrap())
        );
    }
}
