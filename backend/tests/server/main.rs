//! Integration tests: the server on port 0 (in process, or the real binary where a test needs
//! a process), real WebSocket clients over loopback, through `testkit`.
//! Set TEST_LOG=1 to see the server's logs; TEST_STORE=postgres runs every test on a fresh
//! PostgreSQL schema instead of SQLite.

mod accounts;
mod attachments;
mod auth;
mod away;
mod bad_input;
mod changes;
mod chat;
mod deploy;
mod edge;
mod export;
mod handshake;
mod healthcheck;
mod history;
mod http_contract;
mod lifecycle;
mod limits_per_user;
mod mentions;
mod moderation;
mod names;
mod ops;
mod paging;
mod presence;
mod receipts;
mod replay_and_keys;
mod retention;
mod rooms;
mod safety;
mod search;
mod sign_in;
mod sign_in_batches;
mod slow_and_flooding;
mod typing_budget;
mod wire;
mod writing;

use testkit::{ServerOptions, Storage};

/// The `chat-server` this target was built with, on the store `storage` names (its schema on
/// PostgreSQL; its own data directory on SQLite), with generous rate limits.
fn chat_server(storage: &Storage) -> ServerOptions {
    let options = ServerOptions::new()
        .binary(env!("CARGO_BIN_EXE_chat-server"))
        .args(["--rate-per-sec", "100000", "--rate-burst", "100000"]);
    match storage.database_url() {
        Some(url) => options.env("DATABASE_URL", url),
        None => options,
    }
}
