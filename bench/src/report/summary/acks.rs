//! Summary rows of the durable-send scenario: acknowledgements per second and the time to each.

use crate::report::format::{ms, per_s, thousands};
use crate::results::private;
use crate::results::ramp::Ramp;
use crate::results::Results;

use super::{row, Better, Row};

/// The durable-send rows: ours only, the peers acknowledge nothing.
pub(super) fn rows(results: &Results, rows: &mut Vec<Row>) {
    if let Some(outcome) = &results.acks {
        let s = "Durable sends";
        let a = outcome.as_ref().ok().map(|x| &x.ramp);
        rows.push(Row::ours_only(
            s,
            "What is measured".to_owned(),
            if outcome.as_ref().is_ok_and(|a| !a.stored) {
                "acknowledged (not yet stored: history not implemented)".to_owned()
            } else {
                "stored, then acknowledged (durable)".to_owned()
            },
            "not applicable (no acknowledgements)",
        ));
        rows.push(row(
            s,
            "Sustained acks/s (p99 < 100 ms, none lost)",
            [a.and_then(Ramp::sustained).map(|x| x.achieved), None, None],
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
            [at.map(|x| x.latency.p99_ms), None, None],
            Better::Neither,
            ms,
        ));
        rows.push(row(
            s,
            "p99 time to ack at the highest sustained rate",
            [
                a.and_then(Ramp::sustained).map(|x| x.latency.p99_ms),
                None,
                None,
            ],
            Better::Neither,
            ms,
        ));
    }
}
