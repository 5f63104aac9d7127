//! Fan-out: 1,000 clients in one room (our `lobby`; every connection of the broadcast peer),
//! 10 of them sending at rising rates, each message to reach the 999 others: deliveries per
//! second, latency from send to each receiver, server CPU per delivery, messages lost.

use std::time::Duration;

use anyhow::{bail, Result};

use super::ramp::{self, Spec};
use super::{quiesce, Env};
use crate::pool::{Pool, Senders};
use crate::progress::say;
use crate::results::fanout::{Fanout, P99_LIMIT_MS};
use crate::servers::{Kind, Server};
use crate::wire::MsgKind;

pub async fn run(env: &Env, kind: Kind) -> Result<Fanout> {
    let scale = &env.scale;
    let n = scale.fanout_clients;
    let server = Server::start(kind, &env.setup).await?;
    let mut pool = Pool::spawn(1, env.client_core, server.target()).await?;
    let opened = pool
        .connect(n, scale.setup_concurrency, false, false, 1)
        .await?;
    if opened.failed > 0 {
        bail!(
            "{} of {n} clients failed to open: {}",
            opened.failed,
            opened.first_error.unwrap_or_default()
        );
    }
    quiesce(&server, Duration::from_secs(30)).await;
    say(format!(
        "fan-out {kind:?}: {n} clients open in {:.1} s",
        opened.elapsed.as_secs_f64()
    ));
    let spec = Spec {
        label: format!("fan-out {kind:?}"),
        rates: scale.fanout_deliveries.clone(),
        events_per_message: n as u64 - 1,
        senders: Senders::First(scale.fanout_senders),
        msg: MsgKind::Room {
            room: "lobby".to_owned(),
        },
        acks: false,
        p99_limit_ms: P99_LIMIT_MS,
    };
    let ramp = ramp::run(env, &server, &mut pool, &spec).await?;
    Ok(Fanout {
        clients: n,
        senders: scale.fanout_senders,
        setup_s: opened.elapsed.as_secs_f64(),
        ramp,
    })
}
