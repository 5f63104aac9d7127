//! When users who just went offline were last seen, kept in memory until the store surely has
//! it.
//!
//! The node where a user's last connection closes announces it at once (a `presence` frame
//! with `last_seen`, and the bus's `Offline` event for the other nodes) and stores the time
//! afterwards (`Store::set_last_seen`). A welcome or a `conversations` page read from the
//! store in between would say an older time, or none, and nothing would correct it later.
//! So the hub remembers each departure it hears of for [`KEEP`], longer than any store write
//! may take, and those answers take the later of the two times ([`Hub::recent_last_seen`]).
//! The `presence` frame's `last_seen` is read from here too.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use shared::{ConversationInfo, Target, UserName};

use super::Hub;

/// How long a departure is remembered: more than the longest store timeout in use.
pub(super) const KEEP: Duration = Duration::from_secs(120);
/// At most this many departures are remembered (about 64 bytes each); past it the oldest
/// is forgotten first.
pub(super) const MOST: usize = 65_536;

/// Recent departures, by name key.
#[derive(Debug, Default)]
pub(super) struct Departures {
    /// When each user was last seen (ms since the Unix epoch), and when that was heard.
    seen: HashMap<String, (u64, Instant)>,
    /// The same departures, oldest heard first: what to forget, and when.
    order: VecDeque<(Instant, String)>,
}

impl Departures {
    /// Remembers that the user with name key `key` was last seen `at`, heard `now`.
    pub(super) fn record(&mut self, key: String, at: u64, now: Instant) {
        self.forget_old(now);
        while self.order.len() >= MOST {
            self.forget_oldest();
        }
        let entry = self.seen.entry(key.clone()).or_insert((at, now));
        *entry = (entry.0.max(at), now);
        self.order.push_back((now, key));
    }

    /// Forgets when the user with name key `key` was last seen: they went offline again
    /// somewhere that did not say when.
    pub(super) fn forget(&mut self, key: &str) {
        self.seen.remove(key);
    }

    /// When the user with name key `key` was last seen, if that was heard within [`KEEP`].
    pub(super) fn get(&self, key: &str, now: Instant) -> Option<u64> {
        let (at, heard) = self.seen.get(key)?;
        (now.duration_since(*heard) < KEEP).then_some(*at)
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .order
            .front()
            .is_some_and(|(heard, _)| now.duration_since(*heard) >= KEEP)
        {
            self.forget_oldest();
        }
    }

    /// Drops the oldest entry of `order`, and its user's time unless heard again since.
    fn forget_oldest(&mut self) {
        let Some((heard, key)) = self.order.pop_front() else {
            return;
        };
        if self.seen.get(&key).is_some_and(|(_, last)| *last == heard) {
            self.seen.remove(&key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

impl Hub {
    /// Sets each private conversation's `last_seen` to the later of the stored time and a
    /// departure this node heard of recently (see the module's comment).
    pub fn recent_last_seen(&self, conversations: &mut [ConversationInfo]) {
        let state = self.state();
        if state.departures.seen.is_empty() {
            return;
        }
        let now = Instant::now();
        for info in conversations {
            let Target::User { to } = &info.target else {
                continue;
            };
            let Ok(name) = UserName::parse(to) else {
                continue;
            };
            if let Some(at) = state.departures.get(&name.key(), now) {
                info.last_seen = Some(info.last_seen.map_or(at, |stored| stored.max(at)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_departure_is_remembered_for_a_while_and_the_later_time_wins() {
        let start = Instant::now();
        let mut departures = Departures::default();
        departures.record("alice".into(), 2_000, start);
        departures.record("alice".into(), 1_000, start + Duration::from_secs(1));
        assert_eq!(departures.get("alice", start), Some(2_000));
        assert_eq!(departures.get("bob", start), None);
        // Heard again at +1 s: kept until +1 s + KEEP, not forgotten with the first entry.
        departures.record("carol".into(), 5, start + KEEP);
        assert_eq!(departures.get("alice", start + KEEP), Some(2_000));
        assert_eq!(departures.len(), 2);
        let later = start + KEEP + Duration::from_secs(1);
        assert_eq!(departures.get("alice", later), None);
        departures.record("dave".into(), 6, later);
        assert_eq!(departures.len(), 2, "alice forgotten, carol and dave kept");
    }

    #[test]
    fn at_most_so_many_are_remembered_the_oldest_forgotten_first() {
        let now = Instant::now();
        let mut departures = Departures::default();
        for i in 0..MOST + 10 {
            departures.record(format!("user{i}"), 1, now);
        }
        assert_eq!(departures.len(), MOST);
        assert_eq!(departures.get("user9", now), None);
        assert_eq!(departures.get("user10", now), Some(1));
    }
}
