//! Summary rows of the fan-out scenario: sustained and peak deliveries per second, latency and
//! CPU at the highest rate both servers sustained and at each one's own.

use crate::report::format::{count, ms, per_s, thousands, us};
use crate::results::fanout;
use crate::results::ramp::{Ramp, Step};
use crate::results::Results;

use super::{lost_sustained, row, step_row, Better, Row};

/// The fan-out rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let f = &results.fanout;
    let (fo, fno) = (f.ours().map(|x| &x.ramp), f.node().map(|x| &x.ramp));
    if f.ours.is_some() || f.node.is_some() {
        let clients = f.ours().or(f.node()).map_or(0, |x| x.clients);
        let s = "Fan-out";
        rows.push(row(
            s,
            format!(
                "Sustained deliveries/s ({clients} clients, p99 < {} ms, none lost)",
                fanout::P99_LIMIT_MS
            ),
            fo.and_then(|r| r.sustained()).map(|s| s.achieved),
            fno.and_then(|r| r.sustained()).map(|s| s.achieved),
            Better::Higher,
            per_s,
        ));
        rows.push(row(
            s,
            "Peak deliveries/s (any step)",
            fo.map(Ramp::peak),
            fno.map(Ramp::peak),
            Better::Higher,
            per_s,
        ));
        let saturated = |r: Option<&Ramp>| r.and_then(Ramp::generator_bound).map(|x| x.offered);
        if saturated(fo).is_some() || saturated(fno).is_some() {
            rows.push(row(
                s,
                "Offered deliveries/s from which the load generator was saturated (the server may do more)",
                saturated(fo),
                saturated(fno),
                Better::Neither,
                per_s,
            ));
        }
        if let Some(rate) = common_rate(fo, fno) {
            let at = |r: Option<&Ramp>| r.and_then(|r| r.at(rate)).cloned();
            let (o, n) = (at(fo), at(fno));
            let label = |what: &str| format!("{what} at {} deliveries/s", thousands(rate));
            rows.push(step_row(
                s,
                label("p50 latency"),
                o.as_ref(),
                n.as_ref(),
                |x| x.latency.p50_ms,
                ms,
            ));
            rows.push(step_row(
                s,
                label("p99 latency"),
                o.as_ref(),
                n.as_ref(),
                |x| x.latency.p99_ms,
                ms,
            ));
            rows.push(step_row(
                s,
                label("max latency"),
                o.as_ref(),
                n.as_ref(),
                |x| x.latency.max_ms,
                ms,
            ));
            rows.push(step_row(
                s,
                label("Server CPU per delivery"),
                o.as_ref(),
                n.as_ref(),
                |x| x.server_cpu_us_per_event,
                us,
            ));
        }
        let own =
            |r: Option<&Ramp>, pick: fn(&Step) -> f64| r.and_then(|r| r.sustained()).map(pick);
        rows.push(row(
            s,
            "p50 / p99 latency at its own highest sustained step: p50",
            own(fo, |x| x.latency.p50_ms),
            own(fno, |x| x.latency.p50_ms),
            Better::Neither,
            ms,
        ));
        rows.push(row(
            s,
            "… p99",
            own(fo, |x| x.latency.p99_ms),
            own(fno, |x| x.latency.p99_ms),
            Better::Neither,
            ms,
        ));
        rows.push(row(
            s,
            "… max",
            own(fo, |x| x.latency.max_ms),
            own(fno, |x| x.latency.max_ms),
            Better::Neither,
            ms,
        ));
        rows.push(row(
            s,
            "… server CPU per delivery",
            own(fo, |x| x.server_cpu_us_per_event),
            own(fno, |x| x.server_cpu_us_per_event),
            Better::Lower,
            us,
        ));
        rows.push(row(
            s,
            "Messages lost or late in sustained steps",
            fo.map(lost_sustained),
            fno.map(lost_sustained),
            Better::Neither,
            count,
        ));
        rows.push(row(
            s,
            "Deliveries not there 3 s after the first overloaded step",
            fo.and_then(overload).map(|x| x.lost as f64),
            fno.and_then(overload).map(|x| x.lost as f64),
            Better::Neither,
            count,
        ));
    }
}

/// The highest offered rate both ramps sustained (the common ground for latency and CPU).
fn common_rate(ours: Option<&Ramp>, node: Option<&Ramp>) -> Option<f64> {
    let (ours, node) = (ours?, node?);
    node.steps
        .iter()
        .filter(|s| s.sustained && ours.at(s.offered).is_some_and(|o| o.sustained))
        .map(|s| s.offered)
        .max_by(f64::total_cmp)
}

/// The first step past the sustained ones: the overload.
fn overload(ramp: &Ramp) -> Option<&Step> {
    ramp.steps.iter().find(|s| !s.sustained)
}
