//! [`Waiting`]: the HTTP connections held before their upgrade (keep-alive, requests being
//! read or answered), capped. At the cap the server stops accepting: new connections wait in
//! the kernel's listen backlog (see [`listen`](super::listen)) until a place is free, so that
//! a crowd reconnecting at once (a deploy, a network blip) is let in at the server's pace
//! instead of having its handshakes closed halfway.
//!
//! A place is also made by closing a connection that keeps the server waiting: one with no
//! request being answered on which the server has found nothing to read (its
//! [`Watched`](crate::ws::Watched) stream says so) for longer than a grace period:
//! [`GRACE`] once some of a request has arrived (an honest client sends its head whole, a
//! slowloris one a bit at a time), [`SILENT_GRACE`] while nothing has (a client that has
//! connected but not yet written, as a busy load generator's or a phone's). Bytes that
//! trickle in do not count as activity, only a whole request head does, so a crowd of
//! slowloris sockets cannot hold the cap: each is closed a grace period after the server
//! first waits on it, the one due first first. A connection whose request the server has not
//! read yet (its bytes wait in the socket) is never closed by the cap, nor one whose request
//! is being answered, except, as a last resort when every place is taken by such, one
//! answering for longer than the header timeout (a download its client does not read).
//!
//! The idle timeout itself is hyper's `header_read_timeout` (it runs from the moment a
//! connection waits for a request head: after the accept and between requests); this module
//! only chooses whom to close when there are too many, and when to accept again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
// Tokio's clock (the system's, but for tests with paused time).
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::ws::Watcher;

/// How long the server may wait on the rest of a request whose first bytes have arrived
/// (with no request of the connection's being answered) before the cap may close it: an
/// honest client's head comes whole, so this is short, and slowloris sockets queued in the
/// backlog ahead of a real user are worked through quickly (a cap's worth per period).
pub const GRACE: Duration = Duration::from_millis(100);

/// How long the server may wait on a connection that has sent nothing (since its accept, or
/// its last answer) before the cap may close it: a client may connect a moment before it
/// writes (a crowd's load generator, a slow phone), so this is longer than [`GRACE`].
pub const SILENT_GRACE: Duration = Duration::from_secs(1);

/// The connections waiting before their upgrade. Cheap to clone.
///
/// Behind a std `Mutex`, never held across an `.await`; only at the cap does a look for a
/// connection to close scan the entries (at most the cap, 1,024 by default).
#[derive(Debug, Clone)]
pub struct Waiting {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    entries: Mutex<Entries>,
    /// Woken when a place may have come free or a connection may have become closable: the
    /// accept loop waiting at the cap looks again.
    changed: Notify,
}

#[derive(Debug)]
struct Entries {
    /// Most connections held at once.
    cap: usize,
    /// How long a request may be answered before, at a full cap of such, it may be closed.
    busy_limit: Duration,
    /// The id of the next connection admitted.
    next: u64,
    by_id: HashMap<u64, Entry>,
    /// Connections closed to make room, since the start (for logs and tests).
    evicted: u64,
}

#[derive(Debug)]
struct Entry {
    /// Since when the server has been waiting on this connection's bytes with no request of
    /// its being answered; `None` while its request is unread or being answered.
    waiting_since: Option<Instant>,
    /// Whether bytes of a request have arrived since it was accepted or last answered.
    heard: bool,
    /// Since when its oldest request still being answered has been; `None` when none is.
    busy_since: Option<Instant>,
    /// Requests being answered on it (their answer's body not yet sent in full).
    busy: u32,
    /// Cancelled to close it.
    close: CancellationToken,
}

impl Entry {
    /// When the cap may close this connection, if ever as things stand.
    fn closable_at(&self, busy_limit: Duration) -> Option<(bool, Instant)> {
        match (self.busy, self.waiting_since, self.busy_since) {
            (0, Some(since), _) => {
                let grace = if self.heard { GRACE } else { SILENT_GRACE };
                Some((false, since + grace))
            }
            (_, _, Some(since)) if self.busy > 0 => Some((true, since + busy_limit)),
            _ => None,
        }
    }
}

/// Whether a place was free or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// Below the cap.
    Free,
    /// A connection was closed to make room.
    Made,
}

impl Waiting {
    /// `busy_limit`: how long a request may be answered before the cap, full of connections
    /// answering, may close it (the header timeout).
    pub fn new(cap: usize, busy_limit: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                entries: Mutex::new(Entries {
                    cap: cap.max(1),
                    busy_limit,
                    next: 0,
                    by_id: HashMap::new(),
                    evicted: 0,
                }),
                changed: Notify::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic elsewhere while the lock was held leaves consistent entries: go on.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves once a connection may be admitted: at once below the cap; at the cap, once
    /// a place is freed or a connection has become closable (then it is closed). Cancel-safe.
    pub async fn room(&self) -> Room {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a change after the look is not missed.
            changed.as_mut().enable();
            let next = {
                let mut entries = self.lock();
                if entries.by_id.len() < entries.cap {
                    return Room::Free;
                }
                match entries.close_one(Instant::now()) {
                    Ok(()) => return Room::Made,
                    Err(next) => next,
                }
            };
            match next {
                Some(at) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    /// Admits a new connection. The accept loop waits for [`Waiting::room`] first; a
    /// connection admitted without room is held beyond the cap.
    pub fn admit(&self) -> Ticket {
        let mut entries = self.lock();
        let id = entries.next;
        entries.next += 1;
        let close = CancellationToken::new();
        entries.by_id.insert(
            id,
            Entry {
                waiting_since: None,
                heard: false,
                busy_since: None,
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

    /// Closes a connection the cap may close, if there is one now: room for an accept when
    /// the process ran out of file descriptors.
    pub fn evict_one(&self) -> bool {
        self.lock().close_one(Instant::now()).is_ok()
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
    /// Closes the connection that has kept the server waiting the longest past [`GRACE`]
    /// (or, failing any, the one answering the longest past the busy limit); else says when
    /// the first one will be closable (`None`: none will until something changes).
    fn close_one(&mut self, now: Instant) -> Result<(), Option<Instant>> {
        let busy_limit = self.busy_limit;
        let closable = self.by_id.iter().filter_map(|(id, entry)| {
            entry
                .closable_at(busy_limit)
                .map(|(busy, at)| (busy, at, *id))
        });
        let mut due = None;
        let mut soonest: Option<Instant> = None;
        for (busy, at, id) in closable {
            if at <= now {
                // Those keeping the server waiting before those answering; the longest first.
                let candidate = (busy, at, id);
                if due.is_none_or(|first| candidate < first) {
                    due = Some(candidate);
                }
            } else {
                soonest = Some(soonest.map_or(at, |s| s.min(at)));
            }
        }
        let Some((_, _, id)) = due else {
            return Err(soonest);
        };
        if let Some(entry) = self.by_id.remove(&id) {
            entry.close.cancel();
            self.evicted += 1;
        }
        Ok(())
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

    /// What marks the connection's requests as being answered, and its reads as waiting.
    pub fn tracker(&self) -> Tracker {
        self.tracker.clone()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let waiting = &self.tracker.waiting;
        waiting.lock().by_id.remove(&self.tracker.id);
        waiting.shared.changed.notify_one();
    }
}

/// Marks the requests of one connection as being answered, and its reads that find nothing.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tracker {
    id: u64,
    waiting: Waiting,
}

impl Tracker {
    /// Marks a request as being answered until the returned guard is dropped: a whole head
    /// arrived, so the connection no longer keeps the server waiting.
    pub fn busy(&self) -> Busy {
        if let Some(entry) = self.waiting.lock().by_id.get_mut(&self.id) {
            if entry.busy == 0 {
                entry.busy_since = Some(Instant::now());
            }
            entry.busy += 1;
            entry.waiting_since = None;
            entry.heard = false;
        }
        Busy {
            id: self.id,
            waiting: self.waiting.clone(),
        }
    }
}

impl Watcher for Tracker {
    fn heard(&self) {
        if let Some(entry) = self.waiting.lock().by_id.get_mut(&self.id) {
            entry.heard = true;
        }
    }

    fn waiting_on_peer(&self) {
        let started = {
            let mut entries = self.waiting.lock();
            match entries.by_id.get_mut(&self.id) {
                Some(entry) if entry.busy == 0 && entry.waiting_since.is_none() => {
                    entry.waiting_since = Some(Instant::now());
                    true
                }
                _ => false,
            }
        };
        if started {
            // The accept loop, if it waits at the cap, learns when this one becomes closable.
            self.waiting.shared.changed.notify_one();
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
            if entry.busy == 0 {
                // Answered: from now on the server waits on the client's next request.
                entry.busy_since = None;
                entry.waiting_since = Some(Instant::now());
                entry.heard = false;
            }
        }
        self.waiting.shared.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    fn cancelled(ticket: &Ticket) -> bool {
        ticket.close.is_cancelled()
    }

    #[test]
    fn below_the_cap_there_is_room() {
        let waiting = Waiting::new(2, LIMIT);
        let _first = waiting.admit();
        assert_eq!(waiting.room().now_or_never(), Some(Room::Free));
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_cap_unread_and_answering_connections_are_kept_and_the_next_waits() {
        let waiting = Waiting::new(2, LIMIT);
        let unread = waiting.admit();
        let answering = waiting.admit();
        let _busy = answering.tracker().busy();
        assert_eq!(waiting.room().now_or_never(), None, "nothing may be closed");
        assert!(!cancelled(&unread) && !cancelled(&answering));
        assert_eq!(waiting.evicted(), 0);
    }

    /// A connection on which part of a request arrived, then nothing.
    fn half_sent(ticket: &Ticket) {
        ticket.tracker().heard();
        ticket.tracker().waiting_on_peer();
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_keeps_the_server_waiting_is_closed_after_the_grace() {
        let waiting = Waiting::new(2, LIMIT);
        let unread = waiting.admit();
        let slow = waiting.admit();
        half_sent(&slow);
        let started = tokio::time::Instant::now();
        assert_eq!(waiting.room().await, Room::Made);
        assert!(started.elapsed() >= GRACE && started.elapsed() < SILENT_GRACE);
        assert!(cancelled(&slow) && !cancelled(&unread));
        assert_eq!((waiting.len(), waiting.evicted()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_gets_the_longer_grace_and_goes_after_a_half_sent_one() {
        let waiting = Waiting::new(2, LIMIT);
        let silent = waiting.admit();
        silent.tracker().waiting_on_peer();
        let half = waiting.admit();
        half_sent(&half);
        let started = tokio::time::Instant::now();
        assert_eq!(waiting.room().await, Room::Made);
        assert!(cancelled(&half) && !cancelled(&silent));
        let _next = waiting.admit();
        assert_eq!(waiting.room().await, Room::Made);
        assert!(cancelled(&silent));
        assert!(started.elapsed() >= SILENT_GRACE, "{:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn trickled_bytes_do_not_reset_the_wait_but_a_whole_request_does() {
        let waiting = Waiting::new(1, LIMIT);
        let trickler = waiting.admit();
        half_sent(&trickler);
        tokio::time::advance(GRACE / 2).await;
        // A few more bytes, then waiting again: still waited on since the first time.
        half_sent(&trickler);
        tokio::time::advance(GRACE / 2).await;
        assert_eq!(waiting.room().now_or_never(), Some(Room::Made));
        assert!(cancelled(&trickler));

        let honest = waiting.admit();
        half_sent(&honest);
        let busy = honest.tracker().busy();
        tokio::time::advance(SILENT_GRACE * 2).await;
        assert_eq!(
            waiting.room().now_or_never(),
            None,
            "answering, not waited on"
        );
        drop(busy);
        assert_eq!(waiting.room().now_or_never(), None, "answered just now");
        // Idle between requests, silent: the longer grace.
        tokio::time::advance(GRACE).await;
        assert_eq!(
            waiting.room().now_or_never(),
            None,
            "silent for only {GRACE:?}"
        );
        tokio::time::advance(SILENT_GRACE).await;
        assert_eq!(waiting.room().now_or_never(), Some(Room::Made));
    }

    #[tokio::test(start_paused = true)]
    async fn a_freed_place_wakes_the_accept_loop() {
        let waiting = Waiting::new(1, LIMIT);
        let only = waiting.admit();
        let room = waiting.room();
        tokio::pin!(room);
        assert!(room.as_mut().now_or_never().is_none());
        drop(only);
        assert_eq!(room.await, Room::Free);
        assert_eq!(waiting.evicted(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn answering_past_the_limit_is_closed_only_when_nothing_else_can_be() {
        let waiting = Waiting::new(2, LIMIT);
        let stuck = waiting.admit();
        let _stuck_busy = stuck.tracker().busy();
        tokio::time::advance(LIMIT / 2).await;
        let slow = waiting.admit();
        half_sent(&slow);
        tokio::time::advance(LIMIT / 2).await;
        // Both closable now; the one keeping the server waiting goes first.
        assert_eq!(waiting.room().now_or_never(), Some(Room::Made));
        assert!(cancelled(&slow) && !cancelled(&stuck));
        let _fresh = waiting.admit();
        assert_eq!(waiting.room().now_or_never(), Some(Room::Made));
        assert!(cancelled(&stuck));
    }
}
