//! Fan-out: delivering stored messages (the hub is the journal's [`Delivery`]), read markers,
//! and the pushes onto connections' queues every other part uses. A frame is encoded once and
//! its recipients share the bytes; a push never waits for a socket.

use std::time::Instant;

use shared::{ErrorCode, RoomName, ServerFrame, Target, UserName};

use super::{ConnId, Event, Hub, Route, State, UserEntry, WireMessage};
use crate::journal::Delivery;
use crate::message::{Destination, Message};
use crate::ws::{encode, Frame};

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

    /// Acknowledges a change that changed nothing.
    fn acknowledge(&self, id: ConnId, req: Option<String>, message: u64, at: u64) {
        let state = self.state();
        if let Some(conn) = state.conns.get(&id) {
            conn.outbox.send(&ServerFrame::Ack {
                req,
                id: message,
                at,
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

impl Hub {
    pub(super) fn deliver_from(
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
                    // Only a message clears its sender's typing notice, not a change.
                    let user = state.users.get_mut(&from);
                    let typing = user.and_then(|u| u.typing.as_mut());
                    if let Some(typing) = typing.filter(|_| message.change.is_none()) {
                        typing.remove(&Target::Room {
                            room: room.to_string(),
                        });
                    }
                }
                Destination::User(to_name) => {
                    let to = to_name.key();
                    // A message hidden from one participant (who blocks the other) reaches
                    // only the other.
                    let hidden = message.hidden_for.as_deref();
                    if hidden != Some(to.as_str()) {
                        state.send_user(&to, &frame, origin);
                    }
                    if to != from && hidden != Some(from.as_str()) {
                        state.send_user(&from, &frame, origin);
                    }
                    state.conversed((&message.from, &from), (to_name, &to), hidden);
                    let user = state.users.get_mut(&from);
                    let typing = user.and_then(|u| u.typing.as_mut());
                    if let Some(typing) = typing.filter(|_| message.change.is_none()) {
                        typing.remove(&Target::User { to });
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
        // A conversation new to a connection is told where its other person stands, after
        // the acknowledgement.
        self.settle_presence(&mut state);
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
}

impl State {
    /// Queues `frame` for every connection of user `key`, but `except`.
    pub(super) fn send_user(&self, key: &str, frame: &Frame, except: Option<ConnId>) {
        if let Some(user) = self.users.get(key) {
            self.send_to(user, frame, except);
        }
    }

    /// Queues `frame` for every connection of `user`, but `except`.
    pub(super) fn send_to(&self, user: &UserEntry, frame: &Frame, except: Option<ConnId>) {
        for id in user.conns.iter().filter(|id| Some(**id) != except) {
            if let Some(conn) = self.conns.get(id) {
                conn.outbox.push(frame.clone());
            }
        }
    }

    /// Calls `f` with the key and entry of every member of `room` who is online.
    pub(super) fn each_online_member(&self, room: &RoomName, mut f: impl FnMut(&str, &UserEntry)) {
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
    pub(super) fn send_room(&self, room: &RoomName, frame: &Frame, except_user: Option<&str>) {
        self.each_online_member(room, |key, user| {
            if Some(key) != except_user {
                self.send_to(user, frame, None);
            }
        });
    }

    /// Queues `frame` for every connection of every member of `room` but connection `except`.
    pub(super) fn send_room_except_conn(
        &self,
        room: &RoomName,
        frame: &Frame,
        except: Option<ConnId>,
    ) {
        self.each_online_member(room, |_, user| self.send_to(user, frame, except));
    }
}
