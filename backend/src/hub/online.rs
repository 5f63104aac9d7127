//! Everyone online, and the list a welcome copies without copying it under the lock.
//!
//! A welcome lists everyone online. Copying every name under the hub's one lock would make
//! each sign-in cost time proportional to the crowd while everybody else waits. So [`Online`]
//! keeps, besides the map it is looked up in, a shared list (`base`, an `Arc`) and the changes
//! made since it was built. Under the lock a welcome takes only an [`OnlineSnapshot`]: a
//! pointer and the few changes. It builds the names from them after the lock is released, and
//! then offers the list it built as the new base ([`Online::rebase`]), so the changes never
//! pile up while people arrive. Departures alone (no welcomes) pile up changes too; past
//! [`REBASE_AFTER`] the hub rebuilds the base outside the lock likewise.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use shared::UserName;

/// Changes since the base after which it is rebuilt even with nobody arriving.
pub(super) const REBASE_AFTER: usize = 256;

/// Everyone online on any node.
#[derive(Debug, Default)]
pub(super) struct Online {
    /// Everyone online by name key, in key order (names are ASCII: the order of the names
    /// ignoring case).
    names: BTreeMap<String, UserName>,
    /// Everyone online as it was some changes ago, in the same order; shared with the
    /// welcomes being built.
    base: Arc<Vec<UserName>>,
    /// What changed since `base`, in order: a name, and whether it came online.
    changes: Vec<(UserName, bool)>,
    /// A rebuild of the base outside the lock is under way: one at a time is enough.
    rebuilding: bool,
}

/// Everyone online at one moment, taken under the lock in O(changes): built into names later.
#[derive(Debug, Clone)]
pub(super) struct OnlineSnapshot {
    /// The base list at that moment.
    base: Arc<Vec<UserName>>,
    /// The changes since it.
    changes: Vec<(UserName, bool)>,
}

impl Online {
    pub(super) fn get(&self, key: &str) -> Option<&UserName> {
        self.names.get(key)
    }

    #[cfg(test)]
    pub(super) fn keys(&self) -> impl Iterator<Item = &String> {
        self.names.keys()
    }

    /// How many are online.
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    /// `name` (with name key `key`) is online.
    pub(super) fn insert(&mut self, key: String, name: UserName) {
        if self.names.insert(key, name.clone()).is_none() {
            self.changes.push((name, true));
        }
    }

    /// User `key` is offline.
    pub(super) fn remove(&mut self, key: &str) {
        if let Some(name) = self.names.remove(key) {
            self.changes.push((name, false));
        }
    }

    /// Everyone online now, for a welcome: a pointer and the changes since the base.
    pub(super) fn snapshot(&self) -> OnlineSnapshot {
        OnlineSnapshot {
            base: self.base.clone(),
            changes: self.changes.clone(),
        }
    }

    /// A snapshot to rebuild the base from, when changes have piled up and no rebuild is
    /// under way; [`Online::rebase`] or [`Online::rebuilt`] must follow.
    pub(super) fn due_rebuild(&mut self) -> Option<OnlineSnapshot> {
        if self.changes.len() < REBASE_AFTER || self.rebuilding {
            return None;
        }
        self.rebuilding = true;
        Some(self.snapshot())
    }

    /// A rebuild taken with [`Online::due_rebuild`] is over: `list`, built from `snapshot`.
    pub(super) fn rebuilt(&mut self, snapshot: &OnlineSnapshot, list: Arc<Vec<UserName>>) {
        self.rebuilding = false;
        self.rebase(snapshot, list);
    }

    /// `list` is everyone online as of `snapshot`: it becomes the base, and the changes it
    /// covers are dropped, unless the base changed meanwhile. O(changes).
    pub(super) fn rebase(&mut self, snapshot: &OnlineSnapshot, list: Arc<Vec<UserName>>) {
        let covered = snapshot.changes.len();
        if Arc::ptr_eq(&self.base, &snapshot.base) && covered > 0 && covered <= self.changes.len() {
            self.base = list;
            self.changes.drain(..covered);
        }
    }
}

impl OnlineSnapshot {
    /// Everyone online, in name-key order: the base with the changes applied. Outside the
    /// lock; O(online) only when something changed since the base was built.
    pub(super) fn names(&self) -> Arc<Vec<UserName>> {
        if self.changes.is_empty() {
            return self.base.clone();
        }
        // The last change of each key wins.
        let mut last: HashMap<String, (&UserName, bool)> = HashMap::new();
        for (name, online) in &self.changes {
            last.insert(name.key(), (name, *online));
        }
        let mut names: BTreeMap<String, &UserName> = self
            .base
            .iter()
            .map(|name| (name.key(), name))
            .filter(|(key, _)| !last.contains_key(key))
            .collect();
        for (key, (name, online)) in last {
            if online {
                names.insert(key, name);
            }
        }
        Arc::new(names.into_values().cloned().collect())
    }

    /// Whether building the names gives a new base worth offering.
    pub(super) fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> UserName {
        UserName::parse(n).unwrap()
    }

    fn names(snapshot: &OnlineSnapshot) -> Vec<String> {
        snapshot.names().iter().map(UserName::to_string).collect()
    }

    #[test]
    fn a_snapshot_sees_every_change_and_a_rebase_keeps_later_ones() {
        let mut online = Online::default();
        for n in ["carol", "Alice", "bob"] {
            online.insert(name(n).key(), name(n));
        }
        online.remove("carol");
        let first = online.snapshot();
        assert_eq!(names(&first), ["Alice", "bob"]);
        // A change after the snapshot, then the snapshot's list offered as the base.
        online.insert(name("Dave").key(), name("Dave"));
        online.rebase(&first, first.names());
        assert_eq!(
            online.changes.len(),
            1,
            "only the change after the snapshot stays"
        );
        let second = online.snapshot();
        assert_eq!(names(&second), ["Alice", "bob", "Dave"]);
        // An older snapshot offered after the base moved on changes nothing.
        online.rebase(&first, first.names());
        assert_eq!(names(&online.snapshot()), ["Alice", "bob", "Dave"]);
        // Back and forth: the last change wins.
        online.remove("alice");
        online.insert(name("alice").key(), name("alice"));
        online.remove("bob");
        assert_eq!(names(&online.snapshot()), ["alice", "Dave"]);
        assert_eq!(online.keys().count(), 2);
    }

    #[test]
    fn departures_alone_ask_for_one_rebuild_at_a_time() {
        let mut online = Online::default();
        for i in 0..REBASE_AFTER {
            let n = name(&format!("u{i}"));
            online.insert(n.key(), n);
        }
        let due = online.due_rebuild().expect("changes piled up");
        assert!(online.due_rebuild().is_none(), "one rebuild at a time");
        online.remove("u0");
        online.rebuilt(&due, due.names());
        assert_eq!(online.changes.len(), 1);
        assert_eq!(online.snapshot().names().len(), REBASE_AFTER - 1);
        assert!(online.due_rebuild().is_none());
    }
}
