//! The servers under test and what the harness reads of them.
//!
//! - [`server`]: one server, ours or a Node.js `ws` peer, started fresh, pinned and watched;
//! - [`cluster`]: several nodes of ours sharing PostgreSQL and Redis (the scale-out scenario).
//!
//! Ours, and PostgreSQL and Redis, are started and prepared through testkit, the harness the
//! backend's tests and the browser tests use; the Node.js peers are started here.
//!
//! The rest of the crate sees only what is re-exported here: how to start a server
//! ([`Kind`], [`Setup`], [`Server::start`], [`Cluster::start`]), how clients reach it
//! ([`Server::target`]) and what is read of it ([`Watched`]). Nothing in here knows the
//! scenarios or the report, so the way servers are started can be swapped on its own.

mod cluster;
mod server;

pub use cluster::{services_down, Cluster};
pub use server::{
    bun_version, ours as ours_options, peers_installed, ws_version, Kind, Server, Setup, Writes,
};

use crate::proc::Usage;

/// What the harness reads of the servers under test: one process, or the nodes of a cluster.
pub trait Watched {
    /// CPU time and resident memory of each process now.
    fn usages(&self) -> Vec<Usage>;

    /// Frames queued and write batches so far, where the server counts them (ours, alone).
    fn writes(&self) -> Option<Writes> {
        None
    }

    /// CPU time and resident memory of all the processes together now.
    fn usage(&self) -> Usage {
        self.usages()
            .into_iter()
            .fold(Usage::default(), |sum, u| Usage {
                cpu: sum.cpu + u.cpu,
                rss_bytes: sum.rss_bytes + u.rss_bytes,
            })
    }
}

impl Watched for Server {
    fn usages(&self) -> Vec<Usage> {
        vec![Server::usage(self)]
    }

    fn writes(&self) -> Option<Writes> {
        Server::writes(self)
    }
}

impl Watched for Cluster {
    fn usages(&self) -> Vec<Usage> {
        Cluster::usages(self)
    }
}
