//! Summary rows of the capacity scenario: the largest room under the round-trip limit.

use crate::report::format::{count, ms, thousands};
use crate::results::capacity::{self, Capacity};
use crate::results::Results;

use super::{row, Better, Row};

/// The capacity rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let c = &results.capacity;
    if c.ours.is_some() || c.node.is_some() {
        let s = "Capacity";
        let in_flight = c.ours().or(c.node()).map_or(4, |x| x.in_flight);
        rows.push(row(
            s,
            format!(
                "Largest room with p95 round trip ≤ {} ms ({in_flight} broadcasts in flight)",
                capacity::LIMIT_MS
            ),
            c.ours().and_then(|x| x.largest_under).map(|v| v as f64),
            c.node().and_then(|x| x.largest_under).map(|v| v as f64),
            Better::Higher,
            count,
        ));
        if let (Some(o), Some(n)) = (c.ours(), c.node()) {
            if let Some(size) = n.largest_under {
                let at = |x: &Capacity| {
                    x.steps
                        .iter()
                        .find(|st| st.size == size)
                        .map(|st| st.rtt.p95_ms)
                };
                rows.push(row(
                    s,
                    format!("p95 round trip at {} members", thousands(size as f64)),
                    at(o),
                    at(n),
                    Better::Lower,
                    ms,
                ));
            }
        }
    }
}
