//! [`Openings`]: the connections reading their start from the store, a few at a time.
//!
//! A connection starts with reads: its conversations, its invitations, whom it blocks and, for
//! a client that resumes, what it missed. When thousands of clients connect at once (a
//! deploy, a network blip) those reads would all wait for one of the store's few pooled
//! connections at the same moment, and whatever waited longer than the pool's acquire timeout
//! (5 s) failed, closing its connection with 1011, whose client then came back and added to
//! the crowd. So at most [`AT_ONCE`] connections read their start at a time; the others wait
//! here, in order and without a deadline: a storm is served at the store's pace, not refused.
//! The permit is given back once the reads are done, before anything is written to the
//! socket, so a client that does not read cannot hold one.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections reading their start at once: enough to keep every pooled connection of either
/// engine busy (SQLite's readers are 4, PostgreSQL's pool 8) with a short queue behind each,
/// well within the pool's acquire timeout.
pub const AT_ONCE: usize = 16;

/// The connections reading their start from the store. Cheap to clone: clones share the
/// permits.
#[derive(Debug, Clone)]
pub struct Openings(Arc<Semaphore>);

impl Default for Openings {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(AT_ONCE)))
    }
}

impl Openings {
    /// Waits for this connection's turn to read its start; the turn lasts until the permit
    /// is dropped.
    pub async fn enter(&self) -> OwnedSemaphorePermit {
        self.0
            .clone()
            .acquire_owned()
            .await
            .expect("the openings' semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn no_more_than_at_once_enter_and_the_next_waits_its_turn() {
        let openings = Openings::default();
        let mut held = Vec::new();
        for _ in 0..AT_ONCE {
            held.push(openings.enter().await);
        }
        let next = openings.enter();
        tokio::pin!(next);
        assert!(
            next.as_mut().now_or_never().is_none(),
            "one more than AT_ONCE entered"
        );
        drop(held.pop());
        let _turn = next.await;
    }
}
