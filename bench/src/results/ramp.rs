//! A ramp's figures, shared by fan-out, private messages, durable sends and scale-out: per
//! step the events offered and achieved, their latency, those lost and the server's CPU.
//! The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::latency::Latency;

/// One rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// Events per second offered.
    pub offered: f64,
    /// Messages sent per second, all senders together.
    pub send_rate: f64,
    pub sent: u64,
    pub expected: u64,
    pub received: u64,
    pub lost: u64,
    /// Events per second achieved.
    pub achieved: f64,
    pub latency: Latency,
    /// Server CPU time per event, and the share of its core it used.
    pub server_cpu_us_per_event: f64,
    pub server_cpu_share: f64,
    /// Share of its core the load generator used while sending.
    pub generator_cpu_share: f64,
    /// With several server processes (the nodes of a cluster): the share of a core each used,
    /// in node order. Empty for one process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_cpu_share: Vec<f64>,
    /// Connections the server cut (or lost) so far.
    pub closed: u64,
    /// Frames per socket write on our server (`/metrics`): how many frames shared a write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_per_write: Option<f64>,
    /// Whether the step was sustained.
    pub sustained: bool,
    /// Whether the load generator used [`GENERATOR_BOUND`] of its core or more: then it, not
    /// the server, may have been the limit.
    pub generator_bound: bool,
}

/// The share of its core above which the load generator may be what limits a step.
pub const GENERATOR_BOUND: f64 = 0.9;

/// All steps of one ramp.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ramp {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

impl Ramp {
    /// The highest sustained step.
    pub fn sustained(&self) -> Option<&Step> {
        self.steps
            .iter()
            .filter(|s| s.sustained)
            .max_by(|a, b| a.offered.total_cmp(&b.offered))
    }

    /// The most events per second achieved in any step.
    pub fn peak(&self) -> f64 {
        self.steps.iter().map(|s| s.achieved).fold(0.0, f64::max)
    }

    /// The first step whose load generator was saturated, if any.
    pub fn generator_bound(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.generator_bound)
    }

    /// The step offered `rate`, if it ran.
    pub fn at(&self, rate: f64) -> Option<&Step> {
        self.steps.iter().find(|s| (s.offered - rate).abs() < 0.5)
    }
}
