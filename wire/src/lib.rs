//! The WebSocket as the chat server speaks it (RFC 6455), without any I/O: the pure parts of
//! the codec, in a crate of their own so that fuzz targets and tools build in seconds instead
//! of compiling the whole server (the backend re-exports them from `backend::ws`).
//!
//! - [`Decoder`] (`decoder`): parses the frames a client sends (always masked), joins
//!   fragmented messages, checks sizes, UTF-8 and the protocol's rules, and says which close
//!   code a violation earns.
//! - [`WireFrame`] (`frame`): a frame the server sends, header and payload in one buffer.
//!   Server frames are never masked, so the bytes are the same for every recipient.
//! - [`close_code`]: which close codes a peer may send.
//! - [`handshake`]: the checks of the opening handshake that need no HTTP server: the
//!   `Sec-WebSocket-Key` (16 bytes of base64) and its `Sec-WebSocket-Accept`.
//! - [`opcode`]: the frame opcodes.
//!
//! Extensions (compression) are never negotiated, so every RSV bit must be clear.

pub mod close_code;
mod decoder;
mod frame;
pub mod handshake;

pub use decoder::{Decoder, Incoming, WireError};
pub use frame::WireFrame;

/// Frame opcodes (RFC 6455, section 5.2).
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// The most bytes a control frame's payload may hold.
pub const MAX_CONTROL_PAYLOAD: usize = 125;
