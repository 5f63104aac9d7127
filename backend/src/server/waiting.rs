//! [`Waiting`]: the HTTP connections held before their upgrade (keep-alive, requests being
//! read or answered), capped. At the cap a new connection is not refused: the one idle the
//! longest is closed to make room, so that a crowd of half-open sockets cannot keep a real user
//! out (they are always older than the user's fresh connection), and a connection serving a
//! request is closed only when every one is.
//!
//! The idle timeout itself is hyper's `header_read_timeout` (it runs from the moment a
//! connection waits for a request head: after the accept and between requests); this module
//! only chooses whom to close when there are too many.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

/// The connections waiting before their upgrade. Cheap to clone.
///
/// Behind a std `Mutex`, never held across an `.await`; each admission scans the entries
/// (at most the cap, 1,024 by default) for the longest idle one, only when at the cap.
#[derive(Debug, Clone)]
pub struct Waiting {
    shared: Arc<Mutex<Entries>>,
}

#[derive(Debug)]
struct Entries {
    /// Most connections held at once.
    cap: usize,
    /// The id of the next connection admitted.
    next: u64,
    by_id: HashMap<u64, Entry>,
    /// Connections closed to make room, since the start (for logs and tests).
    evicted: u64,
}

#[derive(Debug)]
struct Entry {
    /// When the connection last became idle: accepted, or its last answer sent.
    idle_since: Instant,
    /// Requests being answered on it (their answer's body not yet sent in full).
    busy: u32,
    /// Cancelled to close it.
    close: CancellationToken,
}

impl Waiting {
    pub fn new(cap: usize) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Entries {
                cap: cap.max(1),
                next: 0,
                by_id: HashMap::new(),
                evicted: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic elsewhere while the lock was held leaves consistent entries: go on.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection; at the cap, first closes the connection idle the longest
    /// (or, when every one is serving a request, the one busy the longest).
    pub fn admit(&self) -> Ticket {
        let mut entries = self.lock();
        if entries.by_id.len() >= entries.cap {
            entries.evict_one();
        }
        let id = entries.next;
        entries.next += 1;
        let close = CancellationToken::new();
        entries.by_id.insert(
            id,
            Entry {
                idle_since: Instant::now(),
                busy: 0,
                close: close.clone(),
            },
        );
        Ticket {
            close,
            tracker: Tracker {
                id,
                waiting: self.clone(),
            },
        }
    }

    /// Closes the connection idle the longest, if any: room for an accept when the process
    /// ran out of file descriptors.
    pub fn evict_one(&self) -> bool {
        self.lock().evict_one()
    }

    /// Connections held now.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Connections closed to make room since the start.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }
}

impl Entries {
    fn evict_one(&mut self) -> bool {
        let victim = self
            .by_id
            .iter()
            .min_by_key(|(id, entry)| (entry.busy > 0, entry.idle_since, **id))
            .map(|(id, _)| *id);
        let Some(entry) = victim.and_then(|id| self.by_id.remove(&id)) else {
            return false;
        };
        entry.close.cancel();
        self.evicted += 1;
        true
    }
}

/// One admitted connection's place; dropping it (the connection ended or was upgraded)
/// frees the place.
#[derive(Debug)]
pub struct Ticket {
    close: CancellationToken,
    tracker: Tracker,
}

impl Ticket {
    /// Resolves when the connection is to be closed to make room.
    pub fn evicted(&self) -> WaitForCancellationFuture<'_> {
        self.close.cancelled()
    }

    /// What marks the connection's requests as being answered.
    pub fn tracker(&self) -> Tracker {
        self.tracker.clone()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.tracker.waiting.lock().by_id.remove(&self.tracker.id);
    }
}

/// Marks the requests of one connection as being answered. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tracker {
    id: u64,
    waiting: Waiting,
}

impl Tracker {
    /// Marks a request as being answered until the returned guard is dropped.
    pub fn busy(&self) -> Busy {
        if let Some(entry) = self.waiting.lock().by_id.get_mut(&self.id) {
            entry.busy += 1;
        }
        Busy {
            id: self.id,
            waiting: self.waiting.clone(),
        }
    }
}

/// A request being answered; dropped once its answer's body is sent (or abandoned).
#[derive(Debug)]
pub struct Busy {
    id: u64,
    waiting: Waiting,
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(entry) = self.waiting.lock().by_id.get_mut(&self.id) {
            entry.busy = entry.busy.saturating_sub(1);
            entry.idle_since = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_longest_idle_connection_makes_room() {
        let waiting = Waiting::new(2);
        let oldest = waiting.admit();
        let second = waiting.admit();
        let third = waiting.admit();
        assert_eq!(waiting.len(), 2);
        assert!(oldest.close.is_cancelled());
        assert!(!second.close.is_cancelled() && !third.close.is_cancelled());
        assert_eq!(waiting.evicted(), 1);
    }

    #[test]
    fn a_connection_serving_a_request_is_kept_over_idle_ones() {
        let waiting = Waiting::new(2);
        let serving = waiting.admit();
        let _busy = serving.tracker().busy();
        let idle = waiting.admit();
        let _new = waiting.admit();
        assert!(!serving.close.is_cancelled());
        assert!(idle.close.is_cancelled());
    }

    #[test]
    fn a_dropped_ticket_frees_its_place() {
        let waiting = Waiting::new(1);
        let first = waiting.admit();
        drop(first);
        assert!(waiting.is_empty());
        let _second = waiting.admit();
        assert_eq!(waiting.evicted(), 0);
    }
}
