//! Several nodes of our server on this machine, as the scale-out scenario runs them: the
//! shared services ([`Services`]: a fresh PostgreSQL schema and a fresh Redis channel prefix,
//! like the backend's cluster tests) and the nodes themselves ([`Cluster`]).
//!
//! PostgreSQL is reached with `psql` (the schema is created before the nodes start and dropped
//! after they stop), Redis with a bare `PING`; [`Services::probe`] says which of the two is
//! missing so that the scenario can be skipped with a reason instead of failing. The base URLs
//! are those of the backend's tests, `postgres://postgres@127.0.0.1:5432/test` and
//! `redis://127.0.0.1:6379`, unless `BENCH_DATABASE_URL` or `BENCH_REDIS_URL` say otherwise.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use super::server::{NodeEnv, Server, Setup};
use crate::proc::Usage;
use crate::progress::say;
use crate::wire::Target;

/// How long a reachability check may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

fn base_database_url() -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn redis_url() -> String {
    std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A name no other run uses: `<prefix>_<pid>_<nanoseconds>`.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// Runs `sql` with `psql` against the base database; its error output on failure.
fn psql(sql: &str) -> Result<()> {
    let output = Command::new("psql")
        .arg(base_database_url())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGCONNECT_TIMEOUT", PROBE_TIMEOUT.as_secs().to_string())
        .stdin(Stdio::null())
        .output()
        .context("running psql (is the PostgreSQL client installed?)")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let one_line: Vec<&str> = stderr.split_whitespace().collect();
        bail!("psql {}: {}", output.status, one_line.join(" "));
    }
    Ok(())
}

/// Whether Redis at `url` answers a `PING` (any answer will do: an `-NOAUTH` is Redis too).
fn ping_redis(url: &str) -> Result<()> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:6379")
    };
    let addr = host_port
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("resolving {host_port}"))?;
    let mut stream = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT)
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT))?;
    stream.write_all(b"PING\r\n")?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    if !line.starts_with(['+', '-']) {
        bail!("{addr} does not answer like Redis: {line:?}");
    }
    Ok(())
}

/// The services a run's nodes share: a fresh PostgreSQL schema, dropped when this is dropped,
/// and a fresh Redis channel prefix (the bus keeps nothing in Redis but its channel).
pub struct Services {
    /// `DATABASE_URL` for the nodes: the base URL with `search_path` set to the schema.
    pub database_url: String,
    pub redis_url: String,
    /// `REDIS_PREFIX` for the nodes.
    pub prefix: String,
    /// Dropped (with everything in it) at the end.
    schema: String,
}

impl Services {
    /// Why the scale-out scenario cannot run here, if it cannot: PostgreSQL or Redis
    /// unreachable.
    pub fn probe() -> Option<String> {
        let mut missing = Vec::new();
        if let Err(e) = psql("SELECT 1") {
            missing.push(format!(
                "PostgreSQL at {} is unreachable ({e:#})",
                redact(&base_database_url())
            ));
        }
        if let Err(e) = ping_redis(&redis_url()) {
            missing.push(format!(
                "Redis at {} is unreachable ({e:#})",
                redact(&redis_url())
            ));
        }
        (!missing.is_empty()).then(|| missing.join("; "))
    }

    /// Creates a fresh schema and picks a fresh prefix.
    pub fn create() -> Result<Self> {
        let schema = unique("bench_scaleout");
        psql(&format!("CREATE SCHEMA {schema}"))
            .with_context(|| format!("creating the schema {schema}"))?;
        let base = base_database_url();
        let separator = if base.contains('?') { '&' } else { '?' };
        Ok(Self {
            database_url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            redis_url: redis_url(),
            prefix: unique("chat-bench"),
            schema,
        })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if let Err(e) = psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema)) {
            say(format!(
                "warning: could not drop the schema {}: {e:#}",
                self.schema
            ));
        }
    }
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (credentials, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_owned(),
    }
}

/// One node of a [`Cluster`].
pub struct Node {
    /// Its `NODE_ID`.
    pub id: String,
    pub server: Server,
}

/// Several nodes of our server sharing one schema and one Redis prefix.
pub struct Cluster {
    /// Declared before the services: the nodes stop before their schema is dropped.
    pub nodes: Vec<Node>,
    /// The schema and the prefix.
    _services: Services,
}

impl Cluster {
    /// Starts `count` nodes (`a`, `b`, …) one after the other, each ready before the next
    /// starts: the first creates the tables, and the others find them.
    pub fn start(setup: &Setup, count: usize) -> Result<Self> {
        let services = Services::create()?;
        let mut nodes = Vec::with_capacity(count);
        for i in 0..count {
            let id = node_id(i);
            let env = NodeEnv {
                id: id.clone(),
                database_url: services.database_url.clone(),
                redis_url: services.redis_url.clone(),
                prefix: services.prefix.clone(),
            };
            let server =
                Server::start_node(setup, &env).with_context(|| format!("starting node {id}"))?;
            nodes.push(Node { id, server });
        }
        Ok(Self {
            nodes,
            _services: services,
        })
    }

    /// How clients reach each node, in node order.
    pub fn targets(&self) -> Vec<Target> {
        self.nodes.iter().map(|n| n.server.target()).collect()
    }

    /// CPU time and resident memory of each node now, in node order.
    pub fn usages(&self) -> Vec<Usage> {
        self.nodes.iter().map(|n| n.server.usage()).collect()
    }
}

/// The name of node `i`: `a`, `b`, … `z`, then `n26`, ….
pub fn node_id(i: usize) -> String {
    match u8::try_from(i) {
        Ok(i) if i < 26 => char::from(b'a' + i).to_string(),
        _ => format!("n{i}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        assert_eq!(node_id(0), "a");
        assert_eq!(node_id(2), "c");
        assert_eq!(node_id(26), "n26");
        assert_eq!(
            redact("postgres://me:secret@db:5432/x"),
            "postgres://me@db:5432/x"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
