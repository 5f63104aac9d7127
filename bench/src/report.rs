//! How the results of a run are reported: a summary table on the console, and in
//! `docs/benchmarks.md` the machine, the summary with ratios, the targets, per-step tables and
//! the plots, all between the result markers, so the hand-written method and findings around
//! them survive a rerun. The raw figures also go to `docs/bench/results.json`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::plot;
use crate::proc::Busy;
use crate::progress::say;
use crate::results::capacity::{self, Capacity};
use crate::results::fanout;
use crate::results::private;
use crate::results::ramp::Ramp;
use crate::results::scaleout::{self, Scaleout};
use crate::results::{Both, Results};

/// Where the generated part of the report starts and ends.
pub const BEGIN: &str = "<!-- bench:results:begin -->";
pub const END: &str = "<!-- bench:results:end -->";

/// Which way a figure is better.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
    /// Not a contest (sizes of the setup).
    Neither,
}

/// One line of the summary.
struct Row {
    scenario: &'static str,
    figure: String,
    ours: String,
    node: String,
    ratio: String,
}

fn row(
    scenario: &'static str,
    figure: impl Into<String>,
    ours: Option<f64>,
    node: Option<f64>,
    better: Better,
    show: fn(f64) -> String,
) -> Row {
    let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), show);
    let ratio = match (ours, node, better) {
        (_, _, Better::Neither) => String::new(),
        (Some(o), Some(n), Better::Higher) => ratio_text(o, n),
        (Some(o), Some(n), Better::Lower) => ratio_text(n, o),
        _ => "–".to_owned(),
    };
    Row {
        scenario,
        figure: figure.into(),
        ours: cell(ours),
        node: cell(node),
        ratio,
    }
}

/// "x× better" when `good / bad` ≥ 1, "x× worse" otherwise.
fn ratio_text(good: f64, bad: f64) -> String {
    if good <= 0.0 || bad <= 0.0 || !good.is_finite() || !bad.is_finite() {
        return "–".to_owned();
    }
    let r = good / bad;
    if r >= 1.0 {
        format!("{}× better", sig(r))
    } else {
        format!("{}× worse", sig(1.0 / r))
    }
}

/// Three significant digits, no exponent.
fn sig(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// An integer with thousands separators.
fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn per_s(v: f64) -> String {
    format!("{}/s", thousands(v))
}

fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn secs(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0} s")
    } else {
        format!("{v:.1} s")
    }
}

fn us(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} ms", sig(v / 1e3))
    } else {
        format!("{} µs", sig(v))
    }
}

fn count(v: f64) -> String {
    thousands(v)
}

fn bytes(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1} MB", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1} KB", v / 1e3)
    } else {
        format!("{} B", thousands(v))
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
fn overload(ramp: &Ramp) -> Option<&crate::results::ramp::Step> {
    ramp.steps.iter().find(|s| !s.sustained)
}

fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
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
            rows.push(row(
                s,
                label("p50 latency"),
                o.as_ref().map(|x| x.latency.p50_ms),
                n.as_ref().map(|x| x.latency.p50_ms),
                Better::Lower,
                ms,
            ));
            rows.push(row(
                s,
                label("p99 latency"),
                o.as_ref().map(|x| x.latency.p99_ms),
                n.as_ref().map(|x| x.latency.p99_ms),
                Better::Lower,
                ms,
            ));
            rows.push(row(
                s,
                label("max latency"),
                o.as_ref().map(|x| x.latency.max_ms),
                n.as_ref().map(|x| x.latency.max_ms),
                Better::Lower,
                ms,
            ));
            rows.push(row(
                s,
                label("Server CPU per delivery"),
                o.as_ref().map(|x| x.server_cpu_us_per_event),
                n.as_ref().map(|x| x.server_cpu_us_per_event),
                Better::Lower,
                us,
            ));
        }
        let own = |r: Option<&Ramp>, pick: fn(&crate::results::ramp::Step) -> f64| {
            r.and_then(|r| r.sustained()).map(pick)
        };
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
    let i = &results.idle;
    if i.ours.is_some() || i.node.is_some() {
        let s = "Idle memory";
        let (io, ino) = (i.ours().map(|x| &x.distinct), i.node().map(|x| &x.distinct));
        let n = io.or(ino).map_or(0, |x| x.connections);
        rows.push(row(
            s,
            format!(
                "RSS per idle signed-in connection ({} connections, one user each)",
                thousands(n as f64)
            ),
            io.map(|x| x.bytes_per_connection),
            ino.map(|x| x.bytes_per_connection),
            Better::Lower,
            bytes,
        ));
        rows.push(row(
            s,
            "RSS with them open",
            io.map(|x| x.rss_after as f64),
            ino.map(|x| x.rss_after as f64),
            Better::Lower,
            bytes,
        ));
        rows.push(row(
            s,
            "RSS before (empty server)",
            io.map(|x| x.rss_before as f64),
            ino.map(|x| x.rss_before as f64),
            Better::Neither,
            bytes,
        ));
        rows.push(row(
            s,
            "Time to sign them all in",
            io.map(|x| x.setup_s),
            ino.map(|x| x.setup_s),
            Better::Lower,
            secs,
        ));
        rows.push(row(
            s,
            "Server CPU to sign them all in",
            io.map(|x| x.setup_cpu_s),
            ino.map(|x| x.setup_cpu_s),
            Better::Lower,
            secs,
        ));
        if let Some(t) = i.ours().and_then(|x| x.tabs.as_ref()) {
            rows.push(row(
                s,
                format!(
                    "RSS per connection as {} users × {} connections (no presence traffic)",
                    thousands((t.connections / t.tabs) as f64),
                    t.tabs
                ),
                Some(t.bytes_per_connection),
                ino.map(|x| x.bytes_per_connection),
                Better::Lower,
                bytes,
            ));
        }
    }
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
        rows.push(row(
            s,
            label("p50 latency"),
            o.as_ref().map(|x| x.latency.p50_ms),
            n.as_ref().map(|x| x.latency.p50_ms),
            Better::Lower,
            ms,
        ));
        rows.push(row(
            s,
            label("p99 latency"),
            o.as_ref().map(|x| x.latency.p99_ms),
            n.as_ref().map(|x| x.latency.p99_ms),
            Better::Lower,
            ms,
        ));
        rows.push(row(
            s,
            label("Server CPU per message"),
            o.as_ref().map(|x| x.server_cpu_us_per_event),
            n.as_ref().map(|x| x.server_cpu_us_per_event),
            Better::Lower,
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
            rows.push(row(
                s,
                between(&label("p99 latency")),
                o.as_ref().map(|x| x.latency.p99_ms),
                n.as_ref().map(|x| x.latency.p99_ms),
                Better::Lower,
                ms,
            ));
            rows.push(row(
                s,
                between(&label("server CPU per message")),
                o.as_ref().map(|x| x.server_cpu_us_per_event),
                n.as_ref().map(|x| x.server_cpu_us_per_event),
                Better::Lower,
                us,
            ));
        }
    }
    if let Some(outcome) = &results.acks {
        let s = "Durable sends";
        let a = outcome.as_ref().ok().map(|x| &x.ramp);
        rows.push(Row {
            scenario: s,
            figure: "What is measured".to_owned(),
            ours: if outcome.as_ref().is_ok_and(|a| !a.stored) {
                "acknowledged (not yet stored: history not implemented)".to_owned()
            } else {
                "stored, then acknowledged (durable)".to_owned()
            },
            node: "not applicable (no acknowledgements)".to_owned(),
            ratio: String::new(),
        });
        rows.push(row(
            s,
            "Sustained acks/s (p99 < 100 ms, none lost)",
            a.and_then(Ramp::sustained).map(|x| x.achieved),
            None,
            Better::Neither,
            per_s,
        ));
        let at = a.and_then(|r| r.at(private::TARGET_RATE));
        rows.push(row(
            s,
            format!(
                "p99 time to ack at {} messages/s",
                thousands(private::TARGET_RATE)
            ),
            at.map(|x| x.latency.p99_ms),
            None,
            Better::Neither,
            ms,
        ));
        rows.push(row(
            s,
            "p99 time to ack at the highest sustained rate",
            a.and_then(Ramp::sustained).map(|x| x.latency.p99_ms),
            None,
            Better::Neither,
            ms,
        ));
    }
    let k = &results.connect;
    if k.ours.is_some() || k.node.is_some() {
        let s = "Connection rate";
        rows.push(row(
            s,
            "New connections/s (ours: claim name + upgrade + welcome; Node: upgrade + online)",
            k.ours().map(|x| x.per_second),
            k.node().map(|x| x.per_second),
            Better::Higher,
            per_s,
        ));
        rows.push(row(
            s,
            "p50 time to connect",
            k.ours().map(|x| x.setup.p50_ms),
            k.node().map(|x| x.setup.p50_ms),
            Better::Lower,
            ms,
        ));
        rows.push(row(
            s,
            "p99 time to connect",
            k.ours().map(|x| x.setup.p99_ms),
            k.node().map(|x| x.setup.p99_ms),
            Better::Lower,
            ms,
        ));
        rows.push(row(
            s,
            "Server CPU per connection",
            k.ours().map(|x| x.server_cpu_us_per_connection),
            k.node().map(|x| x.server_cpu_us_per_connection),
            Better::Lower,
            us,
        ));
    }
    scaleout_rows(results, &mut rows);
    rows
}

/// The scale-out rows: ours only, the peer has no multi-node mode.
fn scaleout_rows(results: &Results, rows: &mut Vec<Row>) {
    let s = "Scale-out";
    let na = "not applicable (no multi-node mode)";
    let mut text = |figure: String, ours: String| {
        rows.push(Row {
            scenario: s,
            figure,
            ours,
            node: na.to_owned(),
            ratio: String::new(),
        });
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

fn lost_sustained(ramp: &Ramp) -> f64 {
    ramp.steps
        .iter()
        .filter(|s| s.sustained)
        .map(|s| s.lost as f64)
        .sum()
}

/// One target of the issue and whether it was met.
struct Target {
    what: String,
    figure: String,
    met: Option<bool>,
}

/// The durable-send target: acknowledged messages per second…
const DURABLE_ACKS: f64 = 20_000.0;
/// …with the p99 time to ack under this.
const DURABLE_P99_MS: f64 = 50.0;

fn targets(results: &Results) -> Vec<Target> {
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

/// The summary and the targets as plain text, for the console.
pub fn summary(results: &Results) -> String {
    let mut out = String::new();
    let rows = rows(results);
    let _ = writeln!(
        out,
        "{:<20} | {:<80} | {:>22} | {:>22} | Ours vs Node",
        "Scenario", "Figure", "Ours", "Node.js ws"
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "{:<20} | {:<80} | {:>22} | {:>22} | {}",
            r.scenario, r.figure, r.ours, r.node, r.ratio
        );
    }
    let _ = writeln!(out);
    for t in targets(results) {
        let met = match t.met {
            Some(true) => "MET",
            Some(false) => "NOT MET",
            None => "-",
        };
        let _ = writeln!(out, "{met:<8} {}: {}", t.what, t.figure);
    }
    for failure in results.failures() {
        let _ = writeln!(out, "FAILED   {failure}");
    }
    out
}

fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Scenario | Figure | Ours | Node.js ws | Ours vs Node |\n|---|---|--:|--:|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.scenario, r.figure, r.ours, r.node, r.ratio
        );
    }
    out
}

fn ramp_table(ramp: &Ramp, unit: &str) -> String {
    let mut out = format!(
        "| Offered {unit}/s | Achieved | p50 | p99 | max | Late or lost | Server CPU/event | Server core | Generator core | Frames per write | Sustained |\n\
         |--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n"
    );
    for s in &ramp.steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.0}% | {:.0}% | {} | {} |",
            thousands(s.offered),
            thousands(s.achieved),
            ms(s.latency.p50_ms),
            ms(s.latency.p99_ms),
            ms(s.latency.max_ms),
            thousands(s.lost as f64),
            us(s.server_cpu_us_per_event),
            s.server_cpu_share * 100.0,
            s.generator_cpu_share * 100.0,
            per_write(s.frames_per_write),
            if s.sustained { "yes" } else { "no" }
        );
    }
    for note in &ramp.notes {
        let _ = writeln!(out, "\nNote: {note}");
    }
    out
}

/// Frames per socket write, or a dash where the server does not count them (the peer).
fn per_write(frames: Option<f64>) -> String {
    frames.map_or_else(|| "–".to_owned(), |f| format!("{f:.1}"))
}

fn capacity_table(c: &Capacity) -> String {
    let mut out = String::from(
        "| Room size | Broadcasts | Timed out | p50 round trip | p95 | max | Frames per write | Time to grow | Time to settle |\n\
         |--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for s in &c.steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} s | {:.1} s |",
            thousands(s.size as f64),
            s.broadcasts,
            s.timeouts,
            ms(s.rtt.p50_ms),
            ms(s.rtt.p95_ms),
            ms(s.rtt.max_ms),
            per_write(s.frames_per_write),
            s.grow_s,
            s.settle_s
        );
    }
    let _ = writeln!(out, "\nStopped: {}.", c.stopped);
    out
}

/// The scale-out scenario: the setup, the nodes, and the ramp with each node's CPU.
fn scaleout_text(x: &Scaleout) -> String {
    let mut out = format!(
        "Measured {}{}; load average {} at the start, {} at the end.\n\n",
        x.date,
        x.commit
            .as_ref()
            .map_or_else(String::new, |c| format!(" at commit {c}")),
        busy_text(&x.busy_start),
        busy_text(&x.busy_end)
    );
    let _ = write!(
        out,
        "Ours only (the Node peer has no multi-node mode). {} nodes pinned to core {}, sharing \
         one PostgreSQL schema and one Redis prefix; {} connections ({} users × {}) from {} \
         worker processes on {} source address{}, signed in in {} (p50 {} and p99 {} per \
         connection; the nodes used {} of CPU and went quiet {} later); {} senders, steps of \
         {} at {} broadcasts/s; {} connections still open at the end.\n\n",
        x.nodes,
        x.server_core,
        thousands(x.connections as f64),
        thousands((x.connections / x.tabs.max(1)) as f64),
        x.tabs,
        x.workers,
        x.source_addresses,
        if x.source_addresses == 1 { "" } else { "es" },
        secs(x.setup_s),
        ms(x.setup_latency.p50_ms),
        ms(x.setup_latency.p99_ms),
        secs(x.setup_cpu_s),
        secs(x.settle_s),
        x.senders,
        secs(x.step_s),
        x.messages_per_s
            .iter()
            .map(|m| format!("{m}"))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(x.held_end as f64),
    );
    out.push_str(
        "| Node | Connections (signed in / end) | RSS empty | RSS signed in | RSS at the end | \
         CPU to sign in | CPU in the steps |\n|---|--:|--:|--:|--:|--:|--:|\n",
    );
    let held = |c: Option<usize>| c.map_or_else(|| "?".to_owned(), |c| thousands(c as f64));
    for n in &x.node {
        let _ = writeln!(
            out,
            "| {} | {} / {} | {} | {} | {} | {} | {} |",
            n.id,
            held(n.connections),
            held(n.connections_end),
            bytes(n.rss_empty as f64),
            bytes(n.rss_signed_in as f64),
            bytes(n.rss_end as f64),
            secs(n.signin_cpu_s),
            secs(n.ramp_cpu_s)
        );
    }
    out.push('\n');
    out.push_str(&ramp_table(&x.ramp, "deliveries"));
    let ids: Vec<&str> = x.node.iter().map(|n| n.id.as_str()).collect();
    let _ = write!(
        out,
        "\nEach node's share of the server core, step by step:\n\n| Offered deliveries/s | {} |\n|--:|{}\n",
        ids.join(" | "),
        "--:|".repeat(ids.len())
    );
    for st in &x.ramp.steps {
        let shares: Vec<String> = st
            .node_cpu_share
            .iter()
            .map(|c| format!("{:.0}%", c * 100.0))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} |",
            thousands(st.offered),
            shares.join(" | ")
        );
    }
    out
}

fn section<T>(out: &mut String, both: &Both<T>, body: impl Fn(&T) -> String) {
    for (name, outcome) in [("Ours", &both.ours), ("Node.js ws", &both.node)] {
        match outcome {
            None => {}
            Some(Ok(x)) => {
                let _ = write!(out, "\n**{name}**\n\n{}", body(x));
            }
            Some(Err(e)) => {
                let _ = write!(out, "\n**{name}**: failed: {e}\n");
            }
        }
    }
}

fn busy_text(b: &Busy) -> String {
    format!(
        "{:.2} (1 min), {:.2} (5 min), {} rustc processes",
        b.load_1m, b.load_5m, b.compilers
    )
}

/// The generated part of the report.
fn markdown(results: &Results, plots: &[(&str, &str)]) -> String {
    let m = &results.machine;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "_Generated by `cargo xtask bench` on {} (took {:.0} s). Everything between the markers \
         is rewritten by the next run._\n",
        results.date, results.duration_s
    );
    let _ = writeln!(out, "### Machine\n\n| | |\n|---|---|");
    if let Some(commit) = &results.commit {
        let _ = writeln!(out, "| Commit measured | {commit} |");
    }
    let _ = writeln!(out, "| CPU | {} × {} |", m.cpus, m.cpu_model);
    let _ = writeln!(out, "| Memory | {:.1} GiB |", m.memory_gib);
    let _ = writeln!(out, "| Kernel | {} |", m.kernel);
    let _ = writeln!(out, "| Rust | {} |", m.rustc);
    let _ = writeln!(out, "| Node.js | {}, ws {} |", m.node, results.ws_version);
    let _ = writeln!(
        out,
        "| Load average at the start | {} |",
        busy_text(&results.busy_start)
    );
    if let Some(end) = &results.busy_end {
        let _ = writeln!(out, "| Load average at the end | {} |", busy_text(end));
    }
    for (when, pauses) in [
        ("at the start", &results.pauses_start),
        ("at the end", &results.pauses_end),
    ] {
        if !pauses.is_empty() {
            let _ = writeln!(
                out,
                "| Pauses of a busy loop on each core {when} | {} |",
                crate::pauses::text(pauses)
            );
        }
    }
    let _ = writeln!(out, "\n### Summary\n\n{}", markdown_table(&rows(results)));
    let _ = writeln!(
        out,
        "### Targets\n\n| Target | Figure | Met |\n|---|---|:-:|"
    );
    for t in targets(results) {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", t.what, t.figure);
    }
    for (file, title) in plots {
        let _ = writeln!(out, "\n![{title}](bench/{file})");
    }
    let _ = writeln!(out, "\n### Fan-out, step by step");
    section(&mut out, &results.fanout, |x| {
        ramp_table(&x.ramp, "deliveries")
    });
    let _ = writeln!(out, "\n### Capacity, step by step");
    section(&mut out, &results.capacity, capacity_table);
    let _ = writeln!(out, "\n### Private messages, step by step");
    section(&mut out, &results.private, |x| {
        ramp_table(&x.ramp, "messages")
    });
    if [results.private.ours(), results.private.node()]
        .into_iter()
        .flatten()
        .any(|p| p.contacts.is_some())
    {
        let _ = writeln!(out, "\n### Private messages between contacts, step by step");
        section(&mut out, &results.private, |x| {
            x.contacts.as_ref().map_or_else(
                || "not measured\n".to_owned(),
                |c| ramp_table(&c.ramp, "messages"),
            )
        });
    }
    let stored = matches!(&results.acks, Some(Ok(a)) if a.stored);
    let _ = writeln!(
        out,
        "\n### Durable sends, step by step\n\n{}\n",
        if stored {
            "Every message is stored before its `ack` (protocol 2: an `ack` means stored), so \
             this is the time to a durable acknowledgement. The Node peers acknowledge nothing \
             (not applicable)."
        } else {
            "Acknowledged, not yet stored: history is not implemented, so this is the cost of \
             accepting and acknowledging a message. The Node peers acknowledge nothing (not \
             applicable)."
        }
    );
    match &results.acks {
        Some(Ok(a)) => out.push_str(&ramp_table(&a.ramp, "acks")),
        Some(Err(e)) => {
            let _ = writeln!(out, "Failed: {e}");
        }
        None => {}
    }
    match (&results.scaleout, &results.scaleout_skipped) {
        (Some(Ok(x)), _) => {
            let _ = writeln!(out, "\n### Scale-out, step by step\n\n{}", scaleout_text(x));
        }
        (Some(Err(e)), _) => {
            let _ = writeln!(out, "\n### Scale-out, step by step\n\nFailed: {e}");
        }
        (None, Some(reason)) => {
            let _ = writeln!(out, "\n### Scale-out, step by step\n\nSkipped: {reason}.");
        }
        (None, None) => {}
    }
    let failures = results.failures();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n### Failures\n");
        for f in failures {
            let _ = writeln!(out, "- {f}");
        }
    }
    out
}

/// Writes the plots, `results.json`, and the generated part of `out`.
pub fn write(results: &Results, out: &Path) -> Result<()> {
    let dir = out.parent().unwrap_or(Path::new(".")).join("bench");
    std::fs::create_dir_all(&dir)?;
    let plots = match plot::draw_all(results, &dir) {
        Ok(plots) => plots,
        Err(e) => {
            say(format!("warning: no plots: {e:#}"));
            Vec::new()
        }
    };
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(results)?,
    )?;
    let generated = markdown(results, &plots);
    let existing = std::fs::read_to_string(out).unwrap_or_default();
    let text = match (existing.find(BEGIN), existing.find(END)) {
        (Some(b), Some(e)) if b < e => format!(
            "{}{BEGIN}\n{generated}\n{}",
            &existing[..b],
            &existing[e..]
        ),
        _ => format!(
            "# Benchmarks\n\nRun `cargo xtask bench`.\n\n## Results\n\n{BEGIN}\n{generated}\n{END}\n\n{existing}"
        ),
    };
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(ratio_text(500.0, 40.0), "12.5× better");
        assert_eq!(ratio_text(1.0, 2.0), "2.00× worse");
        assert_eq!(bytes(3700.0), "3,700 B");
        assert_eq!(ms(0.5), "0.50 ms");
    }

    /// A fixed run (a copy of a real `results.json`), and two variants of it that reach the
    /// other branches: failures, a skipped or failed scale-out, acknowledgements not stored.
    fn fixtures() -> Vec<(&'static str, Results)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let text = std::fs::read_to_string(dir.join("results.json")).expect("the fixture");
        let full: Results = serde_json::from_str(&text).expect("a parsable fixture");

        let mut failed: Results = serde_json::from_str(&text).expect("a parsable fixture");
        failed.commit = None;
        failed.busy_end = None;
        failed.pauses_end = Vec::new();
        failed.fanout.node = Some(Err("the peer crashed".to_owned()));
        failed.capacity.ours = Some(Err("no room".to_owned()));
        failed.idle = Both::default();
        failed.acks = Some(Err("no acks".to_owned()));
        failed.scaleout = None;
        failed.scaleout_skipped = Some("PostgreSQL unreachable".to_owned());
        if let Some(Ok(p)) = &mut failed.private.ours {
            p.contacts = None;
        }
        failed.private.node = None;

        let mut unstored: Results = serde_json::from_str(&text).expect("a parsable fixture");
        if let Some(Ok(a)) = &mut unstored.acks {
            a.stored = false;
        }
        unstored.scaleout = Some(Err("a node did not start".to_owned()));
        unstored.connect.ours = None;
        unstored.private = Both::default();

        vec![("full", full), ("failed", failed), ("unstored", unstored)]
    }

    /// The rendered report and console summary of the fixtures, byte for byte as recorded in
    /// `testdata/` (`BENCH_BLESS=1 cargo test -p bench` records them anew).
    #[test]
    fn rendering_is_unchanged() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let plots = [("fanout.png", "Fan-out"), ("capacity.png", "Capacity")];
        for (name, results) in fixtures() {
            for (kind, text) in [
                ("md", markdown(&results, &plots)),
                ("txt", summary(&results)),
            ] {
                let path = dir.join(format!("{name}.{kind}"));
                if std::env::var_os("BENCH_BLESS").is_some() {
                    std::fs::write(&path, &text).expect("writing the golden file");
                }
                let golden = std::fs::read_to_string(&path).expect("the golden file");
                assert!(
                    golden == text,
                    "{} differs from the rendering",
                    path.display()
                );
            }
        }
    }
}
