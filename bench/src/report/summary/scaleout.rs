//! Summary rows of the scale-out scenario: ours only, the peers have no multi-node mode.

use crate::report::format::{bytes, count, ms, per_s, secs, thousands};
use crate::results::scaleout;
use crate::results::Results;

use super::{lost_sustained, Row};

/// The scale-out rows: ours only, the peers have no multi-node mode.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let s = "Scale-out";
    let na = "not applicable (no multi-node mode)";
    let mut text = |figure: String, ours: String| {
        rows.push(Row::ours_only(s, figure, ours, na));
    };
    let x = match (&results.scaleout, &results.scaleout_skipped) {
        (Some(Ok(x)), _) => x,
        (Some(Err(_)), _) => {
            text(
                "What is measured".to_owned(),
                "failed (see below)".to_owned(),
            );
            return;
        }
        (None, Some(reason)) => {
            text("What is measured".to_owned(), format!("skipped: {reason}"));
            return;
        }
        (None, None) => return,
    };
    text(
        "What is measured".to_owned(),
        format!(
            "{} nodes on one core, PostgreSQL + Redis, all in `lobby`",
            x.nodes
        ),
    );
    text(
        format!(
            "Connections held, all nodes (opened as {} users × {})",
            thousands((x.connections / x.tabs.max(1)) as f64),
            x.tabs
        ),
        x.held
            .map_or_else(|| "–".to_owned(), |h| thousands(h as f64)),
    );
    text(
        "Connections held per node".to_owned(),
        x.node
            .iter()
            .map(|n| {
                format!(
                    "{} {}",
                    n.id,
                    n.connections
                        .map_or_else(|| "?".to_owned(), |c| thousands(c as f64))
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    text(
        "Time to sign them all in (all nodes' CPU)".to_owned(),
        format!("{} ({} CPU)", secs(x.setup_s), secs(x.setup_cpu_s)),
    );
    let sustained = x.ramp.sustained();
    text(
        format!(
            "Sustained deliveries/s (p99 < {} ms, none lost)",
            scaleout::P99_LIMIT_MS
        ),
        sustained.map_or_else(|| "none".to_owned(), |s| per_s(s.achieved)),
    );
    text(
        "Peak deliveries/s (any step)".to_owned(),
        per_s(x.ramp.peak()),
    );
    if let Some(st) = sustained {
        text(
            "p50 / p99 / max latency at the highest sustained step".to_owned(),
            format!(
                "{} / {} / {}",
                ms(st.latency.p50_ms),
                ms(st.latency.p99_ms),
                ms(st.latency.max_ms)
            ),
        );
    }
    text(
        "Messages lost or late in sustained steps".to_owned(),
        count(lost_sustained(&x.ramp)),
    );
    text(
        "RSS per node with everyone signed in".to_owned(),
        x.node
            .iter()
            .map(|n| format!("{} {}", n.id, bytes(n.rss_signed_in as f64)))
            .collect::<Vec<_>>()
            .join(", "),
    );
}
