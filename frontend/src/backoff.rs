//! How long to wait before the next reconnection attempt: exponential back-off with jitter.
//!
//! The delay doubles from [`Backoff::BASE_MS`] up to [`Backoff::CAP_MS`], and each delay is
//! drawn from the upper half of its step (`step/2 ..= step`) so that many clients dropped by the
//! same server restart do not all come back in the same instant. The cap is small (2.5 s): a
//! server restart should cost a couple of seconds, not a long countdown; and the page tries at
//! once when it regains focus or the network comes back. The random number is passed in,
//! so the computation is deterministic under test.

/// The state of the back-off between two successful connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    /// The first step, in milliseconds.
    base_ms: u32,
    /// No step grows beyond this, in milliseconds.
    cap_ms: u32,
    /// Attempts made since the last [`Backoff::reset`]; the exponent of the next step.
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Self::BASE_MS, Self::CAP_MS)
    }
}

impl Backoff {
    /// The first step: a quarter of a second.
    pub const BASE_MS: u32 = 250;
    /// The largest step: two and a half seconds.
    pub const CAP_MS: u32 = 2_500;

    pub const fn new(base_ms: u32, cap_ms: u32) -> Self {
        Self {
            base_ms,
            cap_ms,
            attempt: 0,
        }
    }

    /// The delay before the next attempt, given `random` in `0.0..1.0`; counts the attempt.
    pub fn next_delay_ms(&mut self, random: f64) -> u32 {
        let step = self.step_ms();
        self.attempt = self.attempt.saturating_add(1);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let half = f64::from(step) / 2.0;
        // `half + random * half` lies in `half..=step`, so the cast cannot overflow.
        (half + random * half).round() as u32
    }

    /// The un-jittered step for the next attempt: `base * 2^attempt`, at most the cap.
    pub fn step_ms(&self) -> u32 {
        let factor = 1u64 << self.attempt.min(31);
        let step = u64::from(self.base_ms).saturating_mul(factor);
        step.min(u64::from(self.cap_ms)) as u32
    }

    /// Attempts made since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// A connection succeeded: start again from the smallest step.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let steps: Vec<u32> = (0..9)
            .map(|_| {
                let step = backoff.step_ms();
                backoff.next_delay_ms(1.0);
                step
            })
            .collect();
        assert_eq!(steps, [250, 500, 1000, 2000, 2500, 2500, 2500, 2500, 2500]);
        assert_eq!(backoff.attempt(), 9);
    }

    #[test]
    fn jitter_stays_within_the_upper_half_of_the_step() {
        let mut low = Backoff::default();
        let mut high = Backoff::default();
        for _ in 0..5 {
            let step = low.step_ms();
            let a = low.next_delay_ms(0.0);
            let b = high.next_delay_ms(0.999_999);
            assert_eq!(a, step / 2);
            assert!(b <= step && b > step * 9 / 10, "{b} for step {step}");
        }
    }

    #[test]
    fn odd_random_values_are_tamed() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.next_delay_ms(f64::NAN), 188);
        assert_eq!(backoff.next_delay_ms(-3.0), 250);
        assert_eq!(backoff.next_delay_ms(7.0), 1000);
    }

    #[test]
    fn a_server_restart_costs_at_most_a_couple_of_seconds_between_tries() {
        let mut backoff = Backoff::default();
        let delays: Vec<u32> = (0..50).map(|_| backoff.next_delay_ms(1.0)).collect();
        assert!(delays.iter().all(|&d| d <= 2_500), "{delays:?}");
        // Ten seconds down: at least five tries.
        let mut waited = 0;
        let tries = delays.iter().take_while(|&&d| {
            waited += d;
            waited <= 10_000
        });
        assert!(tries.count() >= 5);
    }

    #[test]
    fn many_attempts_do_not_overflow() {
        let mut backoff = Backoff::default();
        for _ in 0..200 {
            assert!(backoff.next_delay_ms(0.5) <= Backoff::CAP_MS);
        }
        assert_eq!(backoff.step_ms(), Backoff::CAP_MS);
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::default();
        backoff.next_delay_ms(0.5);
        backoff.next_delay_ms(0.5);
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert_eq!(backoff.step_ms(), Backoff::BASE_MS);
    }
}
