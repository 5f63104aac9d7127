//! Summary rows of the idle-memory scenario: resident memory per signed-in connection.

use crate::report::format::{bytes, secs, thousands};
use crate::results::Results;

use super::{row, Better, Row};

/// The idle-memory rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let i = &results.idle;
    if !i.ran() {
        return;
    }
    let s = "Idle memory";
    let distinct =
        |pick: fn(&crate::results::idle::Sample) -> f64| i.each(|x| Some(pick(&x.distinct)));
    let n = [i.ours(), i.node(), i.bun()]
        .into_iter()
        .flatten()
        .map(|x| x.distinct.connections)
        .next()
        .unwrap_or(0);
    rows.push(row(
        s,
        format!(
            "RSS per idle signed-in connection ({} connections, one user each)",
            thousands(n as f64)
        ),
        distinct(|x| x.bytes_per_connection),
        Better::Lower,
        bytes,
    ));
    rows.push(row(
        s,
        "RSS with them open",
        distinct(|x| x.rss_after as f64),
        Better::Lower,
        bytes,
    ));
    rows.push(row(
        s,
        "RSS before (empty server)",
        distinct(|x| x.rss_before as f64),
        Better::Neither,
        bytes,
    ));
    rows.push(row(
        s,
        "Time to sign them all in",
        distinct(|x| x.setup_s),
        Better::Lower,
        secs,
    ));
    rows.push(row(
        s,
        "Server CPU to sign them all in",
        distinct(|x| x.setup_cpu_s),
        Better::Lower,
        secs,
    ));
    if let Some(more) = [i.ours(), i.node(), i.bun()]
        .into_iter()
        .flatten()
        .find_map(|x| x.more.as_ref())
    {
        rows.push(row(
            s,
            format!(
                "RSS per idle signed-in connection ({} connections, one user each)",
                thousands(more.connections as f64)
            ),
            i.each(|x| x.more.as_ref().map(|m| m.bytes_per_connection)),
            Better::Lower,
            bytes,
        ));
        rows.push(row(
            s,
            format!(
                "RSS each connection past {} added (one more idle connection)",
                thousands(n as f64)
            ),
            i.each(crate::results::idle::Idle::marginal_bytes),
            Better::Lower,
            bytes,
        ));
    }
    if let Some(t) = i.ours().and_then(|x| x.tabs.as_ref()) {
        let [_, node, bun] = distinct(|x| x.bytes_per_connection);
        rows.push(row(
            s,
            format!(
                "RSS per connection as {} users × {} connections (no presence traffic)",
                thousands((t.connections / t.tabs) as f64),
                t.tabs
            ),
            [Some(t.bytes_per_connection), node, bun],
            Better::Lower,
            bytes,
        ));
    }
}
