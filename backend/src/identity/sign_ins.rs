//! [`SignIns`]: sign-ins stored in batches, as the journal stores messages (group commit).
//!
//! A claim or sign-in that has checked everything else (the name, the limits, the password,
//! hashed before it gets here) hands its write, a new account with its first session or a
//! new session, to one task through a queue bounded in count ([`QUEUE`]) and in bytes
//! ([`QUEUE_BYTES`]); a caller waits while it is full. The task takes whatever has piled up
//! (up to [`MAX_BATCH`]), stores it in one transaction ([`Store::write_sessions`]: one sync to
//! disk for the lot) and answers each waiter with its own outcome: a name taken fails that
//! write alone. If the batch as a whole fails, each of its writes is tried again alone, so
//! that one write the store refuses fails only its own request.
//!
//! The task is one of the server's owned [`Tasks`]: asked to stop, it takes no new write but
//! stores and answers what is queued already, then returns.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::store::{SessionWrite, Store, StoreError};
use crate::tasks::Tasks;

/// Most writes stored in one transaction.
const MAX_BATCH: usize = 256;
/// Writes waiting to be stored.
const QUEUE: usize = 4096;
/// Bytes of the writes waiting to be stored (a write holds its name, a password hash, the
/// session's id, `User-Agent` and address: a few hundred bytes).
const QUEUE_BYTES: usize = 4 << 20;

/// A write waiting in the queue, with whom to answer.
struct Waiting {
    write: SessionWrite,
    answer: oneshot::Sender<Result<(), StoreError>>,
    /// Its bytes' share of [`QUEUE_BYTES`], given back when it is answered.
    bytes: OwnedSemaphorePermit,
}

/// Cheap to clone handle to the sign-in writer task.
#[derive(Clone)]
pub struct SignIns {
    queue: mpsc::Sender<Waiting>,
    bytes: Arc<Semaphore>,
}

impl SignIns {
    /// Starts the writer task in `tasks`, storing into `store`.
    pub fn start(store: Arc<dyn Store>, tasks: &Tasks) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tasks.spawn("sign-ins", run(store, rx, tasks.token()));
        Self {
            queue,
            bytes: Arc::new(Semaphore::new(QUEUE_BYTES)),
        }
    }

    /// Stores `write` with the others queued meanwhile; its own outcome. Once the task has
    /// stopped, the error a closed store gives.
    pub async fn write(&self, write: SessionWrite) -> Result<(), StoreError> {
        let size = u32::try_from(write.bytes().min(QUEUE_BYTES)).unwrap_or(u32::MAX);
        let bytes = self
            .bytes
            .clone()
            .acquire_many_owned(size)
            .await
            .map_err(|_| stopped())?;
        let (answer, answered) = oneshot::channel();
        let waiting = Waiting {
            write,
            answer,
            bytes,
        };
        self.queue.send(waiting).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// What a write gets once the task has stopped: what the store gives once it is closed.
fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// The writer task: stores batches until `stop`, then what is queued.
async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Waiting>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            biased;
            n = rx.recv_many(&mut batch, MAX_BATCH) => {
                if n == 0 {
                    return;
                }
                store_batch(store.as_ref(), &mut batch).await;
            }
            () = stop.cancelled() => break,
        }
    }
    // Asked to stop: take no more (a caller is told the store closed), but store and answer
    // what is queued.
    rx.close();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        store_batch(store.as_ref(), &mut batch).await;
    }
    tracing::debug!("sign-in writer stopped");
}

/// Stores `batch` in one transaction and answers each write; when the transaction fails as a
/// whole, stores each write alone.
async fn store_batch(store: &dyn Store, batch: &mut Vec<Waiting>) {
    let (writes, answers): (Vec<SessionWrite>, Vec<_>) = batch
        .drain(..)
        .map(|w| (w.write, (w.answer, w.bytes)))
        .unzip();
    let started = std::time::Instant::now();
    match store.write_sessions(&writes).await {
        Ok(outcomes) => {
            tracing::debug!(writes = writes.len(), took = ?started.elapsed(), "stored sign-ins");
            for (outcome, (answer, _bytes)) in outcomes.into_iter().zip(answers) {
                let _ = answer.send(outcome);
            }
        }
        Err(e) if writes.len() > 1 => {
            tracing::warn!(error = %e, writes = writes.len(), "storing sign-ins failed: each alone");
            for (write, (answer, _bytes)) in writes.iter().zip(answers) {
                let outcome = match store.write_sessions(std::slice::from_ref(write)).await {
                    Ok(mut outcomes) => outcomes.pop().unwrap_or_else(|| {
                        Err(StoreError::Corrupt("no outcome for a sign-in".into()))
                    }),
                    Err(e) => Err(e),
                };
                let _ = answer.send(outcome);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "storing a sign-in failed");
            if let Some((answer, _bytes)) = answers.into_iter().next() {
                let _ = answer.send(Err(e));
            }
        }
    }
}
