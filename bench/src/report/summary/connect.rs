//! Summary rows of the connection-rate scenario: new connections per second and the time to each.

use crate::report::format::{ms, per_s, us};
use crate::results::Results;

use super::{row, Better, Row};

/// The connection-rate rows.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    let k = &results.connect;
    if !k.ran() {
        return;
    }
    let s = "Connection rate";
    rows.push(row(
        s,
        "New connections/s (ours: claim name + upgrade + welcome; peers: upgrade + online)",
        k.each(|x| Some(x.per_second)),
        Better::Higher,
        per_s,
    ));
    rows.push(row(
        s,
        "p50 time to connect",
        k.each(|x| Some(x.setup.p50_ms)),
        Better::Lower,
        ms,
    ));
    rows.push(row(
        s,
        "p99 time to connect",
        k.each(|x| Some(x.setup.p99_ms)),
        Better::Lower,
        ms,
    ));
    rows.push(row(
        s,
        "Server CPU per connection",
        k.each(|x| Some(x.server_cpu_us_per_connection)),
        Better::Lower,
        us,
    ));
}
