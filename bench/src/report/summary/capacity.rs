//! Summary rows of the capacity scenario: the largest room under the round-trip limit.

use crate::report::format::{count, ms, thousands};
use crate::results::capacity;
use crate::results::Results;

use super::{row, Better, Row};

/// The capacity rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let c = &results.capacity;
    if !c.ran() {
        return;
    }
    let s = "Capacity";
    let in_flight = c.ours().or(c.node()).or(c.bun()).map_or(4, |x| x.in_flight);
    rows.push(row(
        s,
        format!(
            "Largest room with p95 round trip ≤ {} ms ({in_flight} broadcasts in flight)",
            capacity::LIMIT_MS
        ),
        c.each(|x| x.largest_under.map(|v| v as f64)),
        Better::Higher,
        count,
    ));
    // At the largest room the weakest peer held: where all of them have a figure.
    let weakest = [c.node(), c.bun()]
        .into_iter()
        .flatten()
        .filter_map(|x| x.largest_under)
        .min();
    if let Some(size) = weakest {
        rows.push(row(
            s,
            format!("p95 round trip at {} members", thousands(size as f64)),
            c.each(|x| {
                x.steps
                    .iter()
                    .find(|st| st.size == size)
                    .map(|st| st.rtt.p95_ms)
            }),
            Better::Lower,
            ms,
        ));
    }
}
