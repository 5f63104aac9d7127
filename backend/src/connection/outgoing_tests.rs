//! [`Outgoing`] against a socket that takes a few bytes at a time, refuses (`WouldBlock`), and
//! whose writes are cancelled part-way: the bytes written are the frames in order, and a close
//! frame starts only at a frame boundary.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use proptest::prelude::*;

use super::*;
use crate::outbox::scripted::{Scripted, Turn};

impl WriteSide for &Scripted {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_vectored(bufs)
    }

    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
        // Pending once (a point where the write can be cancelled), then ready.
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                Poll::Ready(Ok(()))
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }
}

/// Polls `future` at most `polls` times; `None` if it had not finished (it is then dropped:
/// cancelled).
fn poll_at_most<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
    }
    None
}

fn frame(len: usize, fill: u8) -> Frame {
    Arc::new(WireFrame::text(
        &char::from(b'a' + fill % 26).to_string().repeat(len),
    ))
}

/// How many whole frames `bytes` is, from the start of `frames`; `None` if it ends inside one
/// or differs from them.
fn whole_frames(bytes: &[u8], frames: &[Frame]) -> Option<usize> {
    let mut at = 0;
    for (count, frame) in frames.iter().enumerate() {
        if at == bytes.len() {
            return Some(count);
        }
        let frame = frame.as_bytes();
        if bytes.len() < at + frame.len() || bytes[at..at + frame.len()] != *frame {
            return None;
        }
        at += frame.len();
    }
    (at == bytes.len()).then_some(frames.len())
}

fn turn() -> impl Strategy<Value = Turn> {
    prop_oneof![(1usize..400).prop_map(Turn::Take), Just(Turn::Block)]
}

/// A batch of frame lengths (some above 125 and 65,535 bytes, for every header length), and
/// how many polls its write gets before it is cancelled.
fn batch() -> impl Strategy<Value = (Vec<usize>, usize)> {
    (
        prop::collection::vec(prop_oneof![0usize..200, 60_000usize..70_000], 1..5),
        1usize..12,
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Batches written with cancellations, then a close: what the socket got is the frames
    /// in the order pushed, whole, then the close frame.
    #[test]
    fn a_close_frame_follows_whole_frames_only(
        turns in prop::collection::vec(turn(), 0..200),
        batches in prop::collection::vec(batch(), 1..6),
        close_early in any::<bool>(),
    ) {
        let rt = runtime();
        let _entered = rt.enter();
        let mock = Scripted::new(turns);
        let mut out = Outgoing::new(&mock, Duration::from_secs(3600));
        let mut pushed = Vec::new();
        for (i, (lengths, polls)) in batches.iter().enumerate() {
            let frames: Vec<Frame> =
                lengths.iter().map(|&len| frame(len, i as u8)).collect();
            pushed.extend(frames.iter().cloned());
            out.extend(frames);
            let done = poll_at_most(out.flush(), *polls);
            if let Some(result) = done {
                prop_assert!(result.is_ok());
            } else if close_early {
                break;
            }
        }
        let close = WireFrame::close(1013, "too slow to keep up; reconnect");
        let result = poll_at_most(out.close(close.clone()), 100_000);
        prop_assert!(matches!(result, Some(Ok(()))), "the close did not go out");
        let written = mock.written().clone();
        prop_assert!(written.ends_with(close.as_bytes()), "no close frame at the end");
        let before = &written[..written.len() - close.as_bytes().len()];
        prop_assert!(
            whole_frames(before, &pushed).is_some(),
            "the close frame does not follow whole frames in order"
        );
    }

    /// Without a close, every frame pushed goes out whole and in order, however the writes
    /// were cut.
    #[test]
    fn every_frame_goes_out_in_order_despite_cancellations(
        turns in prop::collection::vec(turn(), 0..200),
        batches in prop::collection::vec(batch(), 1..6),
    ) {
        let rt = runtime();
        let _entered = rt.enter();
        let mock = Scripted::new(turns);
        let mut out = Outgoing::new(&mock, Duration::from_secs(3600));
        let mut pushed = Vec::new();
        for (i, (lengths, polls)) in batches.iter().enumerate() {
            let frames: Vec<Frame> =
                lengths.iter().map(|&len| frame(len, i as u8)).collect();
            pushed.extend(frames.iter().cloned());
            out.extend(frames);
            let _ = poll_at_most(out.flush(), *polls);
        }
        prop_assert!(matches!(poll_at_most(out.flush(), 100_000), Some(Ok(()))));
        let written = mock.written().clone();
        prop_assert_eq!(whole_frames(&written, &pushed), Some(pushed.len()));
        prop_assert!(out.is_idle());
    }
}

/// A socket that never takes a byte: the write fails after the deadline, and nothing (no
/// close frame either) is written after it.
#[tokio::test(start_paused = true)]
async fn a_write_without_progress_fails_after_the_deadline_and_writes_nothing_more() {
    let mock = Scripted::new(vec![Turn::Take(3); 1]);
    struct Stuck<'a>(&'a Scripted);
    impl WriteSide for Stuck<'_> {
        fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            if self.0.spent() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            (&self.0).try_write_vectored(bufs)
        }
        fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
            std::future::pending()
        }
    }
    let mut out = Outgoing::new(Stuck(&mock), Duration::from_secs(2));
    out.push(frame(100, 0));
    let started = Instant::now();
    let result = out.flush().await;
    assert!(matches!(result, Err(WriteError::Stalled(_))), "{result:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert!(matches!(
        out.close(WireFrame::close(1000, "")).await,
        Err(WriteError::Broken)
    ));
    assert_eq!(mock.written().len(), 3);
}
