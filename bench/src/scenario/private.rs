//! Private messages: 1,000 users, each sending to a random other user, at rising rates in
//! total: throughput and latency from send to the recipient. The peer is `peers/private.js`
//! (a map from user to connection), with each client registered by `online` first.

use std::time::Duration;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::ramp::{self, Ramp, Spec};
use super::{quiesce, say, Env};
use crate::pool::{Pool, Senders};
use crate::server::{Kind, Server};
use crate::wire::MsgKind;

/// A step is sustained only with a p99 below this.
pub const P99_LIMIT_MS: f64 = 100.0;
/// The rate of the target "p99 < 5 ms at 10,000 messages/s".
pub const TARGET_RATE: f64 = 10_000.0;

/// The scenario for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Private {
    pub users: usize,
    pub setup_s: f64,
    pub ramp: Ramp,
}

pub async fn run(env: &Env, kind: Kind) -> Result<Private> {
    let scale = &env.scale;
    let n = scale.private_users;
    let server = Server::start(kind, &env.setup)?;
    let mut pool = Pool::spawn(1, env.client_core, server.target()).await?;
    let opened = pool
        .connect(
            n,
            scale.setup_concurrency,
            false,
            kind == Kind::NodePrivate,
            1,
        )
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
        "private {kind:?}: {n} users online in {:.1} s",
        opened.elapsed.as_secs_f64()
    ));
    let spec = Spec {
        label: format!("private {kind:?}"),
        rates: scale.private_rates.clone(),
        events_per_message: 1,
        senders: Senders::All,
        msg: MsgKind::Private,
        acks: false,
        p99_limit_ms: P99_LIMIT_MS,
    };
    let ramp = ramp::run(env, &server, &mut pool, &spec).await?;
    Ok(Private {
        users: n,
        setup_s: opened.elapsed.as_secs_f64(),
        ramp,
    })
}
