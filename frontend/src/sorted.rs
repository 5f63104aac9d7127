//! [`SortedMap`] and [`SortedSet`]: ordered collections kept as one sorted `Vec`, for the
//! client's small maps (who is online, who is typing, drafts, queued sends, a room's members).
//!
//! They have the methods of `BTreeMap` and `BTreeSet` the client uses, with the same results
//! (iteration in key order, `insert` replacing and returning the old value, ...). The reason is
//! size: each `BTreeMap<K, V>` with types of its own compiled about 5 KB of B-tree code into
//! the wasm (insertion, removal, rebalancing); a sorted `Vec` needs a binary search and
//! `Vec::insert`/`Vec::remove`, and inserting is linear in the length, which for these lists
//! (at most a few thousand names) costs nothing noticeable.

use std::borrow::Borrow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A map ordered by key, in one sorted `Vec`.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<K, V> {
    /// Sorted by key, each key once.
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `key` is, or where it would go.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries
            .binary_search_by(|(held, _)| held.borrow().cmp(key))
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Takes `key` out; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(self.entries.remove(at).1)
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(&self.entries[at].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// The entry with the smallest key.
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(|(key, value)| (key, value))
    }

    /// Keeps the entries for which `keep` says yes.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(key, value)| keep(key, value));
    }
}

impl<K, V> SortedMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(key, _)| key)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }
}

/// Inserts one by one: a later value for a key replaces an earlier one, as in a `BTreeMap`.
impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = Self::new();
        map.extend(entries);
        map
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As a JSON object, like a `BTreeMap`.
impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

/// Reads a map entry by entry.
struct MapVisitor<K, V>(std::marker::PhantomData<(K, V)>);

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
    type Value = SortedMap<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = SortedMap::new();
        while let Some((key, value)) = access.next_entry()? {
            map.insert(key, value);
        }
        Ok(map)
    }
}

/// A set ordered by value, in one sorted `Vec`.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedSet<T> {
    /// Sorted, each value once.
    items: Vec<T>,
}

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<T: Ord> SortedSet<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item`; returns whether it was not there yet.
    pub fn insert(&mut self, item: T) -> bool {
        match self.items.binary_search(&item) {
            Ok(_) => false,
            Err(at) => {
                self.items.insert(at, item);
                true
            }
        }
    }

    /// Takes `item` out; returns whether it was there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        match self.items.binary_search_by(|held| held.borrow().cmp(item)) {
            Ok(at) => {
                self.items.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.items
            .binary_search_by(|held| held.borrow().cmp(item))
            .is_ok()
    }

    /// Keeps the items for which `keep` says yes.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

impl<T> SortedSet<T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(item);
        }
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut set = Self::new();
        set.extend(items);
        set
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for SortedSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// A small deterministic generator, so the tests need no crate.
    fn numbers(seed: u64, count: usize) -> Vec<u64> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 33) % 50
            })
            .collect()
    }

    #[test]
    fn the_map_does_what_a_btree_map_does() {
        let mut ours = SortedMap::new();
        let mut std = BTreeMap::new();
        for (step, n) in numbers(7, 2_000).into_iter().enumerate() {
            match step % 5 {
                0 | 1 => assert_eq!(ours.insert(n, step), std.insert(n, step)),
                2 => assert_eq!(ours.remove(&n), std.remove(&n)),
                3 => {
                    assert_eq!(ours.get(&n), std.get(&n));
                    assert_eq!(ours.contains_key(&n), std.contains_key(&n));
                }
                _ => {
                    ours.retain(|k, v| !(k + *v as u64).is_multiple_of(7));
                    std.retain(|k, v| !(k + *v as u64).is_multiple_of(7));
                }
            }
            assert_eq!(ours.len(), std.len());
            assert_eq!(ours.first_key_value(), std.first_key_value());
        }
        assert!(ours.iter().eq(std.iter()));
        assert!(ours.values().eq(std.values()));
        assert!(ours.keys().eq(std.keys()));
        ours.clear();
        assert!(ours.is_empty());
    }

    #[test]
    fn the_set_does_what_a_btree_set_does() {
        let mut ours = SortedSet::new();
        let mut std = BTreeSet::new();
        for (step, n) in numbers(11, 2_000).into_iter().enumerate() {
            match step % 4 {
                0 | 1 => assert_eq!(ours.insert(n), std.insert(n)),
                2 => assert_eq!(ours.remove(&n), std.remove(&n)),
                _ => {
                    assert_eq!(ours.contains(&n), std.contains(&n));
                    ours.retain(|k| k % 9 != step as u64 % 9);
                    std.retain(|k| k % 9 != step as u64 % 9);
                }
            }
            assert_eq!(ours.len(), std.len());
        }
        assert!(ours.iter().eq(std.iter()));
    }

    #[test]
    fn later_values_win_when_extending_and_collecting() {
        let entries = [("b", 1), ("a", 2), ("b", 3)];
        let ours: SortedMap<&str, i32> = entries.into_iter().collect();
        let std: BTreeMap<&str, i32> = entries.into_iter().collect();
        assert!(ours.iter().eq(std.iter()));
        let set: SortedSet<&str> = ["b", "a", "b"].into_iter().collect();
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn string_keys_are_found_by_str() {
        let mut map = SortedMap::new();
        map.insert("bob".to_owned(), 1);
        assert_eq!(map.get("bob"), Some(&1));
        assert_eq!(map.remove("bob"), Some(1));
        let mut set = SortedSet::new();
        set.insert("bob".to_owned());
        assert!(set.contains("bob"));
    }

    #[test]
    fn the_map_reads_and_writes_json_like_a_btree_map() {
        let mut std = BTreeMap::new();
        std.insert("room-lobby".to_owned(), "hi".to_owned());
        std.insert("dm-bob".to_owned(), "yo".to_owned());
        let ours: SortedMap<String, String> = std.clone().into_iter().collect();
        let json = serde_json::to_string(&ours).unwrap();
        assert_eq!(json, serde_json::to_string(&std).unwrap());
        let back: SortedMap<String, String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ours);
        assert!(serde_json::from_str::<SortedMap<String, String>>("[1]").is_err());
    }
}
