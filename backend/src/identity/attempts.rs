//! Attempt limits: how often a name may be guessed at, how often one client address may try
//! passwords, and how often it may create accounts.
//!
//! Each is a token bucket per key (a name; an address, IPv6 by its /64): `burst` attempts at
//! once, then `per_hour`. Every attempt takes a token before the password is checked, so
//! attempts sent in parallel count too; a sign-in that succeeds, or a creation that creates
//! nothing, gives it back. Each table holds at most `table_size` keys and forgets the oldest
//! first: an evicted key starts again full, as if never seen.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::cidr::canonical;

/// One limit: `burst` at once, then `per_hour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub burst: u32,
    pub per_hour: u32,
}

/// The limits in force.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    /// Password attempts against one name, from anywhere.
    pub per_name: Limit,
    /// Password attempts from one client address, on any name.
    pub per_address: Limit,
    /// Accounts created from one client address.
    pub creations: Limit,
    /// Keys each table holds at most.
    pub table_size: usize,
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

/// The tokens one attempt took, to give back when it turns out not to count.
#[derive(Debug)]
pub struct Taken {
    name: Option<String>,
    address: Option<IpAddr>,
    creation: Option<IpAddr>,
}

/// The three tables. Each lock is held for a few map operations, never across an `.await`.
#[derive(Debug)]
pub struct Attempts {
    limits: AttemptLimits,
    names: Mutex<Table<String>>,
    addresses: Mutex<Table<IpAddr>>,
    creations: Mutex<Table<IpAddr>>,
}

impl Attempts {
    pub fn new(limits: AttemptLimits) -> Self {
        Self {
            limits,
            names: Mutex::new(Table::new(limits.table_size)),
            addresses: Mutex::new(Table::new(limits.table_size)),
            creations: Mutex::new(Table::new(limits.table_size)),
        }
    }

    /// Takes a password attempt on the name `name_key` from `address`: both its name's and its
    /// address's bucket must have a token, and then both lose one.
    pub fn sign_in(&self, name_key: &str, address: IpAddr) -> Result<Taken, Refused> {
        let address = address_key(address);
        let now = Instant::now();
        let mut names = lock(&self.names);
        let mut addresses = lock(&self.addresses);
        let name_wait = names.wait(name_key, self.limits.per_name, now);
        let address_wait = addresses.wait(&address, self.limits.per_address, now);
        if let Some(retry_after) = name_wait.max(address_wait) {
            return Err(Refused { retry_after });
        }
        names.take(name_key.to_owned(), self.limits.per_name, now);
        addresses.take(address, self.limits.per_address, now);
        Ok(Taken {
            name: Some(name_key.to_owned()),
            address: Some(address),
            creation: None,
        })
    }

    /// Takes an account creation from `address`.
    pub fn create(&self, address: IpAddr) -> Result<Taken, Refused> {
        let address = address_key(address);
        let now = Instant::now();
        let mut creations = lock(&self.creations);
        if let Some(retry_after) = creations.wait(&address, self.limits.creations, now) {
            return Err(Refused { retry_after });
        }
        creations.take(address, self.limits.creations, now);
        Ok(Taken {
            name: None,
            address: None,
            creation: Some(address),
        })
    }

    /// Gives back what `taken` took: the attempt did not count.
    pub fn give_back(&self, taken: Taken) {
        let now = Instant::now();
        if let Some(name) = taken.name {
            lock(&self.names).give_back(&name, self.limits.per_name, now);
        }
        if let Some(address) = taken.address {
            lock(&self.addresses).give_back(&address, self.limits.per_address, now);
        }
        if let Some(address) = taken.creation {
            lock(&self.creations).give_back(&address, self.limits.creations, now);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding it leaves counters only: still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The key an address is counted under: IPv4 as is, IPv6 by its /64 (one subscriber's
/// network), an IPv4-mapped IPv6 address as its IPv4 address.
pub fn address_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

/// A token bucket; a missing one is full.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limit: Limit, now: Instant) -> Self {
        Self {
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    fn refill(&mut self, limit: Limit, now: Instant) {
        let per_sec = f64::from(limit.per_hour) / 3600.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(f64::from(limit.burst));
        self.at = now;
    }

    /// How long until a token is there, or `None` when one is.
    fn wait(&self, limit: Limit) -> Option<Duration> {
        if self.tokens >= 1.0 {
            return None;
        }
        let per_sec = f64::from(limit.per_hour.max(1)) / 3600.0;
        let secs = ((1.0 - self.tokens) / per_sec).ceil().max(1.0);
        Some(Duration::from_secs_f64(secs))
    }
}

/// Buckets by key, at most `size` of them, the oldest forgotten first.
#[derive(Debug)]
struct Table<K> {
    size: usize,
    buckets: HashMap<K, Bucket>,
    /// The keys in the order they were added: the front is evicted first.
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(size: usize) -> Self {
        Self {
            size: size.max(1),
            buckets: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn wait<Q>(&mut self, key: &Q, limit: Limit, now: Instant) -> Option<Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let bucket = self.buckets.get_mut(key)?;
        bucket.refill(limit, now);
        bucket.wait(limit)
    }

    fn take(&mut self, key: K, limit: Limit, now: Instant) {
        if !self.buckets.contains_key(&key) {
            while self.buckets.len() >= self.size {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                self.buckets.remove(&oldest);
            }
            self.order.push_back(key.clone());
            self.buckets.insert(key.clone(), Bucket::full(limit, now));
        }
        if let Some(bucket) = self.buckets.get_mut(&key) {
            bucket.refill(limit, now);
            bucket.tokens -= 1.0;
        }
    }

    fn give_back<Q>(&mut self, key: &Q, limit: Limit, now: Instant)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(bucket) = self.buckets.get_mut(key) {
            bucket.refill(limit, now);
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(limit.burst));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(size: usize) -> AttemptLimits {
        let limit = Limit {
            burst: 3,
            per_hour: 360,
        };
        AttemptLimits {
            per_name: limit,
            per_address: Limit {
                burst: 5,
                per_hour: 360,
            },
            creations: limit,
            table_size: size,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_name_is_refused_after_its_burst_with_a_wait() {
        let attempts = Attempts::new(limits(16));
        for _ in 0..3 {
            attempts.sign_in("alice", ip("192.0.2.1")).unwrap();
        }
        let refused = attempts.sign_in("alice", ip("192.0.2.2")).unwrap_err();
        // 360 an hour: one every 10 s.
        assert_eq!(refused.retry_after, Duration::from_secs(10));
        // Another name from another address is not affected.
        attempts.sign_in("bob", ip("192.0.2.3")).unwrap();
    }

    #[test]
    fn an_address_is_refused_after_its_burst_and_ipv6_counts_by_64() {
        let attempts = Attempts::new(limits(16));
        for i in 0..5 {
            attempts
                .sign_in(&format!("n{i}"), ip(&format!("2001:db8::{i}")))
                .unwrap();
        }
        assert!(attempts.sign_in("other", ip("2001:db8::ffff")).is_err());
        attempts.sign_in("other", ip("2001:db8:0:1::1")).unwrap();
    }

    #[test]
    fn giving_back_restores_the_token() {
        let attempts = Attempts::new(limits(16));
        for _ in 0..10 {
            let taken = attempts.sign_in("alice", ip("192.0.2.1")).unwrap();
            attempts.give_back(taken);
        }
        let taken = attempts.create(ip("192.0.2.1")).unwrap();
        attempts.give_back(taken);
        for _ in 0..3 {
            attempts.create(ip("192.0.2.1")).unwrap();
        }
        assert!(attempts.create(ip("192.0.2.1")).is_err());
    }

    #[test]
    fn the_table_forgets_the_oldest_key() {
        let attempts = Attempts::new(limits(2));
        for _ in 0..3 {
            attempts.create(ip("192.0.2.1")).unwrap();
        }
        assert!(attempts.create(ip("192.0.2.1")).is_err());
        attempts.create(ip("192.0.2.2")).unwrap();
        attempts.create(ip("192.0.2.3")).unwrap();
        let table = lock(&attempts.creations);
        assert_eq!(table.buckets.len(), 2);
        assert!(!table.buckets.contains_key(&ip("192.0.2.1")));
    }
}
