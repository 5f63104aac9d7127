//! The write loop: takes what piled up in the connection's queue when the flusher releases
//! it and writes it through the connection's [`Outgoing`] (one `writev` straight from the
//! frames' shared bytes); sends pings when the hub's pinger ticks it, drops a connection silent for the idle timeout or
//! whose writes make no progress for it, and writes the close frame at a frame boundary.
//!
//! While it waits with nothing in hand, the flusher may write queued frames in its place
//! (see [`crate::outbox`]); before writing anything of its own it takes the socket back
//! ([`Inbox::reclaim`]), with whatever part of a frame the flusher could not finish.

use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use shared::close;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use super::outgoing::{Outgoing, WriteError};
use super::reader::read_some;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::outbox::{ConnId, Control, Inbox, Taken};
use crate::ws::{Frame, WireFrame};

/// How long the close frame (with the rest of a frame begun) may take to go out before the
/// socket is dropped. The connection has already left the hub by then, so nobody waits for it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// After its close frame, how long the server reads (and drops) what the client still sends,
/// waiting for it to close its side, so that the close frame is not lost to a TCP reset.
const LINGER: Duration = Duration::from_secs(1);

static PING: LazyLock<Frame> = LazyLock::new(|| Arc::new(WireFrame::ping()));

/// The connection's write side: see [`Outgoing`].
pub(super) type Out<'a> = Outgoing<&'a TcpStream>;

/// Writes `close`, if any, through `out`, after the rest of any frame begun (or not at all
/// when that cannot be finished within [`CLOSE_TIMEOUT`]).
pub(super) async fn write_close(out: &mut Out<'_>, close: Option<WireFrame>, metrics: &Metrics) {
    if let Some(frame) = close {
        if let Ok(Err(e)) = timeout(CLOSE_TIMEOUT, out.close(frame)).await {
            count_failure(&e, metrics);
        }
    }
}

/// Counts a write that stalled (the only failure of a write that has a metric).
pub(super) fn count_failure(error: &WriteError, metrics: &Metrics) {
    if matches!(error, WriteError::Stalled(_)) {
        metrics.write_timeouts.inc();
    }
}

/// Ends the TCP connection once everything (the close frame included) is written: closes the
/// sending side, then reads what the client still sends until it closes its side too, or for
/// at most [`LINGER`]. Dropping a socket with unread data would reset the connection, and the
/// client could lose the close frame.
pub(super) async fn finish(stream: &mut TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let _ = timeout(LINGER, async {
        let mut drained = Vec::new();
        while let Ok(1..) = read_some(stream, &mut drained).await {
            drained.clear();
        }
    })
    .await;
}

/// The writing half of a connection.
pub(super) struct Writer<'a> {
    /// The connection, in the hub (for logs, and to leave the hub before the close frame).
    pub(super) id: ConnId,
    /// The hub, which the connection leaves on closing, and its metrics.
    pub(super) hub: &'a Hub,
    /// Says when and how to close (the server's shutdown too: 1001, see `Hub::close_all`).
    pub(super) control: &'a Control,
    /// Silence after which the connection is dropped.
    pub(super) idle_timeout: Duration,
    /// When the connection started: `last_heard` counts from it.
    pub(super) started: Instant,
    /// Milliseconds after `started` when the client was last heard (set by the reader).
    pub(super) last_heard: &'a AtomicU64,
    /// When its user was last seen, if the writer took the connection out of the hub and it
    /// was the user's last here: for the store.
    pub(super) departed: OnceLock<u64>,
}

/// What the write loop does next.
enum Step {
    Write(Taken),
    Ping,
    Close(Option<u16>),
    Drop,
}

impl Writer<'_> {
    /// Writes what is queued until the connection must end. A close asked for through the
    /// control (the shutdown's included) is written here; a close frame to answer the
    /// client's is left to the caller, after the rest of any frame begun (see
    /// [`write_close`]).
    ///
    /// While the connection idles, this future holds little but its references: the ping
    /// ticks come through the close switch, from the hub's pinger (`Hub::run_pinger`), and a
    /// batch that the socket does not take at once waits in a boxed future of its own.
    pub(super) async fn run(&self, out: &mut Out<'_>, inbox: &mut Inbox) {
        let mut closed = self.control.closed();
        loop {
            let step = tokio::select! {
                biased;
                () = &mut closed => Step::Close(self.control.code()),
                // Idle when all it took is written: the flusher may write in its place.
                taken = inbox.take(out.is_idle()) => Step::Write(taken),
                () = poll_fn(|cx| self.control.poll_tick(cx)) => {
                    let heard = Duration::from_millis(self.last_heard.load(Ordering::Relaxed));
                    if self.started.elapsed().saturating_sub(heard) > self.idle_timeout {
                        Step::Drop
                    } else {
                        Step::Ping
                    }
                }
            };
            if !matches!(step, Step::Write(_)) {
                // The flusher may have been writing in the writer's place: take the socket
                // back, and what it left, before writing anything else.
                if let Some(Taken { frames, offset }) = inbox.reclaim() {
                    out.resume(frames, offset);
                }
            }
            match step {
                Step::Write(Taken { frames, offset }) => {
                    self.hub.metrics().write_batches.inc();
                    out.resume(frames, offset);
                }
                Step::Ping => out.push(PING.clone()),
                Step::Close(code) => {
                    if let Some(at) = self.hub.disconnect(self.id) {
                        let _ = self.departed.set(at);
                    }
                    let frame = code.map(close_frame);
                    // Boxed: see `Connection::serve`.
                    Box::pin(write_close(out, frame, self.hub.metrics())).await;
                    return;
                }
                Step::Drop => {
                    tracing::info!(
                        conn = self.id,
                        "no answer to pings: dropping the connection"
                    );
                    return;
                }
            }
            // A write to a peer that does not read makes no progress: after the idle timeout
            // it fails. A close request interrupts it, and the next turn of the loop acts on
            // it; the write position is kept, so the frame begun is finished before the close
            // frame. Most batches are written at once, without waiting.
            let write = match out.write_now() {
                Ok(true) => Ok(()),
                Ok(false) => tokio::select! {
                    result = Box::pin(out.flush()) => result,
                    () = &mut closed => continue,
                },
                Err(e) => Err(e),
            };
            match write {
                Ok(()) => inbox.written(),
                Err(e) => {
                    count_failure(&e, self.hub.metrics());
                    tracing::info!(conn = self.id, error = %e, "writing failed: dropping the connection");
                    self.control.close(None);
                    return;
                }
            }
        }
    }
}

/// The server's close frame for `code`.
pub(super) fn close_frame(code: u16) -> WireFrame {
    WireFrame::close(code, close_reason(code))
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close::GOING_AWAY => "server shutting down",
        close::PROTOCOL_ERROR => "protocol error",
        close::INVALID_PAYLOAD => "text frame is not valid UTF-8",
        close::POLICY_VIOLATION => "too many frames",
        close::MESSAGE_TOO_BIG => "frame too large",
        close::TRY_AGAIN_LATER => "too slow to keep up; reconnect",
        close::SESSION_ENDED => "signed out",
        close::INTERNAL_ERROR => "server error; reconnect",
        _ => "",
    }
}
