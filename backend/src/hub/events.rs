//! What nodes tell each other ([`Event`]), and the trait the hub publishes its own events
//! through ([`Publish`]). The hub owns them: it publishes what changes on this node and
//! applies what the others publish ([`super::Hub::apply`]); the bus only carries them, so
//! the hub knows nothing of Redis, and a single node has no publisher at all.
//!
//! The serde shape is the bus's wire format: changing it breaks mixed-version clusters.

use serde::{Deserialize, Serialize};
use shared::{MessageDetails, Place, Quote, RoomName, RoomSettings, UserName};

use crate::change::{Change, ChangeKind};
use crate::message::{Destination, Message};

/// Where the hub's events go: the bus to the other nodes implements it. Publishing never
/// waits; it is called once per change (a sign-in, a join, a batch of messages), never per
/// recipient.
pub trait Publish: Send + Sync + std::fmt::Debug + 'static {
    /// Queues `event` for the other nodes without waiting.
    fn publish(&self, event: Event);
}

/// What one node tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// "I am here, with these users online (`away`: those of them away here); tell me yours."
    Hello {
        users: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
    },
    /// The answer to a `hello`: the users online on the sending node, and those of them away.
    Sync {
        users: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
    },
    /// The sending node is alive.
    Heartbeat,
    /// The sending node is shutting down: its users are gone with it.
    Bye,
    /// A user's first connection on the sending node.
    Online { user: String },
    /// A user's last connection on the sending node closed, at `at` (ms since the epoch).
    Offline {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<u64>,
    },
    /// A user on the sending node became away there (every connection of theirs on it is) or
    /// came back.
    Away { user: String, away: bool },
    /// A user joined a room (stored already); `settings`: the room's as they were then.
    Joined {
        user: String,
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<RoomSettings>,
    },
    /// A room's settings or roles changed (stored already): as they are now.
    RoomUpdated {
        room: String,
        settings: RoomSettings,
    },
    /// A user left a room, or was removed from it (stored already).
    Left {
        user: String,
        room: String,
        #[serde(flatten)]
        removal: Removal,
    },
    /// An account was deleted: its memberships are gone.
    Forgotten { user: String },
    /// A frame for users on every node, already encoded (typing notices, read markers, read receipts).
    Frame { route: Route, frame: String },
    /// Close every connection of a session (it signed out).
    CloseSession { session: String, code: u16 },
    /// Close every connection of a user (by name key): their account was disabled.
    CloseUser { user: String, code: u16 },
    /// The sending node's open WebSockets, with each heartbeat (for administrators' figures).
    Load { connections: u64 },
    /// Messages stored by the sending node, in id order.
    Messages { messages: Vec<WireMessage> },
}

/// Who took a user out of a room (a kick or a ban), if anyone: none when they left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    /// Who removed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// They are banned from the room.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub banned: bool,
}

/// Who receives a [`Event::Frame`] on each node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    /// Every member of a room but one user (by name key).
    Room {
        room: String,
        except: Option<String>,
    },
    /// Every connection of one user (by name key).
    User { user: String },
    /// Every connection of each of these users (by name key).
    Users { users: Vec<String> },
}

/// A stored message on the bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMessage {
    /// Its id, given by the store.
    pub id: u64,
    /// Its sender's name, as displayed.
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its room, for a room message.
    pub room: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its recipient's name, for a private message.
    pub to: Option<String>,
    /// What it says (a change: an edit's new body, else empty).
    pub body: String,
    /// When the server stamped it, in milliseconds since the epoch.
    pub at: u64,
    /// The quote of the message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Quote>,
    /// Set when it is a change to message `message` (then `from` made it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<WireChange>,
    /// The files it carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<shared::Attachment>,
    /// The name key of the participant who never sees it (see `Message::hidden_for`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_for: Option<String>,
}

/// A change on the bus (see `crate::change`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    /// The changed message's id.
    pub message: u64,
    /// `edit`, `delete`, `react` or `unreact`.
    pub kind: String,
    /// A reaction's emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// The changed message's conversation, as its frames name it.
    pub place: Place,
}

impl From<&Message> for WireMessage {
    fn from(m: &Message) -> Self {
        let (room, to) = match &m.to {
            Destination::Room(room) => (Some(room.to_string()), None),
            Destination::User(user) => (None, Some(user.to_string())),
        };
        Self {
            id: m.id,
            from: m.from.to_string(),
            room,
            to,
            body: m.body.clone(),
            at: m.at,
            reply: m.details.reply.clone(),
            attachments: m.details.attachments.clone(),
            change: m.change.as_ref().map(|c| WireChange {
                message: c.message,
                kind: c.kind.as_str().to_owned(),
                emoji: c.kind.emoji().map(str::to_owned),
                place: c.place.clone(),
            }),
            hidden_for: m.hidden_for.clone(),
        }
    }
}

impl WireMessage {
    /// The message, if its names are valid.
    pub fn parse(self) -> Option<Message> {
        let to = match (self.room, self.to) {
            (Some(room), None) => Destination::Room(RoomName::parse(&room).ok()?),
            (None, Some(to)) => Destination::User(UserName::parse(&to).ok()?),
            _ => return None,
        };
        Some(Message {
            id: self.id,
            from: UserName::parse(&self.from).ok()?,
            to,
            body: self.body,
            at: self.at,
            details: MessageDetails {
                reply: self.reply,
                attachments: self.attachments,
                ..MessageDetails::default()
            },
            change: match self.change {
                Some(c) => Some(Change {
                    message: c.message,
                    kind: ChangeKind::parse(&c.kind, c.emoji)?,
                    place: c.place,
                }),
                None => None,
            },
            hidden_for: self.hidden_for,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_messages_round_trip_and_reject_bad_names() {
        let message = Message {
            id: 7,
            from: UserName::parse("bob").unwrap(),
            to: Destination::User(UserName::parse("Alice").unwrap()),
            body: "hi".into(),
            at: 5,
            details: MessageDetails::default(),
            change: None,
            hidden_for: None,
        };
        let wire = WireMessage::from(&message);
        assert_eq!(wire.clone().parse(), Some(message));
        let bad = WireMessage {
            from: "no spaces allowed".into(),
            ..wire.clone()
        };
        assert_eq!(bad.parse(), None);
        let both = WireMessage {
            room: Some("rust".into()),
            ..wire
        };
        assert_eq!(both.parse(), None);
    }
}
