//! The scenarios, each run against our server, the Node.js peer and the Bun peer on the same
//! load:
//!
//! - [`fanout`]: one room of 1,000 clients, 10 senders at rising rates;
//! - [`capacity`]: the room grows until the p95 broadcast round trip passes 500 ms;
//! - [`idle`]: resident memory per idle signed-in connection;
//! - [`private`]: 1,000 users exchanging private messages at rising rates;
//! - [`acks`]: time to acknowledgement of accepted messages (ours only: the peer has none);
//! - [`connect`]: new authenticated connections per second;
//! - [`sign_in`]: `POST /api/session` alone, passwordless and with passwords (ours only: the
//!   peers have no sign-in);
//! - [`search`]: full-text search on a filled store, each engine (ours only: the peers have
//!   no search);
//! - [`storm`]: every user reconnects at once with the token it holds (ours only: the peers
//!   have no sessions);
//! - [`scaleout`]: several nodes of ours holding more connections together than one process
//!   may, with the fan-out rate (ours only: the peer has no multi-node mode);
//! - [`stores`]: durable sends on 1, 2 and 3 nodes sharing PostgreSQL (ours only);
//! - [`growth`]: append and history latency and bytes per message as the store fills, each
//!   engine (ours only).
//!
//! Each scenario starts a fresh server and fresh workers and stops both when it is done. This
//! module holds what they share: the [`Scale`] (full or smoke), the [`Env`], running a scenario
//! against every server ([`each`]) and waiting for the servers to go quiet.

pub mod acks;
pub mod capacity;
pub mod connect;
pub mod fanout;
pub mod growth;
pub mod idle;
pub mod private;
pub mod ramp;
pub mod scaleout;
pub mod search;
pub mod sign_in;
pub mod stores;
pub mod storm;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::progress::say;
use crate::results::PerServer;
use crate::servers::{Kind, Setup, Watched};

/// The fan-out steps of the full run, in broadcasts per second to the 1,000-client room.
const FANOUT_BROADCASTS: [f64; 14] = [
    10.0, 20.0, 50.0, 100.0, 200.0, 300.0, 500.0, 700.0, 1000.0, 1400.0, 2000.0, 2500.0, 3000.0,
    4000.0,
];

/// Sizes and durations of every scenario.
#[derive(Debug, Clone)]
pub struct Scale {
    pub fanout_clients: usize,
    pub fanout_senders: usize,
    /// Offered deliveries per second, step by step.
    pub fanout_deliveries: Vec<f64>,
    pub capacity_sizes: Vec<usize>,
    pub capacity_in_flight: usize,
    /// Connections per user in the capacity room (ours); see [`capacity`].
    pub capacity_tabs: usize,
    /// Measuring time per room size, and the fewest broadcasts that make a p95.
    pub capacity_window: Duration,
    pub capacity_min_broadcasts: usize,
    pub idle_connections: usize,
    /// A second, larger sample of the idle-memory scenario, one user per connection.
    pub idle_more: Option<usize>,
    pub private_users: usize,
    /// Private messages per second, step by step.
    pub private_rates: Vec<f64>,
    /// Contacts per user in the second part of the private-message scenario.
    pub private_contacts: usize,
    /// Private messages per second between contacts, step by step.
    pub private_contact_rates: Vec<f64>,
    pub ack_clients: usize,
    pub ack_rates: Vec<f64>,
    pub connect_count: usize,
    pub connect_concurrency: usize,
    /// Passwordless claims per concurrency, and the clients at once of each round.
    pub signin_count: usize,
    pub signin_concurrency: Vec<usize>,
    /// Names claimed with a password, then signed in to.
    pub signin_password_count: usize,
    /// Sending time of one step.
    pub step: Duration,
    /// Longest wait for a step's stragglers.
    pub drain: Duration,
    /// Clients opened at once while setting up.
    pub setup_concurrency: usize,
    /// Most clients one worker process holds.
    pub clients_per_worker: usize,
    /// Nodes of the scale-out scenario, and the connections they hold together.
    pub scaleout_nodes: usize,
    pub scaleout_connections: usize,
    /// Connections per user in the scale-out room; see [`scaleout`].
    pub scaleout_tabs: usize,
    /// Senders of the scale-out broadcasts, spread over the nodes.
    pub scaleout_senders: usize,
    /// Broadcasts per second (all senders together), step by step.
    pub scaleout_messages: Vec<f64>,
    /// Sending time of one scale-out step.
    pub scaleout_step: Duration,
    /// The most nodes of the durable sends on shared PostgreSQL (each size from 1 up).
    pub stores_nodes: usize,
    /// Messages stored before the searches, and searches of each kind.
    pub search_messages: usize,
    pub search_queries: usize,
    /// The growth scenario's checkpoints: stored messages at which it measures.
    pub growth_messages: Vec<u64>,
    /// Appends and history pages timed at each of them.
    pub growth_probes: usize,
    /// Users of each reconnect storm, one storm per size.
    pub storm_sizes: Vec<usize>,
}

impl Scale {
    /// The full benchmark: about fifteen minutes, half of it signing in 10,000 users one by one
    /// for the idle-memory scenario.
    pub fn full() -> Self {
        Self {
            fanout_clients: 1000,
            fanout_senders: 10,
            // Broadcasts per second × 999 receivers: the light-load steps of issue #25 (50,
            // 200, 500, 1,000 and 2,000 broadcasts/s) and the steps between and above them.
            fanout_deliveries: FANOUT_BROADCASTS.iter().map(|b| b * 999.0).collect(),
            capacity_sizes: vec![
                100, 300, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_500, 15_000,
                17_500, 19_500,
            ],
            capacity_in_flight: 4,
            capacity_tabs: 100,
            capacity_window: Duration::from_secs(3),
            capacity_min_broadcasts: 40,
            idle_connections: 10_000,
            idle_more: Some(19_000),
            private_users: 1000,
            private_rates: vec![1e3, 2e3, 5e3, 10e3, 20e3, 40e3, 60e3, 80e3, 120e3, 160e3],
            private_contacts: 10,
            private_contact_rates: vec![5e3, 10e3, 20e3, 40e3],
            ack_clients: 100,
            ack_rates: vec![5e3, 10e3, 20e3, 40e3, 80e3, 120e3, 160e3, 240e3],
            connect_count: 2000,
            connect_concurrency: 32,
            signin_count: 20_000,
            signin_concurrency: vec![1, 32, 256],
            signin_password_count: 64,
            step: Duration::from_secs(3),
            drain: Duration::from_secs(3),
            setup_concurrency: 64,
            clients_per_worker: 5000,
            scaleout_nodes: 3,
            scaleout_connections: 24_000,
            scaleout_tabs: 100,
            scaleout_senders: 3,
            scaleout_messages: vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
            scaleout_step: Duration::from_secs(6),
            stores_nodes: 3,
            search_messages: 1_000_000,
            search_queries: 200,
            growth_messages: vec![10_000, 100_000, 1_000_000],
            growth_probes: 200,
            storm_sizes: vec![1000, 5000, 10_000],
        }
    }

    /// The CI smoke run: tiny sizes, every code path, well under a minute.
    pub fn smoke() -> Self {
        Self {
            fanout_clients: 20,
            fanout_senders: 2,
            fanout_deliveries: vec![1900.0, 3800.0],
            capacity_sizes: vec![10, 30],
            capacity_in_flight: 4,
            capacity_tabs: 5,
            capacity_window: Duration::from_millis(500),
            capacity_min_broadcasts: 10,
            idle_connections: 50,
            idle_more: Some(80),
            private_users: 20,
            private_rates: vec![500.0, 1000.0],
            private_contacts: 10,
            private_contact_rates: vec![500.0],
            ack_clients: 10,
            ack_rates: vec![500.0],
            connect_count: 50,
            connect_concurrency: 8,
            signin_count: 40,
            signin_concurrency: vec![1, 8],
            signin_password_count: 4,
            step: Duration::from_millis(600),
            drain: Duration::from_secs(2),
            setup_concurrency: 16,
            clients_per_worker: 20,
            scaleout_nodes: 3,
            scaleout_connections: 60,
            scaleout_tabs: 5,
            scaleout_senders: 3,
            scaleout_messages: vec![10.0, 20.0],
            scaleout_step: Duration::from_millis(600),
            stores_nodes: 2,
            search_messages: 2_000,
            search_queries: 10,
            growth_messages: vec![200, 1_000],
            growth_probes: 20,
            storm_sizes: vec![20, 40],
        }
    }
}

/// What every scenario needs.
#[derive(Debug, Clone)]
pub struct Env {
    pub setup: Setup,
    /// The core the workers (and the coordinator) run on.
    pub client_core: usize,
    pub scale: Scale,
    /// Only our server runs, not the peers (`--ours-only`).
    pub ours_only: bool,
}

/// Waits until `server` has used less than 5% of a core for 300 ms, at most `limit`; returns
/// how long that took.
pub async fn quiesce(server: &impl Watched, limit: Duration) -> Duration {
    let started = Instant::now();
    let window = Duration::from_millis(300);
    loop {
        let before = server.usage().cpu;
        tokio::time::sleep(window).await;
        let used = server.usage().cpu.saturating_sub(before);
        if used < window / 20 || started.elapsed() >= limit {
            return started.elapsed();
        }
    }
}

/// Workers needed for `clients` clients.
pub fn workers_for(clients: usize, scale: &Scale) -> usize {
    clients.div_ceil(scale.clients_per_worker).max(1)
}

/// Runs `scenario` against our server, then against the Node.js `peer`, then against the
/// same peer on Bun.
pub async fn each<'a, T, F, Fut>(env: &'a Env, peer: Kind, scenario: F) -> PerServer<T>
where
    F: Fn(&'a Env, Kind) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + 'a,
{
    let mut each = PerServer::default();
    let peers = if env.ours_only {
        [None, None]
    } else {
        [Some(peer), peer.on_bun()]
    };
    for kind in [Some(Kind::Ours)].into_iter().chain(peers).flatten() {
        let outcome = scenario(env, kind).await.map_err(|e| format!("{e:#}"));
        if let Err(e) = &outcome {
            say(format!("{kind:?} failed: {e}"));
        }
        let slot = match kind {
            Kind::Ours => &mut each.ours,
            Kind::BunBroadcast | Kind::BunPrivate => &mut each.bun,
            Kind::NodeBroadcast | Kind::NodePrivate => &mut each.node,
        };
        *slot = Some(outcome);
    }
    each
}
