//! A hand-run measurement of `Store::append` for private messages, as the benchmark's private
//! scenario sends them: 1,000 users, each message to a random other one (a fixed sequence, so
//! runs compare), with the bench's body (two numbers and five words), no `req`, in batches as
//! the journal takes them. Into a fresh SQLite store in a temporary directory, or into the
//! database a URL names (give PostgreSQL a scratch schema: the messages stay).
//!
//! `cargo run -p backend --release --example private_append [BATCHES [BATCH [DATABASE_URL]]]`
//! (default 200 batches of 16). Its instruction count under `valgrind --tool=callgrind`, at
//! two numbers of batches, says what a message costs the store: the difference over the
//! difference in messages.

use std::time::Instant;

use backend::message::{Destination, NewMessage};
use backend::store::{SearchQuery, SqlStore, Store};
use backend::tasks::Tasks;
use shared::UserName;

const USERS: u64 = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let batches: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    let batch_size: usize = args.next().map_or(Ok(16), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let tasks = Tasks::new();
    let store = match args.next() {
        Some(url) => SqlStore::connect(&url, &tasks).await?,
        None => SqlStore::open(dir.path(), &tasks).await?,
    };
    let users: Vec<UserName> = (0..USERS)
        .map(|i| UserName::parse(&format!("user{i}")).expect("a valid name"))
        .collect();
    // xorshift64: the same pairs on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let started = Instant::now();
    let mut tag = 0u64;
    for _ in 0..batches {
        let batch: Vec<NewMessage> = (0..batch_size)
            .map(|_| {
                let from = next() % USERS;
                let to = (from + 1 + next() % (USERS - 1)) % USERS;
                tag += 1;
                let now = 1_700_000_000_000 + tag;
                NewMessage {
                    from: users[from as usize].clone(),
                    to: Destination::User(users[to as usize].clone()),
                    body: format!("{tag} {now} lorem ipsum dolor sit amet"),
                    at: now,
                    req: None,
                    reply_to: None,
                    change: None,
                    attachments: Vec::new(),
                }
            })
            .collect();
        store.append(&batch).await?;
    }
    // The lists' rounds index the private messages a second later (SQLite): counted here.
    store.catch_up_lists().await?;
    // So may the full-text index (SQLite, since it is kept in rounds): a search brings it up
    // to date, whatever it finds.
    let nothing = SearchQuery {
        terms: vec!["zzzz".to_owned()],
        conversation: None,
        sender: None,
        since: 0,
        until: u64::MAX,
        limit: 1,
        offset: 0,
    };
    store.search(&users[0], &nothing).await?;
    let elapsed = started.elapsed();
    let total = batches * batch_size;
    println!(
        "{}: {total} private messages in {batches} batches of {batch_size}: {:.3} s, \
         {:.0} messages/s",
        store.engine(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
