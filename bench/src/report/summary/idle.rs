//! Summary rows of the idle-memory scenario: resident memory per signed-in connection.

use crate::report::format::{bytes, secs, thousands};
use crate::results::Results;

use super::{row, Better, Row};

/// The idle-memory rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
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
}
