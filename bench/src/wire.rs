//! What the coordinator and its worker processes say to each other: one JSON object per line,
//! [`Command`]s on the worker's stdin, [`Event`]s on its stdout.
//!
//! Workers are this same binary re-executed (`bench worker`), pinned to the load-generator core.
//! Each holds a share of the client connections (one process may hold at most 20,000 open
//! files here), so a big run is spread over several of them. Latency histograms travel as
//! their non-empty buckets ([`Hist`]) and are merged by the coordinator.

use std::net::SocketAddr;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency a histogram records, in microseconds (anything slower is clamped).
pub const MAX_LATENCY_US: u64 = 120_000_000;

/// How a client talks to the server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// Our protocol: claim a name over HTTP, open `/ws` with the token, wait for `welcome`.
    Chat,
    /// A server that forwards text as it is: open the WebSocket and send.
    Raw,
}

/// The server the clients connect to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Target {
    /// Where it listens (on 127.0.0.1).
    pub addr: SocketAddr,
    /// How to speak to it.
    pub protocol: Protocol,
}

/// What the paced senders send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum MsgKind {
    /// A message to a room everyone is in (`lobby` for us; the broadcast peer ignores the
    /// room and sends it to every other connection).
    Room { room: String },
    /// A private message to a random other client: most messages start a conversation.
    Private,
    /// A private message to one of the sender's `per_user` contacts: the clients nearest to it
    /// by index, half before and half after (wrapping around). Contacts are mutual, so every
    /// conversation goes both ways and their set stays fixed, as between people who know
    /// each other.
    PrivateContacts { per_user: usize },
    /// A message to the sender's own room (nobody else is in it) with a `req`, to time the
    /// `ack`.
    OwnRoomAcked,
}

/// Coordinator to worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Command {
    /// Opens clients with the global indexes `first..first + count`, `concurrency` at a time.
    Connect {
        target: Target,
        first: usize,
        count: usize,
        concurrency: usize,
        /// After `welcome`, join the room `r<index>` (our protocol only).
        join_own_room: bool,
        /// Send `{"type":"online","from":"u<index>"}` after connecting (raw protocol only).
        register: bool,
        /// Connections per user (our protocol): clients `k * tabs .. (k + 1) * tabs` are tabs
        /// of one user, who claims the name once. 1: every client its own user.
        tabs: usize,
    },
    /// Sends `rate` messages per second in total for `duration_ms`, spread round-robin over
    /// the first `senders` clients of this worker (all of them when `None`). Every message
    /// carries the phase as its tag and its send time.
    Pace {
        phase: u32,
        rate: f64,
        duration_ms: u64,
        senders: Option<usize>,
        msg: MsgKind,
        /// How many clients exist across all workers (private messages pick from them).
        total_clients: usize,
    },
    /// Broadcast tracking on or off: when on, a received message's tag is a broadcast id and
    /// the worker reports [`Event::Done`] once all of its clients have it.
    Track { enabled: bool },
    /// Sends broadcast `id` from this worker's client at position `sender`.
    Broadcast {
        id: u64,
        sender: usize,
        room: String,
    },
    /// Reports how much of `phase` (messages and acknowledgements) has arrived so far,
    /// without forgetting it.
    Peek { phase: u32 },
    /// Reports everything about `phase` and forgets it.
    Collect { phase: u32 },
    /// Drops every client's connection at once (no close frame, as in a network blip),
    /// keeping what it needs to come back (its session token); [`Event::Dropped`] once all
    /// are gone.
    Drop,
    /// Opens again every client dropped by [`Command::Drop`], with its token (no sign-in),
    /// `concurrency` at a time; [`Event::Connected`] once all are welcomed or failed.
    Reconnect { target: Target, concurrency: usize },
}

/// Worker to coordinator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A [`Command::Connect`] has finished.
    Connected {
        opened: usize,
        failed: usize,
        first_error: Option<String>,
        elapsed_ms: f64,
        /// Time to open one client (sign-in, upgrade, welcome, join), microseconds.
        setup: Hist,
    },
    /// A [`Command::Pace`] has finished sending.
    Paced {
        phase: u32,
        sent: u64,
        /// CPU time this worker used while pacing, and the wall time it took.
        cpu_ms: f64,
        wall_ms: f64,
    },
    /// Every client of this worker (but the sender) has broadcast `id`.
    Done { id: u64, send_us: u64, last_us: u64 },
    /// The answer to [`Command::Drop`]: this many clients were dropped, and are gone.
    Dropped { count: usize },
    /// The answer to [`Command::Peek`].
    Peeked { phase: u32, received: u64 },
    /// The answer to [`Command::Collect`].
    Collected(Box<PhaseReport>),
    /// The worker cannot go on.
    Failed { message: String },
}

/// What one worker saw of one phase, plus its running totals of trouble.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PhaseReport {
    pub phase: u32,
    /// Messages of the phase delivered to this worker's clients.
    pub received: u64,
    /// Their latency (receive time minus send time), microseconds.
    pub latency: Hist,
    /// When the last of them arrived, microseconds since the Unix epoch.
    pub last_recv_us: u64,
    /// Acknowledgements of the phase's messages, their latency, and when the last arrived.
    pub acks: u64,
    pub ack_latency: Hist,
    #[serde(default)]
    pub last_ack_us: u64,
    /// `error` frames received so far, and the first one.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Clients whose connection has ended so far, by close code (0: no close frame).
    pub closed: Vec<(u16, u64)>,
    /// Clients open now.
    pub live: usize,
}

/// A latency histogram in transit: its non-empty buckets as (value, count).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hist(pub Vec<(u64, u64)>);

impl Hist {
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        Self(
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        )
    }

    /// Adds these counts to `into`.
    pub fn add_to(&self, into: &mut Histogram<u64>) {
        for &(value, count) in &self.0 {
            // Values were clamped to the histogram's range when recorded.
            let _ = into.record_n(value.min(MAX_LATENCY_US), count);
        }
    }
}

/// An empty latency histogram: 1 µs to [`MAX_LATENCY_US`], three significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds")
}

/// The name of user `index`: `u<index>` (valid for our server, and the id the private peer
/// registers). With one connection per user, client `i` is user `i`.
pub fn user_name(index: usize) -> String {
    format!("u{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_survive_the_trip() {
        let mut h = histogram();
        for v in [1, 5, 5, 900, 12_345, 2_000_000] {
            h.record(v).unwrap();
        }
        let line = serde_json::to_string(&Hist::from_histogram(&h)).unwrap();
        let back: Hist = serde_json::from_str(&line).unwrap();
        let mut merged = histogram();
        back.add_to(&mut merged);
        assert_eq!(merged.len(), 6);
        assert_eq!(merged.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert!(merged.max().abs_diff(2_000_000) < 2_000);
    }

    #[test]
    fn commands_are_one_line_of_json() {
        let cmd = Command::Pace {
            phase: 3,
            rate: 100.0,
            duration_ms: 1000,
            senders: Some(10),
            msg: MsgKind::Room {
                room: "lobby".into(),
            },
            total_clients: 1000,
        };
        let line = serde_json::to_string(&cmd).unwrap();
        assert!(!line.contains('\n'));
        assert!(matches!(
            serde_json::from_str::<Command>(&line).unwrap(),
            Command::Pace { phase: 3, .. }
        ));
    }
}
