//! [`Control`]: a connection's close switch. Whoever must end a connection (a full queue, a
//! sign-out, the connection's own reader) flips it; the connection's writer sends the close
//! frame it says.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

/// Asks a connection's task to end, and says how.
#[derive(Debug, Default)]
pub struct Control {
    /// Cancelled when the connection must end.
    cancel: CancellationToken,
    /// The close code to send: 0 while unset, [`Control::NO_FRAME`] to end without one.
    code: AtomicU32,
}

impl Control {
    const NO_FRAME: u32 = u32::MAX;

    /// Ends the connection, sending a close frame with `code` (`None`: no close frame).
    /// Only the first call counts; returns whether this call was it.
    pub fn close(&self, code: Option<u16>) -> bool {
        let value = code.map_or(Self::NO_FRAME, u32::from);
        let first = self
            .code
            .compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.cancel.cancel();
        first
    }

    /// Resolves once [`Control::close`] has been called. The future may be polled again after
    /// it has resolved (it resolves again at once), so a loop can create it once.
    pub fn closed(&self) -> WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// The close code asked for, if any.
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Acquire) {
            0 | Self::NO_FRAME => None,
            code => u16::try_from(code).ok(),
        }
    }
}
