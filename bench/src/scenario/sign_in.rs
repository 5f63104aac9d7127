//! Sign-in rate (ours only: the peers have no sign-in): `POST /api/session` and nothing else,
//! from `n` clients at once, each on a kept-alive HTTP connection, one request after another.
//!
//! - **Passwordless**: every request claims a new name (a new account and its first session,
//!   stored before the answer), at each concurrency of `signin_concurrency`.
//! - **With passwords**: `signin_password_count` names claimed with a password (each hashed
//!   with argon2id), then as many sign-ins to them with the right password (each verified),
//!   from [`PASSWORD_CLIENTS`] clients: the rate the hashing allows on the server's one core
//!   (`--hash-concurrency` threads, by default one per core, behind `--hash-queue`).
//!
//! The figures are printed (and returned for the summary); `docs/benchmarks.md` quotes a run.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::future::join_all;

use super::{quiesce, Env};
use crate::progress::say;
use crate::results::latency::Latency;
use crate::servers::{Kind, Server};
use crate::wire::histogram;
use crate::worker::http::Http;

/// Clients at once in the password part: more than the hashing threads, fewer than the
/// default `--hash-queue` (32), so none is refused `server_busy`.
const PASSWORD_CLIENTS: usize = 16;

/// One part's figures.
#[derive(Debug, Clone)]
pub struct Part {
    /// What was done: "passwordless claims", "claims with a password", ...
    pub what: String,
    pub clients: usize,
    pub done: usize,
    pub failed: usize,
    pub elapsed_s: f64,
    pub per_second: f64,
    /// Server CPU per request.
    pub server_cpu_us: f64,
    pub latency: Latency,
}

impl Part {
    fn line(&self) -> String {
        format!(
            "| {} | {} | {} | {:.0}/s | {:.0} µs | {:.1} ms | {:.1} ms | {} |",
            self.what,
            self.clients,
            self.done,
            self.per_second,
            self.server_cpu_us,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.failed
        )
    }
}

/// The figures as a Markdown table.
pub fn table(parts: &[Part]) -> String {
    let mut out = String::from(
        "| Requests | Clients | Done | Rate | Server CPU each | p50 | p99 | Failed |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for part in parts {
        out.push_str(&part.line());
        out.push('\n');
    }
    out
}

pub async fn run(env: &Env) -> Result<Vec<Part>> {
    let scale = &env.scale;
    let server = Server::start(Kind::Ours, &env.setup).await?;
    let mut parts = Vec::new();
    for (round, &clients) in scale.signin_concurrency.iter().enumerate() {
        quiesce(&server, Duration::from_secs(10)).await;
        let names: Vec<String> = (0..scale.signin_count)
            .map(|i| format!("s{round}x{i}"))
            .collect();
        let what = "passwordless claims".to_owned();
        parts.push(part(&server, what, clients, &names, None).await?);
    }
    let names: Vec<String> = (0..scale.signin_password_count)
        .map(|i| format!("p{i}"))
        .collect();
    let password = Some("correct horse battery staple");
    quiesce(&server, Duration::from_secs(10)).await;
    let what = "claims with a password".to_owned();
    parts.push(part(&server, what, PASSWORD_CLIENTS, &names, password).await?);
    quiesce(&server, Duration::from_secs(10)).await;
    let what = "sign-ins with a password".to_owned();
    parts.push(part(&server, what, PASSWORD_CLIENTS, &names, password).await?);
    for part in &parts {
        say(format!(
            "sign-in: {} from {} clients: {} in {:.2} s = {:.0}/s ({:.0} µs server CPU each, \
             p50 {:.1} ms, p99 {:.1} ms), {} failed",
            part.what,
            part.clients,
            part.done,
            part.elapsed_s,
            part.per_second,
            part.server_cpu_us,
            part.latency.p50_ms,
            part.latency.p99_ms,
            part.failed
        ));
    }
    let failed: usize = parts.iter().map(|p| p.failed).sum();
    anyhow::ensure!(failed == 0, "{failed} sign-in requests failed");
    Ok(parts)
}

/// `POST /api/session` for each of `names` (with `password`), from `clients` kept-alive
/// connections at once.
async fn part(
    server: &Server,
    what: String,
    clients: usize,
    names: &[String],
    password: Option<&str>,
) -> Result<Part> {
    let addr = server.target().addr;
    let next = Cell::new(0usize);
    let failed = Cell::new(0usize);
    let first_error = RefCell::new(None::<String>);
    let latencies = RefCell::new(histogram());
    let before = server.usage();
    let started = Instant::now();
    join_all((0..clients).map(|_| async {
        let mut http = Http::new(addr);
        loop {
            let i = next.get();
            let Some(name) = names.get(i) else {
                return;
            };
            next.set(i + 1);
            let t0 = Instant::now();
            match http.sign_in(name, password).await {
                Ok(_token) => {
                    let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let _ = latencies.borrow_mut().record(us.max(1));
                }
                Err(e) => {
                    failed.set(failed.get() + 1);
                    first_error
                        .borrow_mut()
                        .get_or_insert(format!("{name}: {e:#}"));
                }
            }
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let cpu = server.usage().cpu.saturating_sub(before.cpu).as_secs_f64();
    if let Some(e) = first_error.into_inner() {
        say(format!("sign-in: first error: {e}"));
    }
    let failed = failed.get();
    let done = names.len() - failed;
    let latency = Latency::of(&latencies.into_inner());
    Ok(Part {
        what,
        clients,
        done,
        failed,
        elapsed_s: elapsed.as_secs_f64(),
        per_second: done as f64 / elapsed.as_secs_f64().max(1e-9),
        server_cpu_us: cpu * 1e6 / done.max(1) as f64,
        latency,
    })
}
