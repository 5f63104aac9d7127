//! Summary rows of the fan-out scenario: sustained and peak deliveries per second, latency and
//! CPU at the highest rate every server sustained and at each one's own.

use crate::report::format::{count, ms, per_s, thousands, us};
use crate::results::fanout;
use crate::results::ramp::{Ramp, Step};
use crate::results::Results;

use super::{common_rate, lost_sustained, row, step_row, steps_at, Better, Row};

/// The fan-out rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let f = &results.fanout;
    if !f.ran() {
        return;
    }
    let ramps = f.each(|x| Some(&x.ramp));
    let of = |pick: &dyn Fn(&Ramp) -> Option<f64>| ramps.map(|r| r.and_then(pick));
    let clients = f.ours().or(f.node()).or(f.bun()).map_or(0, |x| x.clients);
    let s = "Fan-out";
    rows.push(row(
        s,
        format!(
            "Sustained deliveries/s ({clients} clients, p99 < {} ms, none lost)",
            fanout::P99_LIMIT_MS
        ),
        of(&|r| r.sustained().map(|s| s.achieved)),
        Better::Higher,
        per_s,
    ));
    rows.push(row(
        s,
        "Peak deliveries/s (any step)",
        of(&|r| Some(r.peak())),
        Better::Higher,
        per_s,
    ));
    let saturated = of(&|r| r.generator_bound().map(|x| x.offered));
    if saturated.iter().any(Option::is_some) {
        rows.push(row(
            s,
            "Offered deliveries/s from which the load generator was saturated (the server may do more)",
            saturated,
            Better::Neither,
            per_s,
        ));
    }
    if let Some(rate) = common_rate(&ramps) {
        let at = steps_at(&ramps, rate);
        let label = |what: &str| format!("{what} at {} deliveries/s", thousands(rate));
        rows.push(step_row(
            s,
            label("p50 latency"),
            &at,
            |x| x.latency.p50_ms,
            ms,
        ));
        rows.push(step_row(
            s,
            label("p99 latency"),
            &at,
            |x| x.latency.p99_ms,
            ms,
        ));
        rows.push(step_row(
            s,
            label("max latency"),
            &at,
            |x| x.latency.max_ms,
            ms,
        ));
        rows.push(step_row(
            s,
            label("Server CPU per delivery"),
            &at,
            |x| x.server_cpu_us_per_event,
            us,
        ));
    }
    let own = |pick: fn(&Step) -> f64| of(&|r| r.sustained().map(pick));
    rows.push(row(
        s,
        "p50 / p99 latency at its own highest sustained step: p50",
        own(|x| x.latency.p50_ms),
        Better::Neither,
        ms,
    ));
    rows.push(row(
        s,
        "… p99",
        own(|x| x.latency.p99_ms),
        Better::Neither,
        ms,
    ));
    rows.push(row(
        s,
        "… max",
        own(|x| x.latency.max_ms),
        Better::Neither,
        ms,
    ));
    rows.push(row(
        s,
        "… server CPU per delivery",
        own(|x| x.server_cpu_us_per_event),
        Better::Lower,
        us,
    ));
    rows.push(row(
        s,
        "Messages lost or late in sustained steps",
        of(&|r| Some(lost_sustained(r))),
        Better::Neither,
        count,
    ));
    rows.push(row(
        s,
        "Deliveries not there 3 s after the first overloaded step",
        of(&|r| overload(r).map(|x| x.lost as f64)),
        Better::Neither,
        count,
    ));
}

/// The first step past the sustained ones: the overload.
fn overload(ramp: &Ramp) -> Option<&Step> {
    ramp.steps.iter().find(|s| !s.sustained)
}
