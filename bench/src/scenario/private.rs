//! Private messages: 1,000 users at rising rates in total: throughput and latency from send to
//! the recipient. The peer is `peers/private.js` (a map from user to connection), with each
//! client registered by `online` first.
//!
//! Two parts, each on a fresh server: first every message goes to a random other user, so most
//! messages start a conversation (the worst case for a server that lists each user's
//! conversations); then every user writes only to its contacts (a fixed, mutual set of the
//! nearest users by index), as people who know each other do.

use std::time::Duration;

use anyhow::{bail, Result};

use super::ramp::{self, Spec};
use super::{quiesce, Env};
use crate::pool::{Pool, Senders};
use crate::progress::say;
use crate::results::private::{Contacts, Private, P99_LIMIT_MS};
use crate::results::ramp::Ramp;
use crate::servers::{Kind, Server};
use crate::wire::MsgKind;

pub async fn run(env: &Env, kind: Kind) -> Result<Private> {
    let scale = &env.scale;
    let (setup_s, ramp) = part(env, kind, "", MsgKind::Private, &scale.private_rates).await?;
    let per_user = scale.private_contacts;
    let (_, contacts) = part(
        env,
        kind,
        " contacts",
        MsgKind::PrivateContacts { per_user },
        &scale.private_contact_rates,
    )
    .await?;
    Ok(Private {
        users: scale.private_users,
        setup_s,
        ramp,
        contacts: Some(Contacts {
            per_user,
            ramp: contacts,
        }),
    })
}

/// One part on a fresh server: signs the users in, then runs the steps; returns the seconds
/// the sign-ins took and the steps.
async fn part(
    env: &Env,
    kind: Kind,
    label: &str,
    msg: MsgKind,
    rates: &[f64],
) -> Result<(f64, Ramp)> {
    let scale = &env.scale;
    let n = scale.private_users;
    let server = Server::start(kind, &env.setup).await?;
    let mut pool = Pool::spawn(1, env.client_core, server.target()).await?;
    let opened = pool
        .connect(n, scale.setup_concurrency, false, kind.registers(), 1)
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
        "private{label} {kind:?}: {n} users online in {:.1} s",
        opened.elapsed.as_secs_f64()
    ));
    let spec = Spec {
        label: format!("private{label} {kind:?}"),
        rates: rates.to_vec(),
        events_per_message: 1,
        senders: Senders::All,
        msg,
        acks: false,
        p99_limit_ms: P99_LIMIT_MS,
    };
    let ramp = ramp::run(env, &server, &mut pool, &spec).await?;
    Ok((opened.elapsed.as_secs_f64(), ramp))
}
