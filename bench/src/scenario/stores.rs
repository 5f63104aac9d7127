//! Durable sends on shared PostgreSQL (issue #25): do more nodes store more? For 1, 2, …
//! nodes sharing one fresh PostgreSQL schema and Redis prefix (as in the scale-out scenario),
//! 100 clients, spread evenly over the nodes, each send to a room of their own at rising
//! total rates, every message acknowledged once stored, as in the durable-send scenario.
//! Every storing transaction takes the next ids from the one `sequences` row, so the nodes'
//! writes queue on that row; the aggregate acknowledgements per second against the number of
//! nodes shows how much.
//!
//! All nodes are pinned to the server core, as in the scale-out scenario: together they get
//! the one core a single server gets. PostgreSQL is the machine's own and runs on either core.
//! Ours only: the peers store nothing.

use std::time::Duration;

use anyhow::{bail, Result};

use super::ramp::{self, Spec};
use super::{quiesce, Env};
use crate::pool::{Pool, Senders};
use crate::progress::say;
use crate::results::stores::{Run, Stores, P99_LIMIT_MS};
use crate::servers::Cluster;
use crate::wire::MsgKind;

pub async fn run(env: &Env) -> Result<Stores> {
    let scale = &env.scale;
    let most = scale.stores_nodes.max(1);
    let clients = scale.ack_clients.next_multiple_of(most);
    let mut runs = Vec::with_capacity(most);
    for nodes in 1..=most {
        let cluster = Cluster::start(&env.setup, nodes).await?;
        quiesce(&cluster, Duration::from_secs(10)).await;
        let mut pool = Pool::spawn_spread(nodes, env.client_core, &cluster.targets()).await?;
        let opened = pool
            .connect(clients, scale.setup_concurrency, true, false, 1)
            .await?;
        if opened.failed > 0 {
            bail!(
                "{} of {clients} clients failed to open on {nodes} nodes: {}",
                opened.failed,
                opened.first_error.unwrap_or_default()
            );
        }
        quiesce(&cluster, Duration::from_secs(30)).await;
        say(format!(
            "stores: {nodes} nodes sharing PostgreSQL, {clients} clients each in a room of \
             their own"
        ));
        let spec = Spec {
            label: format!("stores {nodes} nodes"),
            rates: scale.ack_rates.clone(),
            events_per_message: 1,
            senders: Senders::All,
            msg: MsgKind::OwnRoomAcked,
            acks: true,
            p99_limit_ms: P99_LIMIT_MS,
        };
        let ramp = ramp::run(env, &cluster, &mut pool, &spec).await?;
        runs.push(Run { nodes, ramp });
    }
    Ok(Stores { clients, runs })
}
