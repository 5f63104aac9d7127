//! The write loop: takes what piled up in the connection's queue when the flusher releases
//! it and writes it with one `writev` straight from the frames' shared bytes; sends pings,
//! drops a connection silent for the idle timeout, and writes the close frame.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use shared::close;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

use super::reader::read_some;
use crate::hub::Hub;
use crate::outbox::{ConnId, Control, Inbox};
use crate::ws::{Frame, WireFrame};

/// How long the close frame (or a final flush) may take to go out before the socket is
/// dropped. The connection has already left the hub by then, so nobody waits for it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// After its close frame, how long the server reads (and drops) what the client still sends,
/// waiting for it to close its side, so that the close frame is not lost to a TCP reset.
const LINGER: Duration = Duration::from_secs(1);
/// Most queued frames written with one `writev`.
const MAX_BATCH: usize = 64;

static PING: LazyLock<Frame> = LazyLock::new(|| Arc::new(WireFrame::ping()));

/// Frames being written to a socket, and how far the writing has got. Kept outside the write
/// future, so that a write cut short (by a close request) leaves a true record of what went
/// out: a frame half written must be finished before the close frame, or the client would
/// read the close frame as the rest of the half-written one.
#[derive(Default)]
struct Outgoing {
    frames: Vec<Frame>,
    /// The frame the next byte comes from, and the offset of that byte in it.
    index: usize,
    offset: usize,
}

impl Outgoing {
    fn new(frames: Vec<Frame>) -> Self {
        Self {
            frames,
            index: 0,
            offset: 0,
        }
    }

    /// Writes every frame, with as few `writev` calls as the socket takes.
    async fn write(&mut self, stream: &TcpStream) -> io::Result<()> {
        while self.index < self.frames.len() {
            match try_write_frames(stream, &self.frames[self.index..], self.offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.writable().await?,
                Err(e) => return Err(e),
            }
        }
        // Nothing is kept allocated between batches.
        *self = Self::default();
        Ok(())
    }

    fn advance(&mut self, mut written: usize) {
        while self.index < self.frames.len() {
            let left = self.frames[self.index].as_bytes().len() - self.offset;
            if written < left {
                self.offset += written;
                return;
            }
            written -= left;
            self.index += 1;
            self.offset = 0;
        }
    }

    /// Forgets the frames not yet begun; a frame partly written stays, to be finished.
    fn keep_partial(&mut self) {
        let keep = if self.offset > 0 {
            self.index + 1
        } else {
            self.index
        };
        self.frames.truncate(keep);
    }
}

/// Writes `frames` in order.
pub(super) async fn write_frames(stream: &TcpStream, frames: Vec<Frame>) -> io::Result<()> {
    Outgoing::new(frames).write(stream).await
}

/// One `writev` of up to [`MAX_BATCH`] frames, the first from `offset` on.
fn try_write_frames(stream: &TcpStream, frames: &[Frame], offset: usize) -> io::Result<usize> {
    let mut slices = [IoSlice::new(&[]); MAX_BATCH];
    let count = frames.len().min(MAX_BATCH);
    for (i, (slice, frame)) in slices.iter_mut().zip(frames).enumerate() {
        let bytes = frame.as_bytes();
        *slice = IoSlice::new(if i == 0 { &bytes[offset..] } else { bytes });
    }
    stream.try_write_vectored(&slices[..count])
}

/// Ends the TCP connection: writes the last (close) frame, if any, and closes the sending
/// side, then reads what the client still sends until it closes its side too, or for at most
/// [`LINGER`]. Dropping a socket with unread data would reset the connection, and the client
/// could lose the close frame.
pub(super) async fn finish(stream: &mut TcpStream, last: Option<WireFrame>) {
    if let Some(frame) = last {
        let _ = timeout(CLOSE_TIMEOUT, write_frames(stream, vec![Arc::new(frame)])).await;
    }
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
    /// Says when and how to close.
    pub(super) control: &'a Control,
    /// Cancelled when the server shuts down: close with 1001.
    pub(super) shutdown: &'a CancellationToken,
    /// Time between two pings.
    pub(super) ping_interval: Duration,
    /// Silence after which the connection is dropped.
    pub(super) idle_timeout: Duration,
    /// When the connection started: `last_heard` counts from it.
    pub(super) started: Instant,
    /// Milliseconds after `started` when the client was last heard (set by the reader).
    pub(super) last_heard: &'a AtomicU64,
}

/// What the write loop does next.
enum Step {
    Write(Vec<Frame>),
    Ping,
    Close(Option<u16>),
    Drop,
}

impl Writer<'_> {
    pub(super) async fn run(&self, stream: &TcpStream, inbox: &mut Inbox) {
        let mut ping =
            tokio::time::interval_at(Instant::now() + self.ping_interval, self.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Made once, not on every turn: each wake of the writer would otherwise build and
        // register them again.
        let closed = self.control.closed();
        let shutdown = self.shutdown.cancelled();
        tokio::pin!(closed, shutdown);
        let mut out = Outgoing::default();
        loop {
            let step = tokio::select! {
                biased;
                () = &mut closed => Step::Close(self.control.code()),
                () = &mut shutdown => Step::Close(Some(close::GOING_AWAY)),
                frames = inbox.take() => Step::Write(frames),
                _ = ping.tick() => {
                    let heard = Duration::from_millis(self.last_heard.load(Ordering::Relaxed));
                    if self.started.elapsed().saturating_sub(heard) > self.idle_timeout {
                        Step::Drop
                    } else {
                        Step::Ping
                    }
                }
            };
            match step {
                Step::Write(frames) => {
                    self.hub
                        .metrics()
                        .write_batches
                        .fetch_add(1, Ordering::Relaxed);
                    out = Outgoing::new(frames);
                }
                Step::Ping => out = Outgoing::new(vec![PING.clone()]),
                Step::Close(code) => {
                    self.hub.disconnect(self.id);
                    if let Some(code) = code {
                        out.keep_partial();
                        out.frames.push(Arc::new(close_frame(code)));
                        // Boxed: see `Connection::serve`.
                        let _ = Box::pin(timeout(CLOSE_TIMEOUT, out.write(stream))).await;
                    }
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
            // A write to a peer that does not read can wait forever: a close or shutdown
            // request interrupts it, and the next turn of the loop acts on it.
            let write = tokio::select! {
                result = out.write(stream) => result,
                () = &mut closed => continue,
                () = &mut shutdown => continue,
            };
            if write.is_err() {
                return;
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
