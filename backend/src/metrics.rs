//! Metrics: counters and latency histograms an operator scrapes at `GET /metrics`.
//!
//! Everything is a plain atomic, bumped with `Relaxed` ordering where the event happens, so
//! counting costs no lock and no allocation. [`Metrics::render`] writes the Prometheus text
//! exposition format (version 0.0.4) by hand; the gauges (connections, users, rooms, and how
//! far SQLite's lists file is behind) are read from the hub and the store at scrape time rather
//! than kept here.
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
//! | `chat_write_batches_total` | counter | `connection.rs`, queued frames taken and written together |
//! | `chat_messages_stored_total` | counter | `journal.rs`, duplicates excluded |
//! | `chat_slow_consumers_disconnected_total` | counter | `Outbox::push`, queue full |
//! | `chat_queue_bytes_exceeded_total` | counter | `Outbox::push`, over `--queue-bytes` |
//! | `chat_write_timeouts_total` | counter | `connection/`, a write without progress for the idle timeout |
//! | `chat_rate_limited_total` | counter | `connection.rs` |
//! | `chat_flood_disconnects_total` | counter | `connection.rs` |
//! | `chat_fanout_seconds` | histogram | `Hub::deliver` |
//! | `chat_store_append_seconds` | histogram | `journal.rs`, one batch |

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds: 50µs to 5s, roughly ×2.5 per step.
/// Observations above the last bound land only in `+Inf`.
pub const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

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
/// hub, every connection and the journal.
#[derive(Debug, Default)]
pub struct Metrics {
    /// WebSocket connections that joined the hub since start.
    pub connections_opened: AtomicU64,
    /// Client frames (text or binary) a connection accepted past the rate limit.
    pub frames_received: AtomicU64,
    /// Frames queued to connections; a frame for many recipients counts once per recipient.
    /// The welcome and the replay of missed messages go straight to the socket and are not
    /// counted.
    pub frames_sent: AtomicU64,
    /// Batches of queued frames a connection's writer took at once and wrote together (with
    /// one `writev` when the socket takes them all). `frames_sent` divided by this is how many
    /// frames share a write: 1 without load, more as broadcasts pile up (see the outbox's flusher).
    pub write_batches: AtomicU64,
    /// Messages the journal stored; a resent `req` already stored does not count again.
    pub messages_stored: AtomicU64,
    /// Connections closed with 1013 because their outbound queue was full.
    pub slow_consumers_disconnected: AtomicU64,
    /// Of those, the connections closed because their queued and held bytes went over
    /// `--queue-bytes`.
    pub queue_bytes_exceeded: AtomicU64,
    /// Connections dropped because a write made no progress for the idle timeout (a peer
    /// that stopped reading, or a zero TCP window).
    pub write_timeouts: AtomicU64,
    /// Client frames dropped (and answered `rate_limited`) by the rate limit.
    pub rate_limited: AtomicU64,
    /// Connections closed with 1008 for flooding.
    pub flood_disconnects: AtomicU64,
    /// Time `Hub::deliver` takes to queue one stored message for every local recipient.
    pub fanout_seconds: Histogram,
    /// Time one batch append to the store takes, failed ones included.
    pub store_append_seconds: Histogram,
}

impl Metrics {
    /// The metrics in the Prometheus text format, with the hub's current `stats` and the
    /// store's `lists_behind` (`None`: no lists file, no gauge) as gauges.
    pub fn render(&self, stats: Stats, lists_behind: Option<u64>) -> String {
        let mut out = String::with_capacity(4096);
        let gauges = [
            (
                "chat_connections",
                "Open WebSocket connections.",
                stats.connections,
            ),
            (
                "chat_users_online",
                "Users with at least one open connection.",
                stats.users_online,
            ),
            (
                "chat_rooms",
                "Rooms that exist, the lobby included.",
                stats.rooms,
            ),
        ];
        let lists = lists_behind.map(|behind| {
            (
                "chat_store_lists_behind_ids",
                "Stored message ids that SQLite's conversation lists and private-message index \
                 do not cover yet.",
                usize::try_from(behind).unwrap_or(usize::MAX),
            )
        });
        for (name, help, value) in gauges.into_iter().chain(lists) {
            header(&mut out, name, help, "gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        let counters = [
            (
                "chat_connections_opened_total",
                "WebSocket connections opened since start.",
                &self.connections_opened,
            ),
            (
                "chat_frames_received_total",
                "Client frames accepted past the rate limit.",
                &self.frames_received,
            ),
            (
                "chat_frames_sent_total",
                "Frames queued to connections, once per recipient.",
                &self.frames_sent,
            ),
            (
                "chat_write_batches_total",
                "Batches of queued frames a connection wrote together.",
                &self.write_batches,
            ),
            (
                "chat_messages_stored_total",
                "Messages stored, resent duplicates excluded.",
                &self.messages_stored,
            ),
            (
                "chat_slow_consumers_disconnected_total",
                "Connections closed (1013) because their outbound queue was full.",
                &self.slow_consumers_disconnected,
            ),
            (
                "chat_queue_bytes_exceeded_total",
                "Connections closed (1013) because their queued bytes went over --queue-bytes.",
                &self.queue_bytes_exceeded,
            ),
            (
                "chat_write_timeouts_total",
                "Connections dropped because a write made no progress for the idle timeout.",
                &self.write_timeouts,
            ),
            (
                "chat_rate_limited_total",
                "Client frames refused by the rate limit.",
                &self.rate_limited,
            ),
            (
                "chat_flood_disconnects_total",
                "Connections closed (1008) for flooding.",
                &self.flood_disconnects,
            ),
        ];
        for (name, help, counter) in counters {
            header(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        self.fanout_seconds.render(
            &mut out,
            "chat_fanout_seconds",
            "Time to queue one stored message for every local recipient.",
        );
        self.store_append_seconds.render(
            &mut out,
            "chat_store_append_seconds",
            "Time to store one batch of messages.",
        );
        out
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A latency histogram with the fixed buckets of [`LATENCY_BUCKETS`], made of atomics.
///
/// Each observation bumps exactly one slot (the first bucket whose bound it does not exceed,
/// or the overflow slot); rendering adds them up into Prometheus's cumulative buckets. The
/// count is that same total, so `_count` always equals the `+Inf` bucket, even while
/// observations race with a scrape.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last slot is above every bound.
    slots: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// The sum of all observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.slots[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.slots.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// Writes the histogram's lines: cumulative buckets, then `_sum` and `_count`.
    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0;
        for (bound, slot) in LATENCY_BUCKETS.iter().zip(&self.slots) {
            cumulative += slot.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.slots[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const STATS: Stats = Stats {
        connections: 3,
        users_online: 2,
        rooms: 4,
    };

    /// The samples of an exposition: `name{labels}` to value. Checks every line's shape and
    /// that every sample's metric was declared with `# HELP` and `# TYPE` before it.
    fn parse(text: &str) -> HashMap<String, f64> {
        let mut helped = Vec::new();
        let mut typed = HashMap::new();
        let mut samples = HashMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP has a text");
                assert!(!help.is_empty());
                helped.push(name.to_owned());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
                assert!(["gauge", "counter", "histogram"].contains(&kind), "{line}");
                assert_eq!(helped.last().map(String::as_str), Some(name), "{line}");
                typed.insert(name.to_owned(), kind.to_owned());
            } else {
                let (key, value) = line.rsplit_once(' ').expect("a sample has a value");
                let name = key.split('{').next().expect("a name");
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| {
                        name.strip_suffix(suffix).filter(|base| {
                            typed.get(*base).map(String::as_str) == Some("histogram")
                        })
                    })
                    .unwrap_or(name);
                assert!(typed.contains_key(family), "no TYPE for {line}");
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                    "{line}"
                );
                let value: f64 = value.parse().expect("a number");
                assert!(
                    samples.insert(key.to_owned(), value).is_none(),
                    "twice: {line}"
                );
            }
        }
        samples
    }

    #[test]
    fn gauges_come_from_the_stats_and_counters_move() {
        let metrics = Metrics::default();
        let before = parse(&metrics.render(STATS, None));
        assert_eq!(before["chat_connections"], 3.0);
        assert_eq!(before["chat_users_online"], 2.0);
        assert_eq!(before["chat_rooms"], 4.0);
        assert_eq!(before["chat_messages_stored_total"], 0.0);
        assert!(!before.contains_key("chat_store_lists_behind_ids"));
        let sqlite = parse(&metrics.render(STATS, Some(7)));
        assert_eq!(sqlite["chat_store_lists_behind_ids"], 7.0);

        metrics.messages_stored.fetch_add(2, Ordering::Relaxed);
        metrics.frames_sent.fetch_add(5, Ordering::Relaxed);
        let after = parse(&metrics.render(STATS, None));
        assert_eq!(after["chat_messages_stored_total"], 2.0);
        assert_eq!(after["chat_frames_sent_total"], 5.0);
        assert_eq!(after["chat_slow_consumers_disconnected_total"], 0.0);
        for name in [
            "chat_connections_opened_total",
            "chat_frames_received_total",
            "chat_rate_limited_total",
            "chat_flood_disconnects_total",
        ] {
            assert_eq!(after[name], 0.0, "{name}");
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_count_and_sum_match() {
        let metrics = Metrics::default();
        let observed = [
            Duration::from_micros(10),
            Duration::from_micros(50),
            Duration::from_micros(300),
            Duration::from_millis(3),
            Duration::from_millis(3),
            Duration::from_secs(7),
        ];
        for took in observed {
            metrics.fanout_seconds.observe(took);
        }
        assert_eq!(metrics.fanout_seconds.count(), 6);
        let samples = parse(&metrics.render(STATS, None));
        let bucket = |le: &str| samples[&format!("chat_fanout_seconds_bucket{{le=\"{le}\"}}")];
        // 10µs and exactly 50µs are both within the first bound.
        assert_eq!(bucket("0.00005"), 2.0);
        assert_eq!(bucket("0.00025"), 2.0);
        assert_eq!(bucket("0.0005"), 3.0);
        assert_eq!(bucket("0.005"), 5.0);
        assert_eq!(bucket("5"), 5.0);
        assert_eq!(bucket("+Inf"), 6.0);
        let mut previous = 0.0;
        for le in LATENCY_BUCKETS.iter().map(f64::to_string) {
            assert!(
                bucket(&le) >= previous,
                "bucket {le} is below the one before"
            );
            previous = bucket(&le);
        }
        assert_eq!(samples["chat_fanout_seconds_count"], bucket("+Inf"));
        let sum: f64 = observed.iter().map(Duration::as_secs_f64).sum();
        assert!((samples["chat_fanout_seconds_sum"] - sum).abs() < 1e-9);
        // The other histogram is untouched, and still fully rendered.
        assert_eq!(samples["chat_store_append_seconds_count"], 0.0);
        assert_eq!(
            samples["chat_store_append_seconds_bucket{le=\"+Inf\"}"],
            0.0
        );
    }

    #[test]
    fn bucket_bounds_render_as_plain_decimals() {
        let rendered: Vec<String> = LATENCY_BUCKETS.iter().map(f64::to_string).collect();
        assert_eq!(rendered.first().map(String::as_str), Some("0.00005"));
        assert_eq!(rendered.last().map(String::as_str), Some("5"));
        assert!(LATENCY_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }
}
