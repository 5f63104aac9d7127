//! Join tickets: the rooms limit checked atomically with the join.
//!
//! A new membership is stored before the hub announces it, so the check and the join are two
//! steps with an `.await` between them. Without more, two connections of one user could both
//! pass the check and together exceed the limit. So the check reserves, under the hub's lock,
//! a [`JoinTicket`] for the room: the rooms a user is being put in count against the limit
//! like the rooms they are in, until the join is announced or given up (the ticket dropped).

use std::collections::BTreeMap;

use shared::RoomName;

use super::{Hub, State};

/// A room being joined, counted against its user's rooms limit while it lives.
#[derive(Debug)]
pub struct JoinTicket {
    /// The hub that holds the reservation.
    hub: Hub,
    /// The user's name key.
    key: String,
    /// The room.
    room: RoomName,
}

impl State {
    /// Rooms user `key` is in or being put in, lobby included, and `room` besides.
    pub(super) fn rooms_with(&self, key: &str, room: &RoomName) -> usize {
        let member_of = self.member_of.get(key);
        let is_in = |r: &RoomName| member_of.is_some_and(|rooms| rooms.contains(r));
        let pending = self
            .joining
            .get(key)
            .into_iter()
            .flat_map(BTreeMap::keys)
            .filter(|r| *r != room && !is_in(r))
            .count();
        member_of.map_or(0, |rooms| rooms.len()) + 1 + pending + usize::from(!is_in(room))
    }

    /// Counts `room` as being joined by user `key`.
    fn reserve_join(&mut self, key: &str, room: &RoomName) {
        *self
            .joining
            .entry(key.to_owned())
            .or_default()
            .entry(room.clone())
            .or_default() += 1;
    }
}

impl Hub {
    /// A ticket for user `key` joining `room`; the caller has checked the limit under the
    /// same lock.
    pub(super) fn join_ticket(&self, state: &mut State, key: &str, room: &RoomName) -> JoinTicket {
        state.reserve_join(key, room);
        JoinTicket {
            hub: self.clone(),
            key: key.to_owned(),
            room: room.clone(),
        }
    }
}

impl Drop for JoinTicket {
    fn drop(&mut self) {
        let mut state = self.hub.state();
        let Some(rooms) = state.joining.get_mut(&self.key) else {
            return;
        };
        if let Some(count) = rooms.get_mut(&self.room) {
            *count -= 1;
            if *count == 0 {
                rooms.remove(&self.room);
            }
        }
        if rooms.is_empty() {
            state.joining.remove(&self.key);
        }
    }
}
