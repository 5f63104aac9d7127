//! Summary rows of the private-message scenario: throughput and latency between random pairs,
//! then between contacts.

use crate::report::format::{ms, per_s, thousands, us};
use crate::results::private;
use crate::results::ramp::Ramp;
use crate::results::Results;

use super::{row, step_row, steps_at, Better, Row, Three};

/// The private-message rows, random pairs then contacts.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let p = &results.private;
    if !p.ran() {
        return;
    }
    let s = "Private messages";
    let ramps = p.each(|x| Some(&x.ramp));
    let users = p.ours().or(p.node()).or(p.bun()).map_or(0, |x| x.users);
    let sustained = |ramps: &Three<&Ramp>| ramps.map(|r| r?.sustained().map(|x| x.achieved));
    rows.push(row(
        s,
        format!(
            "Sustained messages/s ({users} users, p99 < {} ms, none lost)",
            private::P99_LIMIT_MS
        ),
        sustained(&ramps),
        Better::Higher,
        per_s,
    ));
    rows.push(row(
        s,
        "Peak messages/s",
        ramps.map(|r| r.map(Ramp::peak)),
        Better::Higher,
        per_s,
    ));
    let saturated = ramps.map(|r| r?.generator_bound().map(|x| x.offered));
    if saturated.iter().any(Option::is_some) {
        rows.push(row(
            s,
            "Offered messages/s from which the load generator was saturated (the server may do more)",
            saturated,
            Better::Neither,
            per_s,
        ));
    }
    let rate = private::TARGET_RATE;
    let at = steps_at(&ramps, rate);
    let label = |what: &str| format!("{what} at {} messages/s", thousands(rate));
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
        label("Server CPU per message"),
        &at,
        |x| x.server_cpu_us_per_event,
        us,
    ));
    let contacts = p.each(|x| x.contacts.as_ref());
    if let Some(per_user) = contacts.iter().flatten().map(|c| c.per_user).next() {
        let ramps = contacts.map(|c| c.map(|c| &c.ramp));
        let between = |what: &str| format!("Between contacts ({per_user} each, both ways): {what}");
        rows.push(row(
            s,
            between(&format!(
                "sustained messages/s (p99 < {} ms, none lost)",
                private::P99_LIMIT_MS
            )),
            sustained(&ramps),
            Better::Higher,
            per_s,
        ));
        let at = steps_at(&ramps, rate);
        rows.push(step_row(
            s,
            between(&label("p99 latency")),
            &at,
            |x| x.latency.p99_ms,
            ms,
        ));
        rows.push(step_row(
            s,
            between(&label("server CPU per message")),
            &at,
            |x| x.server_cpu_us_per_event,
            us,
        ));
    }
}
