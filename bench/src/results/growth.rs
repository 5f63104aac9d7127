//! Growth's figures: how storing and reading history cost as the store fills, per engine
//! (ours only). The scenario of the same name measures them.

use serde::{Deserialize, Serialize};

/// The scenario: one curve per engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Growth {
    pub engines: Vec<Engine>,
}

/// One engine's curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Engine {
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// Messages stored per second while filling (all fills together).
    pub fill_rate: f64,
    pub points: Vec<Point>,
}

/// The figures with `messages` stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub messages: u64,
    /// One message at a time, each sent once the previous one's `ack` came: the time to the
    /// `ack` (stored).
    pub append_p50_ms: f64,
    pub append_p99_ms: f64,
    /// A page of 50 of a filled room's messages before a random id: the time to the answer.
    pub history_p50_ms: f64,
    pub history_p99_ms: f64,
    /// The database's bytes: SQLite's file (after a checkpoint), PostgreSQL's tables with
    /// their indexes and TOAST.
    pub database_bytes: u64,
}

impl Point {
    pub fn bytes_per_message(&self) -> f64 {
        self.database_bytes as f64 / self.messages.max(1) as f64
    }
}
