//! WebSocket close codes the server uses.

/// The server is shutting down or restarting; reconnect.
pub const GOING_AWAY: u16 = 1001;
/// The client broke the WebSocket protocol itself.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame that is not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// Sustained flooding past the rate limit.
pub const POLICY_VIOLATION: u16 = 1008;
/// A frame larger than the server's hard limit.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server failed (its store could not be read); reconnect.
pub const INTERNAL_ERROR: u16 = 1011;
/// The client did not read fast enough and its queue overflowed; reconnect.
pub const TRY_AGAIN_LATER: u16 = 1013;
/// The session was signed out; the token no longer works.
pub const SESSION_ENDED: u16 = 4001;
/// An administrator disabled the account: every session of it ends, on every node.
pub const ACCOUNT_DISABLED: u16 = 4003;

/// Every code the server sends, for documentation checks.
pub const ALL: &[u16] = &[
    GOING_AWAY,
    PROTOCOL_ERROR,
    INVALID_PAYLOAD,
    POLICY_VIOLATION,
    MESSAGE_TOO_BIG,
    INTERNAL_ERROR,
    TRY_AGAIN_LATER,
    SESSION_ENDED,
    ACCOUNT_DISABLED,
];

/// Whether a client should reconnect (with back-off) after a close with this code.
/// Codes the server never sends, such as 1006 for a dropped connection, count as yes.
pub fn should_reconnect(code: u16) -> bool {
    code != SESSION_ENDED && code != ACCOUNT_DISABLED
}
