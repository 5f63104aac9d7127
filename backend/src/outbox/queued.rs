//! [`Queued`]: the frames waiting in one connection's queue. A lone frame is held in place,
//! without an allocation: at light load that is all a queue ever holds (one broadcast, then
//! the flusher writes it), so a delivery costs no `malloc` and no `free`. Two or more go in
//! a vector, as before. Empty, it holds no memory, and it is no larger than a vector.

use std::mem;

use crate::ws::Frame;

/// The frames waiting in one connection's queue, in order.
#[derive(Debug, Default)]
pub(super) enum Queued {
    #[default]
    Empty,
    One(Frame),
    Many(Vec<Frame>),
}

impl Queued {
    /// The frames, in order.
    pub(super) fn as_slice(&self) -> &[Frame] {
        match self {
            Self::Empty => &[],
            Self::One(frame) => std::slice::from_ref(frame),
            Self::Many(frames) => frames,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Adds `frame` after the others.
    pub(super) fn push(&mut self, frame: Frame) {
        match self {
            Self::Empty => *self = Self::One(frame),
            Self::One(_) => {
                let Self::One(first) = mem::take(self) else {
                    unreachable!("matched One")
                };
                let mut frames = Vec::with_capacity(4);
                frames.push(first);
                frames.push(frame);
                *self = Self::Many(frames);
            }
            Self::Many(frames) => frames.push(frame),
        }
    }

    /// Drops the first `count` frames (written); empty, it holds no memory.
    pub(super) fn remove_first(&mut self, count: usize) {
        if count >= self.len() {
            *self = Self::Empty;
        } else if let Self::Many(frames) = self {
            frames.drain(..count);
        }
    }

    /// Takes every frame, leaving it empty.
    pub(super) fn take(&mut self) -> Vec<Frame> {
        match mem::take(self) {
            Self::Empty => Vec::new(),
            Self::One(frame) => vec![frame],
            Self::Many(frames) => frames,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ws::WireFrame;

    fn texts(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .map(|f| f.text_payload().into_owned())
            .collect()
    }

    #[test]
    fn frames_stay_in_order_through_one_and_many() {
        let mut queued = Queued::default();
        assert!(queued.is_empty());
        for (i, text) in ["a", "b", "c", "d"].into_iter().enumerate() {
            queued.push(Arc::new(WireFrame::text(text)));
            assert_eq!(queued.len(), i + 1);
        }
        assert!(matches!(queued, Queued::Many(_)));
        queued.remove_first(1);
        assert_eq!(texts(queued.as_slice()), ["b", "c", "d"]);
        assert_eq!(texts(&queued.take()), ["b", "c", "d"]);
        assert!(queued.is_empty());
    }

    #[test]
    fn a_lone_frame_is_held_in_place_and_written_out_to_nothing() {
        let mut queued = Queued::default();
        queued.push(Arc::new(WireFrame::text("a")));
        assert!(matches!(queued, Queued::One(_)), "{queued:?}");
        assert_eq!(texts(queued.as_slice()), ["a"]);
        queued.remove_first(1);
        assert!(matches!(queued, Queued::Empty), "{queued:?}");
        queued.push(Arc::new(WireFrame::text("b")));
        assert_eq!(texts(&queued.take()), ["b"]);
        assert!(matches!(queued, Queued::Empty));
    }

    #[test]
    fn it_is_no_larger_than_a_vector() {
        assert!(mem::size_of::<Queued>() <= mem::size_of::<Vec<Frame>>());
    }
}
