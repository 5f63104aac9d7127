//! A connection's outbound queue, and the flusher that lets connections' writers take from
//! theirs.
//!
//! Queuing a frame ([`Outbox::push`]) never wakes the connection's writer itself. The first
//! frame queued on an idle connection puts the connection on the [`Flusher`]'s list; the
//! flusher's task goes down the list in order and releases the connections a few at a time
//! (`CHUNK`), letting the rest of the server (the journal, the readers) run in between. A
//! connection still on the list when more frames arrive takes them all at once, and its writer
//! writes them with one `writev`. So under load consecutive broadcasts share one syscall per
//! recipient, where each would otherwise cost one of its own (on loopback that syscall, which
//! includes the receiving side's TCP work, is most of what a delivery costs); without load a
//! frame waits for nothing but one turn of the flusher's task.
//!
//! A long turn (a large room's broadcast) first waits, for at most `COMMIT_WAIT`, for the
//! journal's commit in flight, if there is one ([`Flusher::storing`]): the messages it stores
//! then go out in the same writes instead of costing every member a second one. Without that,
//! broadcasts that arrive a commit apart drift out of step, each one catching only the members
//! not yet written to.
//!
//! When the flusher comes to a connection whose writer waits with nothing in hand, it writes
//! the frames itself, without waiting, instead of releasing the writer (`direct`): at light
//! load that saves waking and polling the connection's task for each delivery. What the
//! socket does not take at once goes to the writer as before, from the byte where it stopped.
//!
//! The queue holds no memory while it is empty: the writer takes the frames' vector whole.
//!
//! A queue is bounded twice ([`Limits`]): in frames, and in bytes, counted over the frames
//! queued and the batch the writer holds until it has written it. A frame is shared by its
//! recipients, but each connection counts its encoded length, since each one may keep it
//! alive. Over either bound the connection is closed with 1013.
//!
//! - [`Outbox`] and [`Inbox`]: the two ends of one connection's queue ([`channel`]).
//! - [`Flusher`]: the list of connections to release, and its task.
//! - [`Control`]: a connection's close switch, which a full queue flips (1013), and its ping
//!   ticks.
//! - `direct`: the flusher's write in the idle writer's place, and [`Socket`].
//! - `queued`: `Queued`, the frames waiting, a lone one without an allocation.
//! - `scripted` (tests only): a socket that takes a few bytes at a time or none.

mod control;
mod direct;
mod flusher;
mod queued;
#[cfg(test)]
pub(crate) mod scripted;

use std::future::poll_fn;
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use shared::{close, ServerFrame};

use crate::metrics::Metrics;
use crate::ws::{encode, Frame};

pub use control::Control;
pub use direct::Socket;
pub use flusher::Flusher;
use queued::Queued;

/// Identifies one live connection on this node.
pub type ConnId = u64;

/// How much one connection's queue may hold before it counts as a slow consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most frames queued at a time (`--queue-frames`).
    pub frames: usize,
    /// Most bytes, queued plus held by the writer (`--queue-bytes`). A frame alone is always
    /// taken, however large, so that one large answer cannot close an idle connection.
    pub bytes: usize,
}

/// How the hub reaches one connection: its bounded outbound queue and its close switch.
#[derive(Debug, Clone)]
pub struct Outbox {
    queue: Arc<Queue>,
    flusher: Arc<Flusher>,
    control: Arc<Control>,
}

/// The writer's end of a connection's queue. Dropping it drops what is queued, and frames
/// pushed later are dropped at once.
#[derive(Debug)]
pub struct Inbox {
    queue: Arc<Queue>,
}

#[derive(Debug)]
struct Queue {
    state: Mutex<QueueState>,
    /// Most frames and bytes it holds.
    limits: Limits,
    /// Frames queued, and writes (the flusher's in the writer's place among them).
    metrics: Arc<Metrics>,
}

/// What the writer takes from its queue: the frames, in order, and how many bytes of the
/// first one went out already (the flusher wrote part of it in the writer's place).
#[derive(Debug, Default)]
pub struct Taken {
    pub frames: Vec<Frame>,
    pub offset: usize,
}

#[derive(Debug, Default)]
struct QueueState {
    frames: Queued,
    /// Encoded bytes of `frames`.
    bytes: usize,
    /// Encoded bytes of the batch the writer took and has not finished writing.
    held: usize,
    /// Frames are queued and the connection is on the flusher's list, or was released and its
    /// writer has yet to take them. Pushing more then needs nobody told.
    pending: bool,
    /// The flusher has come to this connection: the writer may take the frames.
    released: bool,
    /// The writer has ended.
    closed: bool,
    /// The writer, waiting for a release.
    waker: Option<Waker>,
    /// Bytes of `frames[0]` already written (by the flusher, in the writer's place).
    offset: usize,
    /// The writer waits with nothing in hand (all it took is written): the flusher may write
    /// in its place, through `socket`. Set while the writer waits, cleared under this lock
    /// before the writer writes anything itself ([`Inbox::take`], [`Inbox::reclaim`]).
    idle: bool,
    /// The connection's socket, while the writer lives ([`Inbox::attach`]).
    socket: Option<Arc<dyn Socket>>,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Nothing panics while holding the lock; if it did, the queue's state is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The flusher's turn for this connection: writes the frames in the writer's place when
    /// the writer is idle and the socket takes them all at once; otherwise lets the writer
    /// take what is left.
    fn release(&self) {
        let waker = {
            let mut state = self.lock();
            if state.idle && !state.closed {
                if direct::write(&mut state) > 0 {
                    // One batch taken and written, as when the writer does it.
                    self.metrics.write_batches.inc();
                }
                if state.frames.is_empty() {
                    state.pending = false;
                    return;
                }
            }
            state.idle = false;
            state.released = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A new connection's queue, bounded by `limits`: the hub's end and the writer's end.
pub fn channel(
    limits: Limits,
    flusher: Arc<Flusher>,
    control: Arc<Control>,
    metrics: Arc<Metrics>,
) -> (Outbox, Inbox) {
    let queue = Arc::new(Queue {
        state: Mutex::default(),
        limits: Limits {
            frames: limits.frames.max(1),
            bytes: limits.bytes,
        },
        metrics,
    });
    let outbox = Outbox {
        queue: queue.clone(),
        flusher,
        control,
    };
    (outbox, Inbox { queue })
}

impl Outbox {
    /// Queues a frame without waiting. A full queue (in frames, or in bytes with the writer's
    /// batch) marks a slow consumer: the connection is closed with 1013 so that it
    /// reconnects, rather than slowing anyone else down.
    pub fn push(&self, frame: Frame) {
        let len = frame.as_bytes().len();
        let list = {
            let mut state = self.queue.lock();
            if state.closed {
                // The connection is ending; its task removes it from the hub.
                return;
            }
            let limits = self.queue.limits;
            let before = state.bytes + state.held;
            let over = if state.frames.len() >= limits.frames {
                Some(Over::Frames)
            } else if before > 0 && before + len > limits.bytes {
                Some(Over::Bytes(before + len))
            } else {
                None
            };
            if let Some(over) = over {
                drop(state);
                self.slow_consumer(over);
                return;
            }
            state.frames.push(frame);
            state.bytes += len;
            !mem::replace(&mut state.pending, true)
        };
        self.queue.metrics.frames_sent.inc();
        if list {
            self.flusher.list(self.queue.clone());
        }
    }

    fn slow_consumer(&self, over: Over) {
        if !self.control.close(Some(close::TRY_AGAIN_LATER)) {
            return;
        }
        self.queue.metrics.slow_consumers_disconnected.inc();
        match over {
            Over::Frames => {
                tracing::warn!(
                    frames = self.queue.limits.frames,
                    "slow consumer: outbound queue full, closing with 1013"
                );
            }
            Over::Bytes(bytes) => {
                self.queue.metrics.queue_bytes_exceeded.inc();
                tracing::warn!(
                    bytes,
                    limit = self.queue.limits.bytes,
                    "slow consumer: outbound bytes over budget, closing with 1013"
                );
            }
        }
    }

    /// Encodes and queues one frame for this connection alone.
    pub fn send(&self, frame: &ServerFrame) {
        self.push(encode(frame));
    }

    pub fn control(&self) -> &Arc<Control> {
        &self.control
    }
}

/// Which bound a push went over.
enum Over {
    Frames,
    /// Bytes queued and held, with the refused frame.
    Bytes(usize),
}

impl Inbox {
    /// Lends the connection's socket to the queue, for the flusher's writes in the writer's
    /// place while the writer is idle (see [`Inbox::take`]). Given back when the writer ends
    /// (the inbox is dropped).
    pub fn attach(&self, socket: Arc<dyn Socket>) {
        self.queue.lock().socket = Some(socket);
    }

    /// Waits until the flusher releases this connection, then takes every frame queued, in
    /// order (never none). Their bytes count as held by the writer until [`Inbox::written`].
    ///
    /// `idle` says that the writer has nothing in hand (everything it took is written): while
    /// it waits, the flusher may then write in its place. Whenever the writer stops waiting
    /// for another reason, it must call [`Inbox::reclaim`] before it writes.
    pub async fn take(&mut self, idle: bool) -> Taken {
        poll_fn(|cx| {
            let mut state = self.queue.lock();
            if state.released {
                return Poll::Ready(Self::take_released(&mut state));
            }
            state.idle = idle;
            if !state
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                state.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    fn take_released(state: &mut QueueState) -> Taken {
        state.released = false;
        state.pending = false;
        state.idle = false;
        state.held += mem::take(&mut state.bytes);
        Taken {
            frames: state.frames.take(),
            offset: mem::take(&mut state.offset),
        }
    }

    /// Takes the socket back from the flusher before the writer writes something of its own
    /// (a ping, a close frame): no write in its place is under way or will start until the
    /// writer waits idle again. Returns what the flusher left for the writer, if it released
    /// it: to be written first, from its offset.
    pub fn reclaim(&mut self) -> Option<Taken> {
        let mut state = self.queue.lock();
        state.idle = false;
        state.released.then(|| Self::take_released(&mut state))
    }

    /// Says that every frame taken so far has been written: their bytes no longer count.
    pub fn written(&self) {
        self.queue.lock().held = 0;
    }

    /// Takes whatever is queued now, released or not (for tests of the hub).
    #[cfg(test)]
    pub(crate) fn take_now(&mut self) -> Vec<Frame> {
        let mut state = self.queue.lock();
        state.released = false;
        state.pending = false;
        state.held += mem::take(&mut state.bytes);
        state.frames.take()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let (frames, socket) = {
            let mut state = self.queue.lock();
            state.closed = true;
            state.idle = false;
            state.waker = None;
            (mem::take(&mut state.frames), state.socket.take())
        };
        // Frames are dropped outside the lock: the last reference to a large one frees it.
        drop(frames);
        drop(socket);
    }
}

#[cfg(test)]
mod tests {
    use super::flusher::LONG_TURN;
    use super::*;
    use crate::ws::WireFrame;
    use tokio_util::sync::CancellationToken;

    fn frame(text: &str) -> Frame {
        Arc::new(WireFrame::text(text))
    }

    fn limits(frames: usize) -> Limits {
        Limits {
            frames,
            bytes: usize::MAX,
        }
    }

    fn queue(limits: Limits) -> (Arc<Flusher>, Outbox, Inbox, Arc<Control>) {
        let flusher = Arc::new(Flusher::default());
        let control = Arc::new(Control::default());
        let (outbox, inbox) = channel(
            limits,
            flusher.clone(),
            control.clone(),
            Arc::new(Metrics::default()),
        );
        (flusher, outbox, inbox, control)
    }

    fn texts(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .map(|f| f.text_payload().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn frames_wait_for_the_flusher_and_go_out_together_in_order() {
        let (flusher, outbox, mut inbox, _) = queue(limits(8));
        outbox.push(frame("a"));
        outbox.push(frame("b"));
        // Listed once, however many frames.
        assert_eq!(flusher.listed.lock().unwrap().len(), 1);
        let take = tokio::spawn(async move { (inbox.take(false).await.frames, inbox) });
        tokio::task::yield_now().await;
        assert!(!take.is_finished(), "taken before the flusher released it");
        outbox.push(frame("c"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(flusher.clone().run(shutdown.clone()));
        let (frames, mut inbox) = take.await.unwrap();
        assert_eq!(texts(&frames), ["a", "b", "c"]);
        // Idle again: the next frame lists the connection again and is released again.
        outbox.push(frame("d"));
        assert_eq!(texts(&inbox.take(false).await.frames), ["d"]);
        shutdown.cancel();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_long_turn_waits_for_the_commit_in_flight_and_takes_its_frames_along() {
        let flusher = Arc::new(Flusher::default());
        let metrics = Arc::new(Metrics::default());
        let (outboxes, mut inboxes): (Vec<_>, Vec<_>) = (0..LONG_TURN)
            .map(|_| channel(limits(4), flusher.clone(), Arc::default(), metrics.clone()))
            .unzip();
        for outbox in &outboxes {
            outbox.push(frame("first"));
        }
        flusher.storing(true);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(flusher.clone().run(shutdown.clone()));
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            outboxes.iter().all(|o| !o.queue.lock().released),
            "released while a commit was in flight"
        );
        for outbox in &outboxes {
            outbox.push(frame("second"));
        }
        flusher.storing(false);
        for inbox in &mut inboxes {
            assert_eq!(texts(&inbox.take(false).await.frames), ["first", "second"]);
        }
        shutdown.cancel();
        task.await.unwrap();
    }

    #[test]
    fn a_full_queue_closes_the_connection_with_1013_and_keeps_what_it_had() {
        let (_, outbox, mut inbox, control) = queue(limits(2));
        for text in ["a", "b", "c"] {
            outbox.push(frame(text));
        }
        assert_eq!(control.code(), Some(close::TRY_AGAIN_LATER));
        assert_eq!(texts(&inbox.take_now()), ["a", "b"]);
    }

    #[test]
    fn bytes_over_the_budget_close_with_1013_counting_the_batch_the_writer_holds() {
        // Each frame is 2 bytes of header and 100 of payload.
        let big = || frame(&"x".repeat(100));
        let (_, outbox, mut inbox, control) = queue(Limits {
            frames: 100,
            bytes: 250,
        });
        outbox.push(big());
        outbox.push(big());
        assert_eq!(inbox.take_now().len(), 2);
        // The writer holds 204 bytes: one more frame is over 250.
        outbox.push(big());
        assert_eq!(control.code(), Some(close::TRY_AGAIN_LATER));
        assert!(inbox.take_now().is_empty());
        assert_eq!(outbox.queue.metrics.queue_bytes_exceeded.get(), 1);
    }

    #[test]
    fn written_batches_free_the_budget_and_a_lone_large_frame_is_taken() {
        let (_, outbox, mut inbox, control) = queue(Limits {
            frames: 100,
            bytes: 250,
        });
        outbox.push(frame(&"x".repeat(1_000)));
        assert_eq!(inbox.take_now().len(), 1);
        inbox.written();
        for _ in 0..2 {
            outbox.push(frame(&"x".repeat(100)));
        }
        assert_eq!(inbox.take_now().len(), 2);
        inbox.written();
        outbox.push(frame(&"x".repeat(100)));
        assert_eq!(control.code(), None);
    }

    #[test]
    fn frames_pushed_after_the_writer_ended_are_dropped() {
        let (flusher, outbox, inbox, _) = queue(limits(2));
        outbox.push(frame("a"));
        drop(inbox);
        outbox.push(frame("b"));
        let listed = flusher.listed.lock().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].lock().frames.is_empty());
    }
}
