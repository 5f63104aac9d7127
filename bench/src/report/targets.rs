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

/// The light-load steps of issue #25, in broadcasts per second to the fan-out room.
const LIGHT_BROADCASTS: [f64; 5] = [50.0, 200.0, 500.0, 1000.0, 2000.0];

/// Every target, measured or not.
pub(super) fn targets(results: &Results) -> Vec<Target> {
    let mut all = Vec::new();
    light_load(results, &mut all);
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
    for (name, peer) in [("Node", i.node()), ("Bun", i.bun())] {
        let ours = i.ours().map(|x| x.distinct.bytes_per_connection);
        let peer = peer.map(|x| x.distinct.bytes_per_connection);
        all.push(Target {
            what: format!("Idle memory: ≤ the {name} peer's per connection (first sample)"),
            figure: match (ours, peer) {
                (Some(o), Some(p)) => format!("{} vs {}", bytes(o), bytes(p)),
                _ => "not measured".into(),
            },
            met: ours.zip(peer).map(|(o, p)| o <= p),
        });
    }
    if let (Some(ours), Some(bun)) = (
        i.ours().and_then(|x| x.more.as_ref()),
        i.bun().and_then(|x| x.more.as_ref()),
    ) {
        all.push(Target {
            what: format!(
                "Idle memory: ≤ the Bun peer's per connection at {} connections",
                thousands(ours.connections as f64)
            ),
            figure: format!(
                "{} vs {}",
                bytes(ours.bytes_per_connection),
                bytes(bun.bytes_per_connection)
            ),
            met: Some(ours.bytes_per_connection <= bun.bytes_per_connection),
        });
    }
    private_top(results, &mut all);
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
    if let Some(Ok(x)) = &results.stores {
        let most = x.runs.iter().map(|r| r.nodes).max().unwrap_or(1);
        let (one, all_nodes) = (x.sustained(1), x.sustained(most));
        all.push(Target {
            what: format!(
                "Durable sends on PostgreSQL: {most} nodes store at least twice what one does"
            ),
            figure: match (one, all_nodes) {
                (Some(o), Some(a)) => format!("{} vs {} = {}×", per_s(a), per_s(o), sig(a / o)),
                _ => "not measured (no sustained step)".into(),
            },
            met: one.zip(all_nodes).map(|(o, a)| most > 1 && a >= 2.0 * o),
        });
    }
    let [ours, node, bun] = results.connect.each(|x| Some(per_s(x.per_second)));
    let none = || "–".to_owned();
    all.push(Target {
        what: "Connection rate: report".into(),
        figure: ours.map_or_else(
            || "not measured".into(),
            |o| {
                format!(
                    "{o} (Node {}, Bun {}: they sign no one in)",
                    node.unwrap_or_else(none),
                    bun.unwrap_or_else(none)
                )
            },
        ),
        met: None,
    });
    all
}

/// Issue #25's light load: at each of [`LIGHT_BROADCASTS`], our server's CPU per delivery is
/// no more than Bun's.
fn light_load(results: &Results, all: &mut Vec<Target>) {
    let f = &results.fanout;
    let (Some(ours), Some(bun)) = (f.ours(), f.bun()) else {
        all.push(Target {
            what: "Light load: CPU per delivery ≤ Bun's at 50 to 2,000 broadcasts/s".into(),
            figure: "not measured".into(),
            met: None,
        });
        return;
    };
    let per_message = ours.clients.saturating_sub(1) as f64;
    for broadcasts in LIGHT_BROADCASTS {
        let rate = broadcasts * per_message;
        let (o, b) = (ours.ramp.at(rate), bun.ramp.at(rate));
        all.push(Target {
            what: format!(
                "Light load: CPU per delivery ≤ Bun's at {} broadcasts/s",
                thousands(broadcasts)
            ),
            figure: match (o, b) {
                (Some(o), Some(b)) => format!(
                    "{} µs vs {} µs; p50 {} vs {}",
                    sig(o.server_cpu_us_per_event),
                    sig(b.server_cpu_us_per_event),
                    ms(o.latency.p50_ms),
                    ms(b.latency.p50_ms)
                ),
                _ => "not measured (no such step)".into(),
            },
            met: o.zip(b).map(|(o, b)| {
                o.sustained && o.server_cpu_us_per_event <= b.server_cpu_us_per_event
            }),
        });
    }
}

/// Issue #25's private messages: the highest rate ours sustains with a p99 under
/// [`private::TOP_P99_MS`] is above the highest the Node peer sustains.
fn private_top(results: &Results, all: &mut Vec<Target>) {
    let p = &results.private;
    let ours = p.ours().and_then(|x| {
        x.ramp
            .steps
            .iter()
            .filter(|s| s.sustained && s.latency.p99_ms < private::TOP_P99_MS)
            .max_by(|a, b| a.achieved.total_cmp(&b.achieved))
            .cloned()
    });
    let node = p.node().and_then(|x| x.ramp.sustained().cloned());
    all.push(Target {
        what: format!(
            "Private messages: more sustained than the Node peer, p99 < {} ms at the top",
            private::TOP_P99_MS
        ),
        figure: match (&ours, &node) {
            (Some(o), Some(n)) => format!(
                "{} (p99 {}) vs {}",
                per_s(o.achieved),
                ms(o.latency.p99_ms),
                per_s(n.achieved)
            ),
            _ => "not measured".into(),
        },
        met: ours
            .zip(node)
            .map(|(o, n)| o.achieved > n.achieved && o.latency.p99_ms < private::TOP_P99_MS),
    });
}
