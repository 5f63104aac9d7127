//! Fan-out's figures: deliveries per second into one room, step by step.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::ramp::Ramp;

/// A step is sustained only with a p99 below this.
pub const P99_LIMIT_MS: f64 = 100.0;

/// The scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fanout {
    pub clients: usize,
    pub senders: usize,
    /// Time to open the clients.
    pub setup_s: f64,
    pub ramp: Ramp,
}
