//! The hub: the pool of live connections, the map from each user to their connections, and
//! the rooms. Every fan-out starts here.
//!
//! One owner: all of it sits behind one `std::sync::Mutex`, taken only by the short,
//! synchronous methods below and never held across an `.await`. Delivering to a connection is
//! a push onto its bounded queue ([`Outbox`]), so fan-out never waits for a socket: a
//! connection whose queue is full is told to close with 1013 (try again later) and counted.
//! When its writer takes what was queued is up to the outbox's [`Flusher`].
//! Each frame is encoded once; its recipients share the bytes.
//!
//! Room memberships are stored (the connection records a join or leave in the store before it
//! tells the hub); the hub holds them all in memory for fan-out. Messages reach the hub only
//! after the journal has stored them: the hub is the journal's [`Delivery`](crate::journal::Delivery).
//!
//! Several nodes: with a bus (a [`Publish`]er) every change made here is also published, and
//! what other nodes publish is applied here ([`Hub::apply`], [`Hub::node_sync`]) to this
//! node's connections. The hub then knows every node's online users (`remote`), so presence
//! and member lists cover the whole chat, while each node writes only to its own connections.
//!
//! Presence is by interest and coalesced: a user coming online or going offline (here or on
//! another node) is noted in a pending set, and at most once per
//! [`HubConfig::presence_interval`] each connection gets one `presence` frame with the
//! pending changes of the users it has an interest in (`interest`: its user's rooms but the
//! lobby, its private conversations), and the count of everyone online when that moved. A
//! change after a quiet interval goes out at once (the leading edge); later ones wait for the
//! interval to pass, and the task [`Hub::run_presence`] sends them then. A sign-in thus costs
//! what it concerns, not O(everyone online).
//!
//! This file holds the [`Hub`] handle and its maps; its parts hold what is done with them:
//! `pool` (connections and the user map), `welcome` (taken under the lock, encoded outside),
//! `online` (everyone online, counted and paged), `interest` (who hears of whom), `members`
//! (who of a room is online, page by page), `slots` (connections and rate budget per
//! user), `rooms` (memberships), `joining` (join tickets), `presence`
//! (coalescing and its task), `pinger` (every connection's ping tick, from one task), `away` (who is away: per connection, per node, per user), `typing` (the throttle), `receipts` (live read receipts), `nodes` (other nodes, their clocks and
//! their events), `fanout` (delivery and the pushes onto queues), `events` (what nodes tell
//! each other, and the [`Publish`] trait), `safety` (closing a disabled account's connections
//! on every node, frames for one user or one room on every node, the nodes' figures).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::protocol::ServerLimits;
use shared::{ErrorCode, RoomName, RoomSettings, Target, UserName};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

mod away;
mod departures;
mod events;
mod fanout;
mod interest;
mod joining;
mod members;
mod nodes;
mod online;
mod pinger;
mod pool;
mod presence;
mod receipts;
mod rooms;
mod safety;
mod slots;
mod typing;
mod welcome;

pub use events::{Event, Publish, Removal, Route, WireMessage};
pub use joining::JoinTicket;
pub use members::MembersPage;
pub use safety::StandingMark;
pub use slots::{Slot, TooManyConnections};

use departures::Departures;
use nodes::RemoteNode;
use online::Online;
use presence::Presence;
use slots::Slots;

use crate::metrics::{Metrics, Stats};
use crate::outbox::{ConnId, Flusher, Outbox};

/// Why the hub refused a request; each maps to the protocol's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("you are not in that room")]
    NotMember,
    #[error("everyone stays in the lobby")]
    CannotLeaveLobby,
    #[error("you are in as many rooms as allowed")]
    TooManyRooms,
    #[error("the room is archived: read-only")]
    Archived,
}

impl HubError {
    /// The protocol's error code for it.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::NotMember => ErrorCode::NotMember,
            Self::CannotLeaveLobby => ErrorCode::CannotLeaveLobby,
            Self::TooManyRooms => ErrorCode::TooManyRooms,
            Self::Archived => ErrorCode::RoomArchived,
        }
    }
}

/// What the hub needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Rooms one user may be in at once, lobby included.
    pub max_rooms_per_user: usize,
    /// Connections one user may hold at once on this node.
    pub max_connections_per_user: usize,
    /// Private conversations in a welcome or a `conversations` frame.
    pub conversations_page: u32,
    /// Least time between two typing notices forwarded for one user and conversation.
    pub typing_interval: Duration,
    /// Least time between two `presence` frames (default [`crate::config::PRESENCE_INTERVAL_MS`]).
    pub presence_interval: Duration,
    /// Announced to every client in its welcome.
    pub limits: ServerLimits,
}

#[cfg(test)]
impl HubConfig {
    /// The hub tests' configuration: a presence interval that never ends by itself (what is
    /// deferred waits for [`Hub::flush_presence`]), limits no test reaches but the rate's.
    pub(crate) fn for_tests() -> Self {
        Self {
            max_rooms_per_user: 50,
            max_connections_per_user: 20,
            conversations_page: 100,
            typing_interval: Duration::from_secs(2),
            presence_interval: Duration::from_secs(3600),
            limits: ServerLimits {
                max_body_chars: 4000,
                max_frame_bytes: 65536,
                rate_per_sec: 10,
                burst: 20,
            },
        }
    }
}

/// Cheap to clone handle to the one hub of this process.
#[derive(Debug, Clone)]
pub struct Hub {
    /// Everything the clones share.
    shared: Arc<Shared>,
}

/// What every clone of a [`Hub`] shares.
#[derive(Debug)]
struct Shared {
    /// Connections, users and rooms: changed together, so guarded together.
    state: Mutex<State>,
    /// The next connection id.
    next_conn_id: AtomicU64,
    /// Limits and intervals.
    config: HubConfig,
    /// The counters fan-out bumps, shared with the rest of the server.
    metrics: Arc<Metrics>,
    /// The bus to the other nodes, when there are any: called once per change, never per
    /// recipient.
    bus: Option<Arc<dyn Publish>>,
    /// Wakes [`Hub::run_presence`] when a presence change has to wait for the interval.
    presence_due: Notify,
    /// Lets connections' writers take what was queued for them.
    flusher: Arc<Flusher>,
    /// Each user's connection slots and shared rate budget, under a lock of their own.
    slots: Arc<Slots>,
    /// Bumped before a session's, an account's or a block list's change reaches the
    /// connections here: a connection that read its standing before joining trusts that
    /// read only if this did not move meanwhile (see [`Hub::standing_mark`]).
    standing_changes: AtomicU64,
}

/// The maps behind the hub's one lock.
#[derive(Debug, Default)]
struct State {
    /// Every live connection on this node (the pool).
    conns: HashMap<ConnId, ConnEntry>,
    /// Online users by name key (lowercase).
    users: HashMap<String, UserEntry>,
    /// Every room but the lobby, with its members (online or not) by name key; shared with
    /// the welcomes being built (copied on write).
    rooms: HashMap<RoomName, Arc<BTreeMap<String, UserName>>>,
    /// The same memberships by member: the rooms each user is in, lobby aside.
    member_of: HashMap<String, BTreeSet<RoomName>>,
    /// Each room's settings and who runs it (its owner: its creator, until they leave; its
    /// moderators), as the store keeps them (`rooms`, memberships' roles): every room ever
    /// created, those nobody is in any more included.
    settings: HashMap<RoomName, RoomSettings>,
    /// Rooms being joined (stored, not yet announced), by user key, with how many joins of
    /// each are under way: they count against the rooms limit ([`JoinTicket`]).
    joining: HashMap<String, BTreeMap<RoomName, usize>>,
    /// The id of the last message delivered: every later one reaches a connection opened now.
    last_delivered: u64,
    /// The other nodes we hear from, with their online users.
    nodes: HashMap<String, RemoteNode>,
    /// Users online on other nodes, by name key, with the number of nodes they are on.
    remote_users: HashMap<String, (UserName, usize)>,
    /// Everyone online on any node (the keys of `users` and `remote_users`), in name-key
    /// order.
    online: Online,
    /// The connections here with an interest in a user beyond their rooms (the other person of
    /// a private conversation they were told of), by that user's key.
    watchers: HashMap<String, HashSet<ConnId>>,
    /// Presence changes not yet sent to the connections.
    presence: Presence,
    /// When users who went offline lately were last seen, until the store surely has it.
    departures: Departures,
    /// The users online and away on every node they are on, by name key.
    away: BTreeMap<String, UserName>,
}

/// One live connection, in the pool.
#[derive(Debug)]
struct ConnEntry {
    /// The name key of the connection's user.
    user: String,
    /// The session it was opened with, so that signing out can close it.
    session: pool::SessionKey,
    /// Its queue (and close switch): how frames reach it.
    outbox: Outbox,
    /// Its page said it is away (`activity`); a new connection is present.
    away: bool,
    /// The keys of the users it has an interest in beyond its rooms (see `interest`).
    watching: Vec<String>,
}

/// A user online on this node, in the user map.
#[derive(Debug)]
struct UserEntry {
    /// The name as they claimed it.
    name: UserName,
    /// The user's live connections, oldest first.
    conns: Vec<ConnId>,
    /// When a typing notice was last forwarded, per conversation: made on the first one
    /// (8 bytes in every entry instead of an empty map's 48).
    #[allow(clippy::box_collection)] // boxed for the entry's size, which every user pays
    typing: Option<Box<HashMap<Target, Instant>>>,
}

/// Whether a `join` adds a membership (counted against the limit while its ticket lives) or
/// repeats one.
#[derive(Debug)]
pub enum Joining {
    New(JoinTicket),
    Already,
}

/// A typing notice's conversation, with its name already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypingTarget {
    Room(RoomName),
    User(UserName),
}

impl Hub {
    /// A hub that knows the stored `memberships` and that messages up to `last_id` exist.
    pub fn new(
        config: HubConfig,
        metrics: Arc<Metrics>,
        memberships: Vec<(RoomName, UserName)>,
        last_id: u64,
        bus: Option<Arc<dyn Publish>>,
    ) -> Self {
        let mut state = State {
            last_delivered: last_id,
            ..State::default()
        };
        for (room, name) in memberships {
            state.add_member(&room, &name);
        }
        let slots = Slots::new(
            config.max_connections_per_user,
            config.limits.rate_per_sec,
            config.limits.burst,
        );
        Self {
            shared: Arc::new(Shared {
                slots: Arc::new(slots),
                state: Mutex::new(state),
                next_conn_id: AtomicU64::new(1),
                config,
                metrics,
                bus,
                presence_due: Notify::new(),
                flusher: Arc::default(),
                standing_changes: AtomicU64::new(0),
            }),
        }
    }

    /// Tells the other nodes, if there are any.
    pub fn publish(&self, event: Event) {
        if let Some(bus) = &self.shared.bus {
            bus.publish(event);
        }
    }

    /// Sets the rooms' settings to the stored ones (at start, and after the bus was down).
    pub fn set_rooms(&self, rooms: Vec<(RoomName, RoomSettings)>) {
        self.state().settings = rooms.into_iter().collect();
    }

    /// The id of the last message delivered.
    pub fn last_delivered(&self) -> u64 {
        self.state().last_delivered
    }

    /// Reserves one of `name`'s connection slots, before the upgrade; it is given back when
    /// the [`Slot`] is dropped. Its user's connections share its rate budget.
    pub fn reserve_slot(&self, name: &UserName) -> Result<Slot, TooManyConnections> {
        self.shared.slots.reserve(name)
    }

    /// Private conversations in a welcome or a `conversations` frame, at most.
    pub fn conversations_page(&self) -> u32 {
        self.shared.config.conversations_page
    }

    /// How many connection slots `name` holds on this node.
    pub fn slots_held(&self, name: &UserName) -> usize {
        self.shared.slots.held(name)
    }

    /// The maps, locked: for the short synchronous methods of the hub's parts.
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough maps; keep serving.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    pub fn stats(&self) -> Stats {
        let state = self.state();
        Stats {
            connections: state.conns.len(),
            users_online: state.users.len(),
            rooms: state.rooms.len() + 1,
        }
    }

    /// Lets connections' writers take their queued frames, in the order the frames came
    /// (see [`crate::outbox`]), until `shutdown`. [`crate::AppState::open`] spawns it.
    pub async fn run_flusher(self, shutdown: CancellationToken) {
        self.shared.flusher.clone().run(shutdown).await;
    }
}

/// Orders names ignoring case, without allocating.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}
