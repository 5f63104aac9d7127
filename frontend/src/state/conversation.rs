//! One [`Conversation`]: its lines in order (messages by server id and never twice, however
//! they arrive), a room's membership, where its history paging stands, its read marker and
//! who is typing in it.

use shared::Target;

use super::divider::Divider;
use super::typing::Typing;
use super::ConvKey;
use crate::sorted::{SortedMap, SortedSet};
use crate::timeline::{Line, Message};

/// New messages trim a conversation to this many lines, dropping the oldest (older pages the
/// reader asked for are kept).
pub const MAX_LINES: usize = 1_000;

/// Ids not replayed after a reconnect: every id in `(after, before)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The newest id held before the gap.
    pub after: u64,
    /// The oldest id held after it: the next page asked for ends below it.
    pub before: u64,
}

/// A conversation and what the view shows about it.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Which conversation: it is found, keyed and addressed by this.
    pub key: ConvKey,
    /// The room name, or the other person's name as they write it.
    pub title: String,
    /// Ordered: messages with an id by id, other lines (system lines, our sends not yet
    /// acknowledged) by time among them. The messages held are every message from the oldest
    /// one held on; history pages extend that run backwards.
    pub lines: Vec<Line>,
    /// Rooms only: who is in it, as the server last said.
    pub members: SortedSet<String>,
    /// Rooms only: the server says we are in it.
    pub joined: bool,
    /// Rooms only: its title, topic, kind, owner and moderators (who may delete anyone's
    /// message in it), as the server last said.
    pub settings: shared::RoomSettings,
    /// The newest message id known here (from `welcome`, messages, pages and acks).
    pub last_id: u64,
    /// Our read marker: every message up to this id counts as read.
    pub read_up_to: u64,
    /// The marker the server has, or will have once our `read` arrives.
    pub(super) read_sent: u64,
    /// `welcome`'s unread count, which covers the messages up to [`Self::counted_until`].
    pub(super) counted_unread: u64,
    /// `welcome`'s count of those that mention us, over the same messages.
    pub(super) counted_mentions: u64,
    /// The conversation's newest id when `welcome` counted (0: never counted).
    pub(super) counted_until: u64,
    /// The newest page of history has arrived.
    pub loaded: bool,
    /// Nothing older than the oldest message held exists.
    pub complete: bool,
    /// The request id of our history request on its way, if one is.
    pub(super) loading: Option<String>,
    /// Messages the server did not replay after a reconnect (`replay_cut`) that may belong
    /// here, between those held: history pages fill it before any older page is asked for.
    pub gap: Option<Gap>,
    /// Who is typing here.
    pub(super) typing: Typing,
    /// Where the "New" divider stands while it is open.
    pub(super) divider: Divider,
    /// Private only: the other person's account was created by releasing the name of a
    /// former holder, at this instant (`ConversationInfo::since`).
    pub since: Option<u64>,
    /// The others' read markers, by name as the server writes it (`receipts`).
    pub(super) readers: SortedMap<String, u64>,
    /// `receipts` was asked for on this connection.
    pub(super) receipts_asked: bool,
    /// Rooms only: how many days it keeps its messages, once a `retention` frame said so on
    /// this page (the welcome does not tell).
    pub kept_days: Option<u32>,
}

impl Conversation {
    pub(super) fn new(key: ConvKey, title: String) -> Self {
        Self {
            key,
            title,
            lines: Vec::new(),
            members: SortedSet::new(),
            joined: false,
            settings: shared::RoomSettings::default(),
            last_id: 0,
            read_up_to: 0,
            read_sent: 0,
            counted_unread: 0,
            counted_mentions: 0,
            counted_until: 0,
            loaded: false,
            complete: false,
            loading: None,
            gap: None,
            typing: Typing::default(),
            divider: Divider::Undecided,
            since: None,
            readers: SortedMap::new(),
            receipts_asked: false,
            kept_days: None,
        }
    }

    pub fn is_room(&self) -> bool {
        matches!(self.key, ConvKey::Room(_))
    }

    /// Where frames about this conversation go.
    pub fn target(&self) -> Target {
        match &self.key {
            ConvKey::Room(room) => Target::Room { room: room.clone() },
            ConvKey::Direct(_) => Target::User {
                to: self.title.clone(),
            },
        }
    }

    /// Whether a history request is on its way.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// The smallest message id held: the cursor for the next older page.
    pub fn oldest_id(&self) -> Option<u64> {
        self.lines
            .iter()
            .find_map(|l| l.message().and_then(|m| m.id))
    }

    pub(super) fn has_id(&self, id: u64) -> bool {
        self.message(id).is_some()
    }

    /// The message with server id `id`, if held.
    pub fn message(&self, id: u64) -> Option<&Message> {
        self.lines
            .iter()
            .rev()
            .find_map(|l| l.message().filter(|m| m.id == Some(id)))
    }

    pub(super) fn message_mut(&mut self, id: u64) -> Option<&mut Message> {
        self.lines
            .iter_mut()
            .rev()
            .find_map(|l| l.message_mut().filter(|m| m.id == Some(id)))
    }

    /// Puts a line where it belongs. New lines usually belong at the end, so the search starts
    /// there; an older page's messages walk back to their place.
    pub(super) fn place(&mut self, line: Line) {
        let mut at = self.lines.len();
        while at > 0 && belongs_after(&self.lines[at - 1], &line) {
            at -= 1;
        }
        self.lines.insert(at, line);
    }

    /// Drops the oldest lines beyond [`MAX_LINES`]; older history is then there to load again.
    pub(super) fn trim(&mut self) {
        if self.lines.len() > MAX_LINES {
            let excess = self.lines.len() - MAX_LINES;
            self.lines.drain(..excess);
            self.complete = false;
        }
    }
}

/// Whether `line` belongs after `new`: messages with ids by id, our sends without an id yet
/// after them (their ids will be newer), system lines by time.
fn belongs_after(line: &Line, new: &Line) -> bool {
    #[derive(PartialEq)]
    enum Place {
        Id(u64),
        Unsent,
        System,
    }
    let place = |l: &Line| match l.message() {
        Some(m) => m.id.map_or(Place::Unsent, Place::Id),
        None => Place::System,
    };
    match (place(line), place(new)) {
        (Place::Id(a), Place::Id(b)) => a > b,
        (Place::Unsent, Place::Id(_)) => true,
        (_, Place::Unsent) => false,
        (Place::System, _) | (_, Place::System) => line.at > new.at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Delivery, LineKind, Message};

    fn message(seq: u64, id: Option<u64>, at: u64) -> Line {
        Line {
            seq,
            at,
            kind: LineKind::Message(Message {
                id,
                from: "bob".into(),
                body: format!("m{seq}"),
                at,
                own: id.is_none(),
                mentions_me: false,
                delivery: Delivery::Confirmed,
                details: Default::default(),
                rev: 0,
            }),
        }
    }

    #[test]
    fn lines_go_by_id_unsent_ones_after_them_and_system_lines_by_time() {
        let mut conv = Conversation::new(ConvKey::lobby(), "lobby".into());
        conv.place(message(1, Some(20), 200));
        conv.place(message(2, None, 150));
        conv.place(message(3, Some(10), 300));
        conv.place(Line {
            seq: 4,
            at: 250,
            kind: LineKind::System {
                text: "bob joined".into(),
            },
        });
        let seqs: Vec<u64> = conv.lines.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [3, 1, 2, 4]);
        assert_eq!(conv.oldest_id(), Some(10));
        assert!(conv.has_id(20) && !conv.has_id(15));
    }
}
