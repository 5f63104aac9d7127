//! Whether the message list should follow new messages: it does while the reader is at the
//! bottom; once they scroll up, new messages raise a "new messages" marker instead of moving
//! the page under their eyes. One's own message always scrolls into view. Older messages
//! loaded above (the reader scrolled to the top) keep what the reader sees in place, and the
//! top of the list is where the next older page is asked for.

use crate::state::ConvKey;

/// Within this many pixels of the end counts as "at the bottom".
pub const NEAR_BOTTOM_PX: f64 = 48.0;
/// Within this many pixels of the top, the next older page is loaded.
pub const NEAR_TOP_PX: f64 = 120.0;

/// What the view should do after the rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    ToBottom,
    Stay,
    /// Rows were added above: move down by as much as the list grew, so nothing jumps.
    KeepPlace,
}

/// The follow state of the message list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Follow {
    /// The conversation the list showed last time.
    conv: Option<ConvKey>,
    /// The sequence number of its first row last time.
    first_seq: Option<u64>,
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

    /// The list now shows `conv`, whose first row is `first` and last row is `last` (their
    /// sequence numbers, and whether the last is one of our own messages).
    pub fn rows_changed(
        &mut self,
        conv: &ConvKey,
        first: Option<u64>,
        last: Option<(u64, bool)>,
    ) -> Scroll {
        let last_seq = last.map(|(seq, _)| seq);
        if self.conv.as_ref() != Some(conv) {
            *self = Self {
                conv: Some(conv.clone()),
                first_seq: first,
                last_seq,
                scrolled_up: false,
                unseen: false,
            };
            return Scroll::ToBottom;
        }
        let above = first != self.first_seq;
        self.first_seq = first;
        let below = last_seq > self.last_seq;
        self.last_seq = last_seq;
        let own = last.is_some_and(|(_, own)| own);
        if below && (!self.scrolled_up || own) {
            self.scrolled_up = false;
            self.unseen = false;
            return Scroll::ToBottom;
        }
        if below {
            self.unseen = true;
        }
        match (above, self.scrolled_up) {
            (true, true) => Scroll::KeepPlace,
            (true, false) => Scroll::ToBottom,
            (false, _) => Scroll::Stay,
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

/// Where to scroll after rows were added above, so the reader keeps seeing the same rows:
/// down by as much as the list grew.
pub fn kept_place(old_top: i32, old_height: i32, new_height: i32) -> i32 {
    (old_top + new_height - old_height).max(0)
}

/// Whether the list shows its top (scrolled there, or too short to scroll), so the next
/// older page should be loaded.
pub fn wants_older(scroll_top: f64, scroll_height: f64, client_height: f64) -> bool {
    scroll_top <= NEAR_TOP_PX || scroll_height <= client_height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_while_at_the_bottom() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((1, false))),
            Scroll::ToBottom
        );
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((2, false))),
            Scroll::ToBottom
        );
        follow.scrolled(10.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((3, false))),
            Scroll::ToBottom
        );
        assert!(!follow.unseen());
    }

    #[test]
    fn shows_a_marker_instead_of_jumping_when_scrolled_up() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        follow.rows_changed(&lobby, Some(0), Some((1, false)));
        follow.scrolled(500.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((2, false))),
            Scroll::Stay
        );
        assert!(follow.unseen());
        assert!(!follow.following());
        // A status change of an existing row is not news.
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((2, false))),
            Scroll::Stay
        );
        // Scrolling back down clears the marker.
        follow.scrolled(0.0);
        assert!(!follow.unseen());
        follow.scrolled(500.0);
        follow.rows_changed(&lobby, Some(0), Some((3, false)));
        assert!(follow.unseen());
        follow.jumped();
        assert!(!follow.unseen());
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((4, false))),
            Scroll::ToBottom
        );
    }

    #[test]
    fn own_messages_and_switching_conversations_scroll_down() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        follow.rows_changed(&lobby, Some(0), Some((1, false)));
        follow.scrolled(500.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some(0), Some((2, true))),
            Scroll::ToBottom
        );
        follow.scrolled(500.0);
        follow.rows_changed(&lobby, Some(0), Some((3, false)));
        assert!(follow.unseen());
        let rust = ConvKey::Room("rust".into());
        assert_eq!(follow.rows_changed(&rust, None, None), Scroll::ToBottom);
        assert!(!follow.unseen());
    }

    #[test]
    fn older_rows_above_keep_the_reader_in_place() {
        let lobby = ConvKey::lobby();
        let mut follow = Follow::default();
        follow.rows_changed(&lobby, Some(1), Some((3, false)));
        // The first page arrives while at the bottom: stay at the bottom.
        assert_eq!(
            follow.rows_changed(&lobby, Some(7), Some((3, false))),
            Scroll::ToBottom
        );
        // Scrolled to the top, an older page arrives: keep the place.
        follow.scrolled(900.0);
        assert_eq!(
            follow.rows_changed(&lobby, Some(20), Some((3, false))),
            Scroll::KeepPlace
        );
        // Older rows above and a new one below at once: still keep the place, and say so.
        assert_eq!(
            follow.rows_changed(&lobby, Some(30), Some((31, false))),
            Scroll::KeepPlace
        );
        assert!(follow.unseen());
        assert_eq!(kept_place(0, 1_000, 1_600), 600);
        assert_eq!(kept_place(40, 1_000, 1_600), 640);
    }

    #[test]
    fn the_top_of_the_list_asks_for_older_messages() {
        assert!(wants_older(0.0, 2_000.0, 500.0));
        assert!(!wants_older(800.0, 2_000.0, 500.0));
        // Too short to scroll: nothing would ever reach the top by scrolling.
        assert!(wants_older(0.0, 300.0, 500.0));
    }
}
