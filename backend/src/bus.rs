//! The bus between nodes: Redis pub/sub, for running several nodes as one chat.
//!
//! Every node publishes what happens on it (messages it stored, users coming and going, joins,
//! typing, read markers, sign-outs) on one channel, `<prefix>:events`, and applies what the
//! others publish to its own connections. Without `REDIS_URL` there is no bus and the hub
//! reaches every user itself.
//!
//! What the bus does not have to get right, the store does: messages are stored before they are
//! published, and the journal delivers them in id order, filling any gap from the store
//! ([`crate::journal`]). So a lost publish costs latency, never a message.
//!
//! - Presence: a node announces itself with `hello` (its online users), and the others answer
//!   with `sync` (theirs); then `online`/`offline` keep the lists current. Every node sends a
//!   `heartbeat`; a node not heard from for the expiry time is taken for dead and its users go
//!   offline. A node only expires others while its own link works (it hears its own heartbeat).
//! - Losing Redis: the node keeps serving its own users, reports not ready, reads new messages
//!   from the store every heartbeat, and reconnects with back-off. Events that change durable
//!   state (joins, leaves, sign-outs) wait for the link; presence and typing are dropped and
//!   repaired by the next `hello`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

use crate::hub::{Event, Hub, Publish, WireMessage};
use crate::journal::Journal;
use crate::store::Store;

/// Events waiting to be published; when full, presence and typing are dropped.
const QUEUE: usize = 16 * 1024;
/// Durable-state events kept while Redis is unreachable, published once it is back.
const RETAINED: usize = 4096;
/// Most events published in one pipeline.
const PIPELINE: usize = 256;
/// How long connecting or one publish may take before the link counts as lost.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Heartbeats between two safety reads from the store while the link works.
const CATCH_UP_EVERY: u32 = 5;

impl Event {
    /// Whether the event changes what other nodes must know for good, so it waits for the
    /// link instead of being dropped.
    fn is_durable(&self) -> bool {
        matches!(
            self,
            Self::Joined { .. }
                | Self::RoomUpdated { .. }
                | Self::Left { .. }
                | Self::Forgotten { .. }
                | Self::CloseSession { .. }
                | Self::CloseUser { .. }
        )
    }
}

/// An event with the node that sent it: what goes over Redis, as JSON.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: String,
    #[serde(flatten)]
    event: Event,
}

/// What the rest of the server sees of the bus: a non-blocking publish and the link's state.
#[derive(Debug, Clone)]
pub struct Publisher {
    tx: mpsc::Sender<Event>,
    link: Arc<Link>,
}

/// The link's state, shared by the bus task and its publishers.
#[derive(Debug)]
struct Link {
    /// This process on the bus: the configured node id and a random suffix.
    node: String,
    /// Subscribed and hearing its own heartbeats.
    up: AtomicBool,
    /// Events dropped because the queue was full.
    dropped: AtomicU64,
}

impl Publish for Publisher {
    /// Queues `event` for the other nodes without waiting; when the queue is full, the
    /// event is dropped (and counted).
    fn publish(&self, event: Event) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.tx.try_send(event) {
            let dropped = self.link.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, kind = ?std::mem::discriminant(&event), "bus queue full: dropping events");
            }
        }
    }
}

impl Publisher {
    /// Whether the link to Redis works right now.
    pub fn is_up(&self) -> bool {
        self.link.up.load(Ordering::Acquire)
    }

    /// This process's name on the bus.
    pub fn node(&self) -> &str {
        &self.link.node
    }
}

/// The receiving end of [`Publisher`], for [`run`].
#[derive(Debug)]
pub struct Outgoing {
    rx: mpsc::Receiver<Event>,
    link: Arc<Link>,
}

/// A publisher and its queue; `node_id` gets a random suffix so that two processes never
/// share a name.
pub fn channel(node_id: &str) -> (Publisher, Outgoing) {
    let mut suffix = [0u8; 4];
    getrandom::fill(&mut suffix).expect("the OS has randomness");
    let node = format!(
        "{node_id}-{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let link = Arc::new(Link {
        node,
        up: AtomicBool::new(false),
        dropped: AtomicU64::new(0),
    });
    let (tx, rx) = mpsc::channel(QUEUE);
    (
        Publisher {
            tx,
            link: link.clone(),
        },
        Outgoing { rx, link },
    )
}

/// Where the bus connects and how often it checks on the others.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub url: String,
    pub prefix: String,
    pub heartbeat: Duration,
    pub expiry: Duration,
}

#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer in time")]
    Timeout(#[from] tokio::time::error::Elapsed),
    #[error("the subscription ended")]
    Unsubscribed,
    #[error("no heartbeat of our own came back")]
    Deaf,
}

/// Everything the bus task works with.
struct Bus {
    config: BusConfig,
    channel: String,
    outgoing: Outgoing,
    /// Durable-state events waiting for the link.
    retained: VecDeque<Event>,
    hub: Hub,
    journal: Journal,
    store: Arc<dyn Store>,
    /// Cancelled when the server shuts down: say goodbye, then stop.
    shutdown: CancellationToken,
}

/// Runs the bus until `shutdown`: connects, relays events both ways, reconnects when the link
/// breaks.
pub async fn run(
    config: BusConfig,
    outgoing: Outgoing,
    hub: Hub,
    journal: Journal,
    store: Arc<dyn Store>,
    shutdown: CancellationToken,
) {
    let channel = format!("{}:events", config.prefix);
    let mut bus = Bus {
        config,
        channel,
        outgoing,
        retained: VecDeque::new(),
        hub,
        journal,
        store,
        shutdown,
    };
    bus.run().await;
}

impl Bus {
    fn node(&self) -> &str {
        &self.outgoing.link.node
    }

    async fn run(&mut self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let result = self.session().await;
            self.outgoing.link.up.store(false, Ordering::Release);
            match result {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(node = self.node(), error = %e, "bus link down; the store keeps this node current")
                }
            }
            if started.elapsed() > MAX_BACKOFF * 2 {
                backoff = Duration::from_millis(100);
            }
            if !self.wait_offline(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// While the link is down: keeps durable events, drops the rest, and reads new messages
    /// from the store every heartbeat. Returns false when the server is stopping.
    async fn wait_offline(&mut self, pause: Duration) -> bool {
        let deadline = tokio::time::sleep(pause);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(self.config.heartbeat);
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => return false,
                () = &mut deadline => return true,
                event = self.outgoing.rx.recv() => match event {
                    None => return false,
                    Some(event) => self.retain(event),
                },
                _ = tick.tick() => self.journal.catch_up(),
            }
        }
    }

    fn retain(&mut self, event: Event) {
        if !event.is_durable() {
            return;
        }
        if self.retained.len() >= RETAINED {
            self.retained.pop_front();
            tracing::warn!("too many events waiting for the bus: dropping the oldest");
        }
        self.retained.push_back(event);
    }

    /// One connection to Redis, until it fails (an error) or the server stops (`Ok`).
    async fn session(&mut self) -> Result<(), LinkError> {
        if self.shutdown.is_cancelled() {
            return Ok(());
        }
        let client = redis::Client::open(self.config.url.as_str())?;
        let (mut sink, mut messages) = timeout(IO_TIMEOUT, client.get_async_pubsub())
            .await??
            .split();
        timeout(IO_TIMEOUT, sink.subscribe(&self.channel)).await??;
        let mut conn = timeout(IO_TIMEOUT, client.get_multiplexed_async_connection()).await??;

        // Catch up on what happened while we were away, then tell the others who is here.
        match self.store.memberships().await {
            Ok(memberships) => self.hub.reload_memberships(memberships),
            Err(e) => tracing::warn!(error = %e, "cannot reload room memberships"),
        }
        match self.store.rooms().await {
            Ok(rooms) => self.hub.set_rooms(rooms),
            Err(e) => tracing::warn!(error = %e, "cannot reload the rooms' settings"),
        }
        self.hub.reset_node_clocks();
        let mut first = vec![Event::Hello {
            users: self.hub.local_users(),
            away: self.hub.local_away(),
        }];
        first.extend(self.retained.drain(..));
        self.publish(&mut conn, first).await?;
        self.journal.catch_up();
        self.outgoing.link.up.store(true, Ordering::Release);
        tracing::info!(node = self.node(), "bus link up");

        let mut heartbeat = tokio::time::interval(self.config.heartbeat);
        let mut last_echo = Instant::now();
        let mut beats = 0u32;
        let mut batch = Vec::with_capacity(PIPELINE);
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => {
                    // The others take our users offline now rather than after the expiry.
                    let _ = self.publish(&mut conn, vec![Event::Bye]).await;
                    return Ok(());
                }
                message = messages.next() => {
                    let message = message.ok_or(LinkError::Unsubscribed)?;
                    if self.receive(message.get_payload_bytes()) {
                        last_echo = Instant::now();
                    }
                }
                n = self.outgoing.rx.recv_many(&mut batch, PIPELINE) => {
                    if n == 0 {
                        return Ok(());
                    }
                    let events = std::mem::take(&mut batch);
                    // Only durable events outlive a failed publish; copy those alone (message
                    // batches, the bulk of the traffic, are in the store already).
                    let durable: Vec<Event> =
                        events.iter().filter(|e| e.is_durable()).cloned().collect();
                    if let Err(e) = self.publish(&mut conn, events).await {
                        for event in durable {
                            self.retain(event);
                        }
                        return Err(e);
                    }
                }
                _ = heartbeat.tick() => {
                    if last_echo.elapsed() > self.config.expiry {
                        return Err(LinkError::Deaf);
                    }
                    let load = Event::Load {
                        connections: self.hub.stats().connections as u64,
                    };
                    self.publish(&mut conn, vec![Event::Heartbeat, load]).await?;
                    self.hub.expire_nodes(self.config.expiry);
                    beats += 1;
                    if beats.is_multiple_of(CATCH_UP_EVERY) {
                        self.journal.catch_up();
                    }
                }
            }
        }
    }

    async fn publish(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
        events: Vec<Event>,
    ) -> Result<(), LinkError> {
        let mut pipe = redis::pipe();
        for event in events {
            let envelope = Envelope {
                node: self.node().to_owned(),
                event,
            };
            let payload = serde_json::to_vec(&envelope).expect("bus events always serialize");
            pipe.publish(&self.channel, payload).ignore();
        }
        timeout(IO_TIMEOUT, pipe.query_async::<()>(conn)).await??;
        Ok(())
    }

    /// Applies one event from the bus. Returns true for our own heartbeat coming back.
    fn receive(&self, payload: &[u8]) -> bool {
        let envelope: Envelope = match serde_json::from_slice(payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable event on the bus");
                return false;
            }
        };
        if envelope.node == self.node() {
            return envelope.event == Event::Heartbeat;
        }
        let node = envelope.node;
        match envelope.event {
            Event::Hello { users, away } => {
                self.hub.node_sync(&node, &users, &away);
                self.hub.publish(Event::Sync {
                    users: self.hub.local_users(),
                    away: self.hub.local_away(),
                });
                // It may have stored messages that nobody heard of while it was cut off.
                self.journal.catch_up();
            }
            Event::Sync { users, away } => self.hub.node_sync(&node, &users, &away),
            Event::Bye => self.hub.node_gone(&node),
            Event::Heartbeat => {
                if !self.hub.node_seen(&node) {
                    // A node we took for dead, or missed: ask everyone for their lists.
                    self.hub.publish(Event::Hello {
                        users: self.hub.local_users(),
                        away: self.hub.local_away(),
                    });
                }
            }
            Event::Messages { messages } => self.journal.remote(
                messages
                    .into_iter()
                    .filter_map(WireMessage::parse)
                    .collect(),
            ),
            other => self.hub.apply(&node, other),
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_with_the_sender() {
        let envelope = Envelope {
            node: "a-01".into(),
            event: Event::Joined {
                user: "Alice".into(),
                room: "rust".into(),
                settings: None,
            },
        };
        let json = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            json,
            r#"{"node":"a-01","type":"joined","user":"Alice","room":"rust"}"#
        );
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back.event, envelope.event);
    }

    #[test]
    fn only_durable_events_wait_for_the_link() {
        assert!(Event::Left {
            user: "a".into(),
            room: "b".into(),
            removal: crate::hub::Removal::default(),
        }
        .is_durable());
        assert!(!Event::Heartbeat.is_durable());
        assert!(!Event::Online { user: "a".into() }.is_durable());
    }
}
