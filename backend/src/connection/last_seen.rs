//! When users were last seen, written in batches. A user's last connection here closing sends
//! the time to [`LastSeen`]; one task writes every departure waiting in one store call (one
//! transaction, one sync), so that thousands of connections dropping at once (a deploy, a
//! network blip) cost a few writes instead of one synced write each, while those users come
//! back. The queue is bounded ([`QUEUE`] departures, each a name and a time); when it is full
//! the connection writes its own, as before. On shutdown the task writes what is queued before
//! it returns: the server awaits the connections first, so every departure is queued by then.

use std::sync::Arc;
use std::time::Duration;

use shared::UserName;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::store::Store;
use crate::tasks::Tasks;

/// Departures waiting at most; each is a name (at most 24 characters) and a time.
pub const QUEUE: usize = 8192;
/// Departures written in one store call at most.
pub const BATCH: usize = 512;

/// Where connections send their users' departures; cheap to clone.
#[derive(Debug, Clone)]
pub struct LastSeen {
    tx: mpsc::Sender<(UserName, u64)>,
}

impl LastSeen {
    /// Starts the writer through `tasks`; each store call is given `timeout`.
    pub fn start(store: Arc<dyn Store>, timeout: Duration, tasks: &Tasks) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tasks.spawn("last seen", run(store, rx, timeout, tasks.token()));
        Self { tx }
    }

    /// Queues `name`'s departure at `at` (ms since the epoch); `false` when the queue is full
    /// or the writer gone, and the caller writes it itself.
    pub fn record(&self, name: UserName, at: u64) -> bool {
        self.tx.try_send((name, at)).is_ok()
    }
}

/// Writes queued departures, a batch per store call, until `shutdown`; then what is left.
async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<(UserName, u64)>,
    timeout: Duration,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return;
                }
            }
            () = shutdown.cancelled() => break,
        }
        write(store.as_ref(), &mut batch, timeout).await;
    }
    rx.close();
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        write(store.as_ref(), &mut batch, timeout).await;
    }
}

/// Writes `batch` and empties it; a failure is logged, and loses only these times.
async fn write(store: &dyn Store, batch: &mut Vec<(UserName, u64)>, timeout: Duration) {
    let written = tokio::time::timeout(timeout, store.set_last_seen(batch)).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(users = batch.len(), error = %e, "storing last seen failed"),
        Err(_) => tracing::warn!(users = batch.len(), "storing last seen timed out"),
    }
    batch.clear();
}
