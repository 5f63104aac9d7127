//! Capacity's figures: the broadcast round trip at each room size, and the largest room under
//! the limit.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::latency::Latency;

/// The p95 round trip a room may take and still count.
pub const LIMIT_MS: f64 = 500.0;
/// One room size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub size: usize,
    pub broadcasts: u64,
    pub timeouts: u64,
    pub rtt: Latency,
    /// Frames per socket write on our server (`/metrics`) while measuring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_per_write: Option<f64>,
    /// Time to grow the room to this size, and for the server to go quiet after.
    pub grow_s: f64,
    pub settle_s: f64,
    /// The server's CPU time while measuring, per delivery of the broadcasts completed (absent
    /// from runs before it): how the cost of a delivery grows with the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us_per_delivery: Option<f64>,
}

impl Step {
    pub fn under(&self) -> bool {
        self.timeouts == 0 && self.rtt.p95_ms <= LIMIT_MS
    }
}

/// The whole scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Capacity {
    pub in_flight: usize,
    /// Connections per user (ours): the room is `size / tabs` users with `tabs` connections
    /// each, every connection a member that receives every broadcast.
    pub tabs: usize,
    pub steps: Vec<Step>,
    /// The largest room under the limit, before the first one over it.
    pub largest_under: Option<usize>,
    /// Why the growth stopped.
    pub stopped: String,
}

impl Capacity {
    /// Whether every room tried stayed under the limit: the capacity is at least the largest.
    pub fn never_over(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(Step::under)
    }
}
