//! The hub: the pool of live connections, the map from each user to their connections, and
//! the rooms. Every fan-out starts here.
//!
//! One owner: all of it sits behind one `std::sync::Mutex`, taken only by the short,
//! synchronous methods below and never held across an `.await`. Delivering to a connection is
//! a `try_send` into its bounded queue ([`Outbox`]), so fan-out never waits for a socket: a
//! connection whose queue is full is told to close with 1013 (try again later) and counted.
//! Each frame is encoded once; its recipients share the bytes.
//!
//! Seam for several nodes: the methods here decide who receives what on this node. A bus that
//! carries events between nodes will call the same delivery helpers for the users it holds.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use shared::protocol::{ServerLimits, PROTOCOL_VERSION};
use shared::{close, ErrorCode, RoomInfo, RoomName, ServerFrame, Target, UserName};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::store::SessionId;

/// Identifies one live connection.
pub type ConnId = u64;

/// Asks a connection's task to end, and says how.
#[derive(Debug, Default)]
pub struct Control {
    /// Cancelled when the connection must end.
    cancel: CancellationToken,
    /// The close code to send: 0 while unset, [`Control::NO_FRAME`] to end without one.
    code: AtomicU32,
}

impl Control {
    const NO_FRAME: u32 = u32::MAX;

    /// Ends the connection, sending a close frame with `code` (`None`: no close frame).
    /// Only the first call counts; returns whether this call was it.
    pub fn close(&self, code: Option<u16>) -> bool {
        let value = code.map_or(Self::NO_FRAME, u32::from);
        let first = self
            .code
            .compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.cancel.cancel();
        first
    }

    /// Resolves once [`Control::close`] has been called.
    pub async fn closed(&self) {
        self.cancel.cancelled().await;
    }

    /// The close code asked for, if any.
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Acquire) {
            0 | Self::NO_FRAME => None,
            code => u16::try_from(code).ok(),
        }
    }
}

/// How the hub reaches one connection: its bounded outbound queue and its close switch.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Utf8Bytes>,
    control: Arc<Control>,
    metrics: Arc<Metrics>,
}

impl Outbox {
    pub fn new(tx: mpsc::Sender<Utf8Bytes>, control: Arc<Control>, metrics: Arc<Metrics>) -> Self {
        Self {
            tx,
            control,
            metrics,
        }
    }

    /// Queues a frame without waiting. A full queue marks a slow consumer: the connection is
    /// closed with 1013 so that it reconnects, rather than slowing anyone else down.
    pub fn push(&self, frame: Utf8Bytes) {
        match self.tx.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                if self.control.close(Some(close::TRY_AGAIN_LATER)) {
                    self.metrics
                        .slow_consumers_disconnected
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("slow consumer: outbound queue full, closing with 1013");
                }
            }
            // The connection is ending; its task removes it from the hub.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Encodes and queues one frame for this connection alone.
    pub fn send(&self, frame: &ServerFrame) {
        self.push(encode(frame));
    }

    pub fn control(&self) -> &Arc<Control> {
        &self.control
    }
}

/// Counters an operator (and a test) can read.
#[derive(Debug, Default)]
pub struct Metrics {
    pub slow_consumers_disconnected: AtomicU64,
    pub rate_limited: AtomicU64,
    pub flood_disconnects: AtomicU64,
    pub messages: AtomicU64,
}

/// The sizes of the pool, the user map and the rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub connections: usize,
    pub users_online: usize,
    pub rooms: usize,
}

/// Why the hub refused a request; each maps to the protocol's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("you are not in that room")]
    NotMember,
    #[error("everyone stays in the lobby")]
    CannotLeaveLobby,
    #[error("you are in as many rooms as allowed")]
    TooManyRooms,
    #[error("that user is not online")]
    Offline,
}

impl HubError {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::NotMember => ErrorCode::NotMember,
            Self::CannotLeaveLobby => ErrorCode::CannotLeaveLobby,
            Self::TooManyRooms => ErrorCode::TooManyRooms,
            Self::Offline => ErrorCode::UserOffline,
        }
    }
}

/// What the hub needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub max_rooms_per_user: usize,
    pub typing_interval: Duration,
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
    /// The next message id; taken under the state lock so that ids grow in delivery order.
    next_message_id: AtomicU64,
    /// The next connection id.
    next_conn_id: AtomicU64,
    config: HubConfig,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct State {
    conns: HashMap<ConnId, ConnEntry>,
    /// Online users by name key (lowercase).
    users: HashMap<String, UserEntry>,
    /// Rooms with at least one member, each with its members' name keys.
    rooms: HashMap<RoomName, BTreeSet<String>>,
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
    /// The rooms the user is in, lobby included.
    rooms: BTreeSet<RoomName>,
    /// When a typing notice was last forwarded, per conversation.
    typing: HashMap<Target, Instant>,
}

/// Encodes a frame once; clones of the result share the bytes.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(frame).expect("server frames always serialize"))
}

impl Hub {
    pub fn new(config: HubConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                next_message_id: AtomicU64::new(1),
                next_conn_id: AtomicU64::new(1),
                config,
                metrics,
            }),
        }
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
            rooms: state.rooms.len(),
        }
    }

    /// Adds a connection of `name`'s and queues its `welcome`, which is therefore its first
    /// frame. The user's first connection puts them in the lobby and announces them online.
    pub fn connect(&self, name: UserName, session: SessionId, outbox: Outbox) -> ConnId {
        let id = self.shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let key = name.key();
        let mut state = self.state();
        if !state.users.contains_key(&key) {
            let online = encode(&ServerFrame::UserOnline {
                user: name.to_string(),
            });
            for conn in state.conns.values() {
                conn.outbox.push(online.clone());
            }
            let lobby = RoomName::lobby();
            state
                .rooms
                .entry(lobby.clone())
                .or_default()
                .insert(key.clone());
            state.users.insert(
                key.clone(),
                UserEntry {
                    name,
                    conns: Vec::new(),
                    rooms: BTreeSet::from([lobby]),
                    typing: HashMap::new(),
                },
            );
        }
        let welcome = state.welcome(&key, self.shared.config.limits);
        outbox.send(&welcome);
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
        id
    }

    /// Removes a connection. The user's last one takes them out of every room and offline.
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
        for room in &user.rooms {
            let Some(members) = state.rooms.get_mut(room) else {
                continue;
            };
            members.remove(&conn.user);
            if members.is_empty() {
                state.rooms.remove(room);
            } else if !room.is_lobby() {
                let left = encode(&ServerFrame::MemberLeft {
                    room: room.to_string(),
                    user: user.name.to_string(),
                });
                state.send_room(room, &left, None);
            }
        }
        let offline = encode(&ServerFrame::UserOffline {
            user: user.name.to_string(),
        });
        for conn in state.conns.values() {
            conn.outbox.push(offline.clone());
        }
    }

    /// Puts the connection's user in `room`, creating it when empty.
    pub fn join(&self, id: ConnId, room: RoomName) -> Result<(), HubError> {
        let max_rooms = self.shared.config.max_rooms_per_user;
        let mut state = self.state();
        let (key, outbox) = state.conn(id)?;
        let user = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        if user.rooms.contains(&room) {
            // Already there: tell this connection again; nobody else needs to hear it.
            let joined = state.room_joined(&room);
            outbox.send(&joined);
            return Ok(());
        }
        if user.rooms.len() >= max_rooms {
            return Err(HubError::TooManyRooms);
        }
        user.rooms.insert(room.clone());
        let name = user.name.to_string();
        state
            .rooms
            .entry(room.clone())
            .or_default()
            .insert(key.clone());
        let joined = encode(&state.room_joined(&room));
        state.send_user(&key, &joined, None);
        let member_joined = encode(&ServerFrame::MemberJoined {
            room: room.to_string(),
            user: name,
        });
        state.send_room(&room, &member_joined, Some(&key));
        Ok(())
    }

    /// Takes the connection's user out of `room`; an empty room ceases to exist.
    pub fn leave(&self, id: ConnId, room: RoomName) -> Result<(), HubError> {
        if room.is_lobby() {
            return Err(HubError::CannotLeaveLobby);
        }
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let user = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        if !user.rooms.remove(&room) {
            return Err(HubError::NotMember);
        }
        user.typing.remove(&Target::Room {
            room: room.to_string(),
        });
        let name = user.name.to_string();
        let left = encode(&ServerFrame::RoomLeft {
            room: room.to_string(),
        });
        state.send_user(&key, &left, None);
        if let Some(members) = state.rooms.get_mut(&room) {
            members.remove(&key);
            if members.is_empty() {
                state.rooms.remove(&room);
            } else {
                let member_left = encode(&ServerFrame::MemberLeft {
                    room: room.to_string(),
                    user: name,
                });
                state.send_room(&room, &member_left, None);
            }
        }
        Ok(())
    }

    /// Delivers a room message to every connection of every member but the sending one, which
    /// gets the acknowledgement instead.
    pub fn room_message(
        &self,
        id: ConnId,
        room: RoomName,
        body: String,
        req: Option<String>,
    ) -> Result<(), HubError> {
        let mut state = self.state();
        let (key, outbox) = state.conn(id)?;
        let user = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        if !user.rooms.contains(&room) {
            return Err(HubError::NotMember);
        }
        // The message settles the typing notice: the next keystroke may announce again.
        user.typing.remove(&Target::Room {
            room: room.to_string(),
        });
        let (message_id, at) = self.stamp();
        let frame = encode(&ServerFrame::RoomMessage {
            id: message_id,
            room: room.to_string(),
            from: user.name.to_string(),
            body,
            at,
        });
        state.send_room_except_conn(&room, &frame, id);
        outbox.send(&ServerFrame::Ack {
            req,
            id: message_id,
            at,
        });
        Ok(())
    }

    /// Delivers a private message to every connection of the recipient and to the sender's
    /// other connections; the sending connection gets the acknowledgement. Nobody else.
    pub fn private_message(
        &self,
        id: ConnId,
        to: &UserName,
        body: String,
        req: Option<String>,
    ) -> Result<(), HubError> {
        let mut state = self.state();
        let (key, outbox) = state.conn(id)?;
        let to_key = to.key();
        let recipient = state
            .users
            .get(&to_key)
            .map(|u| u.name.to_string())
            .ok_or(HubError::Offline)?;
        let sender = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        sender.typing.remove(&Target::User { to: to_key.clone() });
        let (message_id, at) = self.stamp();
        let frame = encode(&ServerFrame::PrivateMessage {
            id: message_id,
            from: sender.name.to_string(),
            to: recipient,
            body,
            at,
        });
        state.send_user(&to_key, &frame, Some(id));
        if to_key != key {
            state.send_user(&key, &frame, Some(id));
        }
        outbox.send(&ServerFrame::Ack {
            req,
            id: message_id,
            at,
        });
        Ok(())
    }

    /// Forwards a typing notice, at most once per interval for each user and conversation.
    /// Notices to users who are offline (or to oneself) are dropped without complaint.
    pub fn typing(&self, id: ConnId, target: TypingTarget) -> Result<(), HubError> {
        let interval = self.shared.config.typing_interval;
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let user = state.users.get(&key).ok_or(HubError::NotMember)?;
        let (throttle_key, wire_target) = match &target {
            TypingTarget::Room(room) => {
                if !user.rooms.contains(room) {
                    return Err(HubError::NotMember);
                }
                let t = Target::Room {
                    room: room.to_string(),
                };
                (t.clone(), t)
            }
            TypingTarget::User(to) => {
                let Some(recipient) = state.users.get(&to.key()) else {
                    return Ok(());
                };
                if to.key() == key {
                    return Ok(());
                }
                (
                    Target::User { to: to.key() },
                    Target::User {
                        to: recipient.name.to_string(),
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
        match target {
            TypingTarget::Room(room) => state.send_room(&room, &frame, Some(&key)),
            TypingTarget::User(to) => state.send_user(&to.key(), &frame, None),
        }
        Ok(())
    }

    /// Closes every connection opened with `session`, with `code`.
    pub fn close_session(&self, session: &SessionId, code: u16) {
        let state = self.state();
        for conn in state.conns.values().filter(|c| &c.session == session) {
            conn.outbox.control().close(Some(code));
        }
    }

    /// A fresh message id and the time, for a message about to be delivered.
    fn stamp(&self) -> (u64, u64) {
        self.shared.metrics.messages.fetch_add(1, Ordering::Relaxed);
        (
            self.shared.next_message_id.fetch_add(1, Ordering::Relaxed),
            now_ms(),
        )
    }
}

/// A typing notice's conversation, with its name already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypingTarget {
    Room(RoomName),
    User(UserName),
}

impl State {
    /// The user key and outbox of a live connection.
    fn conn(&self, id: ConnId) -> Result<(String, Outbox), HubError> {
        // A connection asks only while registered; a miss means it is being torn down.
        let conn = self.conns.get(&id).ok_or(HubError::NotMember)?;
        Ok((conn.user.clone(), conn.outbox.clone()))
    }

    fn member_names(&self, room: &RoomName) -> Vec<String> {
        let mut names: Vec<String> = self
            .rooms
            .get(room)
            .into_iter()
            .flatten()
            .filter_map(|key| self.users.get(key))
            .map(|u| u.name.to_string())
            .collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names
    }

    fn room_joined(&self, room: &RoomName) -> ServerFrame {
        ServerFrame::RoomJoined {
            room: room.to_string(),
            members: self.member_names(room),
        }
    }

    fn welcome(&self, key: &str, limits: ServerLimits) -> ServerFrame {
        let mut online: Vec<String> = self.users.values().map(|u| u.name.to_string()).collect();
        online.sort_by_key(|n| n.to_ascii_lowercase());
        let mut rooms: Vec<RoomInfo> = self
            .users
            .get(key)
            .map(|u| u.rooms.iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|room| RoomInfo {
                room: room.to_string(),
                members: self.member_names(room),
            })
            .collect();
        rooms.sort_by_key(|r| (r.room != shared::limits::LOBBY, r.room.clone()));
        ServerFrame::Welcome {
            protocol: PROTOCOL_VERSION,
            user: self
                .users
                .get(key)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
            online,
            rooms,
            limits,
        }
    }

    /// Queues `frame` for every connection of user `key`, but `except`.
    fn send_user(&self, key: &str, frame: &Utf8Bytes, except: Option<ConnId>) {
        let Some(user) = self.users.get(key) else {
            return;
        };
        for id in user.conns.iter().filter(|id| Some(**id) != except) {
            if let Some(conn) = self.conns.get(id) {
                conn.outbox.push(frame.clone());
            }
        }
    }

    /// Queues `frame` for every connection of every member of `room`, but those of user
    /// `except_user`.
    fn send_room(&self, room: &RoomName, frame: &Utf8Bytes, except_user: Option<&str>) {
        for key in self.rooms.get(room).into_iter().flatten() {
            if Some(key.as_str()) != except_user {
                self.send_user(key, frame, None);
            }
        }
    }

    /// Queues `frame` for every connection of every member of `room` but connection `except`.
    fn send_room_except_conn(&self, room: &RoomName, frame: &Utf8Bytes, except: ConnId) {
        for key in self.rooms.get(room).into_iter().flatten() {
            self.send_user(key, frame, Some(except));
        }
    }
}
