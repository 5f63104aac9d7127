//! [`MergedRun`]: a partial run (`--only … --merge`) folded into an earlier full run's
//! results, remembered with its own date, commit and load, so the report says which run
//! measured which scenario.

use serde::{Deserialize, Serialize};

use crate::proc::Busy;

/// One partial run merged into the results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedRun {
    /// The scenarios whose figures in the report are still this run's (a later merge of the
    /// same scenario takes it from here).
    pub scenarios: Vec<String>,
    /// When it ran.
    pub date: String,
    /// The commit it measured (`git describe`).
    pub commit: Option<String>,
    /// The machine's processors, as the full run's `Machine` says them (`2 × …`): a partial
    /// run may have been made on other hardware. `None` in results saved before it was kept.
    #[serde(default)]
    pub cpu: Option<String>,
    /// How busy the machine was when it started.
    pub busy_start: Busy,
    /// And when it ended.
    pub busy_end: Option<Busy>,
}

/// Adds `run` to `runs`, taking its scenarios from the earlier runs (dropping those left with
/// none).
pub fn record(runs: &mut Vec<MergedRun>, run: MergedRun) {
    for earlier in runs.iter_mut() {
        earlier.scenarios.retain(|s| !run.scenarios.contains(s));
    }
    runs.retain(|r| !r.scenarios.is_empty());
    runs.push(run);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(date: &str, scenarios: &[&str]) -> MergedRun {
        MergedRun {
            scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
            date: date.to_owned(),
            commit: None,
            cpu: None,
            busy_start: Busy {
                load_1m: 0.0,
                load_5m: 0.0,
                compilers: 0,
            },
            busy_end: None,
        }
    }

    #[test]
    fn a_later_run_takes_its_scenarios_from_the_earlier_ones() {
        let mut runs = Vec::new();
        record(&mut runs, run("a", &["fan-out", "private messages"]));
        record(&mut runs, run("b", &["fan-out"]));
        record(&mut runs, run("c", &["private messages", "idle memory"]));
        let left: Vec<(&str, Vec<String>)> = runs
            .iter()
            .map(|r| (r.date.as_str(), r.scenarios.clone()))
            .collect();
        assert_eq!(
            left,
            [
                ("b", vec!["fan-out".to_owned()]),
                (
                    "c",
                    vec!["private messages".to_owned(), "idle memory".to_owned()]
                ),
            ]
        );
    }
}
