//! The step-by-step tables: a ramp's steps, a capacity run's room sizes, and the scale-out
//! run's setup, nodes and steps.

use super::format::{busy_text, bytes, ms, per_write, secs, thousands, us};
use crate::results::capacity::Capacity;
use crate::results::growth::Engine;
use crate::results::ramp::Ramp;
use crate::results::scaleout::Scaleout;

use std::fmt::Write as _;

pub(super) fn ramp_table(ramp: &Ramp, unit: &str) -> String {
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

pub(super) fn capacity_table(c: &Capacity) -> String {
    let mut out = String::from(
        "| Room size | Broadcasts | Timed out | p50 round trip | p95 | max | Server CPU per delivery | Frames per write | Time to grow | Time to settle |\n\
         |--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for s in &c.steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s | {:.1} s |",
            thousands(s.size as f64),
            s.broadcasts,
            s.timeouts,
            ms(s.rtt.p50_ms),
            ms(s.rtt.p95_ms),
            ms(s.rtt.max_ms),
            s.cpu_us_per_delivery.map_or_else(|| "–".to_owned(), us),
            per_write(s.frames_per_write),
            s.grow_s,
            s.settle_s
        );
    }
    let _ = writeln!(out, "\nStopped: {}.", c.stopped);
    out
}

/// The scale-out scenario: the setup, the nodes, and the ramp with each node's CPU.
pub(super) fn scaleout_text(x: &Scaleout) -> String {
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

/// One engine of the growth scenario: the figures at each size.
pub(super) fn growth_table(e: &Engine) -> String {
    let mut out = format!(
        "\n**{}** (filled at {}/s)\n\n| Stored messages | Append p50 | p99 | History p50 | p99 | \
         Database | Bytes per message |\n|--:|--:|--:|--:|--:|--:|--:|\n",
        e.engine,
        thousands(e.fill_rate)
    );
    for p in &e.points {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            thousands(p.messages as f64),
            ms(p.append_p50_ms),
            ms(p.append_p99_ms),
            ms(p.history_p50_ms),
            ms(p.history_p99_ms),
            bytes(p.database_bytes as f64),
            thousands(p.bytes_per_message())
        );
    }
    out
}
