//! Read markers and unread counts: how many messages from others are after our marker,
//! markers moved by another tab, and our own markers sent (forward only, throttled) for the
//! open conversation.

use shared::limits::UNREAD_COUNTED;
use shared::{ClientFrame, ConversationInfo, Target, UserName};

use super::{ChatState, ConvKey, Conversation};
use crate::timeline::{Line, Message, Millis};

/// Read markers go to the server at most this often.
pub const READ_EVERY_MS: Millis = 1_000;

/// A count of unread messages or mentions as shown: the server stops counting at
/// [`UNREAD_COUNTED`], so from there on it is that many "or more".
pub fn count_label(n: u32) -> String {
    if n >= UNREAD_COUNTED {
        format!("{UNREAD_COUNTED}+")
    } else {
        n.to_string()
    }
}

impl Conversation {
    /// Messages from others after our read marker: `welcome`'s count for the messages up
    /// to `counted_until`, and those after it counted among the lines.
    pub fn unread(&self) -> u32 {
        let counted = if self.read_up_to >= self.counted_until {
            0
        } else {
            self.counted_unread
        };
        let newer = self.others_between(self.read_up_to.max(self.counted_until), u64::MAX);
        u32::try_from(counted + newer).unwrap_or(u32::MAX)
    }

    /// Of [`Self::unread`], the messages that mention us: counted the same way.
    pub fn mentions(&self) -> u32 {
        let counted = if self.read_up_to >= self.counted_until {
            0
        } else {
            self.counted_mentions
        };
        let newer = self.mentions_between(self.read_up_to.max(self.counted_until), u64::MAX);
        u32::try_from(counted + newer).unwrap_or(u32::MAX)
    }

    /// Messages from others held here with an id in `above+1..=up_to`.
    fn others_between(&self, above: u64, up_to: u64) -> u64 {
        self.count_between(above, up_to, |m| !m.own)
    }

    /// Messages that mention us held here with an id in `above+1..=up_to`.
    fn mentions_between(&self, above: u64, up_to: u64) -> u64 {
        self.count_between(above, up_to, |m| m.mentions_me)
    }

    fn count_between(&self, above: u64, up_to: u64, which: impl Fn(&Message) -> bool) -> u64 {
        self.lines
            .iter()
            .filter_map(Line::message)
            .filter(|m| which(m) && m.id.is_some_and(|id| id > above && id <= up_to))
            .count() as u64
    }

    /// Moves the read marker forward. When it stops inside what `welcome` counted (another
    /// tab read part of it), the rest is counted among the lines if they hold every message
    /// after the marker (the messages held run without a gap from the oldest to the newest);
    /// otherwise `welcome`'s count stands.
    pub(super) fn mark_read(&mut self, up_to: u64) {
        if up_to <= self.read_up_to {
            return;
        }
        self.read_up_to = up_to;
        if up_to < self.counted_until
            && (self.complete || self.oldest_id().is_some_and(|oldest| oldest <= up_to))
        {
            self.counted_unread = self.others_between(up_to, self.counted_until);
            self.counted_mentions = self.mentions_between(up_to, self.counted_until);
        }
    }

    /// `welcome` says where this conversation stands: its newest id, our marker, and how
    /// many messages after the marker are unread.
    pub(super) fn counted(&mut self, info: &ConversationInfo) {
        self.last_id = self.last_id.max(info.last_id);
        self.read_up_to = info.read_up_to;
        self.read_sent = info.read_up_to;
        self.counted_unread = info.unread;
        self.counted_mentions = info.mentions;
        self.counted_until = info.last_id;
        self.since = info.since;
    }
}

impl ChatState {
    /// Unread messages across all conversations.
    pub fn total_unread(&self) -> u32 {
        self.convs.iter().map(Conversation::unread).sum()
    }

    /// Whether a message in `key` from `from` mentions us: a room message from someone else
    /// whose body names us by the shared rule.
    pub(super) fn mentions_me(&self, key: &ConvKey, from: &str, body: &str) -> bool {
        matches!(key, ConvKey::Room(_))
            && !self.is_me(from)
            && shared::mentions::mentions(body, &self.me_key())
    }

    /// Our name's key, as mentions compare it.
    pub fn me_key(&self) -> String {
        UserName::parse(&self.me).map_or_else(|_| self.me.to_lowercase(), |me| me.key())
    }

    /// The server's `read` frame: our marker moved (another tab read), and the server has it.
    pub(super) fn read_elsewhere(&mut self, target: &Target, up_to: u64) {
        if let Some(conv) = self.convs.get_mut(&ConvKey::of(target)) {
            conv.mark_read(up_to);
            conv.read_sent = conv.read_sent.max(up_to);
        }
    }

    /// The open conversation is seen: everything in it is read at once on this page, and the
    /// server hears of it at most every [`READ_EVERY_MS`].
    pub(super) fn read_request(&mut self, key: &ConvKey, now: Millis) -> Option<ClientFrame> {
        let throttled = self.read_sent_at.is_some_and(|at| now < at + READ_EVERY_MS);
        let conv = self.convs.get_mut(key)?;
        conv.take_divider();
        if conv.last_id > conv.read_up_to && conv.unread() > 0 {
            conv.mark_read(conv.last_id);
        }
        // Markers only move forward, and only forward moves are worth a frame.
        if throttled || conv.read_up_to <= conv.read_sent {
            return None;
        }
        conv.read_sent = conv.read_up_to;
        let frame = ClientFrame::Read {
            target: conv.target(),
            up_to: conv.read_up_to,
            req: None,
        };
        self.read_sent_at = Some(now);
        Some(frame)
    }
}
