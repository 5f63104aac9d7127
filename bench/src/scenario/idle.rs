//! Idle memory: the server's resident memory per idle signed-in connection, at 10,000 of them,
//! then at 19,000 (a fresh server each time): the difference between the two says what one
//! more connection costs, without the fixed costs the first figure spreads over its
//! connections.
//!
//! "Signed in" means, for us, a claimed name, a session and a WebSocket that has had its
//! `welcome` (and whose user is online); for the private-message peer, a connection that has
//! registered its user with `online`. The figure is (RSS with the connections − RSS before
//! them) / connections, read once the server has gone quiet after the last one opened.
//!
//! The figure that counts has one user per connection, like the peer's. For us a second sample
//! has the same number of connections as 100 users with 100 connections each: no presence
//! traffic and small `welcome`s, so the difference shows what presence costs per connection.

use std::time::Duration;

use anyhow::{bail, Result};

use super::{quiesce, workers_for, Env};
use crate::pool::Pool;
use crate::progress::say;
use crate::results::idle::{Idle, Sample};
use crate::servers::{Kind, Server};

/// Connections per user of the second sample.
const TABS: usize = 100;

pub async fn run(env: &Env, kind: Kind) -> Result<Idle> {
    let n = env.scale.idle_connections;
    let distinct = sample(env, kind, n, 1).await?;
    let tabs = if kind == Kind::Ours && n >= TABS && n.is_multiple_of(TABS) {
        Some(sample(env, kind, n, TABS).await?)
    } else {
        None
    };
    let more = match env.scale.idle_more {
        Some(more) if more > n => Some(sample(env, kind, more, 1).await?),
        _ => None,
    };
    Ok(Idle {
        distinct,
        tabs,
        more,
    })
}

async fn sample(env: &Env, kind: Kind, n: usize, tabs: usize) -> Result<Sample> {
    let scale = &env.scale;
    let server = Server::start(kind, &env.setup).await?;
    quiesce(&server, Duration::from_secs(10)).await;
    let before = server.usage();
    let mut pool = Pool::spawn(workers_for(n, scale), env.client_core, server.target()).await?;
    let opened = pool
        .connect(n, scale.setup_concurrency, false, kind.registers(), tabs)
        .await?;
    if opened.failed > 0 {
        bail!(
            "{} of {n} connections failed: {}",
            opened.failed,
            opened.first_error.unwrap_or_default()
        );
    }
    quiesce(&server, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.usage();
    let sample = Sample {
        connections: n,
        tabs,
        rss_before: before.rss_bytes,
        rss_after: after.rss_bytes,
        bytes_per_connection: after.rss_bytes.saturating_sub(before.rss_bytes) as f64 / n as f64,
        setup_s: opened.elapsed.as_secs_f64(),
        setup_cpu_s: after.cpu.saturating_sub(before.cpu).as_secs_f64(),
    };
    say(format!(
        "idle {kind:?}: {n} connections ({tabs} per user): RSS {:.1} MB -> {:.1} MB, {:.0} bytes \
         per connection (opened in {:.1} s, {:.1} s of server CPU)",
        sample.rss_before as f64 / 1e6,
        sample.rss_after as f64 / 1e6,
        sample.bytes_per_connection,
        sample.setup_s,
        sample.setup_cpu_s
    ));
    Ok(sample)
}
