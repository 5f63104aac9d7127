//! Growth (issue #25): how storing a message and reading history cost as the store fills, on
//! each engine (SQLite, then PostgreSQL when it can be reached), and the database's bytes per
//! message. A fresh server per engine is filled through its own protocol, as the search
//! scenario fills it (4 clients, each in a room of its own, 512 messages in flight), up to each
//! checkpoint of `--growth-messages` in turn (default 10,000, 100,000 and 1,000,000). At each
//! checkpoint, with the fillers idle: one client sends 200 messages one at a time, each once
//! the previous one's `ack` came (the time to the `ack` is the append latency); then asks 200
//! times for a page of 50 of a filled room's messages before a random id (history latency);
//! then the database's size is read.
//!
//! Ours only: the peers store nothing.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;
use testkit::{Client, Schema, ServerProcess};

use super::search::{
    fill, percentiles, psql_number, sqlite_number, Rng, Zipf, FILLERS, VOCABULARY,
};
use super::Env;
use crate::progress::say;
use crate::results::growth::{Engine, Growth, Point};
use crate::servers::ours_options;

/// Messages in a history page.
const PAGE: u32 = 50;

/// SQLite, then PostgreSQL when it can be reached (skipped, loudly, when not).
pub async fn run(env: &Env) -> Result<Growth> {
    let mut engines = vec![engine(env, None).await?];
    match Schema::try_create_in(&testkit::test_database_url()).await {
        Ok(schema) => engines.push(engine(env, Some(&schema)).await?),
        Err(e) => say(format!("growth: PostgreSQL skipped: {e}")),
    }
    Ok(Growth { engines })
}

async fn engine(env: &Env, schema: Option<&Schema>) -> Result<Engine> {
    let mut options = ours_options(&env.setup);
    if let Some(schema) = schema {
        options = options.env("DATABASE_URL", schema.url());
    }
    let server: ServerProcess = options
        .try_start()
        .await
        .map_err(|e| anyhow::anyhow!("starting Ours: {}", e.reason))?;
    let endpoint = server.endpoint();
    let name = if schema.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let zipf = Zipf::new(VOCABULARY);
    let mut fillers = Vec::with_capacity(FILLERS);
    for f in 0..FILLERS {
        let token = endpoint.claim(&format!("filler{f}")).await;
        let mut client = endpoint.connect(&token).await;
        client.join(&format!("fill{f}")).await;
        fillers.push(client);
    }
    let prober_token = endpoint.claim("prober").await;
    let (mut stored, mut filling) = (0u64, Duration::ZERO);
    let mut points = Vec::new();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for &checkpoint in &env.scale.growth_messages {
        let more = checkpoint.saturating_sub(stored);
        say(format!("growth ({name}): storing {more} more messages"));
        let started = Instant::now();
        let fills = fillers.iter_mut().enumerate().map(|(f, client)| {
            let count = more / FILLERS as u64 + u64::from((f as u64) < more % FILLERS as u64);
            let room = format!("fill{f}");
            let zipf = &zipf;
            async move {
                fill(
                    client,
                    &room,
                    usize::try_from(count).unwrap_or(usize::MAX),
                    checkpoint ^ f as u64,
                    zipf,
                )
                .await;
            }
        });
        futures_util::future::join_all(fills).await;
        filling += started.elapsed();
        stored = checkpoint;
        // Connected afresh each time: idle while the store fills, it would miss the server's
        // pings (nothing reads it) and be closed after the idle timeout.
        let mut prober = endpoint.connect(&prober_token).await;
        prober.join("probe").await;
        prober.join("fill0").await;
        let probes = env.scale.growth_probes;
        let point = probe(&mut prober, &mut rng, (stored, probes), &server, schema).await?;
        say(format!(
            "growth ({name}): {stored} messages: append p50 {:.2} ms p99 {:.2} ms, history p50 \
             {:.2} ms p99 {:.2} ms, database {} bytes ({:.0} per message)",
            point.append_p50_ms,
            point.append_p99_ms,
            point.history_p50_ms,
            point.history_p99_ms,
            point.database_bytes,
            point.bytes_per_message()
        ));
        points.push(point);
    }
    Ok(Engine {
        engine: name.to_owned(),
        fill_rate: stored as f64 / filling.as_secs_f64().max(1e-9),
        points,
    })
}

/// The figures of one checkpoint.
async fn probe(
    prober: &mut Client,
    rng: &mut Rng,
    (stored, probes): (u64, usize),
    server: &ServerProcess,
    schema: Option<&Schema>,
) -> Result<Point> {
    let mut appends = Vec::with_capacity(probes);
    let mut last = 0;
    for i in 0..probes {
        let started = Instant::now();
        last = prober
            .say(
                "probe",
                "growth probe lorem ipsum dolor sit amet",
                &format!("p{stored}-{i}"),
            )
            .await;
        appends.push(started.elapsed());
    }
    let mut pages = Vec::with_capacity(probes);
    for _ in 0..probes {
        let before = 1 + rng.next() % last.max(1);
        let started = Instant::now();
        prober
            .history(json!({"room": "fill0", "before": before, "limit": PAGE}))
            .await;
        pages.push(started.elapsed());
    }
    let (append_p50_ms, append_p99_ms) = percentiles(&mut appends);
    let (history_p50_ms, history_p99_ms) = percentiles(&mut pages);
    let database_bytes = match schema {
        None => {
            let db = server.data_dir().join("chat.db");
            let _ = sqlite_number(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
            sqlite_number(
                &db,
                "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            )?
        }
        Some(schema) => psql_number(
            &schema.url(),
            "SELECT SUM(pg_total_relation_size(c.oid))::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r'",
        )?,
    };
    Ok(Point {
        messages: stored,
        append_p50_ms,
        append_p99_ms,
        history_p50_ms,
        history_p99_ms,
        database_bytes,
    })
}
