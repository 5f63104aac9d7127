//! Private messages' figures: messages per second between random pairs, then between contacts.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::ramp::Ramp;

/// A step is sustained only with a p99 below this.
pub const P99_LIMIT_MS: f64 = 100.0;
/// The rate of the target "p99 < 5 ms at 10,000 messages/s".
pub const TARGET_RATE: f64 = 10_000.0;
/// Issue #25: the highest rate ours sustains with a p99 under this must beat the Node peer's.
pub const TOP_P99_MS: f64 = 20.0;

/// The scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Private {
    pub users: usize,
    pub setup_s: f64,
    /// Each message to a random other user.
    pub ramp: Ramp,
    /// Each message to one of the sender's contacts (absent in results from before it).
    #[serde(default)]
    pub contacts: Option<Contacts>,
}

/// The part between contacts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contacts {
    /// Contacts per user; each conversation goes both ways.
    pub per_user: usize,
    pub ramp: Ramp,
}
