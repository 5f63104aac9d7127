//! A hand-run measurement of `Store::append`, the journal's hot path: 100 batches of 500
//! messages (each with its own `req`, from 50 senders) into a fresh SQLite store in a temporary
//! directory.
//!
//! `cargo run -p backend --release --example append_bench`

use std::time::Instant;

use backend::message::{Destination, NewMessage};
use backend::store::{SqliteStore, Store};
use shared::{RoomName, UserName};

const BATCHES: usize = 100;
const BATCH: usize = 500;
const SENDERS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path()).await?;
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
                req: Some(format!("{b}-{i}")),
            })
            .collect();
        store.append(&batch).await?;
    }
    let elapsed = started.elapsed();
    let total = BATCHES * BATCH;
    println!(
        "{total} messages in {BATCHES} batches of {BATCH}: {:.3} s, {:.0} messages/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
