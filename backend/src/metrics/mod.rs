//! Metrics: counters and latency histograms an operator scrapes at `GET /metrics`.
//!
//! The metrics live in a `prometheus-client` registry, and [`Metrics::render`] has the library
//! write the Prometheus text exposition format (version 0.0.4). Every counter is the library's
//! `Counter` (an `Arc<AtomicU64>` bumped with `Relaxed` ordering) and every histogram is
//! [`Histogram`] (atomics too; the library's takes a lock), so counting where the event happens
//! costs no lock and no allocation. The gauges (connections, users, rooms, and how far SQLite's
//! lists file is behind) are read from the hub and the store at scrape time rather than kept
//! here, and so are the process metrics (from `/proc`, on Linux).
//!
//! Names, for dashboards and alerts:
//!
//! | Metric | Type | Counted in |
//! |---|---|---|
//! | `chat_connections`, `chat_users_online`, `chat_rooms` | gauge | `Hub::stats` |
//! | `chat_store_lists_behind_ids` (SQLite only) | gauge | `Store::lists_behind` |
//! | `chat_connections_opened_total` | counter | `connection.rs`, on joining the hub |
//! | `chat_frames_received_total` | counter | `connection.rs`, frames past the rate limit |
//! | `chat_frames_sent_total` | counter | `Outbox::push`, frames queued |
//! | `chat_write_batches_total` | counter | `connection.rs` and the outbox's flusher (writing in an idle writer's place), queued frames taken and written together |
//! | `chat_messages_stored_total` | counter | `journal.rs`, duplicates excluded |
//! | `chat_slow_consumers_disconnected_total` | counter | `Outbox::push`, queue full |
//! | `chat_queue_bytes_exceeded_total` | counter | `Outbox::push`, over `--queue-bytes` |
//! | `chat_write_timeouts_total` | counter | `connection/`, a write without progress for the idle timeout |
//! | `chat_rate_limited_total` | counter | `connection.rs` |
//! | `chat_flood_disconnects_total` | counter | `connection.rs` |
//! | `chat_fanout_seconds` | histogram | `Hub::deliver` |
//! | `chat_store_append_seconds` | histogram | `journal.rs`, one batch |
//! | `chat_build_info{version}` | gauge, always 1 | the crate's version at build time |
//! | `process_cpu_seconds_total` | counter | `/proc/self/stat` (Linux), at scrape time |
//! | `process_resident_memory_bytes`, `process_virtual_memory_bytes` | gauge | the same |
//! | `process_open_fds`, `process_max_fds` | gauge | `/proc/self/fd`, `RLIMIT_NOFILE` |
//! | `process_threads`, `process_start_time_seconds` | gauge | `/proc/self/stat`, `/proc/stat` |
//!
//! A counter is registered without its `_total` suffix, which the library appends.

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

mod histogram;
#[cfg(target_os = "linux")]
mod process;

pub use histogram::{Histogram, LATENCY_BUCKETS};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The sizes of the pool, the user map and the rooms: the gauges, read from the hub at scrape
/// time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Open WebSocket connections on this node.
    pub connections: usize,
    /// Users with at least one connection on this node.
    pub users_online: usize,
    /// Rooms, the lobby included.
    pub rooms: usize,
}

/// Counters and histograms an operator (and a test) can read. One per process, shared by the
/// hub, every connection and the journal. Each field is also in `registry` (a clone sharing
/// its count), which renders them.
#[derive(Debug)]
pub struct Metrics {
    /// WebSocket connections that joined the hub since start.
    pub connections_opened: Counter,
    /// Client frames (text or binary) a connection accepted past the rate limit.
    pub frames_received: Counter,
    /// Frames queued to connections; a frame for many recipients counts once per recipient.
    /// The welcome and the replay of missed messages go straight to the socket and are not
    /// counted.
    pub frames_sent: Counter,
    /// Batches of queued frames a connection's writer took at once and wrote together (with
    /// one `writev` when the socket takes them all), or the flusher wrote in an idle writer's
    /// place. `frames_sent` divided by this is how many
    /// frames share a write: 1 without load, more as broadcasts pile up (see the outbox's flusher).
    pub write_batches: Counter,
    /// Messages the journal stored; a resent `req` already stored does not count again.
    pub messages_stored: Counter,
    /// Connections closed with 1013 because their outbound queue was full.
    pub slow_consumers_disconnected: Counter,
    /// Of those, the connections closed because their queued and held bytes went over
    /// `--queue-bytes`.
    pub queue_bytes_exceeded: Counter,
    /// Connections dropped because a write made no progress for the idle timeout (a peer
    /// that stopped reading, or a zero TCP window).
    pub write_timeouts: Counter,
    /// Client frames dropped (and answered `rate_limited`) by the rate limit.
    pub rate_limited: Counter,
    /// Connections closed with 1008 for flooding.
    pub flood_disconnects: Counter,
    /// Time `Hub::deliver` takes to queue one stored message for every local recipient.
    pub fanout_seconds: Histogram,
    /// Time one batch append to the store takes, failed ones included.
    pub store_append_seconds: Histogram,
    /// Every metric above, the build info and the process collector, for rendering.
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Self {
            connections_opened: Counter::default(),
            frames_received: Counter::default(),
            frames_sent: Counter::default(),
            write_batches: Counter::default(),
            messages_stored: Counter::default(),
            slow_consumers_disconnected: Counter::default(),
            queue_bytes_exceeded: Counter::default(),
            write_timeouts: Counter::default(),
            rate_limited: Counter::default(),
            flood_disconnects: Counter::default(),
            fanout_seconds: Histogram::default(),
            store_append_seconds: Histogram::default(),
            registry: Registry::default(),
        };
        let counters = [
            (
                "chat_connections_opened",
                "WebSocket connections opened since start",
                &metrics.connections_opened,
            ),
            (
                "chat_frames_received",
                "Client frames accepted past the rate limit",
                &metrics.frames_received,
            ),
            (
                "chat_frames_sent",
                "Frames queued to connections, once per recipient",
                &metrics.frames_sent,
            ),
            (
                "chat_write_batches",
                "Batches of queued frames a connection wrote together",
                &metrics.write_batches,
            ),
            (
                "chat_messages_stored",
                "Messages stored, resent duplicates excluded",
                &metrics.messages_stored,
            ),
            (
                "chat_slow_consumers_disconnected",
                "Connections closed (1013) because their outbound queue was full",
                &metrics.slow_consumers_disconnected,
            ),
            (
                "chat_queue_bytes_exceeded",
                "Connections closed (1013) because their queued bytes went over --queue-bytes",
                &metrics.queue_bytes_exceeded,
            ),
            (
                "chat_write_timeouts",
                "Connections dropped because a write made no progress for the idle timeout",
                &metrics.write_timeouts,
            ),
            (
                "chat_rate_limited",
                "Client frames refused by the rate limit",
                &metrics.rate_limited,
            ),
            (
                "chat_flood_disconnects",
                "Connections closed (1008) for flooding",
                &metrics.flood_disconnects,
            ),
        ];
        let registry = &mut metrics.registry;
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "chat_fanout_seconds",
            "Time to queue one stored message for every local recipient",
            metrics.fanout_seconds.clone(),
        );
        registry.register(
            "chat_store_append_seconds",
            "Time to store one batch of messages",
            metrics.store_append_seconds.clone(),
        );
        // The suffix `_info` is the library's; what is known when the binary is built.
        registry.register(
            "chat_build",
            "The server's build: its version; always 1",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        #[cfg(target_os = "linux")]
        registry.register_collector(Box::new(process::ProcessCollector));
        metrics
    }
}

impl Metrics {
    /// The metrics in the Prometheus text format, with the hub's current `stats` and the
    /// store's `lists_behind` (`None`: no lists file, no gauge) as gauges first.
    pub fn render(&self, stats: Stats, lists_behind: Option<u64>) -> String {
        // The gauges are this scrape's readings: a registry of constants, made per scrape.
        let mut now = Registry::default();
        now.register(
            "chat_connections",
            "Open WebSocket connections",
            ConstGauge::new(stats.connections),
        );
        now.register(
            "chat_users_online",
            "Users with at least one open connection",
            ConstGauge::new(stats.users_online),
        );
        now.register(
            "chat_rooms",
            "Rooms that exist, the lobby included",
            ConstGauge::new(stats.rooms),
        );
        if let Some(behind) = lists_behind {
            now.register(
                "chat_store_lists_behind_ids",
                "Stored message ids that SQLite's conversation lists and private-message index \
                 do not cover yet",
                ConstGauge::new(behind),
            );
        }
        let mut out = String::with_capacity(8192);
        // Writing to a `String` cannot fail, and no metric here refuses to encode.
        let encoded = prometheus_text::encode(&mut out, &now)
            .and_then(|()| prometheus_text::encode(&mut out, &self.registry));
        debug_assert!(encoded.is_ok(), "{encoded:?}");
        out
    }
}

#[cfg(test)]
mod tests;
