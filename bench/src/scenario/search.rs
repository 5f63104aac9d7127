//! Search on a real volume (ours only: the peers have no search): our server on each engine
//! (SQLite, and PostgreSQL when it can be reached) is filled with `search_messages` room
//! messages through its own protocol (so the full-text index is written as in production, by
//! the storing transactions), then one user runs `search_queries` searches of each kind, one at
//! a time, timing each round trip: a rare word, a word of middling frequency, a frequent word,
//! two words together, and a rare word's prefix. The words of the bodies follow Zipf's law over
//! a vocabulary of 20,000 made-up words, 6 to 16 words a message. Then the size of the database
//! and of its full-text index (SQLite: `dbstat` over FTS5's tables; PostgreSQL: the GIN index
//! and the `tsvector` column).
//!
//! The figures are printed (and returned for the summary), with how long the filling took and
//! how busy the machine was (load averages, compilers) before it and after the searches;
//! `docs/benchmarks.md` quotes a run.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;
use shared::ServerFrame;
use testkit::{Client, Schema, ServerProcess};

use super::Env;
use crate::proc::Busy;
use crate::progress::say;
use crate::servers::ours_options;

/// The words: `w0` (most frequent) … `w19999`, spelled as letters so each is one word.
pub(super) const VOCABULARY: usize = 20_000;

/// Messages in flight per filling client.
const WINDOW: usize = 512;

/// Filling clients, each in a room of its own (nothing fans out).
pub(super) const FILLERS: usize = 4;

/// One engine's figures (printed as they are measured).
#[derive(Debug, Clone)]
pub struct EngineFigures {
    pub engine: &'static str,
    pub messages: usize,
    /// Messages stored per second while filling, and how long it took.
    pub fill_rate: f64,
    pub fill_secs: f64,
    /// How busy the machine was before the filling and after the searches.
    pub busy: (Busy, Busy),
    /// Per kind of query: its name, matches per query (first page's count is capped; this is
    /// the words' share of messages), p50 and p99 in ms.
    pub queries: Vec<(String, f64, f64, f64)>,
    /// Bytes of the database, and of the full-text index within it.
    pub database_bytes: u64,
    pub index_bytes: u64,
}

/// Word `rank` of the vocabulary, as letters (`a`…`z` digits, base 26, with a prefix that
/// keeps the words at least four letters long).
fn word(rank: usize) -> String {
    let mut n = rank;
    let mut out = String::from("qx");
    loop {
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out
}

impl EngineFigures {
    /// The figures as lines of a Markdown table: one per kind of query, then the sizes.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} with {} messages (stored at {:.0}/s):\n| Query | Matching messages (expected) | p50 | p99 |\n|---|---:|---:|---:|\n",
            self.engine, self.messages, self.fill_rate
        );
        for (name, share, p50, p99) in &self.queries {
            // A message holds 11 words on average.
            let expected = share * self.messages as f64 * 11.0;
            out.push_str(&format!(
                "| {name} | {expected:.0} | {p50:.1} ms | {p99:.1} ms |\n"
            ));
        }
        out.push_str(&format!(
            "database {} bytes, of which the full-text index {} bytes\n\
             filled in {:.0} s; load {:.2} (1 min) and {} compilers before it, {:.2} and {} after the searches\n",
            self.database_bytes,
            self.index_bytes,
            self.fill_secs,
            self.busy.0.load_1m,
            self.busy.0.compilers,
            self.busy.1.load_1m,
            self.busy.1.compilers,
        ));
        out
    }
}

/// A small deterministic generator (xorshift), so runs compare.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf-distributed ranks (exponent 1) by inverse transform over the harmonic numbers.
pub(super) struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub(super) fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / k as f64;
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.iter().map(|c| c / total).collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative.partition_point(|c| *c < u)
    }

    /// The share of words that are word `rank`.
    fn share(&self, rank: usize) -> f64 {
        self.cumulative[rank]
            - if rank == 0 {
                0.0
            } else {
                self.cumulative[rank - 1]
            }
    }
}

fn body(rng: &mut Rng, zipf: &Zipf) -> String {
    let words = 6 + (rng.next() % 11) as usize;
    (0..words)
        .map(|_| word(zipf.sample(rng)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends `count` messages from `client` to `room`, `WINDOW` in flight, and waits for every ack.
/// Their `req`s (idempotency keys) are unique to the `seed`: a second fill with another seed
/// stores new messages.
pub(super) async fn fill(client: &mut Client, room: &str, count: usize, seed: u64, zipf: &Zipf) {
    let mut rng = Rng(seed | 1);
    let mut sent = 0;
    let mut acked = 0;
    while acked < count {
        while sent < count && sent - acked < WINDOW {
            let text = body(&mut rng, zipf);
            client
                .send_json(json!({"type": "room_message", "room": room, "body": text, "req": format!("f{seed:x}-{sent}")}))
                .await;
            sent += 1;
        }
        match client.recv().await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error { code, message, .. } => {
                panic!("a filling message was refused: {code:?} {message}")
            }
            _ => {}
        }
    }
}

/// p50 and p99 of `times`, in ms.
pub(super) fn percentiles(times: &mut [Duration]) -> (f64, f64) {
    times.sort_unstable();
    let at = |p: f64| {
        let i = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

/// A kind of query: the `i`th query's text and the share of words it matches.
type Query<'a> = Box<dyn Fn(usize) -> (String, f64) + 'a>;

/// Runs the searches on a filled server; returns each kind's figures.
async fn queries(
    searcher: &mut Client,
    per_kind: usize,
    zipf: &Zipf,
) -> Result<Vec<(String, f64, f64, f64)>> {
    // Ranks: rare (about 1 in 100,000 words), middling, frequent; pairs; a rare word's prefix.
    let kinds: Vec<(&str, Query<'_>)> = vec![
        (
            "rare word",
            Box::new(|i| (word(15_000 + i), zipf.share(15_000 + i))),
        ),
        (
            "middling word",
            Box::new(|i| (word(500 + i), zipf.share(500 + i))),
        ),
        (
            "frequent word",
            Box::new(|i| (word(i % 10), zipf.share(i % 10))),
        ),
        (
            "two words",
            Box::new(|i| {
                (
                    format!("{} {}", word(i % 10), word(200 + i)),
                    zipf.share(i % 10) * zipf.share(200 + i),
                )
            }),
        ),
        (
            "prefix",
            Box::new(|i| {
                let w = word(15_000 + i);
                let share = zipf.share(15_000 + i);
                (w[..w.len() - 1].to_owned(), share)
            }),
        ),
    ];
    let mut out = Vec::new();
    for (name, query) in kinds {
        let mut times = Vec::with_capacity(per_kind);
        let mut share = 0.0;
        for i in 0..per_kind {
            let (text, s) = query(i);
            share += s;
            let started = Instant::now();
            match searcher
                .try_search(json!({"query": text, "req": format!("q{i}")}))
                .await
            {
                Ok(_) => times.push(started.elapsed()),
                Err(other) => bail!("search {text:?} refused: {other:?}"),
            }
        }
        let (p50, p99) = percentiles(&mut times);
        out.push((name.to_owned(), share / per_kind as f64, p50, p99));
    }
    Ok(out)
}

/// `sqlite3 <db> <sql>`'s one number.
pub(super) fn sqlite_number(db: &Path, sql: &str) -> Result<u64> {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .context("running sqlite3 (is it installed?)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().with_context(|| {
        format!(
            "sqlite3 said {text:?} ({})",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `psql <url> -c <sql>`'s one number.
pub(super) fn psql_number(url: &str, sql: &str) -> Result<u64> {
    let out = Command::new("psql")
        .args([url, "-At", "-c", sql])
        .output()
        .context("running psql (is it installed?)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().with_context(|| {
        format!(
            "psql said {text:?} ({})",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// One engine: a fresh server on it, filled, searched, measured.
async fn engine(env: &Env, schema: Option<&Schema>) -> Result<EngineFigures> {
    let scale = &env.scale;
    let mut options = ours_options(&env.setup);
    if let Some(schema) = schema {
        options = options.env("DATABASE_URL", schema.url());
    }
    let server: ServerProcess = options
        .try_start()
        .await
        .map_err(|e| anyhow::anyhow!("starting Ours: {}", e.reason))?;
    let endpoint = server.endpoint();
    let zipf = Zipf::new(VOCABULARY);
    let n = scale.search_messages;
    let engine_name = if schema.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    say(format!("search ({engine_name}): storing {n} messages"));
    let busy_before = Busy::now();
    let started = Instant::now();
    let mut fills = Vec::new();
    for f in 0..FILLERS {
        let token = endpoint.claim(&format!("filler{f}")).await;
        let mut client = endpoint.connect(&token).await;
        let room = format!("fill{f}");
        client.join(&room).await;
        let count = n / FILLERS + usize::from(f < n % FILLERS);
        let zipf = &zipf;
        fills.push(async move {
            fill(
                &mut client,
                &room,
                count,
                0x9e37_79b9_7f4a_7c15 ^ f as u64,
                zipf,
            )
            .await;
            client
        });
    }
    let _fillers = futures_util::future::join_all(fills).await;
    let fill_secs = started.elapsed().as_secs_f64();
    let fill_rate = n as f64 / fill_secs;
    say(format!(
        "search ({engine_name}): stored in {fill_secs:.0} s ({fill_rate:.0} messages/s); searching"
    ));
    let token = endpoint.claim("searcher").await;
    let mut searcher = endpoint.connect(&token).await;
    for f in 0..FILLERS {
        searcher.join(&format!("fill{f}")).await;
    }
    let queries = queries(&mut searcher, scale.search_queries, &zipf).await?;
    let busy_after = Busy::now();
    let (database_bytes, index_bytes) = match schema {
        None => {
            let db = server.data_dir().join("chat.db");
            // The WAL folded in first, so the file holds everything.
            let _ = sqlite_number(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
            (
                sqlite_number(
                    &db,
                    "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                )?,
                sqlite_number(
                    &db,
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'message_search%'",
                )?,
            )
        }
        Some(schema) => {
            let url = schema.url();
            (
                psql_number(&url, "SELECT pg_total_relation_size('messages')")?,
                psql_number(
                    &url,
                    "SELECT pg_relation_size('messages_search') \
                     + (SELECT SUM(pg_column_size(search_words)) FROM messages)::bigint",
                )?,
            )
        }
    };
    Ok(EngineFigures {
        engine: engine_name,
        messages: n,
        fill_rate,
        fill_secs,
        busy: (busy_before, busy_after),
        queries,
        database_bytes,
        index_bytes,
    })
}

/// SQLite, then PostgreSQL when it can be reached (skipped, loudly, when not).
pub async fn run(env: &Env) -> Result<Vec<EngineFigures>> {
    let mut out = vec![engine(env, None).await?];
    match Schema::try_create_in(&testkit::test_database_url()).await {
        Ok(schema) => out.push(engine(env, Some(&schema)).await?),
        Err(e) => say(format!("search: PostgreSQL skipped: {e}")),
    }
    Ok(out)
}
