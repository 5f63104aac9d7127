//! Pauses: how much of each core a program does not get, measured before and after a run.
//!
//! On a virtual machine the host takes a core away now and then (steal time), and the kernel
//! takes it for its own work. Whatever runs on the core waits meanwhile: a message that arrives
//! during a pause waits for its end. Such pauses set a floor under every latency figure, and
//! they differ from machine to machine and from hour to hour, so the report records them.
//!
//! One process per core, pinned with `taskset` and all running at once, reads the monotonic
//! clock back to back for a while (the hidden `bench pauses` subcommand, [`run_loop`]); every
//! gap between two readings longer than [`GAP`] is a pause. Steal time comes from the core's
//! line of `/proc/stat` over the same window.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// A gap between two clock readings longer than this is a pause (a reading takes tens of ns).
pub const GAP: Duration = Duration::from_micros(100);

/// What the busy loop on one core saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pauses {
    pub core: usize,
    pub secs: f64,
    /// Share of the time spent in pauses.
    pub lost_share: f64,
    /// Share of the time the host stole from the core (`/proc/stat`), when it tells.
    pub steal_share: Option<f64>,
    /// Pauses longer than 1 ms and than 5 ms.
    pub over_1ms: u64,
    pub over_5ms: u64,
    pub longest_ms: f64,
    /// The delay from pauses alone that a moment chosen at random exceeds with probability
    /// 1%: a message arriving then waits at least this long for the core.
    pub p99_wait_ms: f64,
}

/// What [`run_loop`] prints: the pauses' lengths, in seconds.
#[derive(Debug, Serialize, Deserialize)]
struct Gaps {
    secs: f64,
    gaps: Vec<f64>,
}

/// The hidden subcommand: reads the clock back to back for `secs` seconds and prints the
/// pauses as JSON. It runs wherever it was pinned.
pub fn run_loop(secs: f64) -> Result<()> {
    let span = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut last = start;
    let mut gaps = Vec::new();
    loop {
        let now = Instant::now();
        let gap = now - last;
        if gap > GAP {
            gaps.push(gap.as_secs_f64());
        }
        last = now;
        if now - start >= span {
            break;
        }
    }
    let out = Gaps {
        secs: (last - start).as_secs_f64(),
        gaps,
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}

/// Runs the busy loop on each of `cores` at once for `secs` seconds.
pub fn measure(cores: &[usize], secs: f64) -> Result<Vec<Pauses>> {
    let exe = std::env::current_exe()?;
    let steal_before = steal_ticks();
    let children = cores
        .iter()
        .map(|core| {
            Command::new("taskset")
                .arg("-c")
                .arg(core.to_string())
                .arg(&exe)
                .arg("pauses")
                .arg("--secs")
                .arg(secs.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .context("running taskset (util-linux)")
        })
        .collect::<Result<Vec<_>>>()?;
    let mut all = Vec::with_capacity(cores.len());
    for (&core, child) in cores.iter().zip(children) {
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!("the pause probe on core {core} failed: {}", output.status);
        }
        let seen: Gaps = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("reading the pause probe of core {core}"))?;
        all.push((core, seen));
    }
    let steal_after = steal_ticks();
    let hz = crate::proc::ticks_per_second() as f64;
    Ok(all
        .into_iter()
        .map(|(core, seen)| {
            let steal_share = match (steal_before.get(core), steal_after.get(core)) {
                (Some(Some(a)), Some(Some(b))) if seen.secs > 0.0 => {
                    Some(b.saturating_sub(*a) as f64 / hz / seen.secs)
                }
                _ => None,
            };
            summarise(core, &seen.gaps, seen.secs, steal_share)
        })
        .collect())
}

fn summarise(core: usize, gaps: &[f64], secs: f64, steal_share: Option<f64>) -> Pauses {
    let lost: f64 = gaps.iter().sum();
    Pauses {
        core,
        secs,
        lost_share: if secs > 0.0 { lost / secs } else { 0.0 },
        steal_share,
        over_1ms: gaps.iter().filter(|&&g| g > 0.001).count() as u64,
        over_5ms: gaps.iter().filter(|&&g| g > 0.005).count() as u64,
        longest_ms: gaps.iter().copied().fold(0.0, f64::max) * 1e3,
        p99_wait_ms: wait_quantile(gaps, secs, 0.01) * 1e3,
    }
}

/// The wait `d` that a moment chosen at random in `secs` exceeds with probability `share`:
/// during a pause of length `g` the wait left is more than `d` for `g - d` of it, so `d` solves
/// `sum(max(0, g - d)) = share * secs` (0 when the pauses are shorter than that in all).
fn wait_quantile(gaps: &[f64], secs: f64, share: f64) -> f64 {
    let budget = share * secs;
    let beyond = |d: f64| gaps.iter().map(|g| (g - d).max(0.0)).sum::<f64>();
    if beyond(0.0) <= budget {
        return 0.0;
    }
    let (mut low, mut high) = (0.0, gaps.iter().copied().fold(0.0, f64::max));
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        if beyond(mid) > budget {
            low = mid;
        } else {
            high = mid;
        }
    }
    high
}

/// Each core's steal ticks so far (`/proc/stat`, the 8th number of its `cpuN` line), by core.
fn steal_ticks() -> Vec<Option<u64>> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let mut by_core = Vec::new();
    for line in stat.lines() {
        let mut fields = line.split_whitespace();
        let Some(core) = fields
            .next()
            .and_then(|name| name.strip_prefix("cpu"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if by_core.len() <= core {
            by_core.resize(core + 1, None);
        }
        by_core[core] = fields.nth(7).and_then(|f| f.parse().ok());
    }
    by_core
}

/// One line for the report: what the loop on each core saw.
pub fn text(all: &[Pauses]) -> String {
    all.iter()
        .map(|p| {
            let steal = p.steal_share.map_or_else(String::new, |s| {
                format!(", {:.1}% stolen by the host", s * 100.0)
            });
            // With less than 1% of the time lost, the quantile is 0: say so in words.
            let tail = if p.p99_wait_ms > 0.0 {
                format!("1% of moments wait over {:.2} ms", p.p99_wait_ms)
            } else {
                "fewer than 1% of moments wait at all".to_owned()
            };
            format!(
                "core {}: {:.1}% of {:.0} s lost{steal}; {} pauses over 1 ms, {} over 5 ms, \
                 longest {:.1} ms; {tail}",
                p.core,
                p.lost_share * 100.0,
                p.secs,
                p.over_1ms,
                p.over_5ms,
                p.longest_ms,
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_quantile_solves_its_equation() {
        // No pauses, or too few to fill 1% of the time: no wait.
        assert_eq!(wait_quantile(&[], 10.0, 0.01), 0.0);
        assert_eq!(wait_quantile(&[0.05], 10.0, 0.01), 0.0);
        // One pause of 0.2 s in 10 s: 1% of the time (0.1 s) is more than 0.1 s from its end.
        let d = wait_quantile(&[0.2], 10.0, 0.01);
        assert!((d - 0.1).abs() < 1e-9, "{d}");
        // Two of 0.2 s: 0.05 s of each lies beyond 0.15 s.
        let d = wait_quantile(&[0.2, 0.2], 10.0, 0.01);
        assert!((d - 0.15).abs() < 1e-9, "{d}");
    }

    #[test]
    fn summaries_count_and_share() {
        let p = summarise(1, &[0.0002, 0.002, 0.008], 1.0, Some(0.01));
        assert_eq!((p.core, p.over_1ms, p.over_5ms), (1, 2, 1));
        assert!((p.lost_share - 0.0102).abs() < 1e-9);
        assert!((p.longest_ms - 8.0).abs() < 1e-9);
        let line = text(&[p]);
        assert!(line.starts_with("core 1: 1.0% of 1 s lost, 1.0% stolen by the host"));
        // (8 − d) + (2 − d) + (0.2 − d) = 10 ms of waiting beyond d: d = 0.07 ms.
        assert!(line.ends_with("1% of moments wait over 0.07 ms"), "{line}");
        // Less than 1% of the time lost: no moment among the slowest 1% waits.
        let calm = text(&[summarise(0, &[0.0002, 0.002], 1.0, None)]);
        assert!(
            calm.ends_with("longest 2.0 ms; fewer than 1% of moments wait at all"),
            "{calm}"
        );
    }

    #[test]
    fn this_machine_has_steal_figures_per_core() {
        let ticks = steal_ticks();
        let cores = crate::proc::Machine::describe().cpus;
        assert_eq!(ticks.len(), cores, "{ticks:?}");
        assert!(ticks.iter().all(Option::is_some), "{ticks:?}");
    }
}
