//! The worker's books: what its clients have received, per phase (deliveries and
//! acknowledgements with their latency) or per tracked broadcast (capacity), the errors and
//! the connections that ended; and the report of a phase for the coordinator.

use std::collections::{BTreeMap, HashMap, HashSet};

use hdrhistogram::Histogram;

use super::Worker;
use crate::frames::{self, now_us};
use crate::wire::{histogram, Event, Hist, PhaseReport, MAX_LATENCY_US};

/// What the worker's clients have received so far.
#[derive(Default)]
pub(super) struct Books {
    /// Per phase tag: what has arrived.
    pub(super) phases: HashMap<u32, Phase>,
    /// Whether tags are broadcast ids to track (capacity) instead of phases.
    pub(super) tracking: bool,
    /// Broadcasts not yet seen by every local client.
    pub(super) pending: HashMap<u64, Pending>,
    /// Broadcasts sent from here: their sender does not receive them.
    pub(super) own: HashSet<u64>,
    pub(super) errors: u64,
    pub(super) first_error: Option<String>,
    /// Ended connections by close code.
    pub(super) closed: BTreeMap<u16, u64>,
    /// Clients open now.
    pub(super) live: usize,
}

/// What has arrived in one phase.
pub(super) struct Phase {
    pub(super) received: u64,
    pub(super) latency: Histogram<u64>,
    pub(super) last_recv_us: u64,
    pub(super) acks: u64,
    pub(super) ack_latency: Histogram<u64>,
    pub(super) last_ack_us: u64,
}

impl Default for Phase {
    fn default() -> Self {
        Self {
            received: 0,
            latency: histogram(),
            last_recv_us: 0,
            acks: 0,
            ack_latency: histogram(),
            last_ack_us: 0,
        }
    }
}

/// A tracked broadcast not yet seen by every local client.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) count: usize,
    pub(super) send_us: u64,
    pub(super) last_us: u64,
}

/// Microseconds from `sent` to `now`, within what the histograms hold.
fn latency(now: u64, sent: u64) -> u64 {
    now.saturating_sub(sent).clamp(1, MAX_LATENCY_US)
}

/// The phase a message's tag names.
fn phase_of(tag: u64) -> u32 {
    u32::try_from(tag).unwrap_or(u32::MAX)
}

impl Worker {
    /// Books one frame from the server.
    pub fn on_frame(&self, text: &str) {
        match frames::frame_type(text) {
            Some("room_message" | "private_message") => {
                if let Some((tag, sent)) = frames::stamp(text, frames::BODY) {
                    self.delivered(tag, sent, now_us());
                }
            }
            Some("ack") => {
                if let Some((tag, sent)) = frames::stamp(text, frames::REQ) {
                    let now = now_us();
                    let mut books = self.books.borrow_mut();
                    let phase = books.phases.entry(phase_of(tag)).or_default();
                    phase.acks += 1;
                    phase.last_ack_us = phase.last_ack_us.max(now);
                    let _ = phase.ack_latency.record(latency(now, sent));
                }
            }
            Some("error") => {
                let mut books = self.books.borrow_mut();
                books.errors += 1;
                if books.first_error.is_none() {
                    books.first_error = Some(text.chars().take(300).collect());
                }
            }
            _ => {}
        }
    }

    fn delivered(&self, tag: u64, sent: u64, now: u64) {
        let mut books = self.books.borrow_mut();
        if books.tracking {
            let expected = books.live - usize::from(books.own.contains(&tag));
            let pending = books.pending.entry(tag).or_default();
            pending.count += 1;
            pending.send_us = sent;
            pending.last_us = pending.last_us.max(now);
            if pending.count >= expected {
                let (send_us, last_us) = (pending.send_us, pending.last_us);
                books.pending.remove(&tag);
                books.own.remove(&tag);
                drop(books);
                self.emit(Event::Done {
                    id: tag,
                    send_us,
                    last_us,
                });
            }
            return;
        }
        let phase = books.phases.entry(phase_of(tag)).or_default();
        phase.received += 1;
        phase.last_recv_us = phase.last_recv_us.max(now);
        let _ = phase.latency.record(latency(now, sent));
    }

    /// Books a client whose connection ended, with its close code (0: none).
    pub fn on_gone(&self, code: u16) {
        let mut books = self.books.borrow_mut();
        books.live = books.live.saturating_sub(1);
        *books.closed.entry(code).or_default() += 1;
    }

    pub(super) fn collect(&self, phase: u32) -> PhaseReport {
        let mut books = self.books.borrow_mut();
        let seen = books.phases.remove(&phase).unwrap_or_default();
        PhaseReport {
            phase,
            received: seen.received,
            latency: Hist::from_histogram(&seen.latency),
            last_recv_us: seen.last_recv_us,
            acks: seen.acks,
            ack_latency: Hist::from_histogram(&seen.ack_latency),
            last_ack_us: seen.last_ack_us,
            errors: books.errors,
            first_error: books.first_error.clone(),
            closed: books.closed.iter().map(|(k, v)| (*k, *v)).collect(),
            live: books.live,
        }
    }
}
