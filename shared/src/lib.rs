//! The chat protocol, shared by the browser client and the server.
//!
//! - [`protocol`]: every WebSocket frame, one enum per direction ([`ClientFrame`],
//!   [`ServerFrame`]), and the [`close`] codes (`frames_de` reads the server's frames).
//! - [`error_code`]: the machine-readable [`ErrorCode`]s (`error_code_de` reads one from its
//!   name).
//! - [`rooms`]: a room's members, settings and roles, the public list, the audit log,
//!   invitations.
//! - [`api`]: the bodies of the HTTP API (sessions, the export).
//! - [`names`]: user and room names, and the rules both sides check them against.
//! - [`limits`]: the sizes both sides agree on.
//! - [`mentions`]: `@name` in a message, the rule both sides find mentions by.
//! - [`changes`]: what happens to a message after it is sent (edits, tombstones, replies,
//!   reactions) and the rule for a reaction.
//! - [`attachments`]: files on messages ([`Attachment`]), file names and sizes.
//! - [`search`]: the words of a search query and where they match a body.
//!
//! This crate knows serde, not JSON: the edges (backend and frontend) pick the encoding.
//! It has no tokio, axum or web-sys dependency and builds for the host and for wasm32.
//! `docs/protocol.md` is the public description of everything here; a test keeps them in step.

pub mod api;
pub mod attachments;
pub mod changes;
pub mod error_code;
mod error_code_de;
mod frames_de;
pub mod limits;
pub mod mentions;
pub mod names;
pub mod protocol;
pub mod rooms;
pub mod search;
mod skip;

pub use attachments::Attachment;
pub use changes::{MessageDetails, Place, Quote, Reaction};
pub use names::{NameError, RoomName, UserName};
pub use protocol::{
    close, AuditEntry, ClientFrame, ConversationInfo, ErrorCode, Invite, RoomInfo, RoomListing,
    RoomSettings, ServerFrame, StoredMessage, Target,
};
