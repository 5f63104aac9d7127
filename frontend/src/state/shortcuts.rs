//! The chat page's keyboard shortcuts, as plain rules: which key press means what, and which
//! conversation Alt+↑ and Alt+↓ move to. The page's window listener only reads the event and
//! acts on the [`Shortcut`].
//!
//! - Alt+↑ / Alt+↓: the conversation above or below the open one, in the sidebar's order
//!   (rooms, then private conversations); nothing at either end.
//! - Ctrl+K (Cmd+K on a Mac): the quick switcher.
//! - Escape: closes what is open (the switcher, the phone drawer).

use super::{ChatState, ConvKey};

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// Open the conversation above the open one.
    Previous,
    /// Open the conversation below the open one.
    Next,
    /// Open the quick switcher.
    Switcher,
    /// Close what is open.
    Close,
}

/// A key press as the browser reports it: `KeyboardEvent.key` and the modifiers held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyPress<'a> {
    pub key: &'a str,
    pub alt: bool,
    pub ctrl: bool,
    pub meta: bool,
    pub shift: bool,
}

impl KeyPress<'_> {
    /// The shortcut this press means, if any. Presses with extra modifiers mean nothing, so
    /// that the browser's and the system's own shortcuts keep working.
    pub fn shortcut(&self) -> Option<Shortcut> {
        let Self {
            key,
            alt,
            ctrl,
            meta,
            shift,
        } = *self;
        match key {
            "ArrowUp" if alt && !ctrl && !meta && !shift => Some(Shortcut::Previous),
            "ArrowDown" if alt && !ctrl && !meta && !shift => Some(Shortcut::Next),
            "k" | "K" if (ctrl != meta) && !alt && !shift => Some(Shortcut::Switcher),
            "Escape" if !alt && !ctrl && !meta && !shift => Some(Shortcut::Close),
            _ => None,
        }
    }
}

/// The conversation one step from `active` in `order` (`Previous` or `Next`); `None` at
/// either end, for another shortcut, or when `active` is not in the list.
pub fn neighbour(order: &[ConvKey], active: &ConvKey, step: Shortcut) -> Option<ConvKey> {
    let at = order.iter().position(|key| key == active)?;
    let to = match step {
        Shortcut::Previous => at.checked_sub(1)?,
        Shortcut::Next => at + 1,
        Shortcut::Switcher | Shortcut::Close => return None,
    };
    order.get(to).cloned()
}

impl ChatState {
    /// Every conversation in the sidebar's order: rooms, then private conversations.
    pub fn conversation_order(&self) -> Vec<ConvKey> {
        self.rooms()
            .into_iter()
            .chain(self.directs())
            .map(|summary| summary.key)
            .collect()
    }

    /// The conversation Alt+↑ (`Previous`) or Alt+↓ (`Next`) opens, if any.
    pub fn neighbour(&self, step: Shortcut) -> Option<ConvKey> {
        neighbour(&self.conversation_order(), self.active(), step)
    }
}
