//! Per-user connection slots and the per-user rate budget.
//!
//! One token must not take every connection slot, and a rate limit must not multiply with the
//! number of connections. So the upgrade reserves a [`Slot`] for the user before it answers
//! 101: at most [`HubConfig::max_connections_per_user`](super::HubConfig) at once (on this
//! node), counted and checked in one step under the slots' own lock, released when the slot is
//! dropped (the connection ended, or the upgrade failed). Every slot of a user shares one
//! [`Budgets`]: the user's connections draw on one rate budget. `typing` notices draw on a
//! second, small budget of their own ([`TYPING_RATE`]), so that announcing typing never costs
//! a message its place. Searches spend a third ([`search_rate`]) besides the first.
//!
//! The map has a lock of its own, not the hub's: reserving a slot touches one entry and never
//! waits for fan-out. A user's entry (name key, count, budgets) is one allocation, shared by
//! the map and the user's slots: an idle connection pays for no copy of any of it.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use shared::UserName;

use crate::rate_limit::{Budget, Budgets};

/// The budget of `typing` notices per user: frames per second and burst. The hub forwards at
/// most one per 2 s per target anyway; this only bounds what a client may make it read.
pub const TYPING_RATE: (u32, u32) = (2, 10);

/// The budget of searches per user, from the frame budget (`rate_per_sec`, `burst`): a tenth
/// of its rate and a quarter of its burst, at least 1 a second and 5 at once (with the
/// defaults, 10 and 20: 1 and 5). A search reads the full-text index and the messages it finds,
/// far more than any other frame, so it has a budget of its own besides the frame budget.
pub fn search_rate(rate_per_sec: u32, burst: u32) -> (u32, u32) {
    ((rate_per_sec / 10).max(1), (burst / 4).max(5))
}

/// Every user's slots: how many of their connections are open (or being opened), and their
/// shared rate budget.
#[derive(Debug)]
pub(super) struct Slots {
    /// Users with at least one slot, found by name key.
    users: Mutex<HashSet<Entry>>,
    /// Connections one user may hold at once.
    max_per_user: usize,
    /// The rate budget a user's first slot starts with: frames per second and burst.
    rate: (u32, u32),
}

/// One user's entry: one allocation, which the map and every slot of the user share.
#[derive(Debug)]
struct UserSlots {
    /// The user's name key.
    key: Box<str>,
    /// Slots held: connections open or being opened. Changed only under the map's lock.
    held: AtomicUsize,
    /// The budgets all of them draw on: frames, `typing` notices, searches.
    budgets: Budgets,
}

/// A [`UserSlots`] in the map, found by its key.
#[derive(Debug)]
struct Entry(Arc<UserSlots>);

impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        &self.0.key
    }
}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.key.hash(state);
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for Entry {}

/// A connection slot of one user, held from before the upgrade until the connection ends.
#[derive(Debug)]
pub struct Slot {
    /// The map it was taken from, to give it back.
    slots: Arc<Slots>,
    /// The user's entry: their name key and shared budgets.
    user: Arc<UserSlots>,
}

/// Why no slot was reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{user_limit} connections of this user are open already")]
pub struct TooManyConnections {
    /// The limit in force.
    pub user_limit: usize,
}

impl Slots {
    pub(super) fn new(max_per_user: usize, rate_per_sec: u32, burst: u32) -> Self {
        Self {
            users: Mutex::default(),
            max_per_user: max_per_user.max(1),
            rate: (rate_per_sec, burst),
        }
    }

    fn users(&self) -> MutexGuard<'_, HashSet<Entry>> {
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves a slot for `name`, unless they hold every slot they may.
    pub(super) fn reserve(self: &Arc<Self>, name: &UserName) -> Result<Slot, TooManyConnections> {
        let key = name.key();
        let mut users = self.users();
        let user = match users.get(key.as_str()) {
            Some(entry) => entry.0.clone(),
            None => {
                let user = Arc::new(UserSlots {
                    key: key.into_boxed_str(),
                    held: AtomicUsize::new(0),
                    budgets: Budgets::new(
                        self.rate,
                        TYPING_RATE,
                        search_rate(self.rate.0, self.rate.1),
                    ),
                });
                users.insert(Entry(user.clone()));
                user
            }
        };
        let held = user.held.load(Ordering::Relaxed);
        if held >= self.max_per_user {
            return Err(TooManyConnections {
                user_limit: self.max_per_user,
            });
        }
        user.held.store(held + 1, Ordering::Relaxed);
        Ok(Slot {
            slots: self.clone(),
            user,
        })
    }

    /// Slots `name` holds now.
    pub(super) fn held(&self, name: &UserName) -> usize {
        self.users()
            .get(name.key().as_str())
            .map_or(0, |u| u.0.held.load(Ordering::Relaxed))
    }
}

impl Slot {
    /// Takes a token from one of the budgets this connection shares with its user's other
    /// connections (frames; `typing` notices, apart from them; searches, besides them).
    pub fn try_take(&self, which: Budget) -> bool {
        self.user.budgets.try_take(which)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut users = self.slots.users();
        let held = self.user.held.load(Ordering::Relaxed).saturating_sub(1);
        self.user.held.store(held, Ordering::Relaxed);
        if held == 0 {
            users.remove(&*self.user.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_at_most_the_limit_and_a_dropped_slot_is_given_back() {
        let slots = Arc::new(Slots::new(2, 10, 20));
        let alice = UserName::parse("Alice").unwrap();
        let bob = UserName::parse("bob").unwrap();
        let first = slots.reserve(&alice).unwrap();
        let _second = slots.reserve(&UserName::parse("alice").unwrap()).unwrap();
        assert_eq!(
            slots.reserve(&alice).unwrap_err(),
            TooManyConnections { user_limit: 2 }
        );
        // Another user is not affected.
        let _bob = slots.reserve(&bob).unwrap();
        drop(first);
        assert_eq!(slots.held(&alice), 1);
        assert!(slots.reserve(&alice).is_ok());
        // A user whose last slot is given back leaves the map.
        drop(_bob);
        assert_eq!(slots.held(&bob), 0);
        assert_eq!(slots.users().len(), 1);
    }

    #[test]
    fn a_users_slots_share_one_budget() {
        let slots = Arc::new(Slots::new(3, 0, 4));
        let alice = UserName::parse("alice").unwrap();
        let a = slots.reserve(&alice).unwrap();
        let b = slots.reserve(&alice).unwrap();
        let taken = (0..3).filter(|_| a.try_take(Budget::Frames)).count()
            + (0..3).filter(|_| b.try_take(Budget::Frames)).count();
        assert_eq!(taken, 4);
    }

    #[test]
    fn typing_has_a_budget_of_its_own() {
        let slots = Arc::new(Slots::new(3, 0, 2));
        let alice = UserName::parse("alice").unwrap();
        let a = slots.reserve(&alice).unwrap();
        let b = slots.reserve(&alice).unwrap();
        // Spending every typing token leaves the frames' budget whole.
        let typed = (0..20).filter(|_| a.try_take(Budget::Notices)).count()
            + (0..20).filter(|_| b.try_take(Budget::Notices)).count();
        assert_eq!(typed, TYPING_RATE.1 as usize);
        assert!(a.try_take(Budget::Frames) && b.try_take(Budget::Frames));
        assert!(!a.try_take(Budget::Frames));
    }
}
