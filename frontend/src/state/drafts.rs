//! [`Drafts`]: what was typed but not sent, one draft per conversation, so that text typed in
//! one conversation never follows the person into another. The page keeps them in
//! `localStorage` under [`Drafts::storage_key`] (one entry per signed-in user), so a draft
//! survives a reload.

use super::ConvKey;
use crate::sorted::SortedMap;

/// A draft longer than this (in characters) is not saved: the server would refuse it anyway
/// (its limit is far below), and the storage entry stays small.
pub const MAX_SAVED_CHARS: usize = 20_000;

/// The unsent text of each conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drafts {
    /// By [`ConvKey::dom_id`] (`room-lobby`, `dm-bob`); empty drafts are not kept.
    by_conv: SortedMap<String, String>,
}

impl Drafts {
    /// The `localStorage` entry holding `user`'s drafts (the name key, so that "Bob" and
    /// "bob" share one).
    pub fn storage_key(user: &str) -> String {
        format!("chat.drafts.{}", user.to_lowercase())
    }

    /// Drafts read back from storage; anything unreadable counts as no drafts.
    pub fn from_json(text: &str) -> Self {
        let mut by_conv: SortedMap<String, String> = serde_json::from_str(text).unwrap_or_default();
        by_conv.retain(|_, draft| !draft.is_empty());
        Self { by_conv }
    }

    /// What to write to storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.by_conv).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The draft of `conv`: empty when there is none.
    pub fn get(&self, conv: &ConvKey) -> &str {
        self.by_conv.get(&conv.dom_id()).map_or("", String::as_str)
    }

    /// Keeps `text` as the draft of `conv` (an empty text drops it). Returns whether anything
    /// changed, that is whether storage should be written.
    pub fn set(&mut self, conv: &ConvKey, text: &str) -> bool {
        let key = conv.dom_id();
        if text.is_empty() || text.chars().count() > MAX_SAVED_CHARS {
            return self.by_conv.remove(&key).is_some();
        }
        if self.by_conv.get(&key).is_some_and(|old| old == text) {
            return false;
        }
        self.by_conv.insert(key, text.to_owned());
        true
    }

    /// The draft of `conv` was sent: it is gone.
    pub fn clear(&mut self, conv: &ConvKey) -> bool {
        self.set(conv, "")
    }

    pub fn is_empty(&self) -> bool {
        self.by_conv.is_empty()
    }
}
