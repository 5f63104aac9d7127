//! One WebSocket connection, from the welcome to the close: a reader that reads the client's
//! frames, rate-limits them and dispatches them to [`crate::commands`], and a writer that
//! drains the connection's bounded queue into the socket, writing what has piled up with one
//! `writev`. Both run in the connection's task; whichever ends first ends the other.
//!
//! The socket is read and written here, directly ([`crate::ws`] has the format): queued frames
//! were encoded once for all their recipients and are written from their shared bytes, and an
//! idle connection holds no read or write buffer.
//!
//! - this file: [`Connection::serve`], the lifecycle; its opening (`Connection::open`) runs
//!   in a boxed future of its own, so that an idle connection's task keeps none of it.
//! - `openings`: [`Openings`], the connections reading their start from the store, a few at a
//!   time, so that a crowd connecting at once waits its turn instead of timing out.
//! - `last_seen`: [`LastSeen`], the departures' times, written in batches by one task.
//! - `preamble`: the welcome and, for a resuming client, the messages it missed.
//! - `reader`: the read loop (read, decode, rate-limit, dispatch).
//! - `writer`: the write loop (batches with `writev`, pings, the idle timeout, the close).
//! - `outgoing`: [`Outgoing`], the one owner of the socket's write side and its write
//!   position: the preamble, the write loop and the final close frame all write through it,
//!   so a close frame always starts at a frame boundary, and a write without progress for the
//!   idle timeout fails.
//! - [`echo`]: an echo WebSocket from the same pieces, for the Autobahn testsuite.

pub mod echo;
mod last_seen;
mod openings;
mod outgoing;
mod preamble;
mod reader;
mod writer;

pub use last_seen::LastSeen;
pub use openings::{Openings, AT_ONCE};
pub use outgoing::{Outgoing, WriteError, WriteSide};

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use shared::{close, ConversationInfo, Invite, RoomName, ServerFrame, UserName};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::commands::Context;
use crate::config::Config;
use crate::hub::{Hub, Slot};
use crate::identity::Session;
use crate::journal::Journal;
use crate::outbox::{ConnId, Control, Inbox, Limits, Outbox};
use crate::store::{Opening, Standing, Start, Store, StoreError};
use crate::ws::{Socket, WireFrame};

use preamble::PreambleError;
use reader::Reader;
use writer::{close_frame, count_failure, finish, write_close, Out, Writer};

/// Everything a connection task needs, handed over by the upgrade handler.
pub struct Connection {
    /// The pool, the rooms, all fan-out.
    pub hub: Hub,
    /// Where the backlog, history and memberships are read and written.
    pub store: Arc<dyn Store>,
    /// Where messages go to be stored and delivered.
    pub journal: Journal,
    /// Where its user's departure goes to be stored, with others'.
    pub last_seen: LastSeen,
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
    /// Holds one of its user's connection slots, and the user's shared rate budget.
    pub slot: Slot,
    /// Whose turn it is to read their start from the store.
    pub openings: Openings,
    /// Lets shutdown wait for this task.
    pub task: TaskTrackerToken,
}

impl Connection {
    /// What the connection reads before it joins the hub, in one read: what the welcome
    /// lists (`rooms`, then the newest private conversations, a page of them,
    /// `--conversations-page`, and whether that is all of them), the invitations held, and
    /// its standing (session, account, block list).
    async fn start(
        &self,
        name: &UserName,
        rooms: &[RoomName],
    ) -> Result<((Vec<ConversationInfo>, bool), Vec<Invite>, Opening), StoreError> {
        let page = self.config.conversations_page;
        let Start {
            conversations: mut listed,
            invitations,
            opening,
        } = self
            .store
            .start(&self.session.id, name, rooms, page.saturating_add(1))
            .await?;
        let most = rooms.len() + usize::try_from(page).unwrap_or(usize::MAX);
        let complete = listed.len() <= most;
        listed.truncate(most);
        self.hub.recent_last_seen(&mut listed);
        Ok(((listed, complete), invitations, opening))
    }

    /// Stores when `name` was last seen (their last connection here closed `at`): queued for
    /// the batch writer ([`LastSeen`]), or, when its queue is full, written here within the
    /// store timeout; a failure is logged, and costs only that time.
    async fn store_last_seen(&self, name: &UserName, at: u64) {
        if self.last_seen.record(name.clone(), at) {
            return;
        }
        let stored = tokio::time::timeout(
            self.config.store_timeout(),
            self.store.set_last_seen(&[(name.clone(), at)]),
        )
        .await;
        match stored {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(user = %name, error = %e, "storing last seen failed"),
            Err(_) => tracing::warn!(user = %name, "storing last seen timed out"),
        }
    }
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

/// A connection that has joined the hub and had its preamble: what [`Connection::open`]
/// hands to the rest of [`Connection::serve`].
struct Opened<'s> {
    /// Its id in the hub.
    id: ConnId,
    /// Its close switch.
    control: Arc<Control>,
    /// Its queue's two ends: the hub's (for its own answers) and the writer's.
    outbox: Outbox,
    inbox: Inbox,
    /// The socket's write side, where the preamble left it.
    out: Out<'s>,
    /// When it joined: the idle timeout counts from it.
    started: Instant,
}

impl Connection {
    /// Runs the connection until either side ends it, then takes it out of the hub.
    ///
    /// Every path taken once or rarely (the opening and the preamble, closing, answering a
    /// frame) is boxed, so that its future does not take room in the task for as long as the
    /// connection lives: what stays is the reader's and the writer's state and little else.
    /// (`socket` is used in place, not taken apart: its parts moved out would leave room for
    /// themselves behind in the future. Its stream is shared, behind an `Arc`, with the
    /// connection's queue, through which the flusher writes in the writer's place while the
    /// writer waits idle: see `crate::outbox`.)
    ///
    /// A plain function that returns an `async` block, not an `async fn`: the block uses
    /// `self` and `socket` where it captured them, whereas an `async fn` moves its arguments
    /// into locals of its own and keeps room for both (about 200 bytes of every task).
    #[allow(clippy::manual_async_fn)] // on purpose: see above
    pub fn serve(mut self, mut socket: Socket) -> impl Future<Output = ()> + Send + 'static {
        async move {
            let name = &self.session.name;
            let metrics = self.hub.metrics();
            let Opened {
                id,
                control,
                outbox,
                mut inbox,
                mut out,
                started,
            } = match Box::pin(self.open(&socket.stream, name)).await {
                Ok(opened) => *opened,
                Err(code) => {
                    if let Some(stream) = Arc::get_mut(&mut socket.stream) {
                        Box::pin(refuse(stream, code, &self.config, metrics)).await;
                    }
                    return;
                }
            };
            // The session's id (64 bytes) was for joining the hub, which keeps its own copy.
            self.session.id.0 = String::new();
            let last_heard = AtomicU64::new(0);
            let mut reader = Reader {
                cx: Context {
                    id,
                    name,
                    hub: &self.hub,
                    store: self.store.as_ref(),
                    journal: &self.journal,
                    outbox: &outbox,
                    slot: &self.slot,
                },
                flood_limit: self.config.flood_limit.max(1),
                rate_limited_in_a_row: 0,
            };
            let writer = Writer {
                id,
                hub: &self.hub,
                control: &control,
                idle_timeout: self.config.idle_timeout(),
                started,
                last_heard: &last_heard,
                departed: OnceLock::new(),
            };
            let mut echo = None;
            inbox.attach(socket.stream.clone());
            {
                // Pinned where they are made: a future moved into a pinned binding could leave
                // room for itself behind.
                let mut read = std::pin::pin!(reader.run(
                    &socket.stream,
                    std::mem::take(&mut socket.read_ahead),
                    self.config.max_frame_bytes,
                    started,
                    &last_heard,
                ));
                let mut write = std::pin::pin!(writer.run(&mut out, &mut inbox));
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
            // Whoever takes the connection out of the hub learns whether it was its user's last.
            let departed = self.hub.disconnect(id).or(writer.departed.get().copied());
            // The answer to the client's close goes after the rest of any frame begun.
            Box::pin(write_close(&mut out, echo, metrics)).await;
            drop(out);
            // The queue gives the socket back: this task holds the only reference left.
            drop(inbox);
            if let Some(stream) = Arc::get_mut(&mut socket.stream) {
                Box::pin(finish(stream)).await;
            }
            if let Some(at) = departed {
                Box::pin(self.store_last_seen(name, at)).await;
            }
            tracing::info!(conn = id, user = %name, close = ?control.code(), "disconnected");
            drop(self.permit);
            drop(self.slot);
            drop(self.task);
        }
    }

    /// Waits for the connection's turn, reads its start, joins the hub and writes the
    /// preamble (a close or a failure there is left to the writer, through the close
    /// switch). `Err` with the close code of a connection refused before it joined.
    ///
    /// What it hands over is boxed: the task keeps room for the value an `await` gives, in
    /// the state of that `await`, beside the parts it is taken apart into.
    async fn open<'s>(
        &self,
        stream: &'s TcpStream,
        name: &UserName,
    ) -> Result<Box<Opened<'s>>, u16> {
        let metrics = self.hub.metrics();
        // This connection's turn to read its start (given back in the preamble, once read).
        let turn = tokio::select! {
            turn = self.openings.enter() => turn,
            () = self.shutdown.cancelled() => return Err(close::GOING_AWAY),
        };
        let rooms = self.hub.rooms_of(name);
        // Taken before the standing is read: whether a change since reached the hub.
        let mark = self.hub.standing_mark();
        // Invitations held are told after the welcome (and what was missed), as they come
        // live.
        let (conversations, invitations, opening) = match self.start(name, &rooms).await {
            Ok(start) => start,
            Err(e) => {
                tracing::error!(error = %e, user = %name, "reading the connection's start failed");
                return Err(close::INTERNAL_ERROR);
            }
        };
        let control = Arc::new(Control::default());
        let limits = Limits {
            frames: self.config.queue_frames,
            bytes: self.config.queue_bytes,
        };
        let (outbox, inbox) = self.hub.queue(limits, control.clone());
        let (id, welcome, up_to) = self.hub.connect(
            name.clone(),
            self.session.id.clone(),
            outbox.clone(),
            conversations,
        );
        for invite in invitations {
            outbox.send(&ServerFrame::Invitation { invite, req: None });
        }
        // The standing read before joining holds when it was good and nothing that could
        // change it reached the hub since: then it need not be read again.
        let vouched = (opening.standing == Standing::Active && self.hub.standing_holds(mark))
            .then_some(opening.blocked);
        // The shutdown reaches the connections in the hub through their close switches
        // (`Hub::close_all`); one that began while this one joined is heeded here.
        if self.shutdown.is_cancelled() {
            control.close(Some(close::GOING_AWAY));
        }
        metrics.connections_opened.inc();
        tracing::info!(conn = id, user = %name, after = ?self.after, "connected");

        let started = Instant::now();
        // Every byte written to the socket from here on goes through `out`.
        let mut out = Outgoing::new(stream, self.config.idle_timeout());
        // The welcome and what the client missed go out before anything queued since it
        // joined the hub, which holds exactly the messages after `up_to`. Cut short by a
        // close, it leaves its write position in `out`, where the close frame will find it.
        let failed = tokio::select! {
            result = self.preamble(&mut out, welcome, up_to, vouched, turn) => result.err(),
            () = control.closed() => None,
        };
        match failed {
            None => {}
            Some(PreambleError::Write(e)) => {
                count_failure(&e, metrics);
                tracing::info!(conn = id, error = %e, "writing the welcome or the backlog failed");
                // Nothing more can be written: no close frame.
                control.close(None);
            }
            Some(PreambleError::Ended(code)) => {
                tracing::info!(conn = id, code, "the session ended before the welcome");
                control.close(Some(code));
            }
            Some(e @ PreambleError::Store(_)) => {
                tracing::warn!(conn = id, error = %e, "reading the backlog failed");
                control.close(Some(close::INTERNAL_ERROR));
            }
        }
        Ok(Box::new(Opened {
            id,
            control,
            outbox,
            inbox,
            out,
            started,
        }))
    }
}

/// Closes a connection that never joined the hub with `code`, and ends it.
async fn refuse(
    stream: &mut TcpStream,
    code: u16,
    config: &Config,
    metrics: &crate::metrics::Metrics,
) {
    let mut out = Outgoing::new(&*stream, config.idle_timeout());
    write_close(&mut out, Some(close_frame(code)), metrics).await;
    drop(out);
    finish(stream).await;
}
