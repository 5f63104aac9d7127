//! Who hears of whom (protocol 11): a connection hears of the presence of the users it has an
//! interest in, and of everyone else only how many are online.
//!
//! A connection of user U has an interest in U, in every member of U's rooms but the lobby
//! (from the room maps, so it follows joins and leaves), and in the other person of each
//! private conversation it was told of (its welcome's, a `conversations` page's, a private
//! message's): those are `watching`, per connection, with the reverse map `watchers`.
//! What a sign-in costs thus grows with the people it concerns, not with everyone online.

use std::collections::{BTreeMap, HashSet};

use shared::UserName;

use super::{ConnId, State};

/// People one connection watches at most (the private conversations' other persons); past
/// that, only their rooms bring more.
pub(super) const MAX_WATCHED: usize = 256;

impl State {
    /// Connection `id` has an interest in user `key` (the other person of a private
    /// conversation); returns whether that is new.
    pub(super) fn watch(&mut self, id: ConnId, key: &str) -> bool {
        let Some(conn) = self.conns.get_mut(&id) else {
            return false;
        };
        if conn.user == key || conn.watching.len() >= MAX_WATCHED {
            return false;
        }
        let watchers = self.watchers.entry(key.to_owned()).or_default();
        if !watchers.insert(id) {
            return false;
        }
        conn.watching.push(key.to_owned());
        true
    }

    /// A private message between `a` and `b` reached their connections here (not those of
    /// `hidden`, the key of one it is hidden from): each of those connections has an interest
    /// in the other person from now on. Each newly interested connection alone is told, with
    /// its next `presence` frame, where the other person stands.
    /// Each side comes with its name key, which the fan-out has computed already.
    pub(super) fn conversed(
        &mut self,
        (a, a_key): (&UserName, &str),
        (b, b_key): (&UserName, &str),
        hidden: Option<&str>,
    ) {
        for (user, other, other_name) in [(a_key, b_key, b), (b_key, a_key, a)] {
            if hidden == Some(user) || user == other {
                continue;
            }
            let Some(conns) = self.users.get(user).map(|u| &u.conns) else {
                continue;
            };
            let watchers = self.watchers.get(other);
            if conns
                .iter()
                .all(|id| watchers.is_some_and(|w| w.contains(id)))
            {
                continue;
            }
            let shared_room = self.share_a_room(user, other);
            for id in conns.clone() {
                // Unless a shared room made them of interest already, the connection learns
                // where the other person stands from its next `presence` frame.
                if self.watch(id, other) && !shared_room {
                    self.introduce(id, other_name);
                }
            }
        }
    }

    /// Whether users `a` and `b` (keys) are both in a room other than the lobby.
    fn share_a_room(&self, a: &str, b: &str) -> bool {
        match (self.member_of.get(a), self.member_of.get(b)) {
            (Some(a), Some(b)) if a.len() <= b.len() => a.iter().any(|room| b.contains(room)),
            (Some(a), Some(b)) => b.iter().any(|room| a.contains(room)),
            _ => false,
        }
    }

    /// Connection `id`, closing, watches nobody any more.
    pub(super) fn unwatch_all(&mut self, id: ConnId, watching: &[String]) {
        for key in watching {
            if let Some(watchers) = self.watchers.get_mut(key) {
                watchers.remove(&id);
                if watchers.is_empty() {
                    self.watchers.remove(key);
                }
            }
        }
    }

    /// Every connection with an interest in user `key` gets `f` called with its id, once per
    /// reason it has (its own user's, a shared room's, a watch): callers that need each once
    /// drop repeats.
    pub(super) fn each_interested(&self, key: &str, mut f: impl FnMut(ConnId)) {
        let mut user_conns = |user: &str| {
            if let Some(entry) = self.users.get(user) {
                entry.conns.iter().copied().for_each(&mut f);
            }
        };
        user_conns(key);
        for room in self.member_of.get(key).into_iter().flatten() {
            for member in self.rooms.get(room).into_iter().flat_map(|m| m.keys()) {
                if member != key {
                    user_conns(member);
                }
            }
        }
        for id in self.watchers.get(key).into_iter().flatten() {
            f(*id);
        }
    }

    /// The users online that user `key`'s new connection has an interest in, by key: them,
    /// the online members of their rooms, and the online among `partners` (keys).
    pub(super) fn interest_online(
        &self,
        key: &str,
        partners: &[String],
    ) -> BTreeMap<String, UserName> {
        let mut online = BTreeMap::new();
        let mut add = |member: &str| {
            if let Some(name) = self.online.get(member) {
                online
                    .entry(member.to_owned())
                    .or_insert_with(|| name.clone());
            }
        };
        add(key);
        for room in self.member_of.get(key).into_iter().flatten() {
            for member in self.rooms.get(room).into_iter().flat_map(|m| m.keys()) {
                add(member);
            }
        }
        for partner in partners {
            add(partner);
        }
        online
    }

    /// Of the users `keys`, those online and those of them away, as names in key order.
    pub(super) fn online_and_away<'a>(
        &self,
        keys: impl Iterator<Item = &'a str>,
    ) -> (Vec<String>, Vec<String>) {
        let mut seen = HashSet::new();
        let mut online: Vec<(&str, &UserName)> = keys
            .filter(|key| seen.insert(*key))
            .filter_map(|key| self.online.get(key).map(|name| (key, name)))
            .collect();
        online.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let away = online
            .iter()
            .filter(|(key, _)| self.listed_away(key))
            .map(|(_, name)| name.to_string())
            .collect();
        (
            online.into_iter().map(|(_, n)| n.to_string()).collect(),
            away,
        )
    }
}
