//! Durable sends' figures: acknowledgements per second and the time to each (ours only).
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::ramp::Ramp;

/// A step is sustained only with a p99 below this.
pub const P99_LIMIT_MS: f64 = 100.0;

/// The scenario for our server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acks {
    pub clients: usize,
    /// Whether acknowledged messages are stored before the `ack` (protocol 2 and later).
    pub stored: bool,
    pub ramp: Ramp,
}
