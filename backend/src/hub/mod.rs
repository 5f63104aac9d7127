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
//! after the journal has stored them: the hub is the journal's [`Delivery`].
//!
//! Several nodes: with a bus (a [`Publish`]er) every change made here is also published, and
//! what other nodes publish is applied here ([`Hub::apply`], [`Hub::node_sync`]) to this
//! node's connections. The hub then knows every node's online users (`remote`), so presence
//! and member lists cover the whole chat, while each node writes only to its own connections.
//!
//! Presence is coalesced: a user coming online or going offline (here or on another node) is
//! noted in a pending set, and one `presence` frame carries every pending change to every
//! connection, at most once per [`HubConfig::presence_interval`]. A change after a quiet
//! interval goes out at once (the leading edge); later ones wait for the interval to pass,
//! and the task [`Hub::run_presence`] sends them then. Signing in n users thus costs
//! O(n × intervals) frames rather than O(n²).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::protocol::{ServerLimits, PROTOCOL_VERSION};
use shared::{ConversationInfo, ErrorCode, RoomInfo, RoomName, ServerFrame, Target, UserName};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

mod events;

pub use events::{Event, Publish, Route, WireMessage};

use crate::journal::Delivery;
use crate::message::{Destination, Message};
use crate::metrics::{Metrics, Stats};
use crate::outbox::{self, ConnId, Control, Flusher, Inbox, Outbox};
use crate::store::SessionId;
use crate::ws::{encode, Frame, WireFrame};

/// Why the hub refused a request; each maps to the protocol's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("you are not in that room")]
    NotMember,
    #[error("everyone stays in the lobby")]
    CannotLeaveLobby,
    #[error("you are in as many rooms as allowed")]
    TooManyRooms,
}

impl HubError {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::NotMember => ErrorCode::NotMember,
            Self::CannotLeaveLobby => ErrorCode::CannotLeaveLobby,
            Self::TooManyRooms => ErrorCode::TooManyRooms,
        }
    }
}

/// What the hub needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub max_rooms_per_user: usize,
    pub typing_interval: Duration,
    /// Least time between two `presence` frames (default [`crate::config::PRESENCE_INTERVAL_MS`]).
    pub presence_interval: Duration,
    /// Announced to every client in its welcome.
    pub limits: ServerLimits,
}

/// Cheap to clone handle to the one hub of this process.
#[derive(Debug, Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Connections, users and rooms: changed together, so guarded together.
    state: Mutex<State>,
    /// The next connection id.
    next_conn_id: AtomicU64,
    config: HubConfig,
    metrics: Arc<Metrics>,
    /// The bus to the other nodes, when there are any: called once per change, never per
    /// recipient.
    bus: Option<Arc<dyn Publish>>,
    /// Wakes [`Hub::run_presence`] when a presence change has to wait for the interval.
    presence_due: Notify,
    /// Lets connections' writers take what was queued for them.
    flusher: Arc<Flusher>,
}

#[derive(Debug, Default)]
struct State {
    conns: HashMap<ConnId, ConnEntry>,
    /// Online users by name key (lowercase).
    users: HashMap<String, UserEntry>,
    /// Every room but the lobby, with its members (online or not) by name key.
    rooms: HashMap<RoomName, BTreeMap<String, UserName>>,
    /// The same memberships by member: the rooms each user is in, lobby aside.
    member_of: HashMap<String, BTreeSet<RoomName>>,
    /// The id of the last message delivered: every later one reaches a connection opened now.
    last_delivered: u64,
    /// The other nodes we hear from, with their online users.
    nodes: HashMap<String, RemoteNode>,
    /// Users online on other nodes, by name key, with the number of nodes they are on.
    remote_users: HashMap<String, (UserName, usize)>,
    /// Everyone online on any node (the keys of `users` and `remote_users`), in name-key
    /// order: a welcome lists them without sorting everyone at every sign-in.
    online: BTreeMap<String, UserName>,
    /// Presence changes not yet sent to the connections.
    presence: Presence,
}

/// Presence changes on their way to this node's connections.
#[derive(Debug, Default)]
struct Presence {
    /// The users whose online state changed since the last `presence` frame, by name key. The
    /// frame says the state they are in when it is sent; the name is kept for those offline
    /// by then, who are gone from the other maps.
    pending: HashMap<String, UserName>,
    /// When the last `presence` frame went out; `None` before the first.
    last_sent: Option<Instant>,
    /// Whether the pending changes wait for [`Hub::run_presence`]: set when it is woken,
    /// cleared by every flush.
    deferred: bool,
}

#[derive(Debug)]
struct RemoteNode {
    /// Its online users by name key.
    users: HashMap<String, UserName>,
    /// When we last heard from it.
    seen: Instant,
}

#[derive(Debug)]
struct ConnEntry {
    /// The name key of the connection's user.
    user: String,
    /// The session it was opened with, so that signing out can close it.
    session: SessionId,
    outbox: Outbox,
}

#[derive(Debug)]
struct UserEntry {
    name: UserName,
    /// The user's live connections, oldest first.
    conns: Vec<ConnId>,
    /// When a typing notice was last forwarded, per conversation.
    typing: HashMap<Target, Instant>,
}

/// Whether a `join` adds a membership or repeats one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    New,
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
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                next_conn_id: AtomicU64::new(1),
                config,
                metrics,
                bus,
                presence_due: Notify::new(),
                flusher: Arc::default(),
            }),
        }
    }

    /// Tells the other nodes, if there are any.
    pub fn publish(&self, event: Event) {
        if let Some(bus) = &self.shared.bus {
            bus.publish(event);
        }
    }

    /// The id of the last message delivered.
    pub fn last_delivered(&self) -> u64 {
        self.state().last_delivered
    }

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

    /// The rooms `name` is in: the lobby first, then the others in order.
    pub fn rooms_of(&self, name: &UserName) -> Vec<RoomName> {
        let state = self.state();
        let mut rooms = vec![RoomName::lobby()];
        rooms.extend(
            state
                .member_of
                .get(&name.key())
                .into_iter()
                .flatten()
                .cloned(),
        );
        rooms
    }

    /// The name of a user who is online on any node, as they claimed it.
    pub fn online_name(&self, name: &UserName) -> Option<UserName> {
        self.state().online_name(&name.key())
    }

    /// Adds a connection of `name`'s. Returns its id, its `welcome` (to be sent before
    /// anything queued for it) and the id of the last message delivered before it joined:
    /// every later message reaches its queue. The user's first connection puts them online,
    /// for the next `presence` frame.
    pub fn connect(
        &self,
        name: UserName,
        session: SessionId,
        outbox: Outbox,
        conversations: Vec<ConversationInfo>,
    ) -> (ConnId, Frame, u64) {
        let id = self.shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let key = name.key();
        let mut state = self.state();
        if !state.users.contains_key(&key) {
            if !state.remote_users.contains_key(&key) {
                state.presence_changed(&name);
            }
            self.publish(Event::Online {
                user: name.to_string(),
            });
            state.online.insert(key.clone(), name.clone());
            state.users.insert(
                key.clone(),
                UserEntry {
                    name,
                    conns: Vec::new(),
                    typing: HashMap::new(),
                },
            );
            // Before this connection is registered: it learns of its user from its welcome.
            self.settle_presence(&mut state);
        }
        let welcome = encode(&state.welcome(&key, conversations, self.shared.config.limits));
        if let Some(user) = state.users.get_mut(&key) {
            user.conns.push(id);
        }
        state.conns.insert(
            id,
            ConnEntry {
                user: key,
                session,
                outbox,
            },
        );
        (id, welcome, state.last_delivered)
    }

    /// Removes a connection. The user's last one takes them offline (for the next `presence`
    /// frame); memberships stay.
    pub fn disconnect(&self, id: ConnId) {
        let mut state = self.state();
        let Some(conn) = state.conns.remove(&id) else {
            return;
        };
        let Some(user) = state.users.get_mut(&conn.user) else {
            return;
        };
        user.conns.retain(|c| *c != id);
        if !user.conns.is_empty() {
            return;
        }
        let Some(user) = state.users.remove(&conn.user) else {
            return;
        };
        if !state.remote_users.contains_key(&conn.user) {
            state.online.remove(&conn.user);
            state.presence_changed(&user.name);
            self.settle_presence(&mut state);
        }
        self.publish(Event::Offline {
            user: user.name.to_string(),
        });
    }

    /// After a presence change: sends it at once if no `presence` frame went out for an
    /// interval (the leading edge), otherwise leaves it to [`Hub::run_presence`], which sends
    /// everything pending once the interval has passed.
    fn settle_presence(&self, state: &mut State) {
        if state.presence.pending.is_empty() || state.presence.deferred {
            return;
        }
        let now = Instant::now();
        let interval = self.shared.config.presence_interval;
        let quiet = state
            .presence
            .last_sent
            .is_none_or(|sent| now.duration_since(sent) >= interval);
        if quiet {
            state.flush_presence(now);
        } else {
            state.presence.deferred = true;
            self.shared.presence_due.notify_one();
        }
    }

    /// Sends every pending presence change now, in one frame to every connection, whatever
    /// the interval; returns whether there was one. [`Hub::run_presence`] calls it when an
    /// interval is over; without that task (in unit tests), deferred changes wait for a call.
    pub fn flush_presence(&self) -> bool {
        self.state().flush_presence(Instant::now())
    }

    /// Sends deferred presence changes when their interval is over, until `shutdown`. The
    /// owner of the hub spawns it once; it sleeps until a change has to wait.
    pub async fn run_presence(self, shutdown: CancellationToken) {
        let interval = self.shared.config.presence_interval;
        loop {
            tokio::select! {
                () = self.shared.presence_due.notified() => {}
                () = shutdown.cancelled() => return,
            }
            loop {
                let wait = {
                    let mut state = self.state();
                    let now = Instant::now();
                    let due = state.presence.last_sent.map_or(now, |sent| sent + interval);
                    if state.presence.pending.is_empty() {
                        state.presence.deferred = false;
                        break;
                    }
                    if due <= now {
                        state.flush_presence(now);
                        break;
                    }
                    due - now
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        }
    }

    /// A new connection's queue of `capacity` frames: the hub's end, kept by
    /// [`Hub::connect`], and the writer's end.
    pub fn queue(&self, capacity: usize, control: Arc<Control>) -> (Outbox, Inbox) {
        outbox::channel(
            capacity,
            self.shared.flusher.clone(),
            control,
            self.shared.metrics.clone(),
        )
    }

    /// Lets connections' writers take their queued frames, in the order the frames came
    /// (see [`crate::outbox`]), until `shutdown`. [`crate::AppState::open`] spawns it.
    pub async fn run_flusher(self, shutdown: CancellationToken) {
        self.shared.flusher.clone().run(shutdown).await;
    }

    /// Whether the connection's user may join `room`, and whether they are in it already.
    /// A new membership is stored before [`Hub::join`] announces it.
    pub fn check_join(&self, id: ConnId, room: &RoomName) -> Result<Joining, HubError> {
        let state = self.state();
        let (key, _) = state.conn(id)?;
        if room.is_lobby() || state.is_member(&key, room) {
            return Ok(Joining::Already);
        }
        let rooms = state.member_of.get(&key).map_or(0, BTreeSet::len) + 1;
        if rooms >= self.shared.config.max_rooms_per_user {
            return Err(HubError::TooManyRooms);
        }
        Ok(Joining::New)
    }

    /// Puts the connection's user in `room` (creating it) and tells everyone concerned.
    /// Joining a room one is in tells this connection again, and nobody else.
    pub fn join(&self, id: ConnId, room: RoomName) -> Result<(), HubError> {
        let mut state = self.state();
        let (key, outbox) = state.conn(id)?;
        if room.is_lobby() || state.is_member(&key, &room) {
            outbox.send(&state.room_joined(&room));
            return Ok(());
        }
        let name = state
            .users
            .get(&key)
            .ok_or(HubError::NotMember)?
            .name
            .clone();
        state.joined(&room, &name);
        self.publish(Event::Joined {
            user: name.to_string(),
            room: room.to_string(),
        });
        Ok(())
    }

    /// Checks that the connection's user can leave `room`. The store forgets the membership
    /// before [`Hub::leave`] announces it.
    pub fn check_leave(&self, id: ConnId, room: &RoomName) -> Result<(), HubError> {
        if room.is_lobby() {
            return Err(HubError::CannotLeaveLobby);
        }
        let state = self.state();
        let (key, _) = state.conn(id)?;
        if state.is_member(&key, room) {
            Ok(())
        } else {
            Err(HubError::NotMember)
        }
    }

    /// Takes the connection's user out of `room`; an empty room ceases to exist.
    pub fn leave(&self, id: ConnId, room: RoomName) -> Result<(), HubError> {
        self.check_leave(id, &room)?;
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let Some(name) = state.left(&room, &key) else {
            return Err(HubError::NotMember);
        };
        self.publish(Event::Left {
            user: name.to_string(),
            room: room.to_string(),
        });
        Ok(())
    }

    /// Forgets a deleted account's memberships, telling the rooms it was in.
    pub fn forget(&self, name: &UserName) {
        self.state().forget(&name.key());
        self.publish(Event::Forgotten {
            user: name.to_string(),
        });
    }

    /// The user of a connection, which must be in `room` to speak there.
    pub fn member(&self, id: ConnId, room: &RoomName) -> Result<UserName, HubError> {
        let state = self.state();
        let (key, _) = state.conn(id)?;
        if !state.is_member(&key, room) {
            return Err(HubError::NotMember);
        }
        state
            .users
            .get(&key)
            .map(|u| u.name.clone())
            .ok_or(HubError::NotMember)
    }

    fn deliver_from(
        &self,
        message: &Message,
        duplicate: bool,
        origin: Option<ConnId>,
        req: Option<String>,
    ) {
        // Waiting for the lock counts: contention is part of what fan-out costs.
        let started = Instant::now();
        let mut state = self.state();
        if !duplicate {
            let frame = encode(&message.frame());
            let from = message.from.key();
            match &message.to {
                Destination::Room(room) => {
                    state.send_room_except_conn(room, &frame, origin);
                    if let Some(user) = state.users.get_mut(&from) {
                        user.typing.remove(&Target::Room {
                            room: room.to_string(),
                        });
                    }
                }
                Destination::User(to) => {
                    let to = to.key();
                    state.send_user(&to, &frame, origin);
                    if to != from {
                        state.send_user(&from, &frame, origin);
                    }
                    if let Some(user) = state.users.get_mut(&from) {
                        user.typing.remove(&Target::User { to });
                    }
                }
            }
            state.last_delivered = state.last_delivered.max(message.id);
            self.shared
                .metrics
                .fanout_seconds
                .observe(started.elapsed());
        }
        if let Some(conn) = origin.and_then(|origin| state.conns.get(&origin)) {
            conn.outbox.send(&ServerFrame::Ack {
                req,
                id: message.id,
                at: message.at,
            });
        }
    }

    /// Tells every connection of `name`'s that a read marker moved.
    pub fn read(&self, name: &UserName, target: Target, up_to: u64) {
        let frame = encode(&ServerFrame::Read { target, up_to });
        self.state().send_user(&name.key(), &frame, None);
        self.publish(Event::Frame {
            route: Route::User { user: name.key() },
            frame: frame.text_payload().into_owned(),
        });
    }

    /// Forwards a typing notice, at most once per interval for each user and conversation.
    /// Notices to users who are offline (or to oneself) are dropped without complaint.
    pub fn typing(&self, id: ConnId, target: TypingTarget) -> Result<(), HubError> {
        let interval = self.shared.config.typing_interval;
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let (throttle_key, wire_target) = match &target {
            TypingTarget::Room(room) => {
                if !state.is_member(&key, room) {
                    return Err(HubError::NotMember);
                }
                let t = Target::Room {
                    room: room.to_string(),
                };
                (t.clone(), t)
            }
            TypingTarget::User(to) => {
                let Some(recipient) = state.online_name(&to.key()) else {
                    return Ok(());
                };
                if to.key() == key {
                    return Ok(());
                }
                (
                    Target::User { to: to.key() },
                    Target::User {
                        to: recipient.to_string(),
                    },
                )
            }
        };
        let now = Instant::now();
        let user = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        if let Some(last) = user.typing.get(&throttle_key) {
            if now.duration_since(*last) < interval {
                return Ok(());
            }
        }
        if user.typing.len() >= 64 {
            user.typing
                .retain(|_, at| now.duration_since(*at) < interval);
        }
        user.typing.insert(throttle_key, now);
        let frame = encode(&ServerFrame::Typing {
            from: user.name.to_string(),
            target: wire_target,
        });
        let route = match target {
            TypingTarget::Room(room) => {
                state.send_room(&room, &frame, Some(&key));
                Route::Room {
                    room: room.to_string(),
                    except: Some(key),
                }
            }
            TypingTarget::User(to) => {
                state.send_user(&to.key(), &frame, None);
                Route::User { user: to.key() }
            }
        };
        drop(state);
        self.publish(Event::Frame {
            route,
            frame: frame.text_payload().into_owned(),
        });
        Ok(())
    }

    /// Closes every connection opened with `session`, with `code`.
    pub fn close_session(&self, session: &SessionId, code: u16) {
        self.state().close_session(session, code);
        self.publish(Event::CloseSession {
            session: session.0.clone(),
            code,
        });
    }

    /// The names of the users online on this node, for the other nodes.
    pub fn local_users(&self) -> Vec<String> {
        let state = self.state();
        state.users.values().map(|u| u.name.to_string()).collect()
    }

    /// Replaces what we know of `node`'s online users with `users`; the changes go in the next
    /// `presence` frame.
    pub fn node_sync(&self, node: &str, users: &[String]) {
        let mut state = self.state();
        let fresh: HashMap<String, UserName> = users
            .iter()
            .filter_map(|u| UserName::parse(u).ok())
            .map(|u| (u.key(), u))
            .collect();
        let known: Vec<String> = state
            .nodes
            .get(node)
            .map(|n| n.users.keys().cloned().collect())
            .unwrap_or_default();
        for key in known.iter().filter(|k| !fresh.contains_key(*k)) {
            state.remote_offline(node, key);
        }
        for name in fresh.into_values() {
            state.remote_online(node, name);
        }
        state.node(node).seen = Instant::now();
        self.settle_presence(&mut state);
    }

    /// Notes that `node` is alive; returns whether we knew it.
    pub fn node_seen(&self, node: &str) -> bool {
        let mut state = self.state();
        let known = state.nodes.contains_key(node);
        state.node(node).seen = Instant::now();
        known
    }

    /// Restarts every node's expiry clock: after our own link was down, silence proves nothing.
    pub fn reset_node_clocks(&self) {
        let now = Instant::now();
        for node in self.state().nodes.values_mut() {
            node.seen = now;
        }
    }

    /// Forgets the nodes not heard from for `expiry`; their users go offline.
    pub fn expire_nodes(&self, expiry: Duration) {
        let mut state = self.state();
        let gone: Vec<String> = state
            .nodes
            .iter()
            .filter(|(_, n)| n.seen.elapsed() > expiry)
            .map(|(id, _)| id.clone())
            .collect();
        for node in gone {
            tracing::warn!(node = %node, "node silent: taking its users offline");
            state.remove_node(&node);
        }
        self.settle_presence(&mut state);
    }

    /// Forgets a node that said goodbye; its users go offline.
    pub fn node_gone(&self, node: &str) {
        tracing::info!(node = %node, "node left");
        let mut state = self.state();
        state.remove_node(node);
        self.settle_presence(&mut state);
    }

    /// Replaces the memberships with the stored ones (after the bus was down, joins and
    /// leaves made elsewhere may have been missed). Nobody is told.
    pub fn reload_memberships(&self, memberships: Vec<(RoomName, UserName)>) {
        let mut state = self.state();
        state.rooms.clear();
        state.member_of.clear();
        for (room, name) in memberships {
            state.add_member(&room, &name);
        }
    }

    /// Applies what another node did to this node's connections.
    pub fn apply(&self, node: &str, event: Event) {
        let mut state = self.state();
        match event {
            Event::Online { user } => {
                if let Ok(name) = UserName::parse(&user) {
                    state.remote_online(node, name);
                }
            }
            Event::Offline { user } => state.remote_offline(node, &user.to_ascii_lowercase()),
            Event::Joined { user, room } => {
                if let (Ok(name), Ok(room)) = (UserName::parse(&user), RoomName::parse(&room)) {
                    if !state.is_member(&name.key(), &room) {
                        state.joined(&room, &name);
                    }
                }
            }
            Event::Left { user, room } => {
                if let Ok(room) = RoomName::parse(&room) {
                    state.left(&room, &user.to_ascii_lowercase());
                }
            }
            Event::Forgotten { user } => state.forget(&user.to_ascii_lowercase()),
            Event::Frame { route, frame } => {
                let frame = Frame::new(WireFrame::text(&frame));
                match route {
                    Route::Room { room, except } => {
                        if let Ok(room) = RoomName::parse(&room) {
                            state.send_room(&room, &frame, except.as_deref());
                        }
                    }
                    Route::User { user } => state.send_user(&user, &frame, None),
                }
            }
            Event::CloseSession { session, code } => {
                state.close_session(&SessionId(session), code);
            }
            Event::Hello { .. }
            | Event::Sync { .. }
            | Event::Heartbeat
            | Event::Bye
            | Event::Messages { .. } => {}
        }
        if let Some(n) = state.nodes.get_mut(node) {
            n.seen = Instant::now();
        }
        self.settle_presence(&mut state);
    }
}

impl Delivery for Hub {
    /// Says whether the journal is storing messages that it will deliver right after.
    fn storing(&self, storing: bool) {
        self.shared.flusher.storing(storing);
    }

    /// Delivers a stored message: to every connection of every member of its room, or of its
    /// recipient and its sender, but the one that sent it, which gets the acknowledgement.
    /// A duplicate (sent again with a stored `req`) is only acknowledged.
    fn deliver(&self, message: &Message, duplicate: bool, origin: ConnId, req: Option<String>) {
        self.deliver_from(message, duplicate, Some(origin), req);
    }

    /// Delivers a message stored by another node (or read from the store) to every
    /// connection here that should have it.
    fn deliver_remote(&self, message: &Message) {
        self.deliver_from(message, false, None, None);
    }

    /// Answers a connection's frame with an error, if the connection is still there.
    fn refuse(&self, id: ConnId, code: ErrorCode, message: &str, req: Option<String>) {
        let state = self.state();
        if let Some(conn) = state.conns.get(&id) {
            conn.outbox.send(&ServerFrame::Error {
                code,
                message: message.to_owned(),
                req,
            });
        }
    }

    /// Publishes messages this node stored to the other nodes, if there are any.
    fn stored(&self, messages: &[&Message]) {
        if let Some(bus) = &self.shared.bus {
            let messages = messages.iter().map(|m| WireMessage::from(*m)).collect();
            bus.publish(Event::Messages { messages });
        }
    }
}

impl State {
    /// Notes that user `name` came online or went offline on the whole chat.
    fn presence_changed(&mut self, name: &UserName) {
        self.presence.pending.insert(name.key(), name.clone());
    }

    /// Sends every pending change in one `presence` frame, encoded once, to every connection
    /// on this node; returns whether a frame went out. Each user is in the list of the state
    /// they are in now. With no connection here the changes are dropped: whoever connects
    /// later learns them from their welcome, and the next change is still a leading edge.
    fn flush_presence(&mut self, now: Instant) -> bool {
        self.presence.deferred = false;
        if self.conns.is_empty() {
            self.presence.pending.clear();
        }
        if self.presence.pending.is_empty() {
            return false;
        }
        let mut pending = std::mem::take(&mut self.presence.pending);
        let (mut online, mut offline) = (Vec::new(), Vec::new());
        for (key, name) in pending.drain() {
            match self.online_name(&key) {
                Some(now_online) => online.push(now_online.to_string()),
                None => offline.push(name.to_string()),
            }
        }
        // Keep the allocation: the next burst of sign-ins is likely as large.
        self.presence.pending = pending;
        online.sort_unstable_by(|a, b| by_name(a, b));
        offline.sort_unstable_by(|a, b| by_name(a, b));
        let frame = encode(&ServerFrame::Presence { online, offline });
        for conn in self.conns.values() {
            conn.outbox.push(frame.clone());
        }
        self.presence.last_sent = Some(now);
        true
    }

    /// A user's name if they are online on any node.
    fn online_name(&self, key: &str) -> Option<UserName> {
        self.online.get(key).cloned()
    }

    fn node(&mut self, node: &str) -> &mut RemoteNode {
        self.nodes
            .entry(node.to_owned())
            .or_insert_with(|| RemoteNode {
                users: HashMap::new(),
                seen: Instant::now(),
            })
    }

    /// Forgets `node`, taking its users offline.
    fn remove_node(&mut self, node: &str) {
        let users: Vec<String> = self
            .nodes
            .get(node)
            .map(|n| n.users.keys().cloned().collect())
            .unwrap_or_default();
        for key in &users {
            self.remote_offline(node, key);
        }
        self.nodes.remove(node);
    }

    /// `name` is online on `node`; a presence change if that makes them online at all.
    fn remote_online(&mut self, node: &str, name: UserName) {
        let key = name.key();
        if self
            .node(node)
            .users
            .insert(key.clone(), name.clone())
            .is_some()
        {
            return;
        }
        let entry = self
            .remote_users
            .entry(key.clone())
            .or_insert((name.clone(), 0));
        entry.1 += 1;
        if entry.1 == 1 && !self.users.contains_key(&key) {
            self.presence_changed(&name);
            self.online.insert(key, name);
        }
    }

    /// User `key` left `node`; a presence change if they are now offline everywhere.
    fn remote_offline(&mut self, node: &str, key: &str) {
        let Some(name) = self.nodes.get_mut(node).and_then(|n| n.users.remove(key)) else {
            return;
        };
        let Some(entry) = self.remote_users.get_mut(key) else {
            return;
        };
        entry.1 -= 1;
        if entry.1 > 0 {
            return;
        }
        self.remote_users.remove(key);
        if !self.users.contains_key(key) {
            self.online.remove(key);
            self.presence_changed(&name);
        }
    }

    /// Adds `name` to `room` and tells their connections and the room's members here.
    fn joined(&mut self, room: &RoomName, name: &UserName) {
        let key = name.key();
        self.add_member(room, name);
        let joined = encode(&self.room_joined(room));
        self.send_user(&key, &joined, None);
        let member_joined = encode(&ServerFrame::MemberJoined {
            room: room.to_string(),
            user: name.to_string(),
        });
        self.send_room(room, &member_joined, Some(&key));
    }

    /// Takes user `key` out of `room` and tells their connections and the room's members
    /// here; returns their name if they were in it.
    fn left(&mut self, room: &RoomName, key: &str) -> Option<UserName> {
        let name = self.remove_member(room, key)?;
        if let Some(user) = self.users.get_mut(key) {
            user.typing.remove(&Target::Room {
                room: room.to_string(),
            });
        }
        let left = encode(&ServerFrame::RoomLeft {
            room: room.to_string(),
        });
        self.send_user(key, &left, None);
        let member_left = encode(&ServerFrame::MemberLeft {
            room: room.to_string(),
            user: name.to_string(),
        });
        self.send_room(room, &member_left, None);
        Some(name)
    }

    /// Drops every membership of user `key`, telling the rooms.
    fn forget(&mut self, key: &str) {
        let rooms: Vec<RoomName> = self
            .member_of
            .get(key)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        for room in rooms {
            if let Some(name) = self.remove_member(&room, key) {
                let member_left = encode(&ServerFrame::MemberLeft {
                    room: room.to_string(),
                    user: name.to_string(),
                });
                self.send_room(&room, &member_left, None);
            }
        }
    }

    fn close_session(&self, session: &SessionId, code: u16) {
        for conn in self.conns.values().filter(|c| &c.session == session) {
            conn.outbox.control().close(Some(code));
        }
    }

    /// Every user online on any node, by name as displayed, in name order: names are ASCII,
    /// so the order of their lowercase keys is the order of `by_name`.
    fn online_names(&self) -> Vec<String> {
        self.online.values().map(UserName::to_string).collect()
    }

    /// The user key and outbox of a live connection.
    fn conn(&self, id: ConnId) -> Result<(String, Outbox), HubError> {
        // A connection asks only while registered; a miss means it is being torn down.
        let conn = self.conns.get(&id).ok_or(HubError::NotMember)?;
        Ok((conn.user.clone(), conn.outbox.clone()))
    }

    fn is_member(&self, key: &str, room: &RoomName) -> bool {
        room.is_lobby() || self.rooms.get(room).is_some_and(|m| m.contains_key(key))
    }

    fn add_member(&mut self, room: &RoomName, name: &UserName) {
        self.rooms
            .entry(room.clone())
            .or_default()
            .insert(name.key(), name.clone());
        self.member_of
            .entry(name.key())
            .or_default()
            .insert(room.clone());
    }

    /// Removes a membership; returns the member's name if there was one.
    fn remove_member(&mut self, room: &RoomName, key: &str) -> Option<UserName> {
        let members = self.rooms.get_mut(room)?;
        let name = members.remove(key)?;
        if members.is_empty() {
            self.rooms.remove(room);
        }
        if let Some(rooms) = self.member_of.get_mut(key) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.member_of.remove(key);
            }
        }
        Some(name)
    }

    /// The members of a room by name: for the lobby, everyone online.
    fn member_names(&self, room: &RoomName) -> Vec<String> {
        if room.is_lobby() {
            return self.online_names();
        }
        let mut names: Vec<String> = self
            .rooms
            .get(room)
            .into_iter()
            .flat_map(BTreeMap::values)
            .map(UserName::to_string)
            .collect();
        names.sort_unstable_by(|a, b| by_name(a, b));
        names
    }

    fn room_joined(&self, room: &RoomName) -> ServerFrame {
        ServerFrame::RoomJoined {
            room: room.to_string(),
            members: self.member_names(room),
        }
    }

    fn welcome(
        &self,
        key: &str,
        conversations: Vec<ConversationInfo>,
        limits: ServerLimits,
    ) -> ServerFrame {
        let online = self.online_names();
        // The lobby's members are everyone online: `online` says who, once.
        let mut rooms = vec![RoomInfo {
            room: RoomName::lobby().to_string(),
            members: Vec::new(),
        }];
        rooms.extend(
            self.member_of
                .get(key)
                .into_iter()
                .flatten()
                .map(|room| RoomInfo {
                    room: room.to_string(),
                    members: self.member_names(room),
                }),
        );
        ServerFrame::Welcome {
            protocol: PROTOCOL_VERSION,
            user: self
                .users
                .get(key)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
            online,
            rooms,
            conversations,
            last_id: self.last_delivered,
            limits,
        }
    }

    /// Queues `frame` for every connection of user `key`, but `except`.
    fn send_user(&self, key: &str, frame: &Frame, except: Option<ConnId>) {
        if let Some(user) = self.users.get(key) {
            self.send_to(user, frame, except);
        }
    }

    /// Queues `frame` for every connection of `user`, but `except`.
    fn send_to(&self, user: &UserEntry, frame: &Frame, except: Option<ConnId>) {
        for id in user.conns.iter().filter(|id| Some(**id) != except) {
            if let Some(conn) = self.conns.get(id) {
                conn.outbox.push(frame.clone());
            }
        }
    }

    /// Calls `f` with the key and entry of every member of `room` who is online.
    fn each_online_member(&self, room: &RoomName, mut f: impl FnMut(&str, &UserEntry)) {
        if room.is_lobby() {
            for (key, user) in &self.users {
                f(key, user);
            }
        } else if let Some(members) = self.rooms.get(room) {
            for key in members.keys() {
                if let Some(user) = self.users.get(key) {
                    f(key, user);
                }
            }
        }
    }

    /// Queues `frame` for every connection of every member of `room`, but those of user
    /// `except_user`.
    fn send_room(&self, room: &RoomName, frame: &Frame, except_user: Option<&str>) {
        self.each_online_member(room, |key, user| {
            if Some(key) != except_user {
                self.send_to(user, frame, None);
            }
        });
    }

    /// Queues `frame` for every connection of every member of `room` but connection `except`.
    fn send_room_except_conn(&self, room: &RoomName, frame: &Frame, except: Option<ConnId>) {
        self.each_online_member(room, |_, user| self.send_to(user, frame, except));
    }
}

/// Orders names ignoring case, without allocating.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hub whose presence interval never ends by itself: what is deferred waits for
    /// [`Hub::flush_presence`].
    fn hub() -> Hub {
        Hub::new(
            HubConfig {
                max_rooms_per_user: 50,
                typing_interval: Duration::from_secs(2),
                presence_interval: Duration::from_secs(3600),
                limits: ServerLimits {
                    max_body_chars: 4000,
                    max_frame_bytes: 65536,
                    rate_per_sec: 10,
                    burst: 20,
                },
            },
            Arc::new(Metrics::default()),
            Vec::new(),
            0,
            None,
        )
    }

    /// Connects a tab of `name`'s; returns its id and its queue (welcome already taken).
    fn connect(hub: &Hub, name: &str) -> (ConnId, Inbox) {
        let (outbox, rx) = hub.queue(64, Arc::default());
        let name = UserName::parse(name).unwrap();
        let (id, _welcome, _) = hub.connect(name, SessionId("s".into()), outbox, Vec::new());
        (id, rx)
    }

    /// The presence frames queued for a connection, as (online, offline).
    fn presence(rx: &mut Inbox) -> Vec<(Vec<String>, Vec<String>)> {
        let mut frames = Vec::new();
        for frame in rx.take_now() {
            match serde_json::from_str(&frame.text_payload()).unwrap() {
                ServerFrame::Presence { online, offline } => frames.push((online, offline)),
                other => panic!("expected presence, got {other:?}"),
            }
        }
        frames
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The hub's ordered index of who is online holds exactly its local and remote users.
    fn assert_online_index(hub: &Hub) {
        let state = hub.state();
        let mut expected: Vec<&String> = state
            .users
            .keys()
            .chain(state.remote_users.keys())
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(state.online.keys().collect::<Vec<_>>(), expected);
    }

    /// The `online` list of the welcome a new tab of `name` gets.
    fn welcome_online(hub: &Hub, name: &str) -> Vec<String> {
        let (outbox, _rx) = hub.queue(64, Arc::default());
        let name = UserName::parse(name).unwrap();
        let (_, welcome, _) = hub.connect(name, SessionId("s".into()), outbox, Vec::new());
        match serde_json::from_str(&welcome.text_payload()).unwrap() {
            ServerFrame::Welcome { online, rooms, .. } => {
                assert_eq!(rooms[0].room, "lobby");
                assert!(
                    rooms[0].members.is_empty(),
                    "the lobby's members are `online`, not listed twice"
                );
                online
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    #[test]
    fn welcomes_list_everyone_online_on_any_node_in_name_order() {
        let hub = hub();
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _ann) = connect(&hub, "Ann");
        hub.node_sync("b", &names(&["erin", "Dave", "bob"]));
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "carol"),
            names(&["Ann", "bob", "carol", "Dave", "erin"])
        );
        // Bob leaves here but is still on node b; erin leaves b; Dave comes to this node too.
        hub.disconnect(bob_tab);
        hub.apply(
            "b",
            Event::Offline {
                user: "erin".into(),
            },
        );
        let (_, _dave) = connect(&hub, "Dave");
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "zoe"),
            names(&["Ann", "bob", "carol", "Dave", "zoe"])
        );
        // Node b goes: bob with it; Dave stays, here.
        hub.node_gone("b");
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "carol"),
            names(&["Ann", "carol", "Dave", "zoe"])
        );
    }

    #[test]
    fn a_change_after_a_quiet_interval_goes_out_at_once_and_later_ones_together() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        // The first sign-in is the leading edge; the newcomer learns of itself from its welcome.
        let (_, mut zed) = connect(&hub, "Zed");
        assert_eq!(presence(&mut observer), [(names(&["Zed"]), names(&[]))]);
        assert_eq!(presence(&mut zed), []);
        // Within the interval: nothing goes out until the flush, then everything in one frame,
        // sorted ignoring case.
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _adam) = connect(&hub, "adam");
        let (_, _bea) = connect(&hub, "Bea");
        hub.disconnect(bob_tab);
        assert_eq!(presence(&mut observer), []);
        assert!(hub.flush_presence());
        let batch = (names(&["adam", "Bea"]), names(&["bob"]));
        assert_eq!(presence(&mut observer), std::slice::from_ref(&batch));
        // The same shared bytes went to everyone, the newcomers too.
        assert_eq!(presence(&mut zed), [batch]);
        assert!(!hub.flush_presence(), "nothing is pending any more");
    }

    #[test]
    fn a_user_is_reported_in_the_state_they_end_in() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        let (_, _first) = connect(&hub, "first");
        presence(&mut observer);
        // Offline, back online and a second tab within one interval: online.
        let (carol_tab, _carol) = connect(&hub, "carol");
        hub.disconnect(carol_tab);
        let (_, _carol) = connect(&hub, "carol");
        let (_, _carol2) = connect(&hub, "carol");
        hub.flush_presence();
        assert_eq!(presence(&mut observer), [(names(&["carol"]), names(&[]))]);
    }

    #[test]
    fn other_nodes_users_are_coalesced_too_and_a_second_node_is_no_news() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        hub.node_sync("b", &names(&["erin", "dave"]));
        assert_eq!(
            presence(&mut observer),
            [(names(&["dave", "erin"]), names(&[]))]
        );
        hub.apply(
            "c",
            Event::Online {
                user: "dave".into(),
            },
        );
        hub.apply(
            "c",
            Event::Online {
                user: "frank".into(),
            },
        );
        hub.node_gone("b");
        hub.flush_presence();
        // Dave is still on node c; erin is gone.
        assert_eq!(
            presence(&mut observer),
            [(names(&["frank"]), names(&["erin"]))]
        );
    }
}
