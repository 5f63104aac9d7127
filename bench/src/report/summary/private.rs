//! Summary rows of the private-message scenario: throughput and latency between random pairs,
//! then between contacts.

use crate::report::format::{ms, per_s, thousands, us};
use crate::results::private;
use crate::results::ramp::Ramp;
use crate::results::Results;

use super::{row, step_row, Better, Row};

/// The private-message rows, random pairs then contacts.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let p = &results.private;
    if p.ours.is_some() || p.node.is_some() {
        let s = "Private messages";
        let (po, pn) = (p.ours().map(|x| &x.ramp), p.node().map(|x| &x.ramp));
        let users = p.ours().or(p.node()).map_or(0, |x| x.users);
        rows.push(row(
            s,
            format!(
                "Sustained messages/s ({users} users, p99 < {} ms, none lost)",
                private::P99_LIMIT_MS
            ),
            po.and_then(Ramp::sustained).map(|x| x.achieved),
            pn.and_then(Ramp::sustained).map(|x| x.achieved),
            Better::Higher,
            per_s,
        ));
        rows.push(row(
            s,
            "Peak messages/s",
            po.map(Ramp::peak),
            pn.map(Ramp::peak),
            Better::Higher,
            per_s,
        ));
        let saturated = |r: Option<&Ramp>| r.and_then(Ramp::generator_bound).map(|x| x.offered);
        if saturated(po).is_some() || saturated(pn).is_some() {
            rows.push(row(
                s,
                "Offered messages/s from which the load generator was saturated (the server may do more)",
                saturated(po),
                saturated(pn),
                Better::Neither,
                per_s,
            ));
        }
        let rate = private::TARGET_RATE;
        let at = |r: Option<&Ramp>| r.and_then(|r| r.at(rate)).cloned();
        let (o, n) = (at(po), at(pn));
        let label = |what: &str| format!("{what} at {} messages/s", thousands(rate));
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
            label("Server CPU per message"),
            o.as_ref(),
            n.as_ref(),
            |x| x.server_cpu_us_per_event,
            us,
        ));
        let (co, cn) = (
            p.ours().and_then(|x| x.contacts.as_ref()),
            p.node().and_then(|x| x.contacts.as_ref()),
        );
        if let Some(per_user) = co.or(cn).map(|c| c.per_user) {
            let (co, cn) = (co.map(|c| &c.ramp), cn.map(|c| &c.ramp));
            let between =
                |what: &str| format!("Between contacts ({per_user} each, both ways): {what}");
            rows.push(row(
                s,
                between(&format!(
                    "sustained messages/s (p99 < {} ms, none lost)",
                    private::P99_LIMIT_MS
                )),
                co.and_then(Ramp::sustained).map(|x| x.achieved),
                cn.and_then(Ramp::sustained).map(|x| x.achieved),
                Better::Higher,
                per_s,
            ));
            let (o, n) = (at(co), at(cn));
            rows.push(step_row(
                s,
                between(&label("p99 latency")),
                o.as_ref(),
                n.as_ref(),
                |x| x.latency.p99_ms,
                ms,
            ));
            rows.push(step_row(
                s,
                between(&label("server CPU per message")),
                o.as_ref(),
                n.as_ref(),
                |x| x.server_cpu_us_per_event,
                us,
            ));
        }
    }
}
