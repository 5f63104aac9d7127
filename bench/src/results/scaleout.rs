//! Scale-out's figures: several nodes of ours, their connections, memory and CPU, and the
//! fan-out ramp across them (ours only).
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::latency::Latency;
use super::ramp::Ramp;
use crate::proc::Busy;

/// A step is sustained only with a p99 below this.
pub const P99_LIMIT_MS: f64 = 2000.0;

/// One node's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFigures {
    /// Its `NODE_ID`.
    pub id: String,
    /// Connections it said it held once everyone had signed in, and at the end.
    pub connections: Option<usize>,
    pub connections_end: Option<usize>,
    /// Resident memory when ready and empty, once everyone had signed in, and at the end.
    pub rss_empty: u64,
    pub rss_signed_in: u64,
    pub rss_end: u64,
    /// CPU time it spent on the sign-ins (until it went quiet), and on the broadcast steps.
    pub signin_cpu_s: f64,
    pub ramp_cpu_s: f64,
}

/// The whole scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scaleout {
    /// When it ran, on which commit, and how busy the machine was at its start and end: a
    /// partial run (`--only scaleout --merge`) puts these figures beside older ones.
    pub date: String,
    pub commit: Option<String>,
    pub busy_start: Busy,
    pub busy_end: Busy,
    pub nodes: usize,
    /// Connections opened (all signed in, all in `lobby`), and connections per user.
    pub connections: usize,
    pub tabs: usize,
    /// Connections the nodes said they held together once everyone had signed in.
    pub held: Option<usize>,
    /// Connections the load generator still had open at the end.
    pub held_end: usize,
    pub senders: usize,
    /// Load-generator processes and source addresses the clients were spread over.
    pub workers: usize,
    pub source_addresses: usize,
    /// The core every node was pinned to.
    pub server_core: usize,
    /// Time to sign every connection in, and for the nodes to go quiet after.
    pub setup_s: f64,
    pub settle_s: f64,
    /// CPU time of all nodes together for the sign-ins.
    pub setup_cpu_s: f64,
    /// Time to open one connection (claim a name or not, upgrade, `welcome`).
    pub setup_latency: Latency,
    /// Broadcasts per second (all senders together), step by step; the ramp counts
    /// deliveries (broadcasts × (connections − 1)).
    pub messages_per_s: Vec<f64>,
    pub step_s: f64,
    pub ramp: Ramp,
    pub node: Vec<NodeFigures>,
}
