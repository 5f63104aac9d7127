//! Durable sends on shared PostgreSQL: acknowledgements per second with 1, 2, … nodes storing
//! into one database (ours only). The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

use super::ramp::Ramp;

/// A step is sustained only with a p99 below this (the durable-send scenario's limit).
pub const P99_LIMIT_MS: f64 = super::acks::P99_LIMIT_MS;

/// The scenario: one ramp per cluster size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stores {
    /// Clients in all, each in a room of its own, spread evenly over the nodes.
    pub clients: usize,
    pub runs: Vec<Run>,
}

/// One cluster size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub nodes: usize,
    pub ramp: Ramp,
}

impl Stores {
    /// The highest sustained acknowledgements per second with `nodes` nodes.
    pub fn sustained(&self, nodes: usize) -> Option<f64> {
        self.runs
            .iter()
            .find(|r| r.nodes == nodes)
            .and_then(|r| r.ramp.sustained())
            .map(|s| s.achieved)
    }
}
