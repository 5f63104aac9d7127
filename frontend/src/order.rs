//! Stable sorting, with one copy of the sorting code for the whole client.
//!
//! `slice::sort_by_key` is generic over the items and the key: each call site with types of
//! its own compiled a copy of the standard library's stable sort, about 3.5 KB of wasm each.
//! [`sort_by_key`] computes the keys, sorts the positions `0..len` through one comparison that
//! is not generic, then puts the items in that order: the result of `sort_by_key`, with the
//! sort compiled once. (Collecting into a `BTreeSet` or `BTreeMap` sorts too: the client
//! keeps its small ordered collections in the sorted module's types instead.)

use std::cmp::Ordering;

/// Sorts `items` by `key`, keeping items with equal keys in their order (as `sort_by_key`
/// does). `key` is called once per item.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let keys: Vec<K> = items.iter().map(key).collect();
    let order = sorted_positions(keys.len(), &|a, b| keys[a].cmp(&keys[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|at| slots[at].take()));
}

/// The positions `0..len`, stably sorted by `compare`.
#[inline(never)]
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        let words = [
            "pear", "Fig", "apple", "fig", "Apple", "kiwi", "date", "PEAR", "", "b",
        ];
        let mut ours: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let mut std = ours.clone();
        sort_by_key(&mut ours, |w| w.to_ascii_lowercase());
        std.sort_by_key(|w| w.to_ascii_lowercase());
        assert_eq!(ours, std);
        assert_eq!(ours[..4], ["", "apple", "Apple", "b"]);
    }

    #[test]
    fn equal_keys_keep_their_order_and_nothing_is_lost() {
        let mut items: Vec<(u8, usize)> = (0..200).map(|at| ((at * 7 % 5) as u8, at)).collect();
        sort_by_key(&mut items, |&(key, _)| key);
        assert_eq!(items.len(), 200);
        assert!(items
            .windows(2)
            .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    }

    #[test]
    fn empty_and_single_lists_are_fine() {
        let mut none: Vec<u8> = Vec::new();
        sort_by_key(&mut none, |&n| n);
        assert!(none.is_empty());
        let mut one = vec![3];
        sort_by_key(&mut one, |&n| n);
        assert_eq!(one, [3]);
    }
}
