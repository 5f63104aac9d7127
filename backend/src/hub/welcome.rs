//! The welcome: taken under the lock that registers a connection, encoded after it.
//!
//! A welcome lists the users online its connection has an interest in (see `interest`), not
//! everyone online, and how many are online in all: what it costs grows with the user's rooms
//! and conversations, not with the crowd. Under the hub's lock the names are picked and each
//! room's member map is shared (`Arc`s, copied on write); the frame is encoded once the lock
//! is released.

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::protocol::{ServerLimits, PROTOCOL_VERSION};
use shared::{ConversationInfo, RoomInfo, RoomName, RoomSettings, ServerFrame, UserName};

use super::{Hub, State};
use crate::ws::{encode, Frame};

/// A room's members by name key, shared with the hub until it changes them.
type Members = Arc<BTreeMap<String, UserName>>;

/// A welcome as taken under the lock: everything it says, the member lists still shared.
#[derive(Debug)]
pub(super) struct WelcomeParts {
    /// The user's name as they claimed it.
    user: String,
    /// The users online the connection has an interest in, in key order.
    online: Vec<String>,
    /// Those of them away.
    away: Vec<String>,
    /// Everyone online, counted.
    online_count: u64,
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
    /// The welcome of a connection of user `key`, whose private conversations' other persons
    /// are `partners` (keys), in O(members of their rooms + partners).
    pub(super) fn welcome(
        &self,
        key: &str,
        partners: &[String],
        conversations: (Vec<ConversationInfo>, bool),
        limits: ServerLimits,
    ) -> WelcomeParts {
        let interest = self.interest_online(key, partners);
        let away = interest
            .iter()
            .filter(|(key, _)| self.listed_away(key))
            .map(|(_, name)| name.to_string())
            .collect();
        WelcomeParts {
            user: self
                .users
                .get(key)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
            online: interest.values().map(UserName::to_string).collect(),
            away,
            online_count: self.online.len() as u64,
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
    /// Encodes a welcome, outside the lock.
    pub(super) fn encode_welcome(&self, parts: WelcomeParts) -> Frame {
        // The lobby's members are everyone online: `online_count` says how many, `members`
        // lists them page by page.
        let mut rooms = vec![RoomInfo {
            room: RoomName::lobby().to_string(),
            members: Vec::new(),
            settings: RoomSettings::default(),
        }];
        rooms.extend(
            parts
                .rooms
                .into_iter()
                .map(|(room, members, settings)| RoomInfo {
                    room: room.to_string(),
                    members: members.values().map(UserName::to_string).collect(),
                    settings,
                }),
        );
        encode(&ServerFrame::Welcome {
            protocol: PROTOCOL_VERSION,
            user: parts.user,
            online: parts.online,
            online_count: parts.online_count,
            away: parts.away,
            rooms,
            conversations: parts.conversations.0,
            conversations_complete: parts.conversations.1,
            last_id: parts.last_id,
            limits: parts.limits,
        })
    }
}
