//! A change to a stored message: an edit, a deletion (tombstone), a reaction added or taken
//! back. A change travels like a message (the journal stores it in the group commit with the
//! next id of the same sequence, then delivers it in id order; other nodes get it on the bus),
//! so it rides in a message (`message::Message`) whose `change` says what it does.

use shared::{Place, ServerFrame};

/// What a change does to message `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The changed message's id.
    pub message: u64,
    pub kind: ChangeKind,
    /// The changed message's conversation as its frames name it (its sender and recipient
    /// for a private one). Filled in by the store; empty place (a room named "") before.
    pub place: Place,
}

/// The kinds of change. An edit's new body is the carrying message's `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Edit,
    Delete,
    React(String),
    Unreact(String),
}

impl ChangeKind {
    /// Its name in the store.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::React(_) => "react",
            Self::Unreact(_) => "unreact",
        }
    }

    /// The emoji of a reaction.
    pub fn emoji(&self) -> Option<&str> {
        match self {
            Self::React(emoji) | Self::Unreact(emoji) => Some(emoji),
            Self::Edit | Self::Delete => None,
        }
    }

    /// The kind named `name` in the store, with its emoji.
    pub fn parse(name: &str, emoji: Option<String>) -> Option<Self> {
        match (name, emoji) {
            ("edit", _) => Some(Self::Edit),
            ("delete", _) => Some(Self::Delete),
            ("react", Some(emoji)) => Some(Self::React(emoji)),
            ("unreact", Some(emoji)) => Some(Self::Unreact(emoji)),
            _ => None,
        }
    }
}

impl Change {
    /// The frame that announces it: `id` is the change's own (`change_id`), `by` who made it,
    /// `body` and `at` the carrying message's.
    pub fn frame(&self, id: u64, by: &str, body: &str, at: u64) -> ServerFrame {
        let place = self.place.clone();
        match &self.kind {
            ChangeKind::Edit => ServerFrame::MessageEdited {
                id: self.message,
                change_id: id,
                place,
                body: body.to_owned(),
                edited_at: at,
            },
            ChangeKind::Delete => ServerFrame::MessageDeleted {
                id: self.message,
                change_id: id,
                place,
            },
            ChangeKind::React(emoji) | ChangeKind::Unreact(emoji) => ServerFrame::Reaction {
                id: self.message,
                change_id: id,
                place,
                emoji: emoji.clone(),
                user: by.to_owned(),
                added: matches!(self.kind, ChangeKind::React(_)),
            },
        }
    }
}
