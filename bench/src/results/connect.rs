//! Connection rate's figures: new authenticated connections per second and the time to each.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::latency::Latency;

/// The scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connect {
    pub count: usize,
    pub concurrency: usize,
    pub opened: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub elapsed_s: f64,
    pub per_second: f64,
    /// Time to open one connection.
    pub setup: Latency,
    /// Server CPU per connection.
    pub server_cpu_us_per_connection: f64,
}
