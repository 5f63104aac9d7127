//! Away: each connection says whether its page is away (`activity`), and a user is away while
//! every connection of theirs, on every node, is. Away users stay online in every other way.
//!
//! The hub keeps the flag per connection (`ConnEntry::away`) and, per other node, which of its
//! users are away there (`RemoteNode::away`); each node publishes its own users' aggregate
//! ([`Event::Away`]) when it changes. [`State::refresh_away`] recomputes one user's state after
//! anything that may change it and keeps the set of away users (`State::away`) in step; a change is a presence change like
//! coming online, coalesced the same way.

use super::{Event, Hub, State};
use crate::outbox::ConnId;

impl Hub {
    /// Connection `id`'s page is away (`true`) or back (`false`).
    pub fn set_away(&self, id: ConnId, away: bool) {
        let mut state = self.state();
        let Some(conn) = state.conns.get(&id) else {
            return;
        };
        if conn.away == away {
            return;
        }
        let key = conn.user.clone();
        let was_here = state.away_here(&key);
        if let Some(conn) = state.conns.get_mut(&id) {
            conn.away = away;
        }
        self.publish_away_here(&state, &key, was_here);
        if state.refresh_away(&key) {
            self.settle_presence(&mut state);
        }
    }

    /// Tells the other nodes how user `key` stands on this node, if that changed from
    /// `was_here` (see [`State::away_here`]) and they are still here; their coming and going
    /// is told with `online` and `offline`.
    pub(super) fn publish_away_here(&self, state: &State, key: &str, was_here: Option<bool>) {
        let now_here = state.away_here(key);
        if let (Some(was), Some(now)) = (was_here, now_here) {
            if was != now {
                if let Some(user) = state.users.get(key) {
                    self.publish(Event::Away {
                        user: user.name.to_string(),
                        away: now,
                    });
                }
            }
        }
    }

    /// The names of the users away on this node (every connection of theirs here is), for
    /// the other nodes.
    pub fn local_away(&self) -> Vec<String> {
        let state = self.state();
        state
            .users
            .iter()
            .filter(|(key, _)| state.away_here(key) == Some(true))
            .map(|(_, user)| user.name.to_string())
            .collect()
    }
}

impl State {
    /// Whether user `key` is away on this node: `None` when they have no connection here.
    pub(super) fn away_here(&self, key: &str) -> Option<bool> {
        let user = self.users.get(key).filter(|u| !u.conns.is_empty())?;
        Some(
            user.conns
                .iter()
                .all(|id| self.conns.get(id).is_none_or(|c| c.away)),
        )
    }

    /// Whether user `key` is away on every other node they are on: `None` when on none.
    fn away_elsewhere(&self, key: &str) -> Option<bool> {
        let mut on_any = false;
        for node in self.nodes.values() {
            if node.has_user(key) {
                on_any = true;
                if !node.is_away(key) {
                    return Some(false);
                }
            }
        }
        on_any.then_some(true)
    }

    /// Whether user `key` is online and away everywhere they are.
    pub(super) fn is_away(&self, key: &str) -> bool {
        match (self.away_here(key), self.away_elsewhere(key)) {
            (None, None) => false,
            (here, elsewhere) => here.unwrap_or(true) && elsewhere.unwrap_or(true),
        }
    }

    /// Brings the set of away users up to date for user `key` after a change that may concern
    /// them; a change is noted for the next `presence` frame. Returns whether there was one.
    pub(super) fn refresh_away(&mut self, key: &str) -> bool {
        let away = self.is_away(key);
        if away == self.away.contains_key(key) {
            return false;
        }
        let name = if away {
            self.online.get(key).cloned()
        } else {
            self.away.get(key).cloned()
        };
        let Some(name) = name else {
            return false;
        };
        if away {
            self.away.insert(key.to_owned(), name.clone());
        } else {
            self.away.remove(key);
        }
        self.presence_changed(&name);
        true
    }

    /// Whether user `key` is in the set of away users.
    pub(super) fn listed_away(&self, key: &str) -> bool {
        self.away.contains_key(key)
    }
}

#[cfg(test)]
mod tests;
