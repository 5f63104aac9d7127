//! The journal: every message is stored before anyone hears of it, and every node delivers
//! messages in id order. Changes to messages (edits, deletions, reactions) travel the same
//! way, as messages whose `change` is set, numbered from the same sequence.
//!
//! Connections hand their messages to one task through a bounded queue. The task takes
//! whatever has piled up (up to [`MAX_BATCH`]), stores it in one transaction (group commit:
//! one sync to disk for the lot), then has the hub deliver each message and acknowledge it, in
//! id order. So an `ack` always means "stored", and delivery order is id order.
//!
//! With several nodes the same task also delivers what the others stored (from the bus). Ids
//! become visible in the store in commit order (see [`crate::store`]), so when a message
//! arrives whose id is not the next one, the ones between are stored already: the task reads
//! them from the store first. A lost or late publish therefore never loses or reorders a
//! message, and while the bus is down [`Journal::catch_up`] reads new messages from the store.
//!
//! The journal knows the store and a [`Delivery`]: what it calls back once a batch is stored
//! (the hub implements it). It knows neither the hub's insides nor the bus.
//!
//! The task is one of the server's owned [`Tasks`]: asked to stop, it takes no new message
//! but finishes the batch it holds and stores, delivers and acknowledges what is queued
//! already, then returns, so that shutdown never leaves a sender without its answer.

use std::sync::Arc;

use shared::ErrorCode;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::message::{Message, NewMessage};
use crate::metrics::Metrics;
use crate::outbox::ConnId;
use crate::store::{Appended, Store, StoreError};
use crate::tasks::Tasks;

/// Most messages stored in one transaction.
const MAX_BATCH: usize = 512;
/// Messages waiting to be stored; a sender waits when the queue is full.
const QUEUE: usize = 4096;
/// Batches from other nodes waiting for delivery; when full, the store fills in later.
const REMOTE_QUEUE: usize = 1024;
/// Messages read from the store at a time when catching up.
const CATCH_UP_PAGE: u32 = 512;

/// Where stored messages go: the journal calls it, in id order, from its one task. A call is
/// made per message (or per batch), never per recipient; the type is a generic parameter of
/// the task, so the calls are static.
pub trait Delivery: Send + Sync + 'static {
    /// Says whether a batch is being stored, to be delivered right after (the flusher waits
    /// for it before a long turn).
    fn storing(&self, storing: bool);
    /// Delivers a message this node stored, and acknowledges it to `origin` with `req`. A
    /// duplicate (a resent `req`, or a message delivered already) is only acknowledged.
    fn deliver(&self, message: &Message, duplicate: bool, origin: ConnId, req: Option<String>);
    /// Delivers a message another node stored (or one read from the store to fill a gap).
    fn deliver_remote(&self, message: &Message);
    /// Tells `origin` that its message was not stored.
    fn refuse(&self, origin: ConnId, code: ErrorCode, message: &str, req: Option<String>);
    /// Acknowledges to `origin` a change that changed nothing, delivering nothing.
    fn acknowledge(&self, origin: ConnId, req: Option<String>, id: u64, at: u64);
    /// These messages were just stored here, in id order (none a duplicate): for the other
    /// nodes, if there are any. Called before any of them is delivered.
    fn stored(&self, messages: &[&Message]);
}

/// A message on its way to the store.
#[derive(Debug)]
pub struct Entry {
    /// The message, as its sender wrote it.
    pub message: NewMessage,
    /// The connection that sent it, which gets the acknowledgement.
    pub origin: ConnId,
}

/// What other nodes did, for the journal to deliver.
#[derive(Debug)]
enum Remote {
    /// Messages another node stored, in id order.
    Messages(Vec<Message>),
    /// Read whatever is new in the store.
    CatchUp,
}

/// Cheap to clone handle to the journal task.
#[derive(Debug, Clone)]
pub struct Journal {
    /// This node's messages, to be stored.
    tx: mpsc::Sender<Entry>,
    /// Other nodes' messages, and requests to catch up from the store.
    remote: mpsc::Sender<Remote>,
}

#[derive(Debug, thiserror::Error)]
#[error("the journal has stopped")]
pub struct Stopped;

impl Journal {
    /// Starts the task in `tasks`; it hands what it stores to `delivery`. `delivered` is the
    /// id of the last message delivered so far (the last one stored, at start); `timeout` is
    /// the longest wait for the store to answer an append (`--store-timeout-ms`). The task
    /// ends when `tasks` stop (after what is queued) or when every handle is dropped.
    pub fn start<D: Delivery>(
        store: Arc<dyn Store>,
        delivery: D,
        metrics: Arc<Metrics>,
        delivered: u64,
        timeout: std::time::Duration,
        tasks: &Tasks,
    ) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (remote, remote_rx) = mpsc::channel(REMOTE_QUEUE);
        let task = Task {
            store,
            delivery,
            metrics,
            delivered,
            timeout,
        };
        tasks.spawn("journal", task.run(rx, remote_rx, tasks.token()));
        Self { tx, remote }
    }

    /// Queues a message to be stored and delivered; waits while the queue is full.
    pub async fn submit(&self, entry: Entry) -> Result<(), Stopped> {
        self.tx.send(entry).await.map_err(|_| Stopped)
    }

    /// Delivers messages another node stored. Never waits: when the queue is full they are
    /// dropped, and read from the store when the next message shows the gap.
    pub fn remote(&self, messages: Vec<Message>) {
        if self.remote.try_send(Remote::Messages(messages)).is_err() {
            self.catch_up();
        }
    }

    /// Asks the task to deliver whatever the store holds beyond what it delivered.
    pub fn catch_up(&self) {
        let _ = self.remote.try_send(Remote::CatchUp);
    }
}

/// The journal task's state.
struct Task<D> {
    /// Where messages are stored, and gaps read from.
    store: Arc<dyn Store>,
    /// Where stored messages go.
    delivery: D,
    /// The append latency and the count of messages stored.
    metrics: Arc<Metrics>,
    /// The id of the last message delivered; the next one delivered has the next id stored.
    delivered: u64,
    /// Longest wait for an append; its senders are then told `unavailable`.
    timeout: std::time::Duration,
}

impl<D: Delivery> Task<D> {
    /// Stores and delivers until `stop`, then drains the queue of this node's messages.
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Entry>,
        mut remote: mpsc::Receiver<Remote>,
        stop: CancellationToken,
    ) {
        let mut entries = Vec::with_capacity(MAX_BATCH);
        loop {
            tokio::select! {
                biased;
                n = rx.recv_many(&mut entries, MAX_BATCH) => {
                    if n == 0 {
                        return;
                    }
                    self.store_batch(&mut entries).await;
                }
                Some(input) = remote.recv() => match input {
                    Remote::Messages(messages) => {
                        for message in messages {
                            if message.id > self.delivered {
                                self.fill_gap(message.id).await;
                                self.delivery.deliver_remote(&message);
                                self.delivered = message.id;
                            }
                        }
                    }
                    Remote::CatchUp => self.fill_gap(u64::MAX).await,
                },
                () = stop.cancelled() => break,
            }
        }
        // Asked to stop: take no more (a sender is told it stopped), but store, deliver and
        // acknowledge what is queued. Other nodes' messages are in the store already.
        rx.close();
        while rx.recv_many(&mut entries, MAX_BATCH).await > 0 {
            self.store_batch(&mut entries).await;
        }
        tracing::debug!("journal stopped");
    }

    /// Stores a batch, then delivers and acknowledges it (or refuses it when the store fails).
    async fn store_batch(&mut self, entries: &mut Vec<Entry>) {
        let batch: Vec<NewMessage> = entries.iter().map(|e| e.message.clone()).collect();
        let started = std::time::Instant::now();
        // Tells the flusher that this batch is about to be delivered (see `crate::outbox`).
        self.delivery.storing(true);
        let appended = match tokio::time::timeout(self.timeout, self.store.append(&batch)).await {
            Ok(appended) => appended,
            // Not known to be stored: the transaction may still commit (its COMMIT was on its
            // way). Then a resend with the same `req` is acknowledged with its id, and the
            // message is delivered once, from the store (see the repeats below).
            Err(_) => Err(StoreError::Timeout),
        };
        let took = started.elapsed();
        self.metrics.store_append_seconds.observe(took);
        match appended {
            Ok(stored) => {
                let fresh: Vec<&Message> = stored
                    .iter()
                    .filter_map(|appended| match appended {
                        Appended::Stored(message) => Some(message),
                        _ => None,
                    })
                    .collect();
                // A repeat above what was delivered was stored by an append that timed out
                // and committed after all: delivered from the store before it is acknowledged.
                let late = stored
                    .iter()
                    .filter_map(|appended| match appended {
                        Appended::Repeat(message) if message.id > self.delivered => {
                            Some(message.id)
                        }
                        _ => None,
                    })
                    .max();
                self.metrics
                    .messages_stored
                    .inc_by(u64::try_from(fresh.len()).unwrap_or(u64::MAX));
                tracing::debug!(messages = batch.len(), took = ?took, "stored a batch");
                if let Some(first) = fresh.first() {
                    self.delivery.stored(&fresh);
                    // Ids grow in commit order: a late one is below the first fresh id.
                    self.fill_gap(first.id).await;
                } else if let Some(late) = late {
                    self.fill_gap(late.saturating_add(1)).await;
                }
                for (appended, entry) in stored.into_iter().zip(entries.drain(..)) {
                    let (message, duplicate) = match appended {
                        Appended::Stored(message) => (message, false),
                        Appended::Repeat(message) => (message, true),
                        Appended::Conflict => {
                            self.delivery.refuse(
                                entry.origin,
                                ErrorCode::ReqConflict,
                                "this req was used for a different message; nothing was stored: \
                                 give each message a req of its own",
                                entry.message.req,
                            );
                            continue;
                        }
                        Appended::Refused(code, why) => {
                            self.delivery
                                .refuse(entry.origin, code, why, entry.message.req);
                            continue;
                        }
                        Appended::Unchanged { id, at } => {
                            self.delivery
                                .acknowledge(entry.origin, entry.message.req, id, at);
                            continue;
                        }
                    };
                    // Only a message delivered already (read from the store) is just acknowledged.
                    let duplicate = duplicate || message.id <= self.delivered;
                    self.delivery
                        .deliver(&message, duplicate, entry.origin, entry.message.req);
                    if !duplicate {
                        self.delivered = message.id;
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.len(), "storing messages failed");
                for entry in entries.drain(..) {
                    self.delivery.refuse(
                        entry.origin,
                        ErrorCode::Unavailable,
                        "the database did not confirm the message: it may have been stored; \
                         send it again with the same req",
                        entry.message.req,
                    );
                }
            }
        }
        self.delivery.storing(false);
    }

    /// Delivers, from the store, every stored message with an id between the last delivered
    /// and `next` (exclusive). Single node: there never is a gap, and this costs nothing.
    async fn fill_gap(&mut self, next: u64) {
        while self.delivered.saturating_add(1) < next {
            let page = match self.store.since(self.delivered, CATCH_UP_PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, after = self.delivered, "cannot read missed messages from the store");
                    return;
                }
            };
            let mut progressed = false;
            for message in page.iter().filter(|m| m.id < next) {
                self.delivery.deliver_remote(message);
                self.delivered = message.id;
                progressed = true;
            }
            if !progressed {
                // Nothing stored in the gap (deleted messages leave holes): move on.
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
