//! Typing notices: who is typing in a conversation and until when, how that reads ("bob is
//! typing…"), and the `typing` frames we send.

use shared::{ClientFrame, Target};

use super::{ChatState, ConvKey};
use crate::sorted::SortedMap;
use crate::timeline::Millis;

/// "bob is typing…" disappears this long after bob's last typing notice.
pub const TYPING_SHOWN_MS: Millis = 4_000;

/// Who is typing in one conversation.
#[derive(Debug, Clone, Default)]
pub(super) struct Typing {
    /// Name key -> (name as written, shown until).
    typers: SortedMap<String, (String, Millis)>,
}

impl Typing {
    /// `from` is typing: show it for [`TYPING_SHOWN_MS`] from now.
    pub(super) fn started(&mut self, from: String, now: Millis) {
        self.typers
            .insert(from.to_ascii_lowercase(), (from, now + TYPING_SHOWN_MS));
    }

    /// `name` is not typing any more (their message came, they left or went offline).
    pub(super) fn stopped(&mut self, name: &str) {
        self.typers.remove(&name.to_ascii_lowercase());
    }

    pub(super) fn clear(&mut self) {
        self.typers.clear();
    }

    /// Drops the notices whose time is up; returns whether any went.
    pub(super) fn expire(&mut self, now: Millis) -> bool {
        let before = self.typers.len();
        self.typers.retain(|_, (_, until)| *until > now);
        self.typers.len() != before
    }

    /// "bob is typing…", if anyone is.
    pub(super) fn text(&self) -> Option<String> {
        let names: Vec<&str> = self
            .typers
            .values()
            .map(|(name, _)| name.as_str())
            .collect();
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [a, b] => Some(format!("{a} and {b} are typing…")),
            _ => Some("Several people are typing…".to_owned()),
        }
    }
}

impl ChatState {
    /// "bob is typing…" for a conversation, if anyone is.
    pub fn typing_text(&self, key: &ConvKey) -> Option<String> {
        self.conversation(key)?.typing.text()
    }

    /// The `typing` frame for a conversation, when it can reach anyone (the composer throttles
    /// how often it is sent, see [`super::composer::TypingThrottle`]).
    pub fn typing_frame(&self, key: &ConvKey) -> Option<ClientFrame> {
        if self.send_blocker(key).is_some() {
            return None;
        }
        let target = match key {
            // The server drops notices to someone offline; do not bother it.
            ConvKey::Direct(user) if !self.presence.is_online(user) => return None,
            _ => self.conversation(key)?.target(),
        };
        Some(ClientFrame::Typing { target })
    }

    /// The server's `typing` frame: someone else is typing in a room we hold, or to us in the
    /// private conversation with them, if there is one.
    pub(super) fn someone_typing(&mut self, from: String, target: Target, now: Millis) {
        if self.is_me(&from) {
            return;
        }
        let key = match target {
            Target::Room { room } => ConvKey::Room(room),
            Target::User { .. } => ConvKey::Direct(from.to_ascii_lowercase()),
        };
        if let Some(conv) = self.convs.get_mut(&key) {
            conv.typing.started(from, now);
        }
    }
}
