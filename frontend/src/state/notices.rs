//! What the page tells the person outside the conversations: short [`Notice`]s at the edge of
//! the screen that go away by themselves, and the latest announcement for screen readers. The
//! same notice again is not stacked: the one shown counts it and stays a while longer.

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
    /// How many times it was said while shown (at least 1).
    pub count: u32,
    /// When it goes away by itself.
    pub until: Millis,
}

impl Notice {
    /// What it says, with how many times when more than once: "Not sent: Too long. (×3)".
    pub fn label(&self) -> String {
        if self.count > 1 {
            format!("{} (×{})", self.text, self.count)
        } else {
            self.text.clone()
        }
    }
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

    /// Shows `text` for [`NOTICE_MS`]; the same text shown already is counted instead.
    pub(super) fn push(&mut self, text: String, now: Millis) {
        if let Some(shown) = self.shown.iter_mut().find(|n| n.text == text) {
            shown.count += 1;
            shown.until = now + NOTICE_MS;
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.shown.push(Notice {
            id,
            text,
            count: 1,
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
    fn the_same_notice_again_is_counted_not_stacked() {
        let mut notices = Notices::default();
        for at in 0..4 {
            notices.push("Not sent: Too long.".to_owned(), at);
        }
        notices.push("other".to_owned(), 5);
        assert_eq!(notices.shown().len(), 2);
        assert_eq!(notices.shown()[0].label(), "Not sent: Too long. (×4)");
        assert_eq!(notices.shown()[1].label(), "other");
        // Said again, it stays for the full time from then.
        assert!(!notices.expire(3 + NOTICE_MS - 1));
        assert!(notices.expire(3 + NOTICE_MS));
        assert_eq!(notices.shown().len(), 1);
    }

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
