//! The conversation list: rooms and private conversations in the order they appeared, the
//! open one, the sidebar's summaries (unread counts, availability, ordering), and opening and
//! closing conversations.

use shared::UserName;

use super::divider::Divider;
use super::{ChatState, ConvKey, Conversation};
use crate::order;
use crate::timeline::{self, Line, LineKind, Millis, Row};

/// A line in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvSummary {
    /// What choosing the line opens.
    pub key: ConvKey,
    /// The room's name, or the other person's as they write it.
    pub title: String,
    /// The badge: messages from others after our read marker.
    pub unread: u32,
    /// The second badge ("@2"): how many of those mention us.
    pub mentions: u32,
    /// It is the open conversation.
    pub active: bool,
    /// Rooms: we are in it now. Private conversations: the other person is online.
    pub available: bool,
    /// Muted: no notifications, and its unread count stays out of the tab's title.
    pub muted: bool,
}

/// Every conversation held on this page, and which one is open.
#[derive(Debug, Clone)]
pub(super) struct Conversations {
    /// In the order they appeared; lobby is always there.
    list: Vec<Conversation>,
    /// The conversation on screen: one in the list (lobby when the open one goes).
    active: ConvKey,
    /// The next line's sequence number. Lines are numbered across conversations, so a number
    /// names one line on the page (the view keys rows by it, retries find their line by it).
    next_seq: u64,
}

impl Conversations {
    /// Lobby alone, open.
    pub(super) fn new() -> Self {
        let lobby = Conversation::new(ConvKey::lobby(), shared::limits::LOBBY.to_owned());
        Self {
            list: vec![lobby],
            active: ConvKey::lobby(),
            next_seq: 1,
        }
    }

    pub(super) fn get(&self, key: &ConvKey) -> Option<&Conversation> {
        self.list.iter().find(|c| &c.key == key)
    }

    pub(super) fn get_mut(&mut self, key: &ConvKey) -> Option<&mut Conversation> {
        self.list.iter_mut().find(|c| &c.key == key)
    }

    /// The conversation, created with `title` when it is not held yet.
    pub(super) fn entry(&mut self, key: &ConvKey, title: &str) -> &mut Conversation {
        let index = match self.list.iter().position(|c| &c.key == key) {
            Some(index) => index,
            None => {
                self.list
                    .push(Conversation::new(key.clone(), title.to_owned()));
                self.list.len() - 1
            }
        };
        &mut self.list[index]
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Conversation> {
        self.list.iter()
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Conversation> {
        self.list.iter_mut()
    }

    /// Drops a conversation; when it was open, lobby opens.
    pub(super) fn remove(&mut self, key: &ConvKey) {
        self.list.retain(|c| &c.key != key);
        if &self.active == key {
            self.activate(&ConvKey::lobby());
        }
    }

    /// Opens a conversation that is held; its "New" divider is taken afresh, the one left
    /// loses its own.
    fn activate(&mut self, key: &ConvKey) {
        if self.get(key).is_none() || &self.active == key {
            return;
        }
        let left = std::mem::replace(&mut self.active, key.clone());
        if let Some(conv) = self.get_mut(&left) {
            conv.divider = Divider::None;
        }
        if let Some(conv) = self.get_mut(key) {
            conv.divider = Divider::Undecided;
        }
    }

    /// The sequence number for a new line.
    pub(super) fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// "bob joined", "carol went offline": a small line in a conversation, if it is held.
    pub(super) fn system_line(&mut self, key: &ConvKey, text: String, now: Millis) {
        let seq = self.take_seq();
        if let Some(conv) = self.get_mut(key) {
            conv.place(Line {
                seq,
                at: now,
                kind: LineKind::System { text },
            });
            conv.trim();
        }
    }

    fn summary(&self, c: &Conversation, available: bool, muted: bool) -> ConvSummary {
        ConvSummary {
            key: c.key.clone(),
            title: c.title.clone(),
            unread: c.unread(),
            mentions: c.mentions(),
            active: c.key == self.active,
            available,
            muted,
        }
    }
}

impl ChatState {
    pub fn active(&self) -> &ConvKey {
        &self.convs.active
    }

    pub fn conversation(&self, key: &ConvKey) -> Option<&Conversation> {
        self.convs.get(key)
    }

    pub fn active_conversation(&self) -> Option<&Conversation> {
        self.convs.get(&self.convs.active)
    }

    /// The rows of the open conversation, grouped for display.
    pub fn active_rows(&self) -> Vec<Row> {
        let mut rows = self
            .active_conversation()
            .map(|c| timeline::rows(&c.lines))
            .unwrap_or_default();
        self.mark_blocked(&mut rows);
        rows
    }

    /// Rooms for the sidebar: lobby first, then by name.
    pub fn rooms(&self) -> Vec<ConvSummary> {
        let mut rooms: Vec<ConvSummary> = self
            .convs
            .iter()
            .filter(|c| c.is_room())
            .map(|c| self.convs.summary(c, c.joined, self.is_muted(&c.key)))
            .collect();
        order::sort_by_key(&mut rooms, |r| (r.key != ConvKey::lobby(), r.title.clone()));
        rooms
    }

    /// Private conversations for the sidebar, by name, whether the other person is online
    /// or not.
    pub fn directs(&self) -> Vec<ConvSummary> {
        let mut directs: Vec<ConvSummary> = self
            .convs
            .iter()
            .filter_map(|c| match &c.key {
                ConvKey::Direct(key) => Some(self.convs.summary(
                    c,
                    self.presence.is_online(key),
                    self.is_muted(&c.key),
                )),
                ConvKey::Room(_) => None,
            })
            .collect();
        order::sort_by_key(&mut directs, |d| d.title.to_ascii_lowercase());
        directs
    }

    /// Opens a conversation. Its history and read marker follow from [`Self::due`].
    pub fn activate(&mut self, key: &ConvKey) {
        self.convs.activate(key);
    }

    /// Opens (creating if needed) the private conversation with `name`, online or not.
    pub fn open_direct(&mut self, name: &str) {
        if self.is_me(name) || UserName::parse(name).is_err() {
            return;
        }
        let key = ConvKey::Direct(name.to_ascii_lowercase());
        let title = self.presence.written(name).unwrap_or(name).to_owned();
        self.convs.entry(&key, &title);
        self.activate(&key);
    }

    /// Hides a private conversation on this page. The server keeps it: its next message, or
    /// the next page load, brings it back.
    pub fn close_direct(&mut self, key: &ConvKey) {
        if matches!(key, ConvKey::Direct(_)) {
            self.forget(key);
        }
    }
}
