//! testkit: the one test harness of the chat server, for the backend's integration tests,
//! the browser tests and the benchmark alike.
//!
//! - `app` (cargo feature `app`, which links the backend crate; the backend's tests enable it):
//!   the server in process. `spawn_app` starts it on port 0 with a fresh store (SQLite in a
//!   temporary directory, or a PostgreSQL schema with `TEST_STORE=postgres`) and returns a
//!   `TestApp`: its address, its state, `shutdown`, `restart` on the same store. `open_store`
//!   and `open_state` are the only places a store or an `AppState` is made. `on_sqlite`,
//!   `on_postgres` and `on_both_engines!` run a store test on each engine.
//! - [`process`]: the real `chat-server` binary as a [`ServerProcess`], from [`ServerOptions`]:
//!   a free port, a fresh data directory, extra flags and environment, a command prefix
//!   (`taskset`, `setpriv`), `kill_9`, `terminate` (SIGTERM and the exit status), `restart` on
//!   the same port and data directory, its log; `try_start` says why it did not start
//!   ([`StartError`]) rather than failing the test.
//! - [`services`]: a PostgreSQL [`Schema`] per test, [`Services`] (a schema and a Redis prefix:
//!   what a cluster's nodes share; [`Services::node`] and [`Services::node_with`] give a node's
//!   options; [`Services::try_at`] and [`Services::probe`] say which service is
//!   [`Unreachable`]), a private [`Redis`] that can be stopped.
//! - [`exposition`]: `/metrics` parsed by a real exposition-format parser into an
//!   [`Exposition`]: families by name, their types and samples.
//! - [`s3`]: [`MotoServer`], a local S3-compatible server (moto) with a bucket per test, for
//!   the S3 attachment storage.
//! - [`net`]: [`Relay`] (a TCP relay that can cut and restore live connections, for HTTP,
//!   WebSocket or PostgreSQL) and [`Balancer`] (round robin over nodes).
//! - [`client`]: [`Endpoint`] (HTTP calls and WebSocket connects) and [`Client`], the protocol
//!   client: it waits for the frame a test expects ([`Client::recv_until`], [`Client::sync`])
//!   and fails on frames that must not come ([`Client::assert_quiet`],
//!   [`Client::assert_none_of`]).
//! - [`frames`]: what tests build and match of the server's frames (`presence`, `lists`, the
//!   predicates `recv_until` and `assert_none_of` take).
//!
//! `TEST_LOG=1` shows the server's logs (in process, and of the processes); `E2E_LOG=1` the
//! processes' too.

#[cfg(feature = "app")]
pub mod app;
pub mod client;
#[cfg(feature = "app")]
mod engines;
pub mod exposition;
pub mod frames;
pub mod net;
pub mod process;
pub mod s3;
pub mod services;

#[cfg(feature = "app")]
pub use app::{
    generous_sign_in, init_test_log, open_state, open_store, spawn_app, spawn_app_on,
    spawn_app_with, test_config, Engine, Storage, StoreAt, TestApp,
};
pub use client::{Client, Ended, Endpoint, ARRIVES_WITHIN, QUIET_FOR};
#[cfg(feature = "app")]
pub use engines::{migrate_before, on_postgres, on_postgres_url, on_sqlite, on_sqlite_url};
pub use exposition::Exposition;
pub use frames::{
    answered, is_message, is_offline, is_online, is_typing, lists, message_id, names_someone,
    presence,
};
pub use net::{free_addr, Balancer, Relay};
pub use process::{repo_root, server_binary, ServerOptions, ServerProcess, StartError};
pub use s3::MotoServer;
pub use services::{
    test_database_url, test_redis_url, unique, Redis, Schema, Services, Unreachable,
    DEFAULT_TEST_DATABASE_URL, EXPIRY_MS, HEARTBEAT_MS,
};
