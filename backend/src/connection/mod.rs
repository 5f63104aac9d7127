//! One WebSocket connection, from the welcome to the close: a reader that reads the client's
//! frames, rate-limits them and dispatches them to [`crate::commands`], and a writer that
//! drains the connection's bounded queue into the socket, writing what has piled up with one
//! `writev`. Both run in the connection's task; whichever ends first ends the other.
//!
//! The socket is read and written here, directly ([`crate::ws`] has the format): queued frames
//! were encoded once for all their recipients and are written from their shared bytes, and an
//! idle connection holds no read or write buffer.
//!
//! - this file: [`Connection::serve`], the lifecycle.
//! - `preamble`: the welcome and, for a resuming client, the messages it missed.
//! - `reader`: the read loop (read, decode, rate-limit, dispatch).
//! - `writer`: the write loop (batches with `writev`, pings, the idle timeout, the close).
//! - [`echo`]: an echo WebSocket from the same pieces, for the Autobahn testsuite.

pub mod echo;
mod preamble;
mod reader;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use shared::close;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::commands::Context;
use crate::config::Config;
use crate::hub::Hub;
use crate::identity::Session;
use crate::journal::Journal;
use crate::outbox::Control;
use crate::rate_limit::TokenBucket;
use crate::store::Store;
use crate::ws::{Socket, WireFrame};

use reader::Reader;
use writer::{close_frame, finish, Writer};

/// Everything a connection task needs, handed over by the upgrade handler.
pub struct Connection {
    /// The pool, the rooms, all fan-out.
    pub hub: Hub,
    /// Where the backlog, history and memberships are read and written.
    pub store: Arc<dyn Store>,
    /// Where messages go to be stored and delivered.
    pub journal: Journal,
    /// Who is connected.
    pub session: Session,
    /// The client has every message up to this id (the `after` of the URL): replay the rest.
    pub after: Option<u64>,
    /// Limits and intervals.
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down: the connection closes with 1001.
    pub shutdown: CancellationToken,
    /// Holds one of the server's connection slots while the connection lives.
    pub permit: OwnedSemaphorePermit,
    /// Lets shutdown wait for this task.
    pub task: TaskTrackerToken,
}

/// Why reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadEnd {
    /// The socket went away: nothing more to say.
    Gone,
    /// The client sent a close frame (with this code, if any): answer it with the same code.
    Closed(Option<u16>),
    /// Close with this code.
    Close(u16),
}

impl Connection {
    /// Runs the connection until either side ends it, then takes it out of the hub.
    ///
    /// Every path taken once or rarely (the preamble, closing, answering a frame) is boxed, so
    /// that its future does not take room in the task for as long as the connection lives.
    pub async fn serve(self, socket: Socket) {
        let Socket {
            mut stream,
            read_ahead,
        } = socket;
        let name = self.session.name.clone();
        let rooms = self.hub.rooms_of(&name);
        let conversations = match self.store.conversations(&name, &rooms).await {
            Ok(conversations) => conversations,
            Err(e) => {
                tracing::error!(error = %e, user = %name, "reading conversations failed");
                let close = close_frame(close::INTERNAL_ERROR);
                Box::pin(finish(&mut stream, Some(close))).await;
                return;
            }
        };
        let control = Arc::new(Control::default());
        let (outbox, mut inbox) = self.hub.queue(self.config.queue_frames, control.clone());
        let (id, welcome, up_to) = self.hub.connect(
            name.clone(),
            self.session.id.clone(),
            outbox.clone(),
            conversations,
        );
        self.hub
            .metrics()
            .connections_opened
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(conn = id, user = %name, after = ?self.after, "connected");

        let started = Instant::now();
        let last_heard = AtomicU64::new(0);
        // The welcome and what the client missed go out before anything queued since it
        // joined the hub, which holds exactly the messages after `up_to`.
        let preamble = Box::pin(self.preamble(&stream, welcome, up_to));
        let failed = tokio::select! {
            result = preamble => result.err(),
            () = control.closed() => None,
            () = self.shutdown.cancelled() => None,
        };
        if let Some(e) = failed {
            tracing::warn!(conn = id, error = %e, "sending the welcome or the backlog failed");
            control.close(Some(close::INTERNAL_ERROR));
        }
        let mut reader = Reader {
            cx: Context {
                id,
                name: &name,
                hub: &self.hub,
                store: self.store.as_ref(),
                journal: &self.journal,
                outbox: &outbox,
            },
            bucket: TokenBucket::new(self.config.rate_per_sec, self.config.rate_burst),
            flood_limit: self.config.flood_limit.max(1),
            rate_limited_in_a_row: 0,
        };
        let writer = Writer {
            id,
            hub: &self.hub,
            control: &control,
            shutdown: &self.shutdown,
            ping_interval: self.config.ping_interval(),
            idle_timeout: self.config.idle_timeout(),
            started,
            last_heard: &last_heard,
        };
        let mut echo = None;
        {
            let read = reader.run(
                &stream,
                read_ahead,
                self.config.max_frame_bytes,
                started,
                &last_heard,
            );
            let write = writer.run(&stream, &mut inbox);
            tokio::pin!(read, write);
            tokio::select! {
                end = &mut read => {
                    let first = control.close(match end {
                        ReadEnd::Gone | ReadEnd::Closed(_) => None,
                        ReadEnd::Close(code) => Some(code),
                    });
                    // A client's close is answered, unless the server had closed first (then
                    // the client's frame was the answer).
                    if let (ReadEnd::Closed(code), true) = (end, first) {
                        echo = Some(code.map_or_else(WireFrame::close_empty, |code| {
                            WireFrame::close(code, "")
                        }));
                    }
                    write.await;
                }
                () = &mut write => {}
            }
        }
        self.hub.disconnect(id);
        Box::pin(finish(&mut stream, echo)).await;
        tracing::info!(conn = id, user = %name, close = ?control.code(), "disconnected");
        drop(self.permit);
        drop(self.task);
    }
}
