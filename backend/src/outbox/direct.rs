//! Writing in the writer's place: when the flusher comes to a connection whose writer waits
//! with nothing in hand (everything it took is written), it writes the queued frames to the
//! socket itself, without waiting ([`Socket::try_write_vectored`]), instead of waking the
//! connection's task to do it. At light load that is most deliveries: one `writev` either
//! way, but no task woken, polled and put back to sleep per recipient (see
//! `docs/benchmarks.md`, "Light load").
//!
//! Only what the socket takes at once is written here. Whatever it does not take (it would
//! block, it failed, or it took part of a frame) stays queued, with the bytes of the first
//! frame already written ([`super::Taken::offset`]), and the writer is released as before: it
//! carries on from that byte, waits for the socket with its deadline, or finds out about the
//! failure itself. So the write position has one owner at a time: the writer, except while
//! it waits idle and has lent the socket to its queue, and the lending is taken back under
//! the queue's lock ([`super::Inbox::reclaim`]) before the writer writes anything itself.

use std::io::{self, IoSlice};

use tokio::net::TcpStream;

use super::QueueState;
use crate::ws::Frame;

/// Most frames written with one `writev` (as the writer's `Outgoing` does).
const MAX_BATCH: usize = 64;

/// A socket's write side, written without waiting: the queue's view of the connection's
/// socket. A trait so that the queue's tests can use a socket that takes a few bytes at a time.
pub trait Socket: Send + Sync + std::fmt::Debug {
    /// Writes from `bufs`, in order, as much as can be written now: how many bytes were
    /// written, or `WouldBlock` when none can be.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// [`Socket::try_write_vectored`] of one buffer: a `send`, which costs less in the kernel
    /// than a `writev` of one buffer (one frame is what most such writes carry).
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }
}

impl Socket for TcpStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        TcpStream::try_write_vectored(self, bufs)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, buf)
    }
}

/// Writes the queued frames to `state`'s socket, as far as it takes them now. Returns how many
/// `writev` calls wrote something; the frames written leave the queue, and a frame written in
/// part stays first, with its written bytes in `state.offset`.
pub(super) fn write(state: &mut QueueState) -> u64 {
    // Taken out and put back rather than cloned: the socket's count is one more cache line
    // to miss per delivery, and a locked one.
    let Some(socket) = state.socket.take() else {
        return 0;
    };
    let writes = write_to(socket.as_ref(), state);
    state.socket = Some(socket);
    writes
}

fn write_to(socket: &dyn Socket, state: &mut QueueState) -> u64 {
    let mut writes = 0;
    while !state.frames.is_empty() {
        let (tried, result) = write_once(socket, state.frames.as_slice(), state.offset);
        let written = match result {
            Ok(written) if written > 0 => written,
            // Would block, failed, or took nothing: the writer takes over and finds out.
            _ => break,
        };
        writes += 1;
        advance(state, written);
        if written < tried {
            break;
        }
    }
    writes
}

/// One `writev` of up to [`MAX_BATCH`] frames, the first from `offset` on (a `send` when
/// there is one): the bytes tried and the result.
fn write_once(socket: &dyn Socket, frames: &[Frame], offset: usize) -> (usize, io::Result<usize>) {
    if let [frame] = frames {
        let bytes = &frame.as_bytes()[offset..];
        return (bytes.len(), socket.try_write(bytes));
    }
    let mut slices = [IoSlice::new(&[]); MAX_BATCH];
    let count = frames.len().min(MAX_BATCH);
    let mut tried = 0;
    for (i, (slice, frame)) in slices.iter_mut().zip(frames).enumerate() {
        let bytes = frame.as_bytes();
        let bytes = if i == 0 { &bytes[offset..] } else { bytes };
        tried += bytes.len();
        *slice = IoSlice::new(bytes);
    }
    (tried, socket.try_write_vectored(&slices[..count]))
}

/// Takes the frames `written` finished off the queue and keeps the offset into the next.
fn advance(state: &mut QueueState, mut written: usize) {
    let mut done = 0;
    for frame in state.frames.as_slice() {
        let left = frame.as_bytes().len() - state.offset;
        if written < left {
            state.offset += written;
            break;
        }
        written -= left;
        state.bytes -= frame.as_bytes().len();
        state.offset = 0;
        done += 1;
    }
    // Nothing is kept allocated while the queue is empty.
    state.frames.remove_first(done);
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
