//! [`Control`]: a connection's close switch. Whoever must end a connection (a full queue, a
//! sign-out, the connection's own reader, the server's shutdown) flips it; the connection's
//! writer sends the close frame it says.
//!
//! Only the connection's own task waits on it, so it holds one waker and no list of waiters:
//! a few bytes per connection, and waiting on it puts nothing in the task's future (a
//! `CancellationToken` costs an allocation of about 140 bytes, and each of its waiters about
//! 80 bytes of the future that waits).
//!
//! It also carries the connection's ping ticks ([`Control::tick`]): the hub's pinger
//! (`Hub::run_pinger`) ticks every connection once per ping interval, so that a connection
//! holds no timer of its own (a boxed `Sleep` and an `Interval` in its future, about 180
//! bytes).

use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// Asks a connection's task to end, and says how.
#[derive(Debug, Default)]
pub struct Control {
    /// The close code to send: 0 while unset, [`Control::NO_FRAME`] to end without one.
    code: AtomicU32,
    /// A ping tick not yet taken by the connection's writer ([`Control::poll_tick`]).
    ticked: AtomicBool,
    /// The connection's task, once it has waited on [`Control::closed`].
    waker: AtomicWaker,
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
        self.waker.wake();
        first
    }

    /// Whether [`Control::close`] has been called.
    pub fn is_closed(&self) -> bool {
        self.code.load(Ordering::Acquire) != 0
    }

    /// Ready once [`Control::close`] has been called (and every time after); otherwise
    /// remembers `cx`'s waker, to be woken then. Only one task waits: the latest waker
    /// replaces the one before.
    pub fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_closed() {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // Checked again: a close between the first check and the registering woke nobody.
        if self.is_closed() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Resolves once [`Control::close`] has been called. The future may be polled again after
    /// it has resolved (it resolves again at once), so a loop can create it once.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + '_ {
        poll_fn(move |cx| self.poll_closed(cx))
    }

    /// A ping tick: the connection's writer, woken, pings the client (or drops it, silent for
    /// too long). Ticks not yet taken count as one.
    pub fn tick(&self) {
        if !self.ticked.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }

    /// Ready, once, after each [`Control::tick`] (ticks not taken count as one); otherwise
    /// remembers `cx`'s waker, as [`Control::poll_closed`] does (the same task waits on both).
    pub fn poll_tick(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.ticked.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.ticked.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The close code asked for, if any.
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Acquire) {
            0 | Self::NO_FRAME => None,
            code => u16::try_from(code).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_close_wakes_the_waiting_task_and_the_first_code_counts() {
        let control = Arc::new(Control::default());
        let waiting = tokio::spawn({
            let control = control.clone();
            async move { control.closed().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert!(control.close(Some(1001)));
        assert!(!control.close(Some(1013)));
        waiting.await.unwrap();
        assert_eq!(control.code(), Some(1001));
        // Resolves again at once.
        control.closed().await;
    }

    #[tokio::test]
    async fn a_tick_wakes_the_waiting_task_once_and_ticks_not_taken_count_as_one() {
        let control = Arc::new(Control::default());
        let tick = || std::future::poll_fn(|cx| control.poll_tick(cx));
        let waiting = tokio::spawn({
            let control = control.clone();
            async move { std::future::poll_fn(|cx| control.poll_tick(cx)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        control.tick();
        waiting.await.unwrap();
        control.tick();
        control.tick();
        tick().await;
        // Taken: the next waits for the next tick.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(std::pin::pin!(tick()).poll(&mut cx).is_pending());
        assert!(!control.is_closed());
    }
}
