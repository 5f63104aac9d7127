//! Rooms and memberships: every room's members (online or not), every user's rooms, and each
//! room's settings and roles, kept in step with the store; joining, leaving, changes of a
//! room, invitations, and what the members hear of them.

use std::sync::Arc;

use shared::{Invite, RoomName, RoomSettings, ServerFrame, Target, UserName};

use super::{ConnId, Event, Hub, HubError, Joining, Removal, Route, State};
use crate::ws::encode;

impl Hub {
    /// The rooms `name` is in: the lobby first, then the others in order.
    pub fn rooms_of(&self, name: &UserName) -> Vec<RoomName> {
        let state = self.state();
        let mut rooms = vec![RoomName::lobby()];
        rooms.extend(
            state
                .member_of
                .get(&name.key())
                .into_iter()
                .flatten()
                .cloned(),
        );
        rooms
    }

    /// Whether the connection's user may join `room`, and whether they are in it already.
    /// A new membership is stored before [`Hub::join`] announces it; until then its
    /// [`JoinTicket`](super::JoinTicket) counts it against the rooms limit, so parallel joins cannot exceed it.
    pub fn check_join(&self, id: ConnId, room: &RoomName) -> Result<Joining, HubError> {
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        if room.is_lobby() || state.is_member(&key, room) {
            return Ok(Joining::Already);
        }
        if state.rooms_with(&key, room) > self.shared.config.max_rooms_per_user {
            return Err(HubError::TooManyRooms);
        }
        Ok(Joining::New(self.join_ticket(&mut state, &key, room)))
    }

    /// Puts the connection's user in `room` (whose `settings` the store gave as it joined) and
    /// tells everyone concerned. Joining a room one is in tells this connection again, and
    /// nobody else.
    pub fn join(&self, id: ConnId, room: RoomName, settings: RoomSettings) -> Result<(), HubError> {
        let mut state = self.state();
        let (key, outbox) = state.conn(id)?;
        if room.is_lobby() || state.is_member(&key, &room) {
            outbox.send(&state.room_joined(&room));
            return Ok(());
        }
        let name = state
            .users
            .get(&key)
            .ok_or(HubError::NotMember)?
            .name
            .clone();
        state.joined(&room, &name, Some(settings.clone()));
        self.publish(Event::Joined {
            user: name.to_string(),
            room: room.to_string(),
            settings: Some(settings),
        });
        Ok(())
    }

    /// The settings of `room` as this node knows them.
    pub fn settings(&self, room: &RoomName) -> Option<RoomSettings> {
        self.state().settings.get(room).cloned()
    }

    /// The user of a connection, which must be in `room`, and the room not archived, to
    /// write there.
    pub fn writer(&self, id: ConnId, room: &RoomName) -> Result<UserName, HubError> {
        let name = self.member(id, room)?;
        if self.state().settings.get(room).is_some_and(|s| s.archived) {
            return Err(HubError::Archived);
        }
        Ok(name)
    }

    /// `room`'s settings changed (stored already): its members everywhere hear of it.
    pub fn update_room(&self, room: &RoomName, settings: RoomSettings) {
        self.state().updated(room, settings.clone());
        self.publish(Event::RoomUpdated {
            room: room.to_string(),
            settings,
        });
    }

    /// Tells the connections of `to`, on every node, of `invite` (stored already).
    pub fn invite(&self, to: &UserName, invite: Invite) {
        let key = to.key();
        let frame = encode(&ServerFrame::Invitation { invite, req: None });
        self.state().send_user(&key, &frame, None);
        self.publish(Event::Frame {
            route: Route::User { user: key },
            frame: frame.text_payload().into_owned(),
        });
    }

    /// Checks that the connection's user can leave `room`. The store forgets the membership
    /// before [`Hub::leave`] announces it.
    pub fn check_leave(&self, id: ConnId, room: &RoomName) -> Result<(), HubError> {
        if room.is_lobby() {
            return Err(HubError::CannotLeaveLobby);
        }
        let state = self.state();
        let (key, _) = state.conn(id)?;
        if state.is_member(&key, room) {
            Ok(())
        } else {
            Err(HubError::NotMember)
        }
    }

    /// Takes the connection's user out of `room`; an empty room keeps its settings.
    pub fn leave(&self, id: ConnId, room: RoomName) -> Result<(), HubError> {
        self.check_leave(id, &room)?;
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let Some(name) = state.left(&room, &key, &Removal::default()) else {
            return Err(HubError::NotMember);
        };
        self.publish(Event::Left {
            user: name.to_string(),
            room: room.to_string(),
            removal: Removal::default(),
        });
        Ok(())
    }

    /// Takes `user` out of `room` (stored already): `removal` says who did, and whether they
    /// are banned. They and the room's members hear of it on every node.
    pub fn remove(&self, room: &RoomName, user: &UserName, removal: Removal) {
        self.state().left(room, &user.key(), &removal);
        self.publish(Event::Left {
            user: user.to_string(),
            room: room.to_string(),
            removal,
        });
    }

    /// Forgets a deleted account's memberships, telling the rooms it was in.
    pub fn forget(&self, name: &UserName) {
        // The released account's sessions ended with it.
        self.standing_changed();
        self.state().forget(&name.key());
        self.publish(Event::Forgotten {
            user: name.to_string(),
        });
    }

    /// The user of a connection, which must be in `room` to speak there.
    pub fn member(&self, id: ConnId, room: &RoomName) -> Result<UserName, HubError> {
        let state = self.state();
        let (key, _) = state.conn(id)?;
        if !state.is_member(&key, room) {
            return Err(HubError::NotMember);
        }
        state
            .users
            .get(&key)
            .map(|u| u.name.clone())
            .ok_or(HubError::NotMember)
    }

    /// Replaces the memberships with the stored ones (after the bus was down, joins and
    /// leaves made elsewhere may have been missed). Nobody is told.
    pub fn reload_memberships(&self, memberships: Vec<(RoomName, UserName)>) {
        let mut state = self.state();
        state.rooms.clear();
        state.member_of.clear();
        for (room, name) in memberships {
            state.add_member(&room, &name);
        }
    }
}

impl State {
    /// Adds `name` to `room` and tells their connections and the room's members here.
    /// `settings` are the room's as the store gave them; without them (a node of an earlier
    /// version) whoever creates a room never known here owns it.
    pub(super) fn joined(
        &mut self,
        room: &RoomName,
        name: &UserName,
        settings: Option<RoomSettings>,
    ) {
        let key = name.key();
        match settings {
            Some(settings) => {
                self.settings.insert(room.clone(), settings);
            }
            None if !self.settings.contains_key(room) => {
                let owner = Some(name.to_string());
                self.settings.insert(
                    room.clone(),
                    RoomSettings {
                        owner,
                        ..RoomSettings::default()
                    },
                );
            }
            None => {}
        }
        self.add_member(room, name);
        let joined = encode(&self.room_joined(room));
        self.send_user(&key, &joined, None);
        let member_joined = encode(&ServerFrame::MemberJoined {
            room: room.to_string(),
            user: name.to_string(),
        });
        // The members have an interest in the newcomer from now on; `member_joined` tells them
        // the newcomer is online (a join comes from a connection), `presence` what follows.
        self.send_room(room, &member_joined, Some(&key));
    }

    /// Takes user `key` out of `room` and tells their connections and the room's members
    /// here (that `removal` removed them, if it did); returns their name if they were in it.
    pub(super) fn left(
        &mut self,
        room: &RoomName,
        key: &str,
        removal: &Removal,
    ) -> Option<UserName> {
        let name = self.remove_member(room, key)?;
        if let Some(typing) = self.users.get_mut(key).and_then(|u| u.typing.as_mut()) {
            typing.remove(&Target::Room {
                room: room.to_string(),
            });
        }
        let left = encode(&ServerFrame::RoomLeft {
            room: room.to_string(),
            by: removal.by.clone(),
            banned: removal.banned,
        });
        self.send_user(key, &left, None);
        let member_left = encode(&ServerFrame::MemberLeft {
            room: room.to_string(),
            user: name.to_string(),
            by: removal.by.clone(),
            banned: removal.banned,
        });
        self.send_room(room, &member_left, None);
        Some(name)
    }

    /// Records `room`'s new settings and tells its members here.
    pub(super) fn updated(&mut self, room: &RoomName, settings: RoomSettings) {
        let frame = encode(&ServerFrame::RoomUpdated {
            room: room.to_string(),
            settings: settings.clone(),
        });
        self.settings.insert(room.clone(), settings);
        self.send_room(room, &frame, None);
    }

    /// Drops every membership of user `key`, telling the rooms.
    pub(super) fn forget(&mut self, key: &str) {
        let rooms: Vec<RoomName> = self
            .member_of
            .get(key)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        for room in rooms {
            if let Some(name) = self.remove_member(&room, key) {
                let member_left = encode(&ServerFrame::MemberLeft {
                    room: room.to_string(),
                    user: name.to_string(),
                    by: None,
                    banned: false,
                });
                self.send_room(&room, &member_left, None);
            }
        }
    }

    pub(super) fn is_member(&self, key: &str, room: &RoomName) -> bool {
        room.is_lobby() || self.rooms.get(room).is_some_and(|m| m.contains_key(key))
    }

    pub(super) fn add_member(&mut self, room: &RoomName, name: &UserName) {
        // Copied only while a welcome being built still shares the old map.
        Arc::make_mut(self.rooms.entry(room.clone()).or_default()).insert(name.key(), name.clone());
        self.member_of
            .entry(name.key())
            .or_default()
            .insert(room.clone());
    }

    /// Removes a membership; returns the member's name if there was one.
    pub(super) fn remove_member(&mut self, room: &RoomName, key: &str) -> Option<UserName> {
        let members = self.rooms.get_mut(room)?;
        if !members.contains_key(key) {
            return None;
        }
        let name = Arc::make_mut(members).remove(key)?;
        if members.is_empty() {
            self.rooms.remove(room);
        }
        // The role goes with the membership, as in the store; the room and its other settings
        // stay, even with nobody in it.
        if let Some(settings) = self.settings.get_mut(room) {
            let theirs = |n: &String| n.eq_ignore_ascii_case(name.as_str());
            if settings.owner.as_ref().is_some_and(theirs) {
                settings.owner = None;
            }
            settings.moderators.retain(|n| !theirs(n));
        }
        if let Some(rooms) = self.member_of.get_mut(key) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.member_of.remove(key);
            }
        }
        Some(name)
    }

    /// The members of a room by name, in name order (names are ASCII: the order of their
    /// keys); none listed for the lobby, whose members are everyone online (the welcome's
    /// `online` and `presence` say who), so that joining it costs nothing like the crowd.
    pub(super) fn member_names(&self, room: &RoomName) -> Vec<String> {
        self.rooms
            .get(room)
            .into_iter()
            .flat_map(|members| members.values())
            .map(UserName::to_string)
            .collect()
    }

    pub(super) fn room_joined(&self, room: &RoomName) -> ServerFrame {
        let (online, away) = match self.rooms.get(room) {
            Some(members) => self.online_and_away(members.keys().map(String::as_str)),
            None => Default::default(),
        };
        ServerFrame::RoomJoined {
            room: room.to_string(),
            members: self.member_names(room),
            online,
            away,
            settings: self.settings.get(room).cloned().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::hub::HubConfig;
    use crate::metrics::Metrics;

    #[test]
    fn a_room_its_last_member_left_elsewhere_keeps_its_settings_and_owns_nobody_new() {
        let club = RoomName::parse("club").unwrap();
        let hub = Hub::new(
            HubConfig::for_tests(),
            Arc::new(Metrics::default()),
            vec![(club.clone(), UserName::parse("alice").unwrap())],
            0,
            None,
        );
        let created = RoomSettings {
            topic: Some("plans".into()),
            private: true,
            owner: Some("alice".into()),
            ..RoomSettings::default()
        };
        hub.set_rooms(vec![(club.clone(), created)]);
        hub.apply(
            "b",
            Event::Left {
                user: "alice".into(),
                room: "club".into(),
                removal: Removal::default(),
            },
        );
        let kept = RoomSettings {
            topic: Some("plans".into()),
            private: true,
            ..RoomSettings::default()
        };
        assert_eq!(hub.settings(&club), Some(kept.clone()));
        // A join told without the settings (a node of an earlier version) makes no owner of
        // a room that exists.
        hub.apply(
            "b",
            Event::Joined {
                user: "mallory".into(),
                room: "club".into(),
                settings: None,
            },
        );
        assert_eq!(hub.settings(&club), Some(kept));
    }
}
