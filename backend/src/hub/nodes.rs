//! The other nodes: who is online on each, when each was last heard from (their clocks
//! expire silent nodes), and applying what they publish to this node's connections.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use shared::{RoomName, UserName};

use super::{Event, Hub, Route, State};
use crate::store::SessionId;
use crate::ws::{Frame, WireFrame};

#[derive(Debug)]
pub(super) struct RemoteNode {
    /// Its online users by name key.
    users: HashMap<String, UserName>,
    /// Those of them away there, by name key.
    away: HashSet<String>,
    /// When we last heard from it.
    seen: Instant,
    /// Its open WebSockets, as of its last heartbeat.
    pub(super) connections: u64,
}

impl RemoteNode {
    /// Whether user `key` is online on this node.
    pub(super) fn has_user(&self, key: &str) -> bool {
        self.users.contains_key(key)
    }

    /// Whether user `key` is away on this node.
    pub(super) fn is_away(&self, key: &str) -> bool {
        self.away.contains(key)
    }
}

impl Hub {
    /// Replaces what we know of `node`'s online users with `users`, of whom `away` are away
    /// there; the changes go in the next `presence` frame.
    pub fn node_sync(&self, node: &str, users: &[String], away: &[String]) {
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
        // Who is away there first, so that nobody seems to come back for a moment.
        let keys: Vec<String> = fresh.keys().cloned().collect();
        let away: HashSet<String> = away
            .iter()
            .map(|u| UserName::key_of(u))
            .filter(|key| fresh.contains_key(key))
            .collect();
        state.node(node).away = away;
        for key in known.iter().filter(|k| !fresh.contains_key(*k)) {
            state.remote_offline(node, key, None);
        }
        for name in fresh.into_values() {
            state.remote_online(node, name);
        }
        for key in &keys {
            state.refresh_away(key);
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

    /// Applies what another node did to this node's connections.
    pub fn apply(&self, node: &str, event: Event) {
        let mut state = self.state();
        match event {
            Event::Online { user } => {
                if let Ok(name) = UserName::parse(&user) {
                    // Their first connection there: present.
                    if let Some(there) = state.nodes.get_mut(node) {
                        there.away.remove(&name.key());
                    }
                    state.remote_online(node, name);
                }
            }
            Event::Offline { user, at } => {
                state.remote_offline(node, &UserName::key_of(&user), at);
            }
            Event::Away { user, away } => state.remote_away(node, &UserName::key_of(&user), away),
            Event::Joined {
                user,
                room,
                settings,
            } => {
                if let (Ok(name), Ok(room)) = (UserName::parse(&user), RoomName::parse(&room)) {
                    if !state.is_member(&name.key(), &room) {
                        state.joined(&room, &name, settings);
                    }
                }
            }
            Event::RoomUpdated { room, settings } => {
                if let Ok(room) = RoomName::parse(&room) {
                    state.updated(&room, settings);
                }
            }
            Event::Left {
                user,
                room,
                removal,
            } => {
                if let Ok(room) = RoomName::parse(&room) {
                    let key = UserName::parse(&user).map_or(UserName::key_of(&user), |n| n.key());
                    state.left(&room, &key, &removal);
                }
            }
            Event::Forgotten { user } => state.forget(&UserName::key_of(&user)),
            Event::Frame { route, frame } => {
                let frame = Frame::new(WireFrame::text(&frame));
                match route {
                    Route::Room { room, except } => {
                        if let Ok(room) = RoomName::parse(&room) {
                            state.send_room(&room, &frame, except.as_deref());
                        }
                    }
                    Route::User { user } => state.send_user(&user, &frame, None),
                    Route::Users { users } => {
                        for user in &users {
                            state.send_user(user, &frame, None);
                        }
                    }
                }
            }
            Event::CloseSession { session, code } => {
                state.close_session(&SessionId(session), code);
            }
            Event::CloseUser { user, code } => state.close_user(&user, code),
            Event::Load { connections } => state.node(node).connections = connections,
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

impl State {
    pub(super) fn node(&mut self, node: &str) -> &mut RemoteNode {
        self.nodes
            .entry(node.to_owned())
            .or_insert_with(|| RemoteNode {
                users: HashMap::new(),
                away: HashSet::new(),
                seen: Instant::now(),
                connections: 0,
            })
    }

    /// Forgets `node`, taking its users offline.
    pub(super) fn remove_node(&mut self, node: &str) {
        let users: Vec<String> = self
            .nodes
            .get(node)
            .map(|n| n.users.keys().cloned().collect())
            .unwrap_or_default();
        for key in &users {
            self.remote_offline(node, key, None);
        }
        self.nodes.remove(node);
    }

    /// `name` is online on `node`; a presence change if that makes them online at all, or
    /// changes whether they are away.
    pub(super) fn remote_online(&mut self, node: &str, name: UserName) {
        let key = name.key();
        if self
            .node(node)
            .users
            .insert(key.clone(), name.clone())
            .is_some()
        {
            self.refresh_away(&key);
            return;
        }
        let entry = self
            .remote_users
            .entry(key.clone())
            .or_insert((name.clone(), 0));
        entry.1 += 1;
        if entry.1 == 1 && !self.users.contains_key(&key) {
            self.presence_changed(&name);
            self.online.insert(key.clone(), name);
        }
        self.refresh_away(&key);
    }

    /// User `key` left `node` (last seen there `at`, when known); a presence change if they
    /// are now offline everywhere, or no longer away.
    pub(super) fn remote_offline(&mut self, node: &str, key: &str, at: Option<u64>) {
        let Some(there) = self.nodes.get_mut(node) else {
            return;
        };
        there.away.remove(key);
        let Some(name) = there.users.remove(key) else {
            return;
        };
        let Some(entry) = self.remote_users.get_mut(key) else {
            return;
        };
        entry.1 -= 1;
        if entry.1 == 0 {
            self.remote_users.remove(key);
            if !self.users.contains_key(key) {
                self.online.remove(key);
                self.went_offline(&name, at);
            }
        }
        self.refresh_away(key);
    }

    /// User `key` became away on `node`, or came back there.
    pub(super) fn remote_away(&mut self, node: &str, key: &str, away: bool) {
        let Some(there) = self.nodes.get_mut(node) else {
            return;
        };
        if !there.users.contains_key(key) {
            return;
        }
        if away {
            there.away.insert(key.to_owned());
        } else {
            there.away.remove(key);
        }
        self.refresh_away(key);
    }
}
