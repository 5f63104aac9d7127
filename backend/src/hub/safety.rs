//! Safety's part of the hub: a disabled account's connections closed on every node, frames
//! for every connection of one user or one room on every node (the block list, a room's
//! retention), the mark a connection's opening compares its standing with, and the figures
//! an administrator reads.

use std::sync::atomic::Ordering;

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

/// Where the hub's count of standing changes was when a connection began to read its
/// standing ([`Hub::standing_mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandingMark(u64);

impl Hub {
    /// The mark to take before reading a connection's standing (its session, its account's
    /// state, its block list) from the store, ahead of joining the hub.
    pub fn standing_mark(&self) -> StandingMark {
        StandingMark(self.shared.standing_changes.load(Ordering::SeqCst))
    }

    /// Whether a standing read after `mark` still holds for a connection that has just
    /// joined: no session ended, account was disabled or released and no block list changed
    /// on this node since (each change is stored before the hub hears of it, so one the
    /// read missed moved the mark before the connection joined, or finds it in the hub and
    /// reaches it there). With other nodes, whose changes arrive late through the bus,
    /// never: the connection reads its standing again.
    pub fn standing_holds(&self, mark: StandingMark) -> bool {
        self.shared.bus.is_none() && self.standing_mark() == mark
    }

    /// Counts a change of a session's, an account's or a block list's standing; called
    /// before the connections here are told of it.
    pub(super) fn standing_changed(&self) {
        self.shared.standing_changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Closes every connection of `name`'s, here and on every other node, with `code`.
    pub fn close_user(&self, name: &UserName, code: u16) {
        self.standing_changed();
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
        // The block list is what this tells.
        self.standing_changed();
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::hub::{HubConfig, Publish};
    use crate::metrics::Metrics;
    use crate::store::SessionId;

    /// A bus that drops what it is given.
    #[derive(Debug)]
    struct Nowhere;

    impl Publish for Nowhere {
        fn publish(&self, _: Event) {}
    }

    fn hub(bus: Option<Arc<dyn Publish>>) -> Hub {
        Hub::new(
            HubConfig::for_tests(),
            Arc::new(Metrics::default()),
            Vec::new(),
            0,
            bus,
        )
    }

    #[test]
    fn a_standing_read_holds_until_a_session_an_account_or_a_block_list_changes() {
        let hub = hub(None);
        let alice = UserName::parse("alice").unwrap();
        let changes: [&dyn Fn(); 4] = [
            &|| hub.close_session(&SessionId("s".into()), shared::close::SESSION_ENDED),
            &|| hub.close_user(&alice, shared::close::ACCOUNT_DISABLED),
            &|| hub.forget(&alice),
            &|| {
                let frame = ServerFrame::Blocked {
                    users: Vec::new(),
                    req: None,
                };
                hub.tell_user(&alice, &frame, 0, &frame);
            },
        ];
        for change in changes {
            let mark = hub.standing_mark();
            assert!(hub.standing_holds(mark));
            change();
            assert!(!hub.standing_holds(mark));
            assert!(hub.standing_holds(hub.standing_mark()));
        }
    }

    #[test]
    fn with_other_nodes_a_standing_read_never_holds() {
        let hub = hub(Some(Arc::new(Nowhere)));
        assert!(!hub.standing_holds(hub.standing_mark()));
    }
}
