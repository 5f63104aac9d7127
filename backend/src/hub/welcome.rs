//! The welcome: taken under the lock that registers a connection, built after it.
//!
//! What a welcome lists grows with the crowd (everyone online, every member of the user's
//! rooms). Under the hub's lock only pointers are copied: the online list's
//! [`OnlineSnapshot`], the away users and each room's member map (`Arc`s, copied on write). The names are
//! listed and the frame encoded once the lock is released; the list of everyone online built
//! here becomes the next welcome's base.

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::protocol::{ServerLimits, PROTOCOL_VERSION};
use shared::{ConversationInfo, RoomInfo, RoomName, RoomSettings, ServerFrame, UserName};

use super::online::OnlineSnapshot;
use super::{Hub, State};
use crate::ws::{encode, Frame};

/// A room's members by name key, shared with the hub until it changes them.
type Members = Arc<BTreeMap<String, UserName>>;

/// A welcome as taken under the lock: everything it says, the lists still shared.
#[derive(Debug)]
pub(super) struct WelcomeParts {
    /// The user's name as they claimed it.
    user: String,
    /// Everyone online.
    online: OnlineSnapshot,
    /// Those of them away, by name key.
    away: Arc<BTreeMap<String, UserName>>,
    /// The user's rooms but the lobby, in order, with their members and settings.
    rooms: Vec<(RoomName, Members, RoomSettings)>,
    /// Where the user's conversations stand (a page of the private ones), and whether that
    /// is all of them.
    conversations: (Vec<ConversationInfo>, bool),
    /// The last message delivered before the connection joined.
    last_id: u64,
    /// The limits in force.
    limits: ServerLimits,
}

impl State {
    /// The welcome of a connection of user `key`, in O(rooms + online changes).
    pub(super) fn welcome(
        &self,
        key: &str,
        conversations: (Vec<ConversationInfo>, bool),
        limits: ServerLimits,
    ) -> WelcomeParts {
        WelcomeParts {
            user: self
                .users
                .get(key)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
            online: self.online.snapshot(),
            away: self.away_snapshot(),
            rooms: self
                .member_of
                .get(key)
                .into_iter()
                .flatten()
                .map(|room| {
                    (
                        room.clone(),
                        self.rooms.get(room).cloned().unwrap_or_default(),
                        self.settings.get(room).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            conversations,
            last_id: self.last_delivered,
            limits,
        }
    }
}

impl Hub {
    /// Builds and encodes a welcome, outside the lock; offers the online list it built as
    /// the next base.
    pub(super) fn encode_welcome(&self, parts: &WelcomeParts) -> Frame {
        let online = parts.online.names();
        // The lobby's members are everyone online: `online` says who, once.
        let mut rooms = vec![RoomInfo {
            room: RoomName::lobby().to_string(),
            members: Vec::new(),
            settings: RoomSettings::default(),
        }];
        rooms.extend(
            parts
                .rooms
                .iter()
                .map(|(room, members, settings)| RoomInfo {
                    room: room.to_string(),
                    members: members.values().map(UserName::to_string).collect(),
                    settings: settings.clone(),
                }),
        );
        let frame = encode(&ServerFrame::Welcome {
            protocol: PROTOCOL_VERSION,
            user: parts.user.clone(),
            online: online.iter().map(UserName::to_string).collect(),
            away: parts.away.values().map(UserName::to_string).collect(),
            rooms,
            conversations: parts.conversations.0.clone(),
            conversations_complete: parts.conversations.1,
            last_id: parts.last_id,
            limits: parts.limits,
        });
        if parts.online.has_changes() {
            self.state().online.rebase(&parts.online, online);
        }
        frame
    }
}
