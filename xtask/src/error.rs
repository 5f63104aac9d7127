//! The one error type of the xtask: a message meant for the person at the terminal.
//!
//! Every failure (a tool that will not start, a command that exits non-zero, a missing
//! prerequisite) ends as an [`Error`] whose text says what went wrong and, where possible,
//! what to do about it. `main` prints it and exits with a non-zero status.

use std::fmt;

/// A failure of a task, with a human-readable explanation.
pub struct Error {
    /// The complete explanation, printed as `error: <message>`.
    message: String,
}

impl Error {
    /// An error with the given explanation.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The same error, prefixed with what was being attempted.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error::new(format!("{what}: {}", self.message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
