//! A token bucket: `burst` frames at once, refilled at `rate` frames per second; and
//! [`SharedBucket`], one bucket drawn on by all of a user's connections.

use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        let capacity = f64::from(burst.max(1));
        Self {
            capacity,
            per_sec: f64::from(per_sec),
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A [`TokenBucket`] shared by several connections (a user's): cheap to clone, taken under
/// a lock held only for the arithmetic.
#[derive(Debug, Clone)]
pub struct SharedBucket {
    /// The one bucket.
    bucket: Arc<Mutex<TokenBucket>>,
}

impl SharedBucket {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        Self {
            bucket: Arc::new(Mutex::new(TokenBucket::new(per_sec, burst))),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&self) -> bool {
        self.bucket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .try_take()
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
}
