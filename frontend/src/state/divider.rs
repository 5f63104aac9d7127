//! The "New" divider: where the reader stopped reading a conversation, taken when it is
//! opened (before the open conversation is marked read) and kept while it stays open, so the
//! divider does not move under the reader's eyes as messages arrive and are read.

use super::{ChatState, Conversation};

/// Where a conversation's divider stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Divider {
    /// Opened; the read marker has not been looked at yet (it is, the first time the open
    /// conversation is marked read: see [`ChatState::due`]).
    #[default]
    Undecided,
    /// Above the first message from others with an id above this read marker.
    After(u64),
    /// Nothing was unread when it was opened, or it is not open.
    None,
}

impl Conversation {
    /// Takes the divider from the read marker, once per opening: called just before the open
    /// conversation is marked read.
    pub(super) fn take_divider(&mut self) {
        if self.divider == Divider::Undecided {
            self.divider = if self.unread() > 0 {
                Divider::After(self.read_up_to)
            } else {
                Divider::None
            };
        }
    }
}

impl ChatState {
    /// The read marker above which the open conversation's "New" divider stands, if it has
    /// one.
    pub fn new_after(&self) -> Option<u64> {
        match self.active_conversation()?.divider {
            Divider::After(after) => Some(after),
            Divider::Undecided | Divider::None => None,
        }
    }
}
