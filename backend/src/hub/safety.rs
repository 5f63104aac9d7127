//! Safety's part of the hub: a disabled account's connections closed on every node, frames
//! for every connection of one user or one room on every node (the block list, a room's
//! retention), and the figures an administrator reads.

use shared::{RoomName, ServerFrame, UserName};

use super::{Event, Hub, Route, State};
use crate::outbox::ConnId;
use crate::ws::encode;

/// What the hub counts for an administrator's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFigures {
    /// Users online on any node.
    pub online_users: u64,
    /// Rooms with members, `lobby` included.
    pub rooms: u64,
    /// This node's open WebSockets.
    pub connections: u64,
    /// Every other node heard from, with its open WebSockets as of its last heartbeat, in
    /// name order.
    pub nodes: Vec<(String, u64)>,
}

impl Hub {
    /// Closes every connection of `name`'s, here and on every other node, with `code`.
    pub fn close_user(&self, name: &UserName, code: u16) {
        self.state().close_user(&name.key(), code);
        self.publish(Event::CloseUser {
            user: name.key(),
            code,
        });
    }

    /// Sends `frame` to every connection of `name`'s on every node but `except`, which gets
    /// `answer` instead (the same frame with its `req`).
    pub fn tell_user(
        &self,
        name: &UserName,
        frame: &ServerFrame,
        except: ConnId,
        answer: &ServerFrame,
    ) {
        let encoded = encode(frame);
        let key = name.key();
        {
            let state = self.state();
            state.send_user(&key, &encoded, Some(except));
            if let Some(conn) = state.conns.get(&except) {
                conn.outbox.send(answer);
            }
        }
        self.publish(Event::Frame {
            route: Route::User { user: key },
            frame: encoded.text_payload().into_owned(),
        });
    }

    /// Sends `frame` to every member of `room` on every node but connection `except`, which
    /// gets `answer` instead.
    pub fn tell_room(
        &self,
        room: &RoomName,
        frame: &ServerFrame,
        except: ConnId,
        answer: &ServerFrame,
    ) {
        let encoded = encode(frame);
        {
            let state = self.state();
            state.send_room_except_conn(room, &encoded, Some(except));
            if let Some(conn) = state.conns.get(&except) {
                conn.outbox.send(answer);
            }
        }
        self.publish(Event::Frame {
            route: Route::Room {
                room: room.to_string(),
                except: None,
            },
            frame: encoded.text_payload().into_owned(),
        });
    }

    /// The figures the hub knows: who is online, the rooms, every node's connections.
    pub fn figures(&self) -> LiveFigures {
        let state = self.state();
        let mut nodes: Vec<(String, u64)> = state
            .nodes
            .iter()
            .map(|(node, remote)| (node.clone(), remote.connections))
            .collect();
        nodes.sort();
        LiveFigures {
            online_users: state.online.len() as u64,
            rooms: state.rooms.len() as u64 + 1,
            connections: state.conns.len() as u64,
            nodes,
        }
    }
}

impl State {
    /// Closes every connection of user `key` on this node with `code`.
    pub(super) fn close_user(&self, key: &str, code: u16) {
        let Some(user) = self.users.get(key) else {
            return;
        };
        for id in &user.conns {
            if let Some(conn) = self.conns.get(id) {
                conn.outbox.control().close(Some(code));
            }
        }
    }
}
