//! The targets of the issue, and whether this run met them.

use super::format::{bytes, ms, per_s, sig, thousands};
use crate::results::capacity::Capacity;
use crate::results::private;
use crate::results::Results;

/// One target of the issue and whether it was met.
pub(super) struct Target {
    pub(super) what: String,
    pub(super) figure: String,
    pub(super) met: Option<bool>,
}

/// The durable-send target: acknowledged messages per second…
const DURABLE_ACKS: f64 = 20_000.0;
/// …with the p99 time to ack under this.
const DURABLE_P99_MS: f64 = 50.0;

/// Every target, measured or not.
pub(super) fn targets(results: &Results) -> Vec<Target> {
    let mut all = Vec::new();
    let f = &results.fanout;
    let ours = f
        .ours()
        .and_then(|x| x.ramp.sustained())
        .map(|s| s.achieved);
    let node = f
        .node()
        .and_then(|x| x.ramp.sustained())
        .map(|s| s.achieved);
    all.push(Target {
        what: "Fan-out: ≥ 10× the Node peer's sustained deliveries/s, p99 < 100 ms, 1,000 clients"
            .into(),
        figure: match (ours, node) {
            (Some(o), Some(n)) => format!("{} vs {} = {}×", per_s(o), per_s(n), sig(o / n)),
            _ => "not measured".into(),
        },
        met: ours.zip(node).map(|(o, n)| o >= 10.0 * n),
    });
    all.push(Target {
        what: "Fan-out: the 500,000 deliveries/s mark".into(),
        figure: ours.map_or_else(|| "not measured".into(), per_s),
        met: ours.map(|o| o >= 500_000.0),
    });
    let c = &results.capacity;
    let ours = c.ours().and_then(|x| x.largest_under);
    let node = c.node().and_then(|x| x.largest_under);
    all.push(Target {
        what: "Capacity: ≥ 2.5× the peer's room size".into(),
        figure: match (ours, node) {
            (Some(o), Some(n)) => {
                let top = if c.ours().is_some_and(Capacity::never_over) {
                    " (ours: the largest room tried, still under the limit: one process may \
                     hold at most 20,000 connections here)"
                } else {
                    ""
                };
                format!("{o} vs {n} = {}×{top}", sig(o as f64 / n as f64))
            }
            _ => "not measured".into(),
        },
        met: ours.zip(node).map(|(o, n)| o as f64 >= 2.5 * n as f64),
    });
    let i = &results.idle;
    let ours = i.ours().map(|x| x.distinct.bytes_per_connection);
    let node = i.node().map(|x| x.distinct.bytes_per_connection);
    all.push(Target {
        what: "Idle memory: ≤ the peer's per connection (10,000 connections)".into(),
        figure: match (ours, node) {
            (Some(o), Some(n)) => format!("{} vs {}", bytes(o), bytes(n)),
            _ => "not measured".into(),
        },
        met: ours.zip(node).map(|(o, n)| o <= n),
    });
    let step = results
        .private
        .ours()
        .and_then(|x| x.ramp.at(private::TARGET_RATE));
    all.push(Target {
        what: "Private messages: p99 < 5 ms at 10,000 messages/s".into(),
        figure: step.map_or_else(
            || "not measured".into(),
            |s| format!("p99 {} ({} late or lost)", ms(s.latency.p99_ms), s.lost),
        ),
        met: step.map(|s| s.latency.p99_ms < 5.0 && s.lost == 0),
    });
    // The durable target: 20,000 acknowledged, stored messages per second with the
    // p99 time to ack under 50 ms (stricter than a "sustained" step's 100 ms).
    if let Some(outcome) = &results.acks {
        let best = outcome.as_ref().ok().and_then(|a| {
            a.ramp
                .steps
                .iter()
                .filter(|s| s.lost == 0 && s.closed == 0 && s.latency.p99_ms < DURABLE_P99_MS)
                .max_by(|a, b| a.achieved.total_cmp(&b.achieved))
        });
        all.push(Target {
            what: format!(
                "Durable sends: ≥ {} acks/s (stored), p99 < {DURABLE_P99_MS} ms",
                thousands(DURABLE_ACKS)
            ),
            figure: match (outcome, best) {
                (Err(_), _) => "not measured".into(),
                (Ok(_), None) => format!("no step with p99 < {DURABLE_P99_MS} ms"),
                (Ok(_), Some(s)) => format!(
                    "{} with p99 {} (the highest such step)",
                    per_s(s.achieved),
                    ms(s.latency.p99_ms)
                ),
            },
            met: outcome
                .as_ref()
                .ok()
                .map(|a| a.stored && best.is_some_and(|s| s.achieved >= 0.99 * DURABLE_ACKS)),
        });
    }
    if let Some(Ok(x)) = &results.scaleout {
        let held = x.held.unwrap_or(0);
        all.push(Target {
            what: "Scale-out: more connections than one process may hold (20,000), with fan-out"
                .into(),
            figure: format!(
                "{} connections on {} nodes, {} sustained",
                thousands(held as f64),
                x.nodes,
                x.ramp
                    .sustained()
                    .map_or_else(|| "no step".to_owned(), |s| per_s(s.achieved))
            ),
            met: Some(held > 20_000 && x.ramp.sustained().is_some()),
        });
    }
    all.push(Target {
        what: "Connection rate: report".into(),
        figure: results
            .connect
            .ours()
            .map_or_else(|| "not measured".into(), |x| per_s(x.per_second)),
        met: None,
    });
    all
}
