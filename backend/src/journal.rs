//! The journal: every message is stored before anyone hears of it.
//!
//! Connections hand their messages to one task through a bounded queue. The task takes
//! whatever has piled up (up to [`MAX_BATCH`]), stores it in one transaction (group commit:
//! one sync to disk for the lot), then has the hub deliver each message and acknowledge it, in
//! id order. So an `ack` always means "stored", and delivery order is id order.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use shared::ErrorCode;
use tokio::sync::mpsc;

use crate::hub::{ConnId, Hub};
use crate::message::NewMessage;
use crate::store::Store;

/// Most messages stored in one transaction.
const MAX_BATCH: usize = 512;
/// Messages waiting to be stored; a sender waits when the queue is full.
const QUEUE: usize = 4096;

/// A message on its way to the store.
#[derive(Debug)]
pub struct Entry {
    pub message: NewMessage,
    /// The connection that sent it, which gets the acknowledgement.
    pub origin: ConnId,
}

/// Cheap to clone handle to the journal task.
#[derive(Debug, Clone)]
pub struct Journal {
    tx: mpsc::Sender<Entry>,
}

#[derive(Debug, thiserror::Error)]
#[error("the journal has stopped")]
pub struct Stopped;

impl Journal {
    /// Starts the task; it ends when every handle is dropped.
    pub fn start(store: Arc<dyn Store>, hub: Hub) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, hub, rx));
        Self { tx }
    }

    /// Queues a message to be stored and delivered; waits while the queue is full.
    pub async fn submit(&self, entry: Entry) -> Result<(), Stopped> {
        self.tx.send(entry).await.map_err(|_| Stopped)
    }
}

async fn run(store: Arc<dyn Store>, hub: Hub, mut rx: mpsc::Receiver<Entry>) {
    let mut entries = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut entries, MAX_BATCH).await > 0 {
        let batch: Vec<NewMessage> = entries.iter().map(|e| e.message.clone()).collect();
        let started = std::time::Instant::now();
        let appended = store.append(&batch).await;
        let took = started.elapsed();
        hub.metrics().store_append_seconds.observe(took);
        match appended {
            Ok(stored) => {
                let new = stored.iter().filter(|(_, duplicate)| !duplicate).count();
                hub.metrics()
                    .messages_stored
                    .fetch_add(new as u64, Ordering::Relaxed);
                tracing::debug!(messages = batch.len(), took = ?took, "stored a batch");
                for ((message, duplicate), entry) in stored.into_iter().zip(entries.drain(..)) {
                    hub.deliver(&message, duplicate, entry.origin, entry.message.req);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.len(), "storing messages failed");
                for entry in entries.drain(..) {
                    hub.refuse(
                        entry.origin,
                        ErrorCode::Internal,
                        "the message could not be stored; send it again",
                        entry.message.req,
                    );
                }
            }
        }
    }
}
