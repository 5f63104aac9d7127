//! How fast our messages go out: a token bucket a little inside the server's budget (as
//! `welcome.limits` announces it), so that sending quickly is paced rather than refused, and
//! the back-off after a `rate_limited` answer.

use crate::timeline::Millis;

/// Of the server's rate, the share our messages use: the rest is left for read markers,
/// history pages and joins, which count too.
const RATE_SHARE: f64 = 0.8;
/// The longest wait after a refusal, however many came in a row.
const MAX_HOLD_MS: Millis = 5_000;

/// A token bucket in page time, and the hold after a refusal.
#[derive(Debug, Clone)]
pub(super) struct Pacer {
    /// Tokens regained per millisecond.
    per_ms: f64,
    /// The most tokens held at once.
    capacity: f64,
    /// Tokens now (as of `last`).
    tokens: f64,
    /// When the tokens were last counted; `None` before the first use.
    last: Option<Millis>,
    /// Nothing goes out before this (after a `rate_limited` answer).
    hold_until: Millis,
    /// The server's own refill interval, the first wait after a refusal.
    step_ms: Millis,
    /// Refusals in a row: each doubles the wait.
    refusals: u32,
}

impl Default for Pacer {
    fn default() -> Self {
        let mut pacer = Self {
            per_ms: 0.0,
            capacity: 1.0,
            tokens: 1.0,
            last: None,
            hold_until: 0,
            step_ms: 100,
            refusals: 0,
        };
        // The protocol's defaults until a `welcome` says otherwise.
        pacer.set_limits(10, 20);
        pacer
    }
}

impl Pacer {
    /// The server's budget, from `welcome.limits`: `rate_per_sec` a second, bursts of `burst`.
    pub(super) fn set_limits(&mut self, rate_per_sec: u32, burst: u32) {
        let rate = f64::from(rate_per_sec.max(1));
        self.per_ms = (rate * RATE_SHARE).max(0.5) / 1000.0;
        self.capacity = (f64::from(burst) / 2.0).floor().max(1.0);
        self.tokens = if self.last.is_none() {
            self.capacity
        } else {
            self.tokens.min(self.capacity)
        };
        self.step_ms = (1000 / Millis::from(rate_per_sec.max(1))).max(1);
    }

    /// Whether a message may go now.
    pub(super) fn ready(&mut self, now: Millis) -> bool {
        if now < self.hold_until {
            return false;
        }
        self.refill(now);
        // A hair below one is one: the sums of small refills are not exact.
        self.tokens >= 1.0 - 1e-9
    }

    /// A message went.
    pub(super) fn spend(&mut self, now: Millis) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    /// The server answered a message: the refusals in a row are over.
    pub(super) fn accepted(&mut self) {
        self.refusals = 0;
    }

    /// The server refused a message for its rate: wait (twice as long each time in a row,
    /// at most [`MAX_HOLD_MS`]) with an empty bucket. Returns the refusals in a row.
    pub(super) fn refused(&mut self, now: Millis) -> u32 {
        let wait = self.step_ms.saturating_mul(2 << self.refusals.min(8));
        self.hold_until = now + wait.min(MAX_HOLD_MS);
        self.tokens = 0.0;
        self.last = Some(now);
        self.refusals += 1;
        self.refusals
    }

    /// When nothing may go before (for tests and the view).
    #[cfg(test)]
    pub(super) fn hold_until(&self) -> Millis {
        self.hold_until
    }

    fn refill(&mut self, now: Millis) {
        let elapsed = self.last.map_or(0, |last| now.saturating_sub(last));
        self.tokens = (self.tokens + elapsed as f64 * self.per_ms).min(self.capacity);
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_half_the_servers_then_four_fifths_of_its_rate() {
        let mut pacer = Pacer::default();
        pacer.set_limits(10, 20);
        let mut sent = 0;
        while pacer.ready(0) {
            pacer.spend(0);
            sent += 1;
        }
        assert_eq!(sent, 10);
        // 8 a second: one token every 125 ms.
        assert!(!pacer.ready(124));
        assert!(pacer.ready(125));
        pacer.spend(125);
        let mut in_a_second = 0;
        for t in 126..=1_125 {
            if pacer.ready(t) {
                pacer.spend(t);
                in_a_second += 1;
            }
        }
        assert_eq!(in_a_second, 8);
    }

    #[test]
    fn a_refusal_holds_everything_back_longer_each_time_in_a_row() {
        let mut pacer = Pacer::default();
        pacer.set_limits(10, 20);
        assert_eq!(pacer.refused(1_000), 1);
        assert_eq!(pacer.hold_until(), 1_200);
        assert!(!pacer.ready(1_199));
        assert!(pacer.ready(1_200));
        assert_eq!(pacer.refused(1_200), 2);
        assert_eq!(pacer.hold_until(), 1_600);
        for _ in 0..10 {
            pacer.refused(2_000);
        }
        assert_eq!(pacer.hold_until(), 2_000 + MAX_HOLD_MS);
        pacer.accepted();
        pacer.refused(10_000);
        assert_eq!(pacer.hold_until(), 10_200);
    }
}
