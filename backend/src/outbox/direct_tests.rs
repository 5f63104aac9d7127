//! The flusher's writes in the writer's place, against a socket that takes a few bytes at a
//! time or none: frames go out whole and in order, whoever writes them, an idle writer is not
//! woken when the socket takes everything, and a writer that took the socket back is never
//! written around.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::MutexGuard;
use std::task::{Context, Poll, Wake, Waker};

use proptest::prelude::*;

use super::super::scripted::{Scripted, Turn};
use super::super::*;
use crate::ws::WireFrame;

/// The scripted socket; what it took is what the peer would read: the flusher's writes and
/// the (simulated) writer's, in the order made.
#[derive(Debug)]
struct Mock(Scripted);

impl Mock {
    fn new(turns: Vec<Turn>) -> Arc<Self> {
        Arc::new(Self(Scripted::new(turns)))
    }

    fn written(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.written()
    }

    /// The writer's own write of what it took: all of it, from its offset.
    fn write_taken(&self, taken: &Taken) {
        let mut written = self.written();
        for (i, frame) in taken.frames.iter().enumerate() {
            let from = if i == 0 { taken.offset } else { 0 };
            written.extend_from_slice(&frame.as_bytes()[from..]);
        }
    }

    fn write_frame(&self, frame: &WireFrame) {
        self.written().extend_from_slice(frame.as_bytes());
    }
}

impl Socket for Mock {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.write_vectored(bufs)
    }
}

/// Counts the writer's wake-ups.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A queue with `socket` attached, and its flusher.
fn queue(socket: Arc<Mock>) -> (Arc<Flusher>, Outbox, Inbox) {
    let flusher = Arc::new(Flusher::default());
    let (outbox, inbox) = channel(
        Limits {
            frames: 10_000,
            bytes: usize::MAX,
        },
        flusher.clone(),
        Arc::default(),
        Arc::new(Metrics::default()),
    );
    inbox.attach(socket);
    (flusher, outbox, inbox)
}

/// The flusher's turn: releases every connection listed.
fn flush(flusher: &Flusher) {
    let listed = std::mem::take(&mut *flusher.listed.lock().unwrap());
    for queue in listed {
        queue.release();
    }
}

/// The writer waits once (idle or not): what it takes, if the flusher released it.
fn wait(inbox: &mut Inbox, idle: bool, waker: &Waker) -> Option<Taken> {
    let mut take = pin!(inbox.take(idle));
    match take.as_mut().poll(&mut Context::from_waker(waker)) {
        Poll::Ready(taken) => Some(taken),
        Poll::Pending => None,
    }
}

fn text(i: usize) -> Frame {
    Arc::new(WireFrame::text(&format!("frame {i}")))
}

/// The frames in `bytes` (all short: a 2-byte header), whole: their payloads, pings as "ping".
fn frames_in(bytes: &[u8]) -> Vec<String> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        assert!(at + 2 <= bytes.len(), "a frame cut short");
        let (opcode, len) = (bytes[at] & 0x0f, usize::from(bytes[at + 1] & 0x7f));
        let payload = &bytes[at + 2..at + 2 + len];
        frames.push(match opcode {
            0x9 => "ping".to_owned(),
            _ => String::from_utf8(payload.to_vec()).unwrap(),
        });
        at += 2 + len;
    }
    frames
}

#[test]
fn an_idle_writer_is_not_woken_when_the_socket_takes_everything() {
    let socket = Mock::new(Vec::new());
    let (flusher, outbox, mut inbox) = queue(socket.clone());
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    assert!(wait(&mut inbox, true, &waker).is_none());
    outbox.push(text(1));
    outbox.push(text(2));
    flush(&flusher);
    assert_eq!(wakes.0.load(Ordering::Relaxed), 0, "the writer was woken");
    assert_eq!(frames_in(&socket.written()), ["frame 1", "frame 2"]);
    assert_eq!(outbox.queue.metrics.write_batches.get(), 1);
    // Nothing held: the next frame lists the connection again and goes the same way.
    outbox.push(text(3));
    assert_eq!(flusher.listed.lock().unwrap().len(), 1);
    flush(&flusher);
    assert_eq!(wakes.0.load(Ordering::Relaxed), 0);
    assert_eq!(frames_in(&socket.written()).len(), 3);
    assert!(wait(&mut inbox, true, &waker).is_none());
}

#[test]
fn what_the_socket_does_not_take_goes_to_the_writer_from_the_byte_where_it_stopped() {
    let socket = Mock::new(vec![Turn::Take(3), Turn::Block]);
    let (flusher, outbox, mut inbox) = queue(socket.clone());
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    assert!(wait(&mut inbox, true, &waker).is_none());
    outbox.push(text(1));
    outbox.push(text(2));
    flush(&flusher);
    assert_eq!(
        wakes.0.load(Ordering::Relaxed),
        1,
        "the writer was not woken"
    );
    let taken = wait(&mut inbox, true, &waker).expect("released");
    assert_eq!((taken.frames.len(), taken.offset), (2, 3));
    socket.write_taken(&taken);
    assert_eq!(frames_in(&socket.written()), ["frame 1", "frame 2"]);
}

#[test]
fn a_writer_that_took_the_socket_back_is_released_not_written_around() {
    let socket = Mock::new(Vec::new());
    let (flusher, outbox, mut inbox) = queue(socket.clone());
    let waker = Waker::noop();
    assert!(wait(&mut inbox, true, waker).is_none());
    // The writer stops waiting (a ping is due) and writes its own frame.
    assert!(inbox.reclaim().is_none());
    outbox.push(text(1));
    flush(&flusher);
    assert!(socket.written().is_empty(), "written in place");
    socket.write_frame(&WireFrame::ping());
    let taken = wait(&mut inbox, false, waker).expect("released");
    socket.write_taken(&taken);
    assert_eq!(frames_in(&socket.written()), ["ping", "frame 1"]);
}

#[test]
fn nothing_is_written_in_place_once_the_writer_has_ended() {
    let socket = Mock::new(Vec::new());
    let (flusher, outbox, mut inbox) = queue(socket.clone());
    assert!(wait(&mut inbox, true, Waker::noop()).is_none());
    drop(inbox);
    outbox.push(text(1));
    flush(&flusher);
    assert!(socket.written().is_empty());
    assert_eq!(Arc::strong_count(&socket), 1, "the queue kept the socket");
}

/// What happens next, in a random run.
#[derive(Debug, Clone)]
enum Op {
    /// The hub queues a frame.
    Push,
    /// The flusher's turn.
    Flush,
    /// The writer's turn: it takes what it was released, if anything, and writes it all.
    Wait,
    /// The writer's ping: it takes the socket back, writes what it was left and a ping.
    Ping,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Push),
        2 => Just(Op::Flush),
        2 => Just(Op::Wait),
        1 => Just(Op::Ping),
    ]
}

fn turn() -> impl Strategy<Value = Turn> {
    prop_oneof![(1usize..12).prop_map(Turn::Take), Just(Turn::Block)]
}

proptest! {
    /// Whatever the socket takes and whoever writes, the peer reads whole frames, every frame
    /// queued once, in the order queued (pings wherever the writer sent them).
    #[test]
    fn frames_go_out_whole_and_in_order_under_any_mix_of_writes_in_place_and_the_writer(
        ops in prop::collection::vec(op(), 1..60),
        turns in prop::collection::vec(turn(), 0..40),
    ) {
        let socket = Mock::new(turns);
        let (flusher, outbox, mut inbox) = queue(socket.clone());
        let waker = Waker::noop();
        let mut pushed = 0;
        for op in ops {
            match op {
                Op::Push => {
                    pushed += 1;
                    outbox.push(text(pushed));
                }
                Op::Flush => flush(&flusher),
                Op::Wait => {
                    if let Some(taken) = wait(&mut inbox, true, waker) {
                        socket.write_taken(&taken);
                        inbox.written();
                    }
                }
                Op::Ping => {
                    if let Some(taken) = inbox.reclaim() {
                        socket.write_taken(&taken);
                    }
                    socket.write_frame(&WireFrame::ping());
                    inbox.written();
                }
            }
        }
        // The rest goes out: a last turn of the flusher, and the writer's.
        flush(&flusher);
        if let Some(taken) = wait(&mut inbox, true, waker) {
            socket.write_taken(&taken);
        }
        let texts: Vec<String> = frames_in(&socket.written())
            .into_iter()
            .filter(|f| f != "ping")
            .collect();
        let expected: Vec<String> = (1..=pushed).map(|i| format!("frame {i}")).collect();
        prop_assert_eq!(texts, expected);
    }
}
