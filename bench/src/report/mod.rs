//! How the results of a run are reported: a summary table on the console, and in
//! `docs/benchmarks.md` the machine, the summary with ratios, the targets, per-step tables and
//! the plots, all between the result markers, so the hand-written method and findings around
//! them survive a rerun. The raw figures also go to `docs/bench/results.json`.
//!
//! - [`summary`](mod@summary): the summary table, one module per scenario;
//! - [`targets`]: the targets and whether they were met;
//! - [`tables`]: the step-by-step tables;
//! - [`markdown`]: the generated part of the report, put together;
//! - [`format`](mod@format): figures as the report writes them.
//!
//! It reads [`crate::results`] and nothing that runs a scenario.

mod format;
mod markdown;
mod summary;
mod tables;
mod targets;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::plot;
use crate::progress::say;
use crate::results::Results;

/// Where the generated part of the report starts and ends.
pub const BEGIN: &str = "<!-- bench:results:begin -->";
pub const END: &str = "<!-- bench:results:end -->";

/// The summary and the targets as plain text, for the console.
pub fn summary(results: &Results) -> String {
    let mut out = summary::plain(&summary::rows(results));
    let _ = writeln!(out);
    for t in targets::targets(results) {
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
    let generated = markdown::markdown(results, &plots);
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
    use crate::results::PerServer;

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
        failed.idle = PerServer::default();
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
        unstored.private = PerServer::default();

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
                ("md", markdown::markdown(&results, &plots)),
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
