//! What the page tells the person outside the conversations: short [`Notice`]s at the edge of
//! the screen that go away by themselves, and the latest announcement for screen readers.

use crate::timeline::Millis;

/// Notices dismiss themselves after this long.
pub const NOTICE_MS: Millis = 6_000;
/// At most this many notices are shown; a new one pushes the oldest out.
const MAX_SHOWN: usize = 4;

/// A short message at the edge of the screen that goes away by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Unique on this page: the view keys its list by it, and dismisses by it.
    pub id: u64,
    /// What it says.
    pub text: String,
    /// When it goes away by itself.
    pub until: Millis,
}

/// The notices on screen and the screen readers' announcement.
#[derive(Debug, Clone)]
pub(super) struct Notices {
    /// On screen, oldest first.
    shown: Vec<Notice>,
    /// The next notice's id.
    next_id: u64,
    /// The latest text for screen readers (an `aria-live` region shows it).
    announcement: String,
}

impl Default for Notices {
    fn default() -> Self {
        Self {
            shown: Vec::new(),
            next_id: 1,
            announcement: String::new(),
        }
    }
}

impl Notices {
    pub(super) fn shown(&self) -> &[Notice] {
        &self.shown
    }

    pub(super) fn announcement(&self) -> &str {
        &self.announcement
    }

    /// Shows `text` for [`NOTICE_MS`].
    pub(super) fn push(&mut self, text: String, now: Millis) {
        let id = self.next_id;
        self.next_id += 1;
        self.shown.push(Notice {
            id,
            text,
            until: now + NOTICE_MS,
        });
        if self.shown.len() > MAX_SHOWN {
            self.shown.remove(0);
        }
    }

    pub(super) fn dismiss(&mut self, id: u64) {
        self.shown.retain(|n| n.id != id);
    }

    /// Drops the notices whose time is up; returns whether any went.
    pub(super) fn expire(&mut self, now: Millis) -> bool {
        let before = self.shown.len();
        self.shown.retain(|n| n.until > now);
        self.shown.len() != before
    }

    pub(super) fn announce(&mut self, text: String) {
        self.announcement = text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifth_notice_pushes_the_oldest_out_and_each_expires_on_time() {
        let mut notices = Notices::default();
        for (at, text) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            notices.push(text.to_owned(), at as Millis);
        }
        let texts: Vec<&str> = notices.shown().iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["b", "c", "d", "e"]);
        assert_eq!(notices.shown()[0].id, 2);
        assert!(!notices.expire(NOTICE_MS));
        assert!(notices.expire(NOTICE_MS + 1));
        assert_eq!(notices.shown().len(), 3);
    }
}
