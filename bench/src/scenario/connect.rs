//! Connection rate: how many new authenticated connections per second the server opens.
//!
//! For us one connection is the whole sign-in: `POST /api/session` (a new account and session
//! in SQLite), the WebSocket upgrade with the token, and the `welcome`. The private-message
//! peer has no sign-in: its connection is the upgrade plus the `online` frame (which it does not
//! answer), so it does less work per connection; the report says so.

use std::time::Duration;

use anyhow::Result;

use super::{quiesce, Env};
use crate::pool::Pool;
use crate::progress::say;
use crate::results::connect::Connect;
use crate::results::latency::Latency;
use crate::servers::{Kind, Server};

pub async fn run(env: &Env, kind: Kind) -> Result<Connect> {
    let scale = &env.scale;
    let n = scale.connect_count;
    let server = Server::start(kind, &env.setup).await?;
    let mut pool = Pool::spawn(1, env.client_core, server.target()).await?;
    quiesce(&server, Duration::from_secs(10)).await;
    let before = server.usage();
    let opened = pool
        .connect(n, scale.connect_concurrency, false, kind.registers(), 1)
        .await?;
    let after = server.usage();
    let cpu = after.cpu.saturating_sub(before.cpu).as_secs_f64();
    let result = Connect {
        count: n,
        concurrency: scale.connect_concurrency,
        opened: opened.opened,
        failed: opened.failed,
        first_error: opened.first_error,
        elapsed_s: opened.elapsed.as_secs_f64(),
        per_second: opened.opened as f64 / opened.elapsed.as_secs_f64().max(1e-9),
        setup: Latency::of(&opened.setup),
        server_cpu_us_per_connection: cpu * 1e6 / opened.opened.max(1) as f64,
    };
    say(format!(
        "connect {kind:?}: {} connections in {:.2} s = {:.0}/s (p50 {:.1} ms, p99 {:.1} ms, \
         {:.0} µs server CPU each), {} failed",
        result.opened,
        result.elapsed_s,
        result.per_second,
        result.setup.p50_ms,
        result.setup.p99_ms,
        result.server_cpu_us_per_connection,
        result.failed
    ));
    Ok(result)
}
