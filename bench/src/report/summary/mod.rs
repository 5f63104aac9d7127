//! The summary table: one row per figure that counts, ours beside the Node.js peer's, and how
//! they compare; one module per scenario builds its rows.

mod acks;
mod capacity;
mod connect;
mod fanout;
mod idle;
mod private;
mod scaleout;

use std::fmt::Write as _;

use crate::report::format::ratio_text;
use crate::results::ramp::{Ramp, Step};
use crate::results::Results;

/// Which way a figure is better.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
    /// Not a contest (sizes of the setup).
    Neither,
}

/// One line of the summary.
pub(super) struct Row {
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

/// The rows of every scenario that ran, in the report's order.
/// A row of one figure, lower being better, of the steps at the same rate of each server's
/// ramp.
fn step_row(
    scenario: &'static str,
    figure: impl Into<String>,
    ours: Option<&Step>,
    node: Option<&Step>,
    pick: fn(&Step) -> f64,
    show: fn(f64) -> String,
) -> Row {
    row(
        scenario,
        figure,
        ours.map(pick),
        node.map(pick),
        Better::Lower,
        show,
    )
}

pub(super) fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    fanout::rows(results, &mut rows);
    capacity::rows(results, &mut rows);
    idle::rows(results, &mut rows);
    private::rows(results, &mut rows);
    acks::rows(results, &mut rows);
    connect::rows(results, &mut rows);
    scaleout::rows(results, &mut rows);
    rows
}

/// The rows as plain text, for the console.
pub(super) fn plain(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} | {:<80} | {:>22} | {:>22} | Ours vs Node",
        "Scenario", "Figure", "Ours", "Node.js ws"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<20} | {:<80} | {:>22} | {:>22} | {}",
            r.scenario, r.figure, r.ours, r.node, r.ratio
        );
    }
    out
}

pub(super) fn markdown(rows: &[Row]) -> String {
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

/// Messages lost or late in a ramp's sustained steps.
fn lost_sustained(ramp: &Ramp) -> f64 {
    ramp.steps
        .iter()
        .filter(|s| s.sustained)
        .map(|s| s.lost as f64)
        .sum()
}
