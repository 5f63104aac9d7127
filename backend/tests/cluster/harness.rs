//! The multi-node topology as local processes: real `chat-server` nodes sharing PostgreSQL
//! (a fresh schema per test) and Redis (a fresh channel prefix per test, or a private
//! `redis-server` that a test can stop), and a round-robin TCP balancer in front.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Connection;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use crate::helpers::Endpoint;

/// Heartbeat of the test nodes.
pub const HEARTBEAT_MS: u64 = 200;
/// A node silent for this long counts as gone.
pub const EXPIRY_MS: u64 = 1000;

fn base_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A free port on loopback (bound, then released).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The shared services of one test: its own PostgreSQL schema and Redis prefix.
pub struct Services {
    pub database_url: String,
    pub redis_url: String,
    pub prefix: String,
    schema: String,
}

impl Services {
    /// A fresh schema, and the machine's Redis (127.0.0.1:6379, or `TEST_REDIS_URL`).
    pub async fn new() -> Self {
        let redis =
            std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        Self::with_redis(redis).await
    }

    /// A fresh schema, and the Redis at `redis_url`.
    pub async fn with_redis(redis_url: String) -> Self {
        let schema = unique("cluster");
        let mut conn = sqlx::PgConnection::connect(&base_database_url())
            .await
            .expect("PostgreSQL must run on 127.0.0.1:5432 (or set TEST_DATABASE_URL)");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let separator = if base_database_url().contains('?') {
            '&'
        } else {
            '?'
        };
        Self {
            database_url: format!(
                "{}{separator}options=-c%20search_path%3D{schema}",
                base_database_url()
            ),
            redis_url,
            prefix: unique("chat-test"),
            schema,
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        // Drop runs inside the test's runtime: clean up on a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base_database_url()).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// One `chat-server` process of the cluster.
pub struct Node {
    child: Child,
    pub endpoint: Endpoint,
    _data: tempfile::TempDir,
}

impl std::ops::Deref for Node {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Node {
    /// Starts node `id` on a free port and waits until it is ready (store and bus up).
    pub async fn start(services: &Services, id: &str) -> Self {
        Self::start_on(services, id, free_addr()).await
    }

    pub async fn start_on(services: &Services, id: &str, addr: SocketAddr) -> Self {
        Self::start_with(services, id, addr, &services.database_url).await
    }

    /// Starts node `id` on `addr` with its store at `database_url`.
    pub async fn start_with(
        services: &Services,
        id: &str,
        addr: SocketAddr,
        database_url: &str,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let log = if std::env::var_os("TEST_LOG").is_some() {
            "info"
        } else {
            "warn"
        };
        let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .arg("--bind")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data.path())
            .arg("--static-dir")
            .arg(data.path().join("no-client"))
            .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
            .env("DATABASE_URL", database_url)
            .env("REDIS_URL", &services.redis_url)
            .env("REDIS_PREFIX", &services.prefix)
            .env("NODE_ID", id)
            .env("HEARTBEAT_MS", HEARTBEAT_MS.to_string())
            .env("NODE_EXPIRY_MS", EXPIRY_MS.to_string())
            .env("RUST_LOG", log)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chat-server");
        let node = Self {
            child,
            endpoint: Endpoint::new(addr),
            _data: data,
        };
        node.wait_ready(Duration::from_secs(15)).await;
        node
    }

    /// The status of `GET /readyz`, or `None` when the node does not answer.
    pub async fn readyz(&self) -> Option<u16> {
        let response = reqwest::Client::new()
            .get(self.url("/readyz"))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .ok()?;
        Some(response.status().as_u16())
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.readyz().await != Some(200) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "node {} not ready within {within:?}",
                self.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no goodbye to anyone.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("wait");
    }
}

impl Services {
    /// The database URL with its host and port replaced by `addr` (to go through a [`Relay`]).
    pub fn database_url_via(&self, addr: SocketAddr) -> String {
        let (scheme, rest) = self.database_url.split_once("://").unwrap();
        let (authority, path) = rest.split_once('/').unwrap();
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"));
        format!("{scheme}://{}{addr}/{path}", user.unwrap_or_default())
    }

    /// Where the database listens.
    pub fn database_addr(&self) -> SocketAddr {
        let rest = self.database_url.split_once("://").unwrap().1;
        let authority = rest.split_once('/').unwrap().0;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        std::net::ToSocketAddrs::to_socket_addrs(&host_port)
            .unwrap()
            .next()
            .unwrap()
    }
}

/// A TCP relay to one backend that a test can cut (every relayed connection closes, new ones
/// are refused) and restore: a network failure between a node and its database.
pub struct Relay {
    pub addr: SocketAddr,
    open: Arc<std::sync::atomic::AtomicBool>,
    cuts: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    pub async fn start(backend: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cuts, _) = tokio::sync::watch::channel(0u64);
        let task = {
            let open = open.clone();
            let cuts = cuts.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        continue;
                    }
                    let mut cut = cuts.subscribe();
                    tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(backend).await {
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = cut.changed() => {}
                            }
                        }
                    });
                }
            })
        };
        Self {
            addr,
            open,
            cuts,
            task,
        }
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
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

/// A round-robin TCP balancer, as a load balancer in front of the nodes does it: the n-th
/// connection goes to backend n mod len.
pub struct Balancer {
    pub endpoint: Endpoint,
    task: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for Balancer {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Balancer {
    pub async fn start(backends: Vec<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backends = Arc::new(backends);
        let task = tokio::spawn(async move {
            let mut next = 0usize;
            while let Ok((mut inbound, _)) = listener.accept().await {
                let backend = backends[next % backends.len()];
                next += 1;
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            endpoint: Endpoint::new(addr),
            task,
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
