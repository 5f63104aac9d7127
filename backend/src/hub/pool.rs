//! The pool and the user map: connections coming and going (a user's first connection puts
//! them online, their last takes them offline), their queues, their sessions, and the welcome
//! each gets, taken under the same lock that registers it (see `welcome`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use shared::{ConversationInfo, Target, UserName};

use super::{ConnEntry, Event, Hub, HubError, State, UserEntry};
use crate::clock::now_ms;
use crate::outbox::{self, ConnId, Control, Inbox, Limits, Outbox};
use crate::store::SessionId;
use crate::ws::Frame;

impl Hub {
    /// The name of a user who is online on any node, as they claimed it.
    pub fn online_name(&self, name: &UserName) -> Option<UserName> {
        self.state().online_name(&name.key())
    }

    /// Adds a connection of `name`'s, whose welcome lists `conversations` (and says whether
    /// that is every one of them). Returns its id, its `welcome` (to be sent before
    /// anything queued for it) and the id of the last message delivered before it joined:
    /// every later message reaches its queue. The user's first connection puts them online,
    /// for the next `presence` frame.
    pub fn connect(
        &self,
        name: UserName,
        session: SessionId,
        outbox: Outbox,
        conversations: (Vec<ConversationInfo>, bool),
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
                    // Room for one: most users hold one connection (a vector of 8-byte ids
                    // would otherwise take room for four).
                    conns: Vec::with_capacity(1),
                    typing: None,
                },
            );
            // Before this connection is registered: it learns of its user from its welcome.
            self.settle_presence(&mut state);
        }
        // A new connection is present: a user away until now comes back.
        let was_here = state.away_here(&key);
        if let Some(user) = state.users.get_mut(&key) {
            user.conns.push(id);
        }
        state.conns.insert(
            id,
            ConnEntry {
                user: key.clone(),
                session: SessionKey::of(&session),
                outbox,
                away: false,
                watching: Vec::new(),
            },
        );
        // The other persons of the private conversations its welcome lists are of interest.
        let partners: Vec<String> = conversations
            .0
            .iter()
            .filter_map(|c| match &c.target {
                Target::User { to } => Some(UserName::key_of(to)),
                Target::Room { .. } => None,
            })
            .collect();
        for partner in &partners {
            state.watch(id, partner);
        }
        self.publish_away_here(&state, &key, was_here);
        if state.refresh_away(&key) {
            self.settle_presence(&mut state);
        }
        // The names of interest are picked here, the frame encoded after the lock is released.
        let welcome = state.welcome(&key, &partners, conversations, self.shared.config.limits);
        let last_delivered = state.last_delivered;
        drop(state);
        (id, self.encode_welcome(welcome), last_delivered)
    }

    /// Removes a connection. The user's last one takes them offline (for the next `presence`
    /// frame); memberships stay. Returns when the user was last seen on this node (now, ms
    /// since the epoch) if this was their last connection here, for the store; `None`
    /// otherwise, and for a connection removed already.
    pub fn disconnect(&self, id: ConnId) -> Option<u64> {
        let mut state = self.state();
        let was_here = state.away_here(&state.conns.get(&id)?.user.clone());
        let conn = state.conns.remove(&id)?;
        state.unwatch_all(id, &conn.watching);
        let user = state.users.get_mut(&conn.user)?;
        user.conns.retain(|c| *c != id);
        if !user.conns.is_empty() {
            // The only present one may have closed.
            self.publish_away_here(&state, &conn.user, was_here);
            if state.refresh_away(&conn.user) {
                self.settle_presence(&mut state);
            }
            return None;
        }
        let user = state.users.remove(&conn.user)?;
        let at = now_ms();
        if !state.remote_users.contains_key(&conn.user) {
            state.online.remove(&conn.user);
            state.went_offline(&user.name, Some(at));
        }
        // Away elsewhere now, or offline: either way no longer listed as present here.
        state.refresh_away(&conn.user);
        self.settle_presence(&mut state);
        // Under the lock, as in `connect`: the other nodes hear of a user's comings and
        // goings in the order they happened.
        self.publish(Event::Offline {
            user: user.name.to_string(),
            at: Some(at),
        });
        Some(at)
    }

    /// A new connection's queue, bounded by `limits`: the hub's end, kept by
    /// [`Hub::connect`], and the writer's end.
    pub fn queue(&self, limits: Limits, control: Arc<Control>) -> (Outbox, Inbox) {
        outbox::channel(
            limits,
            self.shared.flusher.clone(),
            control,
            self.shared.metrics.clone(),
        )
    }

    /// Closes every connection here with `code`: the server's shutdown (1001) reaches the
    /// connections this way, through the close switch each one waits on anyway, rather than
    /// through a waiter of its own on the shutdown token. A connection that joins after this
    /// checks the token itself once it has joined.
    pub fn close_all(&self, code: u16) {
        for conn in self.state().conns.values() {
            conn.outbox.control().close(Some(code));
        }
    }

    /// Closes every connection opened with `session`, with `code`.
    pub fn close_session(&self, session: &SessionId, code: u16) {
        self.standing_changed();
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
}

/// A session's id as a connection's entry keeps it: the first 16 bytes of its SHA-256, in the
/// entry, where the id itself (64 hexadecimal digits) would take a string and an allocation of
/// 80 bytes for every connection. Two sessions share one with a chance of 2^-128: they are
/// told apart by it as surely as by their ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SessionKey([u8; 16]);

impl SessionKey {
    pub(super) fn of(session: &SessionId) -> Self {
        let digest = Sha256::digest(session.0.as_bytes());
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        Self(key)
    }
}

impl State {
    pub(super) fn close_session(&self, session: &SessionId, code: u16) {
        let session = SessionKey::of(session);
        for conn in self.conns.values().filter(|c| c.session == session) {
            conn.outbox.control().close(Some(code));
        }
    }

    /// A user's name if they are online on any node.
    pub(super) fn online_name(&self, key: &str) -> Option<UserName> {
        self.online.get(key).cloned()
    }

    /// The user key and outbox of a live connection.
    pub(super) fn conn(&self, id: ConnId) -> Result<(String, Outbox), HubError> {
        // A connection asks only while registered; a miss means it is being torn down.
        let conn = self.conns.get(&id).ok_or(HubError::NotMember)?;
        Ok((conn.user.clone(), conn.outbox.clone()))
    }
}
