//! Request ids: they match the server's answers (`ack`, `history`, `error`) to what we asked,
//! and a message's request id is also its idempotency key, kept for every attempt.

/// Hands out request ids unique to this page load: `{prefix}-{n}`.
#[derive(Debug, Clone)]
pub(super) struct RequestIds {
    /// Differs between page loads: several tabs share a user, and the server takes a repeated
    /// request id on a message for a repeated attempt.
    prefix: String,
    /// The next id's number.
    next: u64,
}

impl RequestIds {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            next: 1,
        }
    }

    pub(super) fn take(&mut self) -> String {
        let req = format!("{}-{}", self.prefix, self.next);
        self.next += 1;
        req
    }
}
