//! Rising load, shared by [`super::fanout`], [`super::private`] and [`super::acks`]: step by
//! step, send at a fixed rate for a while (open loop, so a slow server cannot slow the senders
//! down), wait for the stragglers, and account for every message.
//!
//! Per step: events per second offered and achieved (deliveries, or acknowledgements), their
//! latency, those lost (not arrived by the end of the drain), and the server's CPU per event.
//! A step is sustained when nothing is lost, no connection is cut and the p99 stays under the
//! scenario's limit; the ramp stops after three steps in a row that are not, or one that is
//! hopeless (a connection cut, a p99 over 20 times the limit, over 10% lost, or under 80% of
//! the offered rate achieved).

use std::time::{Duration, Instant};

use anyhow::Result;

use super::{quiesce, Env};
use crate::frames::now_us;
use crate::pool::{Pool, Senders};
use crate::progress::say;
use crate::results::latency::Latency;
use crate::results::ramp::{Ramp, Step, GENERATOR_BOUND};
use crate::servers::Watched;
use crate::servers::Writes;
use crate::wire::MsgKind;

/// What to ramp.
pub struct Spec {
    /// For progress lines.
    pub label: String,
    /// Events per second offered, step by step.
    pub rates: Vec<f64>,
    /// Events each sent message should cause (receivers of a broadcast, or 1).
    pub events_per_message: u64,
    pub senders: Senders,
    pub msg: MsgKind,
    /// Time acknowledgements instead of deliveries.
    pub acks: bool,
    /// A sustained step has a p99 below this.
    pub p99_limit_ms: f64,
}

/// Runs the ramp of `spec` on clients already open in `pool`.
pub async fn run(env: &Env, server: &impl Watched, pool: &mut Pool, spec: &Spec) -> Result<Ramp> {
    run_steps(env, env.scale.step, server, pool, spec).await
}

/// [`run`] with steps of `step` instead of the scale's.
pub async fn run_steps(
    env: &Env,
    step: Duration,
    server: &impl Watched,
    pool: &mut Pool,
    spec: &Spec,
) -> Result<Ramp> {
    let scale = &env.scale;
    let step_time = step;
    let mut ramp = Ramp::default();
    let mut misses = 0;
    for (i, &offered) in spec.rates.iter().enumerate() {
        let phase = u32::try_from(i + 1)?;
        let send_rate = offered / spec.events_per_message as f64;
        quiesce(server, Duration::from_secs(10)).await;
        let before_each = server.usages();
        let before = server.usage();
        let writes_before = server.writes();
        let started = Instant::now();
        let start_us = now_us();
        let paced = pool
            .pace(phase, send_rate, step_time, spec.senders, spec.msg.clone())
            .await?;
        let expected = paced.sent * spec.events_per_message;
        pool.drain(phase, expected, scale.drain).await?;
        let wall = started.elapsed();
        let after_each = server.usages();
        let after = server.usage();
        let frames_per_write = Writes::frames_per_write(writes_before, server.writes());
        let seen = pool.collect(phase).await?;
        let (received, latency) = if spec.acks {
            (seen.acks, Latency::of(&seen.ack_latency))
        } else {
            (seen.received, Latency::of(&seen.latency))
        };
        let last_us = if spec.acks {
            seen.last_ack_us
        } else {
            seen.last_recv_us
        };
        let cpu = after.cpu.saturating_sub(before.cpu).as_secs_f64();
        let lost = expected.saturating_sub(received);
        let closed = seen.closed_total();
        let sustained = lost == 0 && closed == 0 && latency.p99_ms < spec.p99_limit_ms;
        // Sustained: everything arrived, at the pace it was sent. Otherwise the server was
        // busy until the last arrival, which is the honest denominator.
        let window = if sustained {
            paced.wall
        } else {
            Duration::from_micros(last_us.saturating_sub(start_us)).max(step_time)
        }
        .as_secs_f64();
        let step = Step {
            offered,
            send_rate,
            sent: paced.sent,
            expected,
            received,
            lost,
            achieved: received as f64 / window,
            latency,
            server_cpu_us_per_event: cpu * 1e6 / received.max(1) as f64,
            server_cpu_share: cpu / wall.as_secs_f64(),
            generator_cpu_share: paced.cpu.as_secs_f64() / paced.wall.as_secs_f64().max(1e-9),
            node_cpu_share: if after_each.len() > 1 {
                after_each
                    .iter()
                    .zip(&before_each)
                    .map(|(a, b)| a.cpu.saturating_sub(b.cpu).as_secs_f64() / wall.as_secs_f64())
                    .collect()
            } else {
                Vec::new()
            },
            closed,
            frames_per_write,
            sustained,
            generator_bound: paced.cpu.as_secs_f64() / paced.wall.as_secs_f64().max(1e-9)
                >= GENERATOR_BOUND,
        };
        say(format!(
            "{}: offered {:>9.0}/s achieved {:>9.0}/s  p50 {:>8.2} ms  p99 {:>8.2} ms  \
             max {:>8.2} ms  lost {}  server {:.2} µs/event ({:.0}% core)  generator {:.0}% core{}",
            spec.label,
            step.offered,
            step.achieved,
            step.latency.p50_ms,
            step.latency.p99_ms,
            step.latency.max_ms,
            step.lost,
            step.server_cpu_us_per_event,
            step.server_cpu_share * 100.0,
            step.generator_cpu_share * 100.0,
            step.frames_per_write
                .map_or_else(String::new, |f| format!("  {f:.1} frames/write")),
        ));
        if seen.errors > 0 && ramp.notes.is_empty() {
            ramp.notes.push(format!(
                "{} error frames; the first: {}",
                seen.errors,
                seen.first_error.clone().unwrap_or_default()
            ));
        }
        if closed > 0 {
            ramp.notes.push(format!(
                "at {offered:.0}/s connections ended (close code: count; 0 = no close frame): {:?}",
                seen.closed
            ));
        }
        let hopeless = closed > 0
            || step.latency.p99_ms > 20.0 * spec.p99_limit_ms
            || step.lost * 10 > step.expected
            || step.achieved < 0.8 * step.offered;
        misses = if sustained { 0 } else { misses + 1 };
        ramp.steps.push(step);
        if hopeless || misses >= 3 {
            break;
        }
    }
    Ok(ramp)
}
