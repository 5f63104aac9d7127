//! Everyone online on any node, in name-key order: how many there are (every welcome and
//! `presence` frame says so) and the pages `members` lists for the lobby. Nobody's welcome
//! lists them all any more (protocol 11): a connection hears only of those it has an interest
//! in (see `interest`).

use std::collections::BTreeMap;
use std::ops::Bound;

use shared::UserName;

/// Everyone online on any node.
#[derive(Debug, Default)]
pub(super) struct Online {
    /// Everyone online by name key, in key order.
    names: BTreeMap<String, UserName>,
    /// Someone came or went since the last [`Online::take_moved`]: the count changed, or
    /// changed and changed back, which a connection welcomed in between did not hear.
    moved: bool,
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
        if self.names.insert(key, name).is_none() {
            self.moved = true;
        }
    }

    /// User `key` is offline.
    pub(super) fn remove(&mut self, key: &str) {
        if self.names.remove(key).is_some() {
            self.moved = true;
        }
    }

    /// Whether the count moved since the last [`Online::take_moved`].
    pub(super) fn moved(&self) -> bool {
        self.moved
    }

    /// Whether the count moved since the last call.
    pub(super) fn take_moved(&mut self) -> bool {
        std::mem::take(&mut self.moved)
    }

    /// Up to `limit` of those online whose keys come after `after` (from the first without
    /// it), with their keys, in key order; and whether nobody later is online.
    pub(super) fn page(&self, after: Option<&str>, limit: usize) -> (Vec<(&str, &UserName)>, bool) {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        page(
            self.names
                .range::<str, _>((start, Bound::Unbounded))
                .map(|(key, name)| (key.as_str(), name)),
            limit,
        )
    }
}

/// Up to `limit` items of `items`, and whether that was all of them.
pub(super) fn page<T>(items: impl Iterator<Item = T>, limit: usize) -> (Vec<T>, bool) {
    let mut items = items.take(limit.saturating_add(1));
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let complete = items.next().is_none();
    (page, complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> UserName {
        UserName::parse(n).unwrap()
    }

    fn names(page: &[(&str, &UserName)]) -> Vec<String> {
        page.iter().map(|(_, n)| n.to_string()).collect()
    }

    #[test]
    fn pages_follow_the_keys_and_say_when_they_end() {
        let mut online = Online::default();
        for n in ["carol", "Alice", "bob", "Dave", "erin"] {
            online.insert(name(n).key(), name(n));
        }
        assert!(online.take_moved());
        assert!(!online.take_moved());
        let (first, complete) = online.page(None, 2);
        assert_eq!(names(&first), ["Alice", "bob"]);
        assert!(!complete);
        let (second, complete) = online.page(Some("bob"), 2);
        assert_eq!(names(&second), ["carol", "Dave"]);
        assert!(!complete);
        let (last, complete) = online.page(Some("dave"), 2);
        assert_eq!(names(&last), ["erin"]);
        assert!(complete);
        // Exactly a page left is complete too; a key nobody has starts after where it sorts.
        assert!(online.page(Some("carol"), 2).1);
        assert_eq!(names(&online.page(Some("b"), 1).0), ["bob"]);
        // Coming and going moves the count even when it ends where it was.
        online.insert(name("zed").key(), name("zed"));
        online.remove("zed");
        assert!(online.take_moved());
        online.remove("nobody");
        assert!(!online.take_moved());
    }
}
