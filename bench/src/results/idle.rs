//! Idle memory's figures: resident memory per idle signed-in connection.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

/// One measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    pub connections: usize,
    /// Connections per user.
    pub tabs: usize,
    pub rss_before: u64,
    pub rss_after: u64,
    pub bytes_per_connection: f64,
    /// Time to open them all.
    pub setup_s: f64,
    /// Server CPU time spent while they opened.
    pub setup_cpu_s: f64,
}

/// The scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Idle {
    /// One user per connection.
    pub distinct: Sample,
    /// 100 connections per user (ours only).
    pub tabs: Option<Sample>,
    /// One user per connection again, with more connections (absent from runs before it).
    #[serde(default)]
    pub more: Option<Sample>,
}

impl Idle {
    /// Resident bytes each connection past the first sample's added: what one more idle
    /// connection costs, without the fixed costs that the first sample spreads over its
    /// connections.
    pub fn marginal_bytes(&self) -> Option<f64> {
        let more = self.more.as_ref()?;
        let added = more.connections.checked_sub(self.distinct.connections)?;
        (added > 0).then(|| {
            (more.rss_after as f64 - more.rss_before as f64 - self.distinct.rss_after as f64
                + self.distinct.rss_before as f64)
                / added as f64
        })
    }
}
