//! Summary rows of the durable sends on shared PostgreSQL: ours only, the peers store nothing.

use crate::report::format::{ms, per_s};
use crate::results::stores::P99_LIMIT_MS;
use crate::results::Results;

use super::Row;

/// The rows: the sustained acknowledgements per second and their p99, per cluster size.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let s = "Durable sends, PostgreSQL";
    let na = "not applicable (nothing stored)";
    match &results.stores {
        None => {}
        Some(Err(_)) => rows.push(Row::ours_only(
            s,
            "What is measured".to_owned(),
            "failed (see below)".to_owned(),
            na,
        )),
        Some(Ok(x)) => {
            for run in &x.runs {
                let sustained = run.ramp.sustained();
                rows.push(Row::ours_only(
                    s,
                    format!(
                        "{} node(s) sharing PostgreSQL: sustained acks/s (p99 < {P99_LIMIT_MS} \
                         ms, none lost), and its p99",
                        run.nodes
                    ),
                    sustained.map_or_else(
                        || "none".to_owned(),
                        |st| format!("{} (p99 {})", per_s(st.achieved), ms(st.latency.p99_ms)),
                    ),
                    na,
                ));
            }
        }
    }
}
