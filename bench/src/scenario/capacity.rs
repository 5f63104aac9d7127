//! Capacity, after websocket-shootout: grow one room step by step; at each size keep 4
//! broadcasts in flight (a new one as soon as one completes) and time each broadcast's round
//! trip, from its send until the last member has it. The capacity is the largest room whose
//! p95 round trip stays under 500 ms. The server's CPU time per delivery at each size shows
//! how the cost of a delivery grows with the room (issue #25's growth curve, 100 members up).
//!
//! "The last member has it" spans processes: each worker reports a broadcast once all of its
//! own clients have it ([`crate::wire::Event::Done`]), and the broadcast is complete when every
//! worker has. A broadcast that does not complete within 10 s counts as infinitely slow.
//!
//! Our room is `lobby`, made of users with 100 connections ("tabs") each: every connection is
//! a member that receives every broadcast (and has its own queue and socket), exactly like a
//! connection of its own user, but growing the room does not pay for presence. Up to protocol
//! 2, with one user per connection every sign-in sent `user_online` to everyone online, so
//! growing a room to 20,000 took tens of minutes of the server's time before the first
//! broadcast (the idle-memory scenario shows that cost with one user per connection). Since
//! protocol 3 presence is coalesced (at most one `presence` frame per connection per 250 ms);
//! the room is still grown with tabs, as before.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{quiesce, workers_for, Env};
use crate::pool::Pool;
use crate::progress::say;
use crate::results::capacity::{Capacity, Step, LIMIT_MS};
use crate::results::latency::Latency;
use crate::servers::{Kind, Server, Writes};
use crate::wire::{histogram, Event, MAX_LATENCY_US};

/// A broadcast not complete after this is given up on.
const BROADCAST_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(env: &Env, kind: Kind) -> Result<Capacity> {
    let scale = &env.scale;
    let largest = scale.capacity_sizes.iter().copied().max().unwrap_or(0);
    let server = Server::start(kind, &env.setup).await?;
    let mut pool = Pool::spawn(
        workers_for(largest, scale),
        env.client_core,
        server.target(),
    )
    .await?;
    pool.track(true).await?;
    let mut result = Capacity {
        in_flight: scale.capacity_in_flight,
        tabs: scale.capacity_tabs,
        steps: Vec::new(),
        largest_under: None,
        stopped: format!("the largest room tried ({largest}) is still under {LIMIT_MS} ms"),
    };
    let mut next_id = 1;
    for &size in &scale.capacity_sizes {
        let grow = pool
            .connect(
                size.saturating_sub(pool.clients()),
                scale.setup_concurrency,
                false,
                false,
                scale.capacity_tabs,
            )
            .await?;
        if grow.failed > 0 {
            result.stopped = format!(
                "{} clients failed to open on the way to {size}: {}",
                grow.failed,
                grow.first_error.unwrap_or_default()
            );
            break;
        }
        let settle = quiesce(&server, Duration::from_secs(120)).await;
        let writes_before = server.writes();
        let cpu_before = server.usage().cpu;
        let mut step = measure(env, &mut pool, &mut next_id).await?;
        let cpu = server.usage().cpu.saturating_sub(cpu_before);
        let deliveries = step.broadcasts * size.saturating_sub(1) as u64;
        step.cpu_us_per_delivery =
            (deliveries > 0).then(|| cpu.as_secs_f64() * 1e6 / deliveries as f64);
        step.frames_per_write = Writes::frames_per_write(writes_before, server.writes());
        step.size = size;
        step.grow_s = grow.elapsed.as_secs_f64();
        step.settle_s = settle.as_secs_f64();
        say(format!(
            "capacity {kind:?}: room {size:>6}: {} broadcasts, round trip p50 {:.1} ms p95 {:.1} ms \
             max {:.1} ms, {} timed out, {:.2} µs of server CPU per delivery (grew in {:.1} s, \
             settled in {:.1} s){}",
            step.broadcasts,
            step.rtt.p50_ms,
            step.rtt.p95_ms,
            step.rtt.max_ms,
            step.timeouts,
            step.cpu_us_per_delivery.unwrap_or(0.0),
            step.grow_s,
            step.settle_s,
            step.frames_per_write
                .map_or_else(String::new, |f| format!(", {f:.1} frames/write")),
        ));
        let under = step.under();
        result.steps.push(step);
        if under {
            result.largest_under = Some(size);
        } else {
            result.stopped = format!("p95 round trip over {LIMIT_MS} ms at {size}");
            break;
        }
    }
    Ok(result)
}

/// A broadcast on its way.
struct Flight {
    started: Instant,
    /// Workers that have reported it complete.
    done: usize,
    send_us: u64,
    last_us: u64,
}

/// Runs broadcasts at the current size for the scale's window.
async fn measure(env: &Env, pool: &mut Pool, next_id: &mut u64) -> Result<Step> {
    let scale = &env.scale;
    let reporting = (0..pool.len()).filter(|w| pool.clients_on(*w) > 0).count();
    let senders = scale.capacity_in_flight.min(pool.clients_on(0)).max(1);
    let mut flying: HashMap<u64, Flight> = HashMap::new();
    let mut rtt = histogram();
    let (mut completed, mut timeouts, mut turn) = (0u64, 0u64, 0usize);
    let started = Instant::now();
    let hard_stop = scale.capacity_window * 4 + BROADCAST_TIMEOUT;
    loop {
        let enough = started.elapsed() >= scale.capacity_window
            && completed + timeouts >= scale.capacity_min_broadcasts as u64;
        let out_of_time = started.elapsed() >= hard_stop;
        while !enough && !out_of_time && flying.len() < scale.capacity_in_flight {
            let id = *next_id;
            *next_id += 1;
            pool.broadcast(0, turn % senders, id, "lobby").await?;
            turn += 1;
            flying.insert(
                id,
                Flight {
                    started: Instant::now(),
                    done: 0,
                    send_us: 0,
                    last_us: 0,
                },
            );
        }
        if flying.is_empty() {
            break;
        }
        if let Some((
            _,
            Event::Done {
                id,
                send_us,
                last_us,
            },
        )) = pool.event(Duration::from_millis(100)).await?
        {
            if let Some(flight) = flying.get_mut(&id) {
                flight.done += 1;
                flight.send_us = flight.send_us.max(send_us);
                flight.last_us = flight.last_us.max(last_us);
                if flight.done >= reporting {
                    let us = flight.last_us.saturating_sub(flight.send_us);
                    let _ = rtt.record(us.clamp(1, MAX_LATENCY_US));
                    completed += 1;
                    flying.remove(&id);
                }
            }
        }
        flying.retain(|_, f| {
            let alive = f.started.elapsed() < BROADCAST_TIMEOUT && !out_of_time;
            if !alive {
                timeouts += 1;
            }
            alive
        });
    }
    let mut with_timeouts = rtt.clone();
    let _ = with_timeouts.record_n(MAX_LATENCY_US, timeouts);
    let mut latency = Latency::of(&with_timeouts);
    latency.max_ms = Latency::of(&rtt).max_ms;
    Ok(Step {
        size: 0,
        broadcasts: completed,
        timeouts,
        rtt: latency,
        frames_per_write: None,
        grow_s: 0.0,
        settle_s: 0.0,
        cpu_us_per_delivery: None,
    })
}
