//! [`Outgoing`]: the one owner of a connection's write side. Everything the server writes to a
//! WebSocket (the welcome, the replay, queued frames, pings, the close frame) goes through it,
//! and it keeps the write position (which frame, which byte) outside any write future, so a
//! write cut short (by a close request, a shutdown) leaves a true record of what went out.
//!
//! Two rules follow from it:
//! - a frame begun is finished before anything else is written, above all the close frame,
//!   which would otherwise be read as the rest of the half-written frame (the client would see
//!   1002 or 1006 instead of the code sent);
//! - a write that makes no progress for the deadline (the idle timeout) fails with
//!   [`WriteError::Stalled`]; the connection is then dropped without a close frame, since
//!   nothing more can be written after a half-written frame.
//!
//! It is generic over [`WriteSide`] (a vectored write that says how far it got, or
//! `WouldBlock`), so that tests drive it with a socket that takes a few bytes at a time.

use std::future::Future;
use std::io::{self, IoSlice};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::ws::{Frame, WireFrame};

/// Most frames written with one `writev`.
const MAX_BATCH: usize = 64;

/// Where the bytes go: a socket's write side, written without waiting.
pub trait WriteSide {
    /// Writes from `bufs`, in order, as much as can be written now: how many bytes were
    /// written, or `WouldBlock` when none can be.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// [`WriteSide::try_write_vectored`] of one buffer. A socket's `send` costs less in the
    /// kernel than a `writev` of one buffer (no vector to copy in, no file position to lock),
    /// and one frame at a time is what a connection writes at light load.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }

    /// Resolves when a write may make progress again (it may resolve spuriously).
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl WriteSide for &TcpStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        TcpStream::try_write_vectored(self, bufs)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, buf)
    }

    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::writable(self)
    }
}

/// Why writing failed. After any of them nothing more is written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The peer took no byte for this long (it stopped reading, or its window is zero).
    #[error("no write progress for {0:?}")]
    Stalled(Duration),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// An earlier write failed: where the stream stands is unknown.
    #[error("an earlier write failed")]
    Broken,
}

/// A connection's write side and the frames being written to it (see the module).
pub struct Outgoing<W> {
    side: W,
    /// Frames to write, in order; those before `index` are written.
    frames: Vec<Frame>,
    /// The frame the next byte comes from, and the offset of that byte in it.
    index: usize,
    offset: usize,
    /// How long a write may make no progress.
    deadline: Duration,
    /// When the frames waiting last made progress (`None` while nothing waits).
    progress_at: Option<Instant>,
    /// A write failed or stalled: nothing more is written.
    broken: bool,
}

impl<W: WriteSide> Outgoing<W> {
    /// The write side of a new connection; a write without progress for `deadline` fails.
    pub fn new(side: W, deadline: Duration) -> Self {
        Self {
            side,
            frames: Vec::new(),
            index: 0,
            offset: 0,
            deadline,
            progress_at: None,
            broken: false,
        }
    }

    /// Adds frames to write after those waiting.
    pub fn extend(&mut self, frames: Vec<Frame>) {
        self.resume(frames, 0);
    }

    /// Adds frames to write after those waiting, the first of which has had its first
    /// `offset` bytes written already (by the flusher, in the writer's place: see
    /// [`crate::outbox`]). A frame begun elsewhere can only come when nothing is waiting
    /// here; otherwise `offset` is 0.
    pub fn resume(&mut self, frames: Vec<Frame>, offset: usize) {
        if self.is_idle() {
            self.frames = frames;
            self.index = 0;
            self.offset = offset;
        } else {
            debug_assert_eq!(offset, 0, "a frame begun elsewhere while frames wait here");
            self.frames.extend(frames);
        }
    }

    /// Adds one frame to write after those waiting.
    pub fn push(&mut self, frame: Frame) {
        self.extend(vec![frame]);
    }

    /// Nothing is waiting to be written.
    pub fn is_idle(&self) -> bool {
        self.index >= self.frames.len()
    }

    /// Writes every frame waiting, with as few `writev` calls as the socket takes. Cancelling
    /// it loses nothing: the next call (or [`Outgoing::close`]) carries on from the same byte.
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        if self.broken {
            return Err(WriteError::Broken);
        }
        let result = self.write_all().await;
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Writes as much of what is waiting as the socket takes now, without waiting: whether
    /// everything is written. When not, [`Outgoing::flush`] writes the rest. A write that
    /// must wait needs a future (a timer and the socket's readiness, a few hundred bytes);
    /// most do not, so a connection's task keeps that future apart and makes it only then.
    pub fn write_now(&mut self) -> Result<bool, WriteError> {
        if self.broken {
            return Err(WriteError::Broken);
        }
        let result = self.write_ready();
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    async fn write_all(&mut self) -> Result<(), WriteError> {
        while !self.write_ready()? {
            let since = self.progress_at.unwrap_or_else(Instant::now);
            match timeout_at(since + self.deadline, self.side.writable()).await {
                Err(_) => return Err(WriteError::Stalled(self.deadline)),
                Ok(ready) => ready?,
            }
        }
        Ok(())
    }

    /// Writes until the socket takes no more: whether everything waiting is written (and
    /// the frames' vector freed, so that nothing is kept allocated between batches).
    fn write_ready(&mut self) -> Result<bool, WriteError> {
        while !self.is_idle() {
            self.progress_at.get_or_insert_with(Instant::now);
            match self.try_write() {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(written) => {
                    self.advance(written);
                    self.progress_at = Some(Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.frames = Vec::new();
        self.index = 0;
        self.offset = 0;
        self.progress_at = None;
        Ok(true)
    }

    /// Ends the writing with `close`: forgets the frames not begun, finishes the one begun, if
    /// any, then writes the close frame, so that the close frame starts at a frame boundary.
    /// Fails (writing no close frame) if the frame begun cannot be finished.
    pub async fn close(&mut self, close: WireFrame) -> Result<(), WriteError> {
        let keep = if self.offset > 0 {
            self.index + 1
        } else {
            self.index
        };
        self.frames.truncate(keep);
        self.push(Arc::new(close));
        self.flush().await
    }

    /// One `writev` of up to [`MAX_BATCH`] frames, the first from `offset` on (a `send` when
    /// there is one).
    fn try_write(&self) -> io::Result<usize> {
        let frames = &self.frames[self.index..];
        if let [frame] = frames {
            return self.side.try_write(&frame.as_bytes()[self.offset..]);
        }
        let mut slices = [IoSlice::new(&[]); MAX_BATCH];
        let count = frames.len().min(MAX_BATCH);
        for (i, (slice, frame)) in slices.iter_mut().zip(frames).enumerate() {
            let bytes = frame.as_bytes();
            *slice = IoSlice::new(if i == 0 { &bytes[self.offset..] } else { bytes });
        }
        self.side.try_write_vectored(&slices[..count])
    }

    fn advance(&mut self, mut written: usize) {
        while self.index < self.frames.len() {
            let left = self.frames[self.index].as_bytes().len() - self.offset;
            if written < left {
                self.offset += written;
                return;
            }
            written -= left;
            // A frame written is released at once (the last reference frees a large one).
            self.frames[self.index] = empty();
            self.index += 1;
            self.offset = 0;
        }
    }
}

/// A shared empty frame, put in place of one written so that its bytes can be freed.
fn empty() -> Frame {
    static EMPTY: std::sync::LazyLock<Frame> =
        std::sync::LazyLock::new(|| Arc::new(WireFrame::close_empty()));
    EMPTY.clone()
}

#[cfg(test)]
#[path = "outgoing_tests.rs"]
mod tests;
