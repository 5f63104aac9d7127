//! [`ConvKey`]: which conversation a frame, a line or a view is about.

use shared::Target;

/// Which conversation: a room by its name, or a private one by the other person's name key
/// (lowercase, see [`shared::UserName::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConvKey {
    Room(String),
    Direct(String),
}

impl ConvKey {
    pub fn lobby() -> Self {
        Self::Room(shared::limits::LOBBY.to_owned())
    }

    /// The conversation a frame's target names (the other person's, for a private one).
    pub fn of(target: &Target) -> Self {
        match target {
            Target::Room { room } => Self::Room(room.clone()),
            Target::User { to } => Self::Direct(to.to_ascii_lowercase()),
        }
    }

    /// A string usable in element ids and test ids: `room-lobby`, `dm-bob`.
    pub fn dom_id(&self) -> String {
        match self {
            Self::Room(room) => format!("room-{room}"),
            Self::Direct(user) => format!("dm-{user}"),
        }
    }

    /// The room's name or the other person's name key: a conversation's title until something
    /// says how its name is written.
    pub fn name(&self) -> &str {
        match self {
            Self::Room(name) | Self::Direct(name) => name,
        }
    }
}
