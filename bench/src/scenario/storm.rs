//! Reconnect storm (ours only: the peers have no sessions to come back with): `n` users sign
//! in, one connection each, all in the lobby; then every connection drops at once (no close
//! frame, as in a network blip or a deploy), the server notices them all gone, and every user
//! reconnects at once with the session token it holds: no sign-in, only the upgrade and the
//! `welcome`. The figure is the time from the reconnects' start until the last `welcome`
//! has arrived, and the rate that makes, for each size in `storm_sizes` (1,000, 5,000 and
//! 10,000 in a full run), to show how it grows with the crowd.
//!
//! The figures are printed; `docs/benchmarks.md` quotes a run.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::{quiesce, workers_for, Env};
use crate::pool::Pool;
use crate::progress::say;
use crate::results::latency::Latency;
use crate::servers::{Kind, Server};

/// One size's figures.
#[derive(Debug, Clone)]
pub struct StormFigures {
    pub users: usize,
    /// Welcomed again, and failed.
    pub welcomed: usize,
    pub failed: usize,
    /// From the reconnects' start until the last welcome, seconds.
    pub elapsed_s: f64,
    /// Time to reconnect one client (upgrade and welcome).
    pub each: Latency,
    /// Server CPU from the reconnects' start until every welcome arrived, and until the
    /// server went quiet afterwards (the presence frames that follow), seconds.
    pub cpu_welcomed_s: f64,
    pub cpu_settled_s: f64,
    /// Connections the server says it holds once quiet.
    pub held: Option<usize>,
}

impl StormFigures {
    pub fn rate(&self) -> f64 {
        self.welcomed as f64 / self.elapsed_s.max(1e-9)
    }
}

/// The figures as a Markdown table, one row per size.
pub fn table(figures: &[StormFigures]) -> String {
    let mut out = String::from(
        "Reconnect storm (users with tokens, all at once):\n\
         | Users | Welcomed | Failed | Time to all welcomed | Conn/s | p50 each | p99 each | \
         Server CPU until welcomed | until quiet |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for f in figures {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} s | {:.0} | {:.0} ms | {:.0} ms | {:.2} s | {:.2} s |\n",
            f.users,
            f.welcomed,
            f.failed,
            f.elapsed_s,
            f.rate(),
            f.each.p50_ms,
            f.each.p99_ms,
            f.cpu_welcomed_s,
            f.cpu_settled_s,
        ));
    }
    out
}

/// Every size in turn, each on a fresh server. A size whose reconnections partly fail still
/// has its row (with the failures counted) and the next size still runs; a size that could
/// not be measured at all (the sign-in before the storm failed) ends the run. The error, if
/// any, names every size with failures, after the figures of all of them.
pub async fn run(env: &Env) -> (Vec<StormFigures>, Result<()>) {
    let mut figures = Vec::new();
    let mut failures = Vec::new();
    for &users in &env.scale.storm_sizes {
        match one(env, users).await {
            Ok((size, first_error)) => {
                if size.failed > 0 {
                    failures.push(format!(
                        "{} of {users} failed to reconnect (first: {})",
                        size.failed,
                        first_error.unwrap_or_default()
                    ));
                }
                figures.push(size);
            }
            Err(e) => return (figures, Err(e)),
        }
    }
    let outcome = if failures.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(failures.join("; ")))
    };
    (figures, outcome)
}

/// One size's storm: its figures, and the first error of a failed reconnection if any.
async fn one(env: &Env, users: usize) -> Result<(StormFigures, Option<String>)> {
    let scale = &env.scale;
    let server = Server::start(Kind::Ours, &env.setup).await?;
    let workers = workers_for(users, scale);
    let mut pool = Pool::spawn(workers, env.client_core, server.target()).await?;
    let signing_in = Instant::now();
    let opened = pool
        .connect(users, scale.setup_concurrency, false, false, 1)
        .await?;
    if opened.opened != users {
        bail!(
            "only {} of {users} signed in: {:?}",
            opened.opened,
            opened.first_error
        );
    }
    say(format!(
        "storm {users}: signed in in {:.1} s",
        signing_in.elapsed().as_secs_f64()
    ));
    quiesce(&server, Duration::from_secs(120)).await;
    let dropped = pool.drop_all().await?;
    // Until the server has seen every connection go and sent what that makes it send.
    quiesce(&server, Duration::from_secs(120)).await;
    if let Some(left) = server.connections().filter(|n| *n > 0) {
        bail!("{left} connections still open on the server after the drop");
    }
    let before = server.usage().cpu;
    let started = Instant::now();
    // Every client at once: as many lanes per worker as it has clients.
    let storm = pool.reconnect(users.div_ceil(workers)).await?;
    let welcomed_cpu = server.usage().cpu.saturating_sub(before);
    let wall = started.elapsed();
    quiesce(&server, Duration::from_secs(120)).await;
    let settled_cpu = server.usage().cpu.saturating_sub(before);
    let figures = StormFigures {
        users: dropped,
        welcomed: storm.opened,
        failed: storm.failed,
        elapsed_s: storm.elapsed.as_secs_f64(),
        each: Latency::of(&storm.setup),
        cpu_welcomed_s: welcomed_cpu.as_secs_f64(),
        cpu_settled_s: settled_cpu.as_secs_f64(),
        held: server.connections(),
    };
    say(format!(
        "storm {users}: {} welcomed in {:.2} s ({:.2} s with the workers' reports) = {:.0}/s, \
         {} failed{}, server CPU {:.2} s until welcomed, {:.2} s until quiet, {:?} held",
        figures.welcomed,
        figures.elapsed_s,
        wall.as_secs_f64(),
        figures.rate(),
        figures.failed,
        storm
            .first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        figures.cpu_welcomed_s,
        figures.cpu_settled_s,
        figures.held,
    ));
    Ok((figures, storm.first_error))
}
