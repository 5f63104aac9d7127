//! The sweeper: removes the bytes (and then the records) of attachments whose message was
//! deleted (the tombstone's transaction marks them) and of uploads never sent within
//! [`super::UNSENT_TTL`]. Every node runs one; removing twice is harmless, so they need not
//! agree. It looks every [`INTERVAL`] (two indexed queries that usually find nothing), and
//! takes [`BATCH`] records at a time.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{thumbnail_key, Attachments, ReadError};
use crate::clock::now_ms;

/// How often the sweeper looks.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Records taken per round.
pub const BATCH: u32 = 100;

/// Sweeps every [`INTERVAL`] until `stop` is cancelled.
pub async fn run(attachments: Attachments, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
        loop {
            match sweep(&attachments).await {
                Ok(n) if n == BATCH as usize && !stop.is_cancelled() => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "attachment sweep failed");
                    break;
                }
            }
        }
    }
}

/// One round: up to [`BATCH`] doomed attachments removed, bytes first. Returns how many.
pub async fn sweep(attachments: &Attachments) -> Result<usize, ReadError> {
    let unsent_before = now_ms().saturating_sub(super::UNSENT_TTL.as_millis() as u64);
    let doomed = attachments
        .store
        .doomed_attachments(unsent_before, BATCH)
        .await?;
    let mut gone = Vec::with_capacity(doomed.len());
    for record in doomed {
        let id = record.attachment.id;
        attachments.blobs.delete(&thumbnail_key(&id)).await?;
        attachments.blobs.delete(&id).await?;
        gone.push(id);
    }
    attachments.store.forget_attachments(&gone).await?;
    if !gone.is_empty() {
        tracing::debug!(count = gone.len(), "attachments removed");
    }
    Ok(gone.len())
}
