//! A socket for tests that follows a script: on each write it takes at most a few bytes, or
//! none (`WouldBlock`), then everything once the script is spent. What it took is what the
//! peer would read. The direct writes' tests and the connection's writer tests both drive it.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Mutex, MutexGuard};

/// What the socket does on one write.
#[derive(Debug, Clone, Copy)]
pub enum Turn {
    /// Takes at most this many bytes (at least one).
    Take(usize),
    /// Takes nothing: `WouldBlock`.
    Block,
}

/// The scripted socket; `written` holds what it took, in order.
#[derive(Debug, Default)]
pub struct Scripted {
    written: Mutex<Vec<u8>>,
    turns: Mutex<VecDeque<Turn>>,
}

impl Scripted {
    pub fn new(turns: Vec<Turn>) -> Self {
        Self {
            written: Mutex::default(),
            turns: Mutex::new(turns.into()),
        }
    }

    /// What the peer has read so far; more may be appended to it (a write made elsewhere).
    pub fn written(&self) -> MutexGuard<'_, Vec<u8>> {
        self.written.lock().unwrap()
    }

    /// Whether the script is spent (from now on every write takes everything).
    pub fn spent(&self) -> bool {
        self.turns.lock().unwrap().is_empty()
    }

    /// One write of `bufs`, in order, as far as this turn of the script allows.
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut limit = match self.turns.lock().unwrap().pop_front() {
            Some(Turn::Block) => return Err(io::ErrorKind::WouldBlock.into()),
            Some(Turn::Take(n)) => n.max(1),
            None => usize::MAX,
        };
        let mut written = self.written();
        let mut total = 0;
        for buf in bufs {
            let n = buf.len().min(limit);
            written.extend_from_slice(&buf[..n]);
            total += n;
            limit -= n;
            if limit == 0 {
                break;
            }
        }
        Ok(total)
    }
}
