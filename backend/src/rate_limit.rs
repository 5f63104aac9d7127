//! A token bucket: `burst` frames at once, refilled at `rate` frames per second; and
//! [`Budgets`], the three buckets all of a user's connections draw on (frames, notices,
//! searches), under one lock, so that they take one allocation per user.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// One bucket. Its rate and burst are kept as the integers they are given as (converted for
/// the arithmetic, exactly), so that three of them fit in 96 bytes.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last: Instant,
    capacity: u32,
    per_sec: u32,
}

impl TokenBucket {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        let capacity = burst.max(1);
        Self {
            tokens: f64::from(capacity),
            last: Instant::now(),
            capacity,
            per_sec,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens =
            (self.tokens + elapsed * f64::from(self.per_sec)).min(f64::from(self.capacity));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Which of a user's budgets a frame draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Every frame but the notices.
    Frames = 0,
    /// `typing` notices and `activity` frames, apart from the others.
    Notices = 1,
    /// Searches, besides the frames'.
    Searches = 2,
}

/// A user's three buckets, drawn on by all of their connections: taken under one lock held
/// only for the arithmetic.
#[derive(Debug)]
pub struct Budgets {
    buckets: Mutex<[TokenBucket; 3]>,
}

impl Budgets {
    /// Buckets for frames, notices and searches, each given as (per second, burst).
    pub fn new(frames: (u32, u32), notices: (u32, u32), searches: (u32, u32)) -> Self {
        let bucket = |(per_sec, burst)| TokenBucket::new(per_sec, burst);
        Self {
            buckets: Mutex::new([bucket(frames), bucket(notices), bucket(searches)]),
        }
    }

    /// Takes one token from `which` if it has one.
    pub fn try_take(&self, which: Budget) -> bool {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)[which as usize].try_take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3);
        assert!((0..3).all(|_| bucket.try_take_at(start)));
        assert!(!bucket.try_take_at(start));
        // 10 per second: one token back after 100 ms, not before.
        assert!(!bucket.try_take_at(start + Duration::from_millis(50)));
        assert!(bucket.try_take_at(start + Duration::from_millis(101)));
        assert!(!bucket.try_take_at(start + Duration::from_millis(102)));
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.try_take_at(later)));
        assert!(!bucket.try_take_at(later));
    }

    #[test]
    fn a_users_budgets_are_apart() {
        let budgets = Budgets::new((0, 2), (0, 1), (0, 3));
        assert!((0..2).all(|_| budgets.try_take(Budget::Frames)));
        assert!(!budgets.try_take(Budget::Frames));
        assert!(budgets.try_take(Budget::Notices));
        assert!(!budgets.try_take(Budget::Notices));
        assert!((0..3).all(|_| budgets.try_take(Budget::Searches)));
        assert!(!budgets.try_take(Budget::Searches));
    }
}
