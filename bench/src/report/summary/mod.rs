//! The summary table: one row per figure that counts, ours beside the Node.js peer's and the
//! Bun peer's, and how ours compares with each; one module per scenario builds its rows.

mod acks;
mod capacity;
mod connect;
mod fanout;
mod idle;
mod private;
mod scaleout;
mod stores;

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

/// A figure of ours, the Node.js peer's and the Bun peer's, in that order.
type Three<T> = [Option<T>; 3];

/// One line of the summary.
pub(super) struct Row {
    scenario: &'static str,
    figure: String,
    /// Ours, Node's, Bun's.
    cells: [String; 3],
    /// Ours against Node's, ours against Bun's.
    ratios: [String; 2],
}

impl Row {
    /// A row of text for ours alone: the peers have nothing to compare (`peers` says why).
    fn ours_only(scenario: &'static str, figure: String, ours: String, peers: &str) -> Self {
        Self {
            scenario,
            figure,
            cells: [ours, peers.to_owned(), peers.to_owned()],
            ratios: [String::new(), String::new()],
        }
    }
}

fn row(
    scenario: &'static str,
    figure: impl Into<String>,
    [ours, node, bun]: Three<f64>,
    better: Better,
    show: fn(f64) -> String,
) -> Row {
    let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), show);
    let ratio = |peer: Option<f64>| match (ours, peer, better) {
        (_, _, Better::Neither) => String::new(),
        (Some(o), Some(p), Better::Higher) => ratio_text(o, p),
        (Some(o), Some(p), Better::Lower) => ratio_text(p, o),
        _ => "–".to_owned(),
    };
    Row {
        scenario,
        figure: figure.into(),
        cells: [cell(ours), cell(node), cell(bun)],
        ratios: [ratio(node), ratio(bun)],
    }
}

/// A row of one figure, lower being better, of the steps at the same rate of each server's
/// ramp.
fn step_row(
    scenario: &'static str,
    figure: impl Into<String>,
    steps: &Three<Step>,
    pick: fn(&Step) -> f64,
    show: fn(f64) -> String,
) -> Row {
    row(
        scenario,
        figure,
        steps.each_ref().map(|s| s.as_ref().map(pick)),
        Better::Lower,
        show,
    )
}

/// The rows of every scenario that ran, in the report's order.
pub(super) fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    fanout::rows(results, &mut rows);
    capacity::rows(results, &mut rows);
    idle::rows(results, &mut rows);
    private::rows(results, &mut rows);
    acks::rows(results, &mut rows);
    connect::rows(results, &mut rows);
    scaleout::rows(results, &mut rows);
    stores::rows(results, &mut rows);
    rows
}

/// The rows as plain text, for the console.
pub(super) fn plain(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} | {:<80} | {:>22} | {:>22} | {:>22} | Ours vs Node | Ours vs Bun",
        "Scenario", "Figure", "Ours", "Node.js ws", "Bun"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<20} | {:<80} | {:>22} | {:>22} | {:>22} | {} | {}",
            r.scenario, r.figure, r.cells[0], r.cells[1], r.cells[2], r.ratios[0], r.ratios[1]
        );
    }
    out
}

pub(super) fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Scenario | Figure | Ours | Node.js ws | Bun | Ours vs Node | Ours vs Bun |\n\
         |---|---|--:|--:|--:|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.scenario, r.figure, r.cells[0], r.cells[1], r.cells[2], r.ratios[0], r.ratios[1]
        );
    }
    out
}

/// The highest offered rate that ours and every peer that ran sustained (the common ground
/// for latency and CPU); `None` without ours and at least one peer.
fn common_rate(ramps: &Three<&Ramp>) -> Option<f64> {
    let [ours, peers @ ..] = ramps;
    let ours = (*ours)?;
    let peers: Vec<&Ramp> = peers.iter().flatten().copied().collect();
    let first = peers.first()?;
    first
        .steps
        .iter()
        .filter(|s| {
            s.sustained
                && std::iter::once(ours)
                    .chain(peers.iter().copied())
                    .all(|r| r.at(s.offered).is_some_and(|x| x.sustained))
        })
        .map(|s| s.offered)
        .max_by(f64::total_cmp)
}

/// Each ramp's step at `rate`.
fn steps_at(ramps: &Three<&Ramp>, rate: f64) -> Three<Step> {
    ramps.map(|r| r.and_then(|r| r.at(rate)).cloned())
}

/// Messages lost or late in a ramp's sustained steps.
fn lost_sustained(ramp: &Ramp) -> f64 {
    ramp.steps
        .iter()
        .filter(|s| s.sustained)
        .map(|s| s.lost as f64)
        .sum()
}
