//! Integration tests: the real server on port 0, real WebSocket clients over loopback.
//! Set TEST_LOG=1 to see the server's logs.

mod auth;
mod bad_input;
mod chat;
mod helpers;
mod history;
mod lifecycle;
mod ops;
mod presence;
mod slow_and_flooding;
