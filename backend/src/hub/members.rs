//! `members`: who of a room's members is online, page by page (for the lobby, everyone
//! online). The welcome lists only the users of interest; this is how a client lists the
//! rest, when its user asks.

use shared::protocol::MEMBERS_PAGE;
use shared::{RoomName, UserName};

use super::online::page;
use super::{ConnId, Hub, HubError};

/// A page of online members: their names, those of them away, and whether it is the last.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MembersPage {
    pub members: Vec<String>,
    pub away: Vec<String>,
    pub complete: bool,
}

impl Hub {
    /// Up to [`MEMBERS_PAGE`] of the members of `room` online, in key order after the key
    /// `after`, for connection `id`, whose user must be in the room.
    pub fn members(
        &self,
        id: ConnId,
        room: &RoomName,
        after: Option<&UserName>,
    ) -> Result<MembersPage, HubError> {
        let after = after.map(UserName::key);
        let after = after.as_deref();
        let state = self.state();
        let (user, _) = state.conn(id)?;
        if !state.is_member(&user, room) {
            return Err(HubError::NotMember);
        }
        let (listed, complete) = if room.is_lobby() {
            state.online.page(after, MEMBERS_PAGE)
        } else {
            let members = state.rooms.get(room).ok_or(HubError::NotMember)?;
            let later = match after {
                Some(after) => members.range::<str, _>((
                    std::ops::Bound::Excluded(after),
                    std::ops::Bound::Unbounded,
                )),
                None => members.range::<str, _>(..),
            };
            page(
                later.filter_map(|(key, _)| state.online.get(key).map(|name| (key.as_str(), name))),
                MEMBERS_PAGE,
            )
        };
        Ok(MembersPage {
            away: listed
                .iter()
                .filter(|(key, _)| state.listed_away(key))
                .map(|(_, name)| name.to_string())
                .collect(),
            members: listed.iter().map(|(_, name)| name.to_string()).collect(),
            complete,
        })
    }

    /// Connection `id` was told of private conversations with `people`: it has an interest in
    /// each from now on. Returns those of them online, and those of those away.
    pub fn watch(&self, id: ConnId, people: &[&str]) -> (Vec<String>, Vec<String>) {
        let keys: Vec<String> = people.iter().map(|p| UserName::key_of(p)).collect();
        let mut state = self.state();
        for key in &keys {
            state.watch(id, key);
        }
        state.online_and_away(keys.iter().map(String::as_str))
    }
}
