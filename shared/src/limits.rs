//! Sizes both sides agree on. The server enforces them; the client checks them first so a
//! person hears about a problem before anything is sent.

/// Longest message body, counted in Unicode scalar values (`char`s).
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest user name, in characters (names are ASCII).
pub const MAX_USER_NAME: usize = 24;
/// Longest room name, in characters (names are ASCII).
pub const MAX_ROOM_NAME: usize = 32;
/// Longest request id a client may attach to a frame.
pub const MAX_REQ_CHARS: usize = 64;
/// Shortest password accepted when a name is claimed with one.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 would take more, but nobody needs it).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The room everyone is in while online; it cannot be left.
pub const LOBBY: &str = "lobby";
