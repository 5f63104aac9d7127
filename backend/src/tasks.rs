//! The server's background tasks, owned: every long-lived task (the journal, the flusher,
//! presence, the bus, and SQLite's checkpoint and lists tasks) is spawned through one
//! [`Tasks`], stopped by its token and awaited on shutdown, so that a stop never leaves a
//! half-done commit or an unflushed queue behind.
//!
//! A task watches the token of [`Tasks::token`] and finishes what it holds before it returns
//! (the journal stores and acknowledges the batch it took). [`Tasks::shutdown`] asks every task to
//! stop and waits for the last one.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Cheap to clone handle to the set of background tasks: clones share the tracker and token.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    /// Every task spawned here, so that shutdown can wait for them all.
    tracker: TaskTracker,
    /// Cancelled when the tasks must stop.
    stop: CancellationToken,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task`, named `name` in its log lines; it must return once the token of
    /// [`Tasks::token`] is cancelled.
    pub fn spawn<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker
            .spawn(task.instrument(tracing::info_span!("task", name)));
    }

    /// The token that says stop, for a task to watch.
    pub fn token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// How many tasks are running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Asks every task to stop and waits up to `grace` for them all; returns whether they all
    /// ended in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.stop.cancel();
        self.tracker.close();
        let ended = tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok();
        if !ended {
            tracing::warn!(
                running = self.tracker.len(),
                "background tasks still running after the grace period"
            );
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn shutdown_waits_for_a_task_to_finish_what_it_holds() {
        let tasks = Tasks::new();
        let finished = Arc::new(AtomicBool::new(false));
        let stop = tasks.token();
        let done = finished.clone();
        tasks.spawn("test", async move {
            stop.cancelled().await;
            // Work that outlives the request to stop.
            tokio::time::sleep(Duration::from_millis(50)).await;
            done.store(true, Ordering::SeqCst);
        });
        assert_eq!(tasks.len(), 1);
        assert!(tasks.shutdown(Duration::from_secs(5)).await);
        assert!(finished.load(Ordering::SeqCst));
        assert!(tasks.is_empty());
    }

    #[tokio::test]
    async fn shutdown_gives_up_after_the_grace_period() {
        let tasks = Tasks::new();
        tasks.spawn("stubborn", std::future::pending());
        assert!(!tasks.shutdown(Duration::from_millis(20)).await);
    }
}
