//! The servers under test: ours (`chat-server`, release build) and the peers of
//! `bench/peers/`, the two Node.js `ws` servers and the same two on Bun's built-in WebSocket
//! server (uWebSockets). Each is started fresh for every scenario, pinned to the server
//! core with `taskset`, on a free port of 127.0.0.1, and killed afterwards (or by the kernel,
//! through `setpriv --pdeathsig`, if the harness dies first).
//!
//! Ours is started through testkit ([`ServerOptions`], the harness the backend's tests use),
//! with [`pinned`] as its command prefix; the peers are started here. Ours runs with the limits
//! that would otherwise throttle a load test lifted (rate limit, account creations per
//! address, connections per user, connection cap) and a deep outbound queue, its SQLite database in a temporary
//! directory, and `RUST_LOG=warn` (per-connection `info` lines would otherwise be measured
//! too); it counts as started once
//! `GET /healthz` answers 200. As a node of several ([`Server::start_node`], see
//! [`super::cluster`]) it runs the same way but with its store in PostgreSQL and a link to
//! Redis, and counts as started once `GET /readyz` answers 200.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;
use testkit::{free_addr, ServerOptions, ServerProcess, Services};

use crate::proc::{self, Usage};
use crate::wire::{Protocol, Target};

/// How long a server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The lines of a server's log shown when it does not start.
const LOG_TAIL_LINES: usize = 20;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our `chat-server`.
    Ours,
    /// `peers/broadcast.js` on Node.js and `ws`: every message to every other connection.
    NodeBroadcast,
    /// `peers/private.js` on Node.js and `ws`: a map from user to connection.
    NodePrivate,
    /// `peers/broadcast-bun.js` on Bun: every connection subscribed to one topic, every
    /// message published to it (`ws.publish`, which skips the sender).
    BunBroadcast,
    /// `peers/private-bun.js` on Bun: a map from user to connection.
    BunPrivate,
}

impl Kind {
    pub fn protocol(self) -> Protocol {
        match self {
            Self::Ours => Protocol::Chat,
            _ => Protocol::Raw,
        }
    }

    /// Whether this is a private-message peer, whose clients register with `online` first.
    pub fn registers(self) -> bool {
        matches!(self, Self::NodePrivate | Self::BunPrivate)
    }

    /// The same peer on Bun, for a Node.js peer.
    pub fn on_bun(self) -> Option<Self> {
        match self {
            Self::NodeBroadcast => Some(Self::BunBroadcast),
            Self::NodePrivate => Some(Self::BunPrivate),
            _ => None,
        }
    }

    /// The peer's program and script in `bench/peers/`; `None` for ours.
    fn peer_command(self, peers: &Path) -> Option<(PathBuf, &'static str)> {
        let node = || PathBuf::from("node");
        let bun = || bun_binary(peers);
        Some(match self {
            Self::Ours => return None,
            Self::NodeBroadcast => (node(), "broadcast.js"),
            Self::NodePrivate => (node(), "private.js"),
            Self::BunBroadcast => (bun(), "broadcast-bun.js"),
            Self::BunPrivate => (bun(), "private-bun.js"),
        })
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

/// The command every server under test runs through: `taskset -c <core>`, behind
/// `setpriv --pdeathsig KILL` (the kernel kills the server if the harness dies before it can)
/// where setpriv is installed. PerServer exec the server in place: its pid is the one started.
pub fn pinned(core: usize) -> Vec<OsString> {
    let mut command: Vec<OsString> = Vec::new();
    if Path::new("/usr/bin/setpriv").is_file() {
        command.extend(["/usr/bin/setpriv", "--pdeathsig", "KILL"].map(OsString::from));
    }
    command.extend(["taskset".into(), "-c".into(), core.to_string().into()]);
    command
}

/// How our server runs in every scenario: the limits that would throttle a load test lifted.
pub fn ours(setup: &Setup) -> ServerOptions {
    ServerOptions::new()
        .only_binary(&setup.chat_server)
        .command_prefix(pinned(setup.server_core))
        .args(["--max-connections", "30000"])
        .args(["--rate-per-sec", "100000", "--rate-burst", "100000"])
        // 1,000 clients share each source address, whose account creations are limited, and
        // a user with 100 connections ("tabs") holds more than one user may by default (20).
        .args(["--account-creations", "1000000"])
        .args(["--account-creations-per-hour", "1000000"])
        .args(["--max-connections-per-user", "1000"])
        // The connection caps are fitted to the 20,000 open files a process may hold here:
        // with the default 1,024 connections waiting for their upgrade, 18,848 WebSockets
        // would be left, fewer than the largest rooms and idle samples.
        .args(["--max-http-connections", "256"])
        .arg("--queue-frames")
        .arg(setup.queue_frames.to_string())
        .env("RUST_LOG", "warn")
        .capture_output()
        .start_within(START_TIMEOUT)
}

/// A running server.
pub struct Server {
    pub kind: Kind,
    /// The server's process id (setpriv and taskset exec it in place).
    pub pid: u32,
    /// The process; killed when the server is dropped.
    process: Process,
}

/// Ours through testkit, or a Node.js peer.
enum Process {
    Ours(Box<ServerProcess>),
    Peer(Peer),
}

impl Server {
    /// Starts `kind` and waits until it accepts connections.
    pub async fn start(kind: Kind, setup: &Setup) -> Result<Self> {
        match kind {
            Kind::Ours => Self::ours(ours(setup)).await,
            _ => {
                let peer = Peer::start(kind, setup)?;
                Ok(Self {
                    kind,
                    pid: peer.child.id(),
                    process: Process::Peer(peer),
                })
            }
        }
    }

    /// Starts our server as node `id` of the cluster that shares `services`, and waits until it
    /// is ready: listening, with its store and its Redis link up (`GET /readyz` answers 200).
    pub async fn start_node(setup: &Setup, services: &Services, id: &str) -> Result<Self> {
        Self::ours(services.node_with(id, ours(setup))).await
    }

    async fn ours(options: ServerOptions) -> Result<Self> {
        let process = options
            .try_start()
            .await
            .context("starting Ours (is taskset installed?)")?;
        Ok(Self {
            kind: Kind::Ours,
            pid: process.pid().context("a started server has a pid")?,
            process: Process::Ours(Box::new(process)),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        match &self.process {
            Process::Ours(process) => process.addr,
            Process::Peer(peer) => peer.addr,
        }
    }

    /// How clients reach it.
    pub fn target(&self) -> Target {
        Target {
            addr: self.addr(),
            protocol: self.kind.protocol(),
        }
    }

    /// The WebSocket connections our server says it holds (`connections` of `GET /healthz`).
    pub fn connections(&self) -> Option<usize> {
        let (status, body) = get(self.addr(), "/healthz")?;
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
        let (status, body) = get(self.addr(), "/metrics")?;
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

/// A peer: `node peers/<script> <port> <ip>` (or `bun`), pinned like ours, its output in a
/// temporary directory; killed and reaped when dropped.
struct Peer {
    child: Child,
    addr: SocketAddr,
    /// Holds its log.
    dir: TempDir,
}

impl Peer {
    /// Starts the peer and waits until it accepts connections.
    fn start(kind: Kind, setup: &Setup) -> Result<Self> {
        let (program, script) = kind
            .peer_command(&setup.peers_dir)
            .context("our server is not a peer")?;
        let addr = free_addr();
        let dir = tempfile::Builder::new().prefix("chat-bench-").tempdir()?;
        let log = File::create(dir.path().join("server.log"))?;
        let prefix = pinned(setup.server_core);
        let child = Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg(program)
            .arg(setup.peers_dir.join(script))
            .arg(addr.port().to_string())
            .arg(addr.ip().to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {kind:?} (is taskset installed?)"))?;
        let mut peer = Self { child, addr, dir };
        let started = Instant::now();
        loop {
            if let Some(status) = peer.child.try_wait()? {
                bail!("{kind:?} exited at start ({status}):\n{}", peer.log_tail());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(peer);
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{kind:?} is not listening on {addr} after {START_TIMEOUT:?}:\n{}",
                    peer.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines the peer printed.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.dir.path().join("server.log")) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// Whether `peers` has `ws` and Bun installed (`npm ci` installs both).
pub fn peers_installed(peers: &Path) -> bool {
    peers
        .join("node_modules")
        .join("ws")
        .join("package.json")
        .is_file()
        && bun_binary(peers).is_file()
}

/// Bun's binary, as the npm package `bun` installs it in `peers`.
fn bun_binary(peers: &Path) -> PathBuf {
    peers.join("node_modules").join(".bin").join("bun")
}

/// The Bun version installed in `peers`.
pub fn bun_version(peers: &Path) -> String {
    Command::new(bun_binary(peers))
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |v| v.trim().to_owned())
}

/// The `ws` version installed in `peers`.
pub fn ws_version(peers: &Path) -> String {
    std::fs::read_to_string(peers.join("node_modules/ws/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
