//! Who is online ([`Presence`]), and the people lists built from it: everyone online, and the
//! members of the open room, online or not.

use super::{ChatState, ConvKey};
use crate::order;
use crate::sorted::SortedMap;

/// Someone in the "online" list, or in a room's member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// As they write it.
    pub name: String,
    /// The signed-in user: shown as such, and not a person to talk to privately.
    pub is_me: bool,
    /// Shown as online or away (a room's members may be either).
    pub online: bool,
}

/// Who is online, as `welcome` and the `presence` frames after it said; unknown while the
/// connection is down (the last list is kept, to show greyed).
#[derive(Debug, Clone, Default)]
pub(super) struct Presence {
    /// Name key (lowercase) -> name as they write it.
    online: SortedMap<String, String>,
    /// A `welcome` has said who is online, and the connection has not dropped since.
    known: bool,
}

impl Presence {
    /// Everyone online is `names` (a `welcome`'s list).
    pub(super) fn reset(&mut self, names: Vec<String>) {
        self.online.clear();
        self.online.extend(
            names
                .into_iter()
                .map(|name| (name.to_ascii_lowercase(), name)),
        );
        self.known = true;
    }

    /// The connection dropped: nobody is known to be online until the next `welcome`.
    pub(super) fn unknown(&mut self) {
        self.known = false;
    }

    /// `name` is online; returns whether that is news.
    pub(super) fn came_online(&mut self, name: &str) -> bool {
        self.online
            .insert(name.to_ascii_lowercase(), name.to_owned())
            .is_none()
    }

    /// `name` went offline; returns whether that is news.
    pub(super) fn went_offline(&mut self, name: &str) -> bool {
        self.online.remove(&name.to_ascii_lowercase()).is_some()
    }

    pub(super) fn is_online(&self, name: &str) -> bool {
        self.known && self.online.contains_key(&name.to_ascii_lowercase())
    }

    /// How someone online writes their name.
    pub(super) fn written(&self, name: &str) -> Option<&str> {
        self.online
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Everyone online, by name; `me` is marked.
    fn people(&self, me: &str) -> Vec<Person> {
        let me = me.to_ascii_lowercase();
        self.online
            .iter()
            .map(|(key, name)| Person {
                name: name.clone(),
                is_me: *key == me,
                online: self.known,
            })
            .collect()
    }
}

impl ChatState {
    /// Whether who is online is known: not while the connection is down.
    pub fn presence_known(&self) -> bool {
        self.presence.known
    }

    /// Everyone online, by name, ourselves included and marked; while the connection is
    /// down, those last known online, none of them shown as online.
    pub fn people(&self) -> Vec<Person> {
        self.presence.people(&self.me)
    }

    /// The members of the open room (not lobby, whose members are everyone online), by name,
    /// online or not.
    pub fn active_members(&self) -> Vec<Person> {
        let Some(conv) = self.active_conversation() else {
            return Vec::new();
        };
        if !conv.is_room() || conv.key == ConvKey::lobby() {
            return Vec::new();
        }
        let mut members: Vec<Person> = conv
            .members
            .iter()
            .map(|name| Person {
                name: name.clone(),
                is_me: self.is_me(name),
                online: self.is_online(name),
            })
            .collect();
        order::sort_by_key(&mut members, |p| p.name.to_ascii_lowercase());
        members
    }

    /// Who may be mentioned in the open conversation, ourselves left out: a room's members,
    /// in lobby everyone online; nobody in a private conversation.
    pub fn mentionable(&self) -> Vec<String> {
        let Some(conv) = self.active_conversation() else {
            return Vec::new();
        };
        let people = if conv.key == ConvKey::lobby() {
            self.people()
        } else {
            self.active_members()
        };
        people
            .into_iter()
            .filter(|p| !p.is_me)
            .map(|p| p.name)
            .collect()
    }

    pub fn is_online(&self, name: &str) -> bool {
        self.presence.is_online(name)
    }

    /// Who came online and who went offline. The server coalesces changes and may repeat
    /// what we know (what `welcome` said, ourselves), so these are set operations. Presence
    /// shows in the header and the lists only: no line in any conversation.
    pub(super) fn presence_changed(&mut self, online: Vec<String>, offline: Vec<String>) {
        for user in online {
            self.presence.came_online(&user);
        }
        for user in offline {
            if !self.presence.went_offline(&user) {
                continue;
            }
            let key = user.to_ascii_lowercase();
            for conv in self.convs.iter_mut() {
                conv.typing.stopped(&key);
            }
        }
    }
}
