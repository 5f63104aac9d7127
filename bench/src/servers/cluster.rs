//! Several nodes of our server on this machine, as the scale-out scenario runs them: the
//! shared services (testkit's [`Services`]: a fresh PostgreSQL schema, dropped after the
//! nodes stop, and a fresh Redis channel prefix, as in the backend's cluster tests) and the
//! nodes themselves ([`Cluster`]).
//!
//! The services are those of the backend's tests (`TEST_DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`; `TEST_REDIS_URL`, else
//! `redis://127.0.0.1:6379`) unless `BENCH_DATABASE_URL` or `BENCH_REDIS_URL` say otherwise.
//! [`services_down`] says which of the two is unreachable, so that the run can skip the
//! scenario with a reason, or fail.

use anyhow::{Context, Result};
use testkit::{Services, Unreachable};

use super::server::{Server, Setup};
use crate::proc::Usage;
use crate::wire::Target;

fn database_url() -> String {
    std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| testkit::test_database_url())
}

fn redis_url() -> String {
    std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| testkit::test_redis_url())
}

/// Why the scale-out scenario cannot run here, if it cannot: PostgreSQL or Redis unreachable
/// (which, where and why; its `Display` adds how to start them).
pub async fn services_down() -> Option<Unreachable> {
    Services::probe(&database_url(), &redis_url()).await.err()
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
    pub async fn start(setup: &Setup, count: usize) -> Result<Self> {
        let services = Services::try_at(&database_url(), redis_url())
            .await
            .context("preparing PostgreSQL and Redis")?;
        let mut nodes = Vec::with_capacity(count);
        for i in 0..count {
            let id = node_id(i);
            let server = Server::start_node(setup, &services, &id)
                .await
                .with_context(|| format!("starting node {id}"))?;
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
    fn node_names() {
        assert_eq!(node_id(0), "a");
        assert_eq!(node_id(2), "c");
        assert_eq!(node_id(26), "n26");
    }
}
