//! Durable sends: how fast our server stores and acknowledges messages. Since protocol
//! version 2 an `ack` means "stored" (the server writes every message to its store before it
//! acknowledges or delivers it), so this is the cost of a durable send; with protocol 1 the
//! server stored nothing and the report would say "acknowledged, not stored". The Node peers
//! acknowledge nothing: not applicable to them.
//!
//! 100 clients each send to a room of their own (so nothing fans out) at rising rates in
//! total, every message with a unique `req` (the idempotency key) that carries its send time:
//! acknowledgements per second and time to acknowledgement.

use std::time::Duration;

use anyhow::{bail, Result};

use super::ramp::{self, Spec};
use super::{quiesce, Env};
use crate::pool::{Pool, Senders};
use crate::progress::say;
use crate::results::acks::{Acks, P99_LIMIT_MS};
use crate::servers::{Kind, Server};
use crate::wire::MsgKind;

pub async fn run(env: &Env) -> Result<Acks> {
    let scale = &env.scale;
    let n = scale.ack_clients;
    let server = Server::start(Kind::Ours, &env.setup).await?;
    let mut pool = Pool::spawn(1, env.client_core, server.target()).await?;
    let opened = pool
        .connect(n, scale.setup_concurrency, true, false, 1)
        .await?;
    if opened.failed > 0 {
        bail!(
            "{} of {n} clients failed to open: {}",
            opened.failed,
            opened.first_error.unwrap_or_default()
        );
    }
    quiesce(&server, Duration::from_secs(30)).await;
    say(format!("acks: {n} clients, each in a room of its own"));
    let spec = Spec {
        label: "acks Ours".to_owned(),
        rates: scale.ack_rates.clone(),
        events_per_message: 1,
        senders: Senders::All,
        msg: MsgKind::OwnRoomAcked,
        acks: true,
        p99_limit_ms: P99_LIMIT_MS,
    };
    let ramp = ramp::run(env, &server, &mut pool, &spec).await?;
    Ok(Acks {
        clients: n,
        stored: shared::protocol::PROTOCOL_VERSION >= 2,
        ramp,
    })
}
