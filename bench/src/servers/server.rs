//! The servers under test: ours (`chat-server`, release build) and the two Node.js `ws`
//! peers of `bench/peers/`. Each is started fresh for every scenario, pinned to the server
//! core with `taskset`, on a free port of 127.0.0.1, and killed afterwards (or by the kernel,
//! through `setpriv --pdeathsig`, if the harness dies first).
//!
//! Ours runs with the limits that would otherwise throttle a load test lifted (rate limit,
//! connection cap) and a deep outbound queue, its SQLite database in a temporary directory,
//! and `RUST_LOG=warn` (per-connection `info` lines would otherwise be measured too). As a node
//! of several ([`Server::start_node`], see [`super::cluster`]) it runs the same way but with
//! its store in PostgreSQL and a link to Redis, and counts as started once `GET /readyz`
//! answers 200.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

use crate::proc::{self, Usage};
use crate::wire::{Protocol, Target};

/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our `chat-server`.
    Ours,
    /// `peers/broadcast.js`: every message to every other connection.
    NodeBroadcast,
    /// `peers/private.js`: a map from user to connection.
    NodePrivate,
}

impl Kind {
    pub fn protocol(self) -> Protocol {
        match self {
            Self::Ours => Protocol::Chat,
            Self::NodeBroadcast | Self::NodePrivate => Protocol::Raw,
        }
    }
}

/// Where the servers are and how to run them.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The release `chat-server` binary.
    pub chat_server: PathBuf,
    /// `bench/peers`, with `node_modules/ws` installed.
    pub peers_dir: PathBuf,
    /// The core the server is pinned to.
    pub server_core: usize,
    /// `--queue-frames` for our server.
    pub queue_frames: usize,
}

/// What makes our server one node of several: the shared store and bus, and its name.
#[derive(Debug, Clone)]
pub struct NodeEnv {
    /// `NODE_ID`: `a`, `b`, …
    pub id: String,
    /// `DATABASE_URL`: the shared PostgreSQL schema.
    pub database_url: String,
    /// `REDIS_URL`.
    pub redis_url: String,
    /// `REDIS_PREFIX`: this run's own channel.
    pub prefix: String,
}

/// A running server.
pub struct Server {
    pub kind: Kind,
    child: Child,
    /// The server's process id (setpriv and taskset exec it in place).
    pub pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory and log; removed when the server is dropped.
    dir: TempDir,
}

impl Server {
    /// Starts `kind` and waits until it accepts connections.
    pub fn start(kind: Kind, setup: &Setup) -> Result<Self> {
        Self::launch(kind, setup, None)
    }

    /// Starts our server as node `node` of several and waits until it is ready: listening,
    /// with its store and its Redis link up (`GET /readyz` answers 200).
    pub fn start_node(setup: &Setup, node: &NodeEnv) -> Result<Self> {
        let mut server = Self::launch(Kind::Ours, setup, Some(node))?;
        server.wait_readyz()?;
        Ok(server)
    }

    fn launch(kind: Kind, setup: &Setup, node: Option<&NodeEnv>) -> Result<Self> {
        let addr = free_addr()?;
        let dir = tempfile::Builder::new().prefix("chat-bench-").tempdir()?;
        let log = File::create(dir.path().join("server.log"))?;
        // setpriv makes the kernel kill the server if the harness dies before it can.
        let mut command = if Path::new("/usr/bin/setpriv").is_file() {
            let mut c = Command::new("/usr/bin/setpriv");
            c.args(["--pdeathsig", "KILL", "taskset"]);
            c
        } else {
            Command::new("taskset")
        };
        command.arg("-c").arg(setup.server_core.to_string());
        match kind {
            Kind::Ours => {
                command
                    .arg(&setup.chat_server)
                    .arg("--bind")
                    .arg(addr.to_string())
                    .arg("--data-dir")
                    .arg(dir.path().join("data"))
                    .arg("--static-dir")
                    .arg(dir.path().join("no-client"))
                    .args(["--max-connections", "30000"])
                    .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
                    .arg("--queue-frames")
                    .arg(setup.queue_frames.to_string())
                    .env("RUST_LOG", "warn");
                if let Some(node) = node {
                    command
                        .env("DATABASE_URL", &node.database_url)
                        .env("REDIS_URL", &node.redis_url)
                        .env("REDIS_PREFIX", &node.prefix)
                        .env("NODE_ID", &node.id);
                }
            }
            Kind::NodeBroadcast | Kind::NodePrivate => {
                let script = if kind == Kind::NodeBroadcast {
                    "broadcast.js"
                } else {
                    "private.js"
                };
                command
                    .arg("node")
                    .arg(setup.peers_dir.join(script))
                    .arg(addr.port().to_string())
                    .arg(addr.ip().to_string());
            }
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {kind:?} (is taskset installed?)"))?;
        let mut server = Self {
            kind,
            pid: child.id(),
            child,
            addr,
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{:?} exited at start ({status}):\n{}",
                    self.kind,
                    self.log_tail()
                );
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{:?} is not listening on {} after {START_TIMEOUT:?}:\n{}",
                    self.kind,
                    self.addr,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `GET /readyz` answers 200.
    fn wait_readyz(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("node exited at start ({status}):\n{}", self.log_tail());
            }
            if readyz(self.addr) == Some(200) {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "node on {} not ready after {START_TIMEOUT:?} (is PostgreSQL or Redis \
                     down?):\n{}",
                    self.addr,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines the server printed.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.dir.path().join("server.log")) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// How clients reach it.
    pub fn target(&self) -> Target {
        Target {
            addr: self.addr,
            protocol: self.kind.protocol(),
        }
    }

    /// The WebSocket connections our server says it holds (`connections` of `GET /healthz`).
    pub fn connections(&self) -> Option<usize> {
        let (status, body) = get(self.addr, "/healthz")?;
        if status != 200 {
            return None;
        }
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        usize::try_from(json["connections"].as_u64()?).ok()
    }

    /// Its CPU time and resident memory now.
    pub fn usage(&self) -> Usage {
        proc::usage(self.pid)
    }

    /// Our server's count of queued frames and of the batches they were written in (from
    /// `GET /metrics`); `None` for the peer, which has no such page.
    pub fn writes(&self) -> Option<Writes> {
        let (status, body) = get(self.addr, "/metrics")?;
        if status != 200 {
            return None;
        }
        let counter = |name: &str| {
            body.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        };
        Some(Writes {
            frames: counter("chat_frames_sent_total")?,
            batches: counter("chat_write_batches_total")?,
        })
    }
}

/// Frames our server queued to connections, and the batches its writers wrote them in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes {
    pub frames: u64,
    pub batches: u64,
}

impl Writes {
    /// Frames per write between two readings; `None` without both, or when nothing was
    /// written.
    pub fn frames_per_write(before: Option<Self>, after: Option<Self>) -> Option<f64> {
        let (before, after) = before.zip(after)?;
        let batches = after.batches.checked_sub(before.batches)?;
        let frames = after.frames.checked_sub(before.frames)?;
        (batches > 0).then(|| frames as f64 / batches as f64)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` at `addr`: the status and the body, or `None` when it does not answer in time.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Some((status, body))
}

/// The status of `GET /readyz` at `addr`.
fn readyz(addr: SocketAddr) -> Option<u16> {
    get(addr, "/readyz").map(|(status, _)| status)
}

/// A free port on 127.0.0.1 (free a moment ago; nothing else here races for it).
fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Whether `peers` has `ws` installed.
pub fn peers_installed(peers: &Path) -> bool {
    peers
        .join("node_modules")
        .join("ws")
        .join("package.json")
        .is_file()
}

/// The `ws` version installed in `peers`.
pub fn ws_version(peers: &Path) -> String {
    std::fs::read_to_string(peers.join("node_modules/ws/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
