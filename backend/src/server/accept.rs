//! [`Acceptor`]: the listener's accepts, each only once [`Waiting`] has room for it (at its
//! cap, connections wait in the kernel's listen backlog), surviving errors without spinning.
//! When the process is out of file descriptors (`EMFILE`, `ENFILE`) every accept fails at
//! once until one is freed: the acceptor closes a waiting connection the cap may close (one
//! keeping the server waiting past the grace), backs off from 10 ms up to 100 ms, and logs
//! at most once a second with the count of failures in between.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

use super::waiting::Waiting;

/// The first pause after a failed accept.
const BACKOFF_MIN: Duration = Duration::from_millis(10);
/// The longest pause between accepts that keep failing.
const BACKOFF_MAX: Duration = Duration::from_millis(100);
/// The least time between two log lines about failed accepts.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// The pause after each failed accept in a row: doubling from [`BACKOFF_MIN`] to
/// [`BACKOFF_MAX`], back to the start after a success.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Self { next: BACKOFF_MIN }
    }

    fn pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        pause
    }

    fn reset(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

/// Accepts connections from a listener.
#[derive(Debug)]
pub struct Acceptor {
    listener: TcpListener,
    backoff: Backoff,
    /// Failed accepts not yet logged.
    unlogged: u64,
    /// When a failed accept was last logged.
    logged_at: Option<Instant>,
}

impl Acceptor {
    pub fn new(listener: TcpListener) -> Self {
        Self {
            listener,
            backoff: Backoff::new(),
            unlogged: 0,
            logged_at: None,
        }
    }

    /// The next connection, once `waiting` has room for it. Cancel-safe: dropping the future
    /// loses no accepted connection.
    pub async fn accept(&mut self, waiting: &Waiting) -> (TcpStream, SocketAddr) {
        loop {
            waiting.room().await;
            match self.listener.accept().await {
                Ok(accepted) => {
                    self.backoff.reset();
                    return accepted;
                }
                Err(e) => {
                    if out_of_descriptors(&e) {
                        waiting.evict_one();
                    }
                    self.log(&e);
                    tokio::time::sleep(self.backoff.pause()).await;
                }
            }
        }
    }

    fn log(&mut self, e: &io::Error) {
        self.unlogged += 1;
        let due = self.logged_at.is_none_or(|at| at.elapsed() >= LOG_EVERY);
        if due {
            tracing::warn!(
                error = %e,
                failures = self.unlogged,
                out_of_descriptors = out_of_descriptors(e),
                "accepting connections fails"
            );
            self.unlogged = 0;
            self.logged_at = Some(Instant::now());
        }
    }
}

/// `EMFILE` (the process's limit) or `ENFILE` (the system's).
fn out_of_descriptors(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    code == Some(rustix::io::Errno::MFILE.raw_os_error())
        || code == Some(rustix::io::Errno::NFILE.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_to_its_ceiling_and_starts_again_after_a_success() {
        let mut backoff = Backoff::new();
        let pauses: Vec<u128> = (0..6).map(|_| backoff.pause().as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 100, 100]);
        backoff.reset();
        assert_eq!(backoff.pause(), BACKOFF_MIN);
    }

    #[test]
    fn emfile_and_enfile_are_running_out_of_descriptors() {
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(
            rustix::io::Errno::MFILE.raw_os_error()
        )));
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(
            rustix::io::Errno::NFILE.raw_os_error()
        )));
        assert!(!out_of_descriptors(&io::Error::other("other")));
    }
}
