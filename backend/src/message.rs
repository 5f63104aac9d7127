//! Messages and conversations as the server stores and delivers them.

use crate::change::Change;
use shared::{MessageDetails, RoomName, ServerFrame, StoredMessage, Target, UserName};

/// Where a message goes: a room, or one user privately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Room(RoomName),
    User(UserName),
}

impl Destination {
    /// How the store keeps it: the room's name, or the recipient's name key and name.
    pub fn columns(&self) -> (Option<&str>, Option<String>, Option<&str>) {
        match self {
            Destination::Room(room) => (Some(room.as_str()), None, None),
            Destination::User(to) => (None, Some(to.key()), Some(to.as_str())),
        }
    }
}

/// A message not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub from: UserName,
    pub to: Destination,
    pub body: String,
    pub at: u64,
    /// The client's idempotency key; unique per sender.
    pub req: Option<String>,
    /// The message it answers (checked to be of the same conversation).
    pub reply_to: Option<u64>,
    /// Set when this is not a message but a change to one (`from` made it; `to` is the
    /// changed message's room, or the other participant of its private conversation).
    pub change: Option<Change>,
    /// The sender's uploads it carries (checked to be theirs and unsent; linked to it by the
    /// storing transaction, which drops any another message took meanwhile).
    pub attachments: Vec<shared::Attachment>,
}

impl NewMessage {
    /// The stored form of its conversation (see [`Conversation::key`]).
    pub fn conversation_key(&self) -> String {
        match &self.to {
            Destination::Room(room) => Conversation::Room(room.clone()).key(),
            Destination::User(to) => Conversation::private_key(&self.from, to),
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub from: UserName,
    pub to: Destination,
    pub body: String,
    pub at: u64,
    /// Reply, edit, tombstone, reactions: as known when it was read or stored.
    pub details: MessageDetails,
    /// Set when this is a change to a message (see [`NewMessage::change`]).
    pub change: Option<Change>,
    /// The name key of the participant of a private conversation who never sees it: its
    /// recipient, who blocked its sender (`store::Safety`). `None`: both see it.
    pub hidden_for: Option<String>,
}

impl Message {
    /// The frame that delivers it.
    pub fn frame(&self) -> ServerFrame {
        if let Some(change) = &self.change {
            return change.frame(self.id, self.from.as_str(), &self.body, self.at);
        }
        match &self.to {
            Destination::Room(room) => ServerFrame::RoomMessage {
                id: self.id,
                room: room.to_string(),
                from: self.from.to_string(),
                body: self.body.clone(),
                at: self.at,
                details: self.details.clone(),
            },
            Destination::User(to) => ServerFrame::PrivateMessage {
                id: self.id,
                from: self.from.to_string(),
                to: to.to_string(),
                body: self.body.clone(),
                at: self.at,
                details: self.details.clone(),
            },
        }
    }

    /// Its form in a `history` page.
    pub fn stored(self) -> StoredMessage {
        StoredMessage {
            id: self.id,
            from: self.from.to_string(),
            target: match self.to {
                Destination::Room(room) => Target::Room {
                    room: room.to_string(),
                },
                Destination::User(to) => Target::User { to: to.to_string() },
            },
            body: self.body,
            at: self.at,
            details: self.details,
            marks: Vec::new(),
        }
    }

    pub fn conversation_key(&self) -> String {
        match &self.to {
            Destination::Room(room) => Conversation::Room(room.clone()).key(),
            Destination::User(to) => Conversation::private_key(&self.from, to),
        }
    }
}

/// A conversation as one user sees it: a room, or their private conversation with someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversation {
    Room(RoomName),
    /// The private conversation of `me` with `other`.
    Private {
        me: UserName,
        other: UserName,
    },
}

impl Conversation {
    /// The stored form: `room:<room>` or `dm:<key>:<key>` with the two name keys sorted.
    /// Names cannot contain `:`, so keys never collide.
    pub fn key(&self) -> String {
        match self {
            Self::Room(room) => format!("room:{room}"),
            Self::Private { me, other } => Self::private_key(me, other),
        }
    }

    fn private_key(a: &UserName, b: &UserName) -> String {
        let (a, b) = (a.key(), b.key());
        if a <= b {
            format!("dm:{a}:{b}")
        } else {
            format!("dm:{b}:{a}")
        }
    }

    /// How the protocol names it to `me`.
    pub fn target(&self) -> Target {
        match self {
            Self::Room(room) => Target::Room {
                room: room.to_string(),
            },
            Self::Private { other, .. } => Target::User {
                to: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_conversation_has_one_key_for_both_sides_and_any_case() {
        let alice = UserName::parse("Alice").unwrap();
        let bob = UserName::parse("bob").unwrap();
        let from_alice = Conversation::Private {
            me: alice.clone(),
            other: bob.clone(),
        };
        let from_bob = Conversation::Private {
            me: UserName::parse("BOB").unwrap(),
            other: UserName::parse("alice").unwrap(),
        };
        assert_eq!(from_alice.key(), "dm:alice:bob");
        assert_eq!(from_alice.key(), from_bob.key());
        let message = Message {
            id: 1,
            from: bob,
            to: Destination::User(alice),
            body: "hi".into(),
            at: 0,
            details: MessageDetails::default(),
            change: None,
            hidden_for: None,
        };
        assert_eq!(message.conversation_key(), "dm:alice:bob");
        assert_eq!(
            Conversation::Room(RoomName::parse("Rust").unwrap()).key(),
            "room:rust"
        );
    }
}
