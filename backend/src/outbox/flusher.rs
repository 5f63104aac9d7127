//! The [`Flusher`]: the list of connections with frames to write, in the order they got them,
//! and the task that releases their writers, a few at a time (see the parent module).

use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use super::Queue;

/// Connections the flusher releases before it lets other tasks run. Below the capacity of
/// tokio's local run queue (256), so that the writers it wakes never spill into the global
/// queue, where a task woken from another thread (the journal, after a commit) would wait
/// behind them all.
const CHUNK: usize = 128;

/// A turn of the flusher this long (in connections) first waits for the commit in flight, if
/// any, so that the messages it stores go out in the same writes. Such a turn takes several
/// milliseconds (about 5 µs per write on loopback), longer than a commit usually does; a
/// shorter one (a private message, a small room) goes at once.
pub(super) const LONG_TURN: usize = 1024;
/// The longest a long turn waits for a commit.
const COMMIT_WAIT: Duration = Duration::from_millis(10);

/// The list of connections with frames to write, in the order they got them, and the task
/// that releases them. One per hub.
#[derive(Debug, Default)]
pub struct Flusher {
    /// The queues of the connections waiting for their turn, in the order they got frames.
    pub(super) listed: Mutex<Vec<Arc<Queue>>>,
    /// Wakes [`Flusher::run`] when the list stops being empty.
    listed_some: Notify,
    /// The journal is storing messages that it will then deliver.
    storing: AtomicBool,
    /// Notified when the journal has delivered what it stored.
    stored: Notify,
}

impl Flusher {
    fn listed(&self) -> MutexGuard<'_, Vec<Arc<Queue>>> {
        // Nothing panics while holding the lock; if it did, the list is still whole.
        self.listed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts a connection that just got its first frame at the end of the list.
    pub(super) fn list(&self, queue: Arc<Queue>) {
        let first = {
            let mut listed = self.listed();
            listed.push(queue);
            listed.len() == 1
        };
        if first {
            self.listed_some.notify_one();
        }
    }

    /// Says whether the journal is storing messages (that it will deliver right after).
    pub fn storing(&self, storing: bool) {
        self.storing.store(storing, Ordering::Release);
        if !storing {
            self.stored.notify_waiters();
        }
    }

    async fn until_stored(&self) {
        let stored = self.stored.notified();
        tokio::pin!(stored);
        stored.as_mut().enable();
        if self.storing.load(Ordering::Acquire) {
            stored.await;
        }
    }

    /// Releases listed connections, in order, [`CHUNK`] at a time, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut turn = Vec::new();
        loop {
            {
                let mut listed = self.listed();
                mem::swap(&mut *listed, &mut turn);
            }
            if turn.is_empty() {
                tokio::select! {
                    () = self.listed_some.notified() => continue,
                    () = shutdown.cancelled() => return,
                }
            }
            if turn.len() >= LONG_TURN && self.storing.load(Ordering::Acquire) {
                tokio::select! {
                    _ = timeout(COMMIT_WAIT, self.until_stored()) => {}
                    () = shutdown.cancelled() => return,
                }
                let mut listed = self.listed();
                turn.append(&mut listed);
            }
            let mut chunks = turn.chunks(CHUNK).peekable();
            while let Some(chunk) = chunks.next() {
                for queue in chunk {
                    queue.release();
                }
                if chunks.peek().is_some() {
                    tokio::task::yield_now().await;
                }
            }
            turn.clear();
            // Let the released writers run before the next turn.
            tokio::task::yield_now().await;
        }
    }
}
