//! A hand-run measurement of `Store::append`, the journal's hot path: 100 batches of 500
//! messages (each with its own `req`, from 50 senders) into a fresh SQLite store in a temporary
//! directory, or into the database a URL names (give PostgreSQL a scratch schema: the messages
//! stay).
//!
//! `cargo run -p backend --release --example append_bench [DATABASE_URL]`

use std::time::Instant;

use backend::message::{Destination, NewMessage};
use backend::store::{SqlStore, Store};
use backend::tasks::Tasks;
use shared::{RoomName, UserName};

const BATCHES: usize = 100;
const BATCH: usize = 500;
const SENDERS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tasks = Tasks::new();
    let store = match std::env::args().nth(1) {
        Some(url) => SqlStore::connect(&url, &tasks).await?,
        None => SqlStore::open(dir.path(), &tasks).await?,
    };
    // Every run sends the same reqs: offset them by what is stored already.
    let base = store.last_id().await?;
    let senders: Vec<UserName> = (0..SENDERS)
        .map(|i| UserName::parse(&format!("sender{i}")).expect("a valid name"))
        .collect();
    let started = Instant::now();
    for b in 0..BATCHES {
        let batch: Vec<NewMessage> = (0..BATCH)
            .map(|i| NewMessage {
                from: senders[i % SENDERS].clone(),
                to: Destination::Room(RoomName::lobby()),
                body: format!("message {i} of batch {b}"),
                at: 1,
                req: Some(format!("{base}-{b}-{i}")),
                reply_to: None,
                change: None,
                attachments: Vec::new(),
            })
            .collect();
        store.append(&batch).await?;
    }
    let elapsed = started.elapsed();
    let total = BATCHES * BATCH;
    println!(
        "{}: {total} messages in {BATCHES} batches of {BATCH}: {:.3} s, {:.0} messages/s",
        store.engine(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
