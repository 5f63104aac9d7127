//! The retention task: at start and then every `--retention-interval-secs` it deletes the
//! messages (with what hangs on them, attachments included) older than
//! `--retention-days` (when set) and, per room, older than the days its owner set, through
//! [`Safety::expire`](crate::store::Safety::expire), batch after batch of
//! `--retention-batch` until none is old enough. Spawned through [`Tasks`](crate::tasks::Tasks)
//! by `AppState::open` and stopped with the others: a stop waits for the batch under way
//! (one transaction) and starts no other.
//!
//! Each node runs it; passes on several nodes at once delete each message once (the deletes
//! are transactions on the shared store). Clients learn of nothing live: a message deleted is
//! gone from history, replay and search, and a client that resumes from an id older than the
//! cut receives the messages that are left (see docs/protocol.md, "Retention").

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::store::{Expiry, Store, StoreError};

/// A day in milliseconds.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// What the task needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// `--retention-days`.
    pub days: Option<u32>,
    /// `--retention-interval-secs`.
    pub interval: Duration,
    /// `--retention-batch`.
    pub batch: u32,
}

/// Runs a pass at once and then every interval, until `stop`.
pub async fn run(store: Arc<dyn Store>, config: RetentionConfig, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(config.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match pass(&*store, config, now_ms(), &stop).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "retention: old messages deleted"),
            Err(e) => tracing::warn!(error = %e, "retention pass failed; trying again later"),
        }
    }
}

/// One pass at time `now` (ms since the epoch): every scope, batch after batch, until nothing
/// is old enough or `stop` says so; returns how many messages it deleted.
pub async fn pass(
    store: &dyn Store,
    config: RetentionConfig,
    now: u64,
    stop: &CancellationToken,
) -> Result<u64, StoreError> {
    let before = |days: u32| now.saturating_sub(u64::from(days) * DAY_MS);
    let mut scopes = Vec::new();
    if let Some(days) = config.days {
        scopes.push((Expiry::All, before(days)));
    }
    for (room, days) in store.room_retentions().await? {
        scopes.push((Expiry::Room(room), before(days)));
    }
    let mut deleted = 0;
    for (scope, before) in scopes {
        loop {
            if stop.is_cancelled() {
                return Ok(deleted);
            }
            let n = store.expire(&scope, before, config.batch).await?;
            deleted += n;
            if n < u64::from(config.batch) {
                break;
            }
            // Between batches, the store's other users go first.
            tokio::task::yield_now().await;
        }
    }
    Ok(deleted)
}
