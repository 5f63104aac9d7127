//! The chat server.
//!
//! - [`config`]: flags and environment.
//! - [`logging`]: text or JSON log lines.
//! - [`routes`]: `fn app(state) -> Router`: the HTTP API, the WebSocket upgrade, the web client.
//! - [`assets`]: the web client's files: precompressed copies, caching, `ETag`s, the SPA
//!   fallback.
//! - [`security`]: the security headers of every answer (`Content-Security-Policy` and
//!   others).
//! - [`compression`]: the API's larger answers compressed on the fly.
//! - [`sessions`]: the session endpoints (claim, sign in, sign out, list, revoke) and who is
//!   asking (client address, trusted proxies).
//! - [`export`]: a user's archive of what they wrote, downloaded by a one-use link.
//! - [`attachments`]: files on messages: uploads (type from the bytes, size and quota,
//!   thumbnails within bounds), the storage (a directory or an S3-compatible bucket), serving
//!   them inert to those who may read them, and sweeping deleted ones.
//! - [`identity`]: names, passwords (hashed on bounded threads), attempt limits and session
//!   tokens (expiring when unused).
//! - [`store`]: everything durable (SQLite or PostgreSQL): accounts, sessions, rooms, messages,
//!   read markers; with SQLite's WAL checkpoints and conversation lists, kept by tasks of their
//!   own off the commit path.
//! - [`ws`]: the WebSocket: the handshake (handing the connection its TCP stream), server
//!   frames encoded once, client frames parsed.
//! - [`connection`]: one WebSocket: reads, rate-limits and dispatches what the client sends,
//!   writes what the hub queues.
//! - [`commands`]: what each client frame does, one file per command.
//! - [`journal`]: stores messages in batches, then hands them to its `Delivery` (the hub).
//! - [`bus`]: Redis pub/sub between nodes, when there are several: the hub's `Publish`.
//! - [`hub`]: the pool of connections, the user map, the rooms, presence, typing, the other
//!   nodes; all fan-out.
//! - [`outbox`]: a connection's outbound queue and close switch, and the flusher that paces
//!   its writer.
//! - [`message`]: messages and conversations.
//! - [`change`]: changes to messages (edits, deletions, reactions), carried like messages.
//! - [`metrics`]: counters and latency histograms, rendered for Prometheus at `/metrics`.
//! - [`rate_limit`]: the per-connection token bucket.
//! - [`cidr`]: address blocks, for `--trusted-proxies`.
//! - [`server`]: accepting and serving HTTP (waiting connections capped and timed out, the
//!   open-file limit raised and the caps fitted to it) until shutdown, then closing every
//!   connection with 1001.
//! - [`tasks`]: the background tasks, owned, stopped and awaited on shutdown.
//! - [`healthcheck`]: `chat-server healthcheck`, the container's probe of `/healthz`.
//! - [`admin`]: administrators' endpoints (disabling accounts, the figures) and
//!   `chat-server admin grant|revoke`.
//! - [`retention`]: the task that deletes messages older than `--retention-days` or their
//!   room's retention, in bounded batches.
//!
//! Layers depend downward only: `server` → `routes` → `connection` → `commands` → `bus` →
//! `hub` → `journal` → `store`, with `outbox`, `ws`, `message`, `metrics` and `config`
//! below them all. What a lower layer calls back is a trait it owns: the journal's
//! `Delivery` and the hub's `Publish`.
//!
//! `ARCHITECTURE.md` at the repository root has the bird's-eye view and the invariants.

pub mod admin;
pub mod assets;
pub mod attachments;
pub mod bus;
pub mod change;
pub mod cidr;
pub mod clock;
pub mod commands;
pub mod compression;
pub mod config;
pub mod connection;
pub mod error;
pub mod export;
pub mod healthcheck;
pub mod hub;
pub mod identity;
pub mod journal;
pub mod logging;
pub mod message;
pub mod metrics;
pub mod outbox;
pub mod rate_limit;
pub mod retention;
pub mod routes;
pub mod security;
pub mod server;
pub mod sessions;
pub mod store;
pub mod tasks;
pub mod ws;

pub use config::Config;
pub use routes::{app, AppState};
