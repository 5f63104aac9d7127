//! Whether the message list should follow new messages: it does while the reader is at the
//! bottom; once they scroll up, new messages raise a "new messages" marker instead of moving
//! the page under their eyes. One's own message always scrolls into view.

use crate::state::ConvKey;

/// Within this many pixels of the end counts as "at the bottom".
pub const NEAR_BOTTOM_PX: f64 = 48.0;

/// What the view should do after the rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    ToBottom,
    Stay,
}

/// The follow state of the message list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Follow {
    /// The conversation the list showed last time.
    conv: Option<ConvKey>,
    /// The sequence number of its last row last time.
    last_seq: Option<u64>,
    /// The reader has scrolled up.
    scrolled_up: bool,
    /// New rows arrived below while scrolled up.
    unseen: bool,
}

impl Follow {
    /// The reader scrolled; `distance` is how far the end of the list is below the viewport.
    pub fn scrolled(&mut self, distance: f64) {
        self.scrolled_up = distance > NEAR_BOTTOM_PX;
        if !self.scrolled_up {
            self.unseen = false;
        }
    }

    /// The list now shows `conv`, whose last row is `last` (its sequence number and whether it
    /// is one of our own messages).
    pub fn rows_changed(&mut self, conv: &ConvKey, last: Option<(u64, bool)>) -> Scroll {
        let last_seq = last.map(|(seq, _)| seq);
        if self.conv.as_ref() != Some(conv) {
            *self = Self {
                conv: Some(conv.clone()),
                last_seq,
                scrolled_up: false,
                unseen: false,
            };
            return Scroll::ToBottom;
        }
        if last_seq <= self.last_seq {
            self.last_seq = last_seq;
            return Scroll::Stay;
        }
        self.last_seq = last_seq;
        let own = last.is_some_and(|(_, own)| own);
        if !self.scrolled_up || own {
            self.scrolled_up = false;
            self.unseen = false;
            Scroll::ToBottom
        } else {
            self.unseen = true;
            Scroll::Stay
        }
    }

    /// The reader used the marker to jump to the newest messages.
    pub fn jumped(&mut self) {
        self.scrolled_up = false;
        self.unseen = false;
    }

    /// Whether the list is following the newest messages (the reader has not scrolled up).
    pub fn following(&self) -> bool {
        !self.scrolled_up
    }

    /// Whether to show the "new messages" marker.
    pub fn unseen(&self) -> bool {
        self.unseen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_while_at_the_bottom() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        assert_eq!(
            follow.rows_changed(&lobby, Some((1, false))),
            Scroll::ToBottom
        );
        assert_eq!(
            follow.rows_changed(&lobby, Some((2, false))),
            Scroll::ToBottom
        );
        follow.scrolled(10.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some((3, false))),
            Scroll::ToBottom
        );
        assert!(!follow.unseen());
    }

    #[test]
    fn shows_a_marker_instead_of_jumping_when_scrolled_up() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        follow.rows_changed(&lobby, Some((1, false)));
        follow.scrolled(500.0);
        assert_eq!(follow.rows_changed(&lobby, Some((2, false))), Scroll::Stay);
        assert!(follow.unseen());
        assert!(!follow.following());
        // A status change of an existing row is not news.
        assert_eq!(follow.rows_changed(&lobby, Some((2, false))), Scroll::Stay);
        // Scrolling back down clears the marker.
        follow.scrolled(0.0);
        assert!(!follow.unseen());
        follow.scrolled(500.0);
        follow.rows_changed(&lobby, Some((3, false)));
        assert!(follow.unseen());
        follow.jumped();
        assert!(!follow.unseen());
        assert_eq!(
            follow.rows_changed(&lobby, Some((4, false))),
            Scroll::ToBottom
        );
    }

    #[test]
    fn own_messages_and_switching_conversations_scroll_down() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        follow.rows_changed(&lobby, Some((1, false)));
        follow.scrolled(500.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some((2, true))),
            Scroll::ToBottom
        );
        follow.scrolled(500.0);
        follow.rows_changed(&lobby, Some((3, false)));
        assert!(follow.unseen());
        let rust = ConvKey::Room("rust".into());
        assert_eq!(follow.rows_changed(&rust, None), Scroll::ToBottom);
        assert!(!follow.unseen());
    }
}
