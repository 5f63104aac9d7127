//! The WebSocket as this server speaks it (RFC 6455): the wire format, the frames' encoding
//! and the handshake. Wire encoding lives beside the wire: queues and writers import this
//! module, not the hub.
//!
//! - [`WireFrame`]: a frame the server sends, header and payload in one buffer. Server frames
//!   are never masked, so the bytes are the same for every recipient: a broadcast is encoded
//!   once and every connection writes the same bytes.
//! - [`Frame`] and [`encode`]: a server frame encoded once, shared by all its recipients.
//! - [`Decoder`]: parses the frames a client sends (always masked), joins fragmented messages,
//!   checks sizes, UTF-8 and the protocol's rules, and says which close code a violation earns.
//! - [`Upgrade`]: the handshake, done by hand, that hands the connection its plain TCP
//!   [`Socket`].
//!
//! No I/O here but the handshake's: the connection reads and writes the socket itself.
//! Extensions (compression) are never negotiated, so every RSV bit must be clear.

mod decoder;
mod frame;
mod handshake;

use std::sync::Arc;

use shared::ServerFrame;

pub use decoder::{Decoder, Incoming, WireError};
pub use frame::WireFrame;
pub use handshake::{Socket, Upgrade, UpgradeRejection};

/// Frame opcodes (RFC 6455, section 5.2).
mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// The most bytes a control frame's payload may hold.
const MAX_CONTROL_PAYLOAD: usize = 125;

/// An encoded frame, header and all, shared by all its recipients: every connection queues a
/// pointer to it and writes the same bytes.
pub type Frame = Arc<WireFrame>;

/// Encodes a frame once; clones of the result share the bytes.
pub fn encode(frame: &ServerFrame) -> Frame {
    Arc::new(WireFrame::json(frame).expect("server frames always serialize"))
}
