//! The WebSocket as this server speaks it (RFC 6455): the wire format, the frames' encoding
//! and the handshake. Wire encoding lives beside the wire: queues and writers import this
//! module, not the hub.
//!
//! The pure parts (no I/O) live in the `wire` crate and are re-exported here, so the fuzz
//! targets build without the server:
//!
//! - [`WireFrame`]: a frame the server sends, header and payload in one buffer. Server frames
//!   are never masked, so the bytes are the same for every recipient: a broadcast is encoded
//!   once and every connection writes the same bytes.
//! - [`Decoder`]: parses the frames a client sends (always masked), joins fragmented messages,
//!   checks sizes, UTF-8 and the protocol's rules, and says which close code a violation earns.
//!
//! Here:
//!
//! - [`Frame`] and [`encode`]: a server frame encoded once, shared by all its recipients.
//! - [`Upgrade`]: the handshake, done by hand, that hands the connection its plain TCP
//!   [`Socket`]; its header rules are `wire::handshake`'s.
//! - [`Watched`]: the stream before the upgrade, whose reads that find nothing its
//!   [`Watcher`] (the server's cap on waiting connections) hears of.
//!
//! No I/O here but the handshake's: the connection reads and writes the socket itself.
//! Extensions (compression) are never negotiated, so every RSV bit must be clear.

mod handshake;
mod watched;

use std::sync::Arc;

use shared::ServerFrame;

pub use handshake::{Socket, Upgrade, UpgradeRejection};
pub use watched::{Watched, Watcher};
pub use wire::{Decoder, Incoming, WireError, WireFrame};

/// An encoded frame, header and all, shared by all its recipients: every connection queues a
/// pointer to it and writes the same bytes.
pub type Frame = Arc<WireFrame>;

/// Encodes a frame once; clones of the result share the bytes.
pub fn encode(frame: &ServerFrame) -> Frame {
    Arc::new(WireFrame::json(frame).expect("server frames always serialize"))
}
