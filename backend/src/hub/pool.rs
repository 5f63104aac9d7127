//! The pool and the user map: connections coming and going (a user's first connection puts
//! them online, their last takes them offline), their queues, their sessions, and the welcome
//! each gets, built under the same lock that registers it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use shared::protocol::{ServerLimits, PROTOCOL_VERSION};
use shared::{ConversationInfo, RoomInfo, RoomName, ServerFrame, UserName};

use super::{ConnEntry, Event, Hub, HubError, State, UserEntry};
use crate::outbox::{self, ConnId, Control, Inbox, Limits, Outbox};
use crate::store::SessionId;
use crate::ws::{encode, Frame};

impl Hub {
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
}

impl State {
    pub(super) fn close_session(&self, session: &SessionId, code: u16) {
        for conn in self.conns.values().filter(|c| &c.session == session) {
            conn.outbox.control().close(Some(code));
        }
    }

    /// A user's name if they are online on any node.
    pub(super) fn online_name(&self, key: &str) -> Option<UserName> {
        self.online.get(key).cloned()
    }

    /// Every user online on any node, by name as displayed, in name order: names are ASCII,
    /// so the order of their lowercase keys is the order of `by_name`.
    pub(super) fn online_names(&self) -> Vec<String> {
        self.online.values().map(UserName::to_string).collect()
    }

    /// The user key and outbox of a live connection.
    pub(super) fn conn(&self, id: ConnId) -> Result<(String, Outbox), HubError> {
        // A connection asks only while registered; a miss means it is being torn down.
        let conn = self.conns.get(&id).ok_or(HubError::NotMember)?;
        Ok((conn.user.clone(), conn.outbox.clone()))
    }

    pub(super) fn welcome(
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
}
