//! What the protocol says about rooms besides their messages: a room with its members
//! ([`RoomInfo`]), its settings and who runs it ([`RoomSettings`]), a public room as the list
//! shows it ([`RoomListing`]), a moderation action of its audit log ([`AuditEntry`]), and an
//! invitation ([`Invite`]).

use serde::{Deserialize, Serialize};

use crate::skip::is_false;

/// A room and who is in it. `Deserialize` is written by hand (in `frames_de.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomInfo {
    pub room: String,
    /// Every member, online or not; empty (and absent on the wire) for the lobby, whose
    /// members are exactly the welcome's `online`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Its title, topic, kind and who runs it.
    #[serde(flatten)]
    pub settings: RoomSettings,
}

/// What a room is besides its members; each field is absent on the wire when it says
/// nothing. `Deserialize` is derived for the server's bus; the client reads it by hand (in
/// `frames_de.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    /// The name shown for it, set by its owner; without one, the room's name is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Invitation only: never listed, joined only by those invited.
    #[serde(default, skip_serializing_if = "is_false")]
    pub private: bool,
    /// Read-only: nobody writes, edits or reacts in it, nobody new joins; not listed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
    /// The room's owner (who created it), who may delete anyone's message in it; absent when
    /// it has none (`lobby`, a room its creator left, a room older than owners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The members the owner made moderators, in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moderators: Vec<String>,
}

impl RoomSettings {
    /// Whether `user` (a canonical name, compared ignoring ASCII case) runs the room: its
    /// owner or a moderator.
    pub fn runs(&self, user: &str) -> bool {
        self.owner
            .iter()
            .chain(&self.moderators)
            .any(|name| name.eq_ignore_ascii_case(user))
    }
}

/// A public room as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomListing {
    pub room: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// How many members it has.
    pub member_count: u64,
}

/// One moderation action in a room's audit log: `actor` did `action` (`kick`, `ban`,
/// `unban`, `delete`) to `user` (for a deletion, the author of message `message_id`) at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its place in the log: entries are numbered as they are recorded.
    pub id: u64,
    pub at: u64,
    pub actor: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A deletion's message id (`message_id` on the wire).
    #[serde(
        default,
        rename = "message_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<u64>,
}

/// An invitation to a room: `from` invited `user` to `room` (whose title and topic it
/// repeats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    pub room: String,
    pub user: String,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}
