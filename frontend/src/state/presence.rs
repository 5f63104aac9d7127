//! Who is online ([`Presence`]) among the people we have an interest in (the members of our
//! rooms but lobby, the people of our private conversations), who of them is away, when those
//! offline were last seen, how many are online in all, and the people lists built from it:
//! those online, and the members of the open room, online or not. Everyone online is listed
//! on demand: see `everyone`.

use super::everyone::Everyone;
use super::{ChatState, ConvKey};
use crate::order;
use crate::sorted::{SortedMap, SortedSet};
use crate::timeline::Millis;

/// Someone in the "online" list, or in a room's member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// As they write it.
    pub name: String,
    /// The signed-in user: shown as such, and not a person to talk to privately.
    pub is_me: bool,
    /// Shown as online or offline (a room's members may be either).
    pub online: bool,
    /// Online, but away (every page of theirs is hidden or untouched).
    pub away: bool,
}

/// Someone's presence as shown: online, away, or offline (seen last at a time, if known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Online,
    Away,
    Offline(Option<Millis>),
    /// The connection is down: nobody's presence is known.
    Unknown,
}

/// Who is online, as `welcome`, `room_joined`, `conversations` and the `presence` frames
/// said; unknown while the connection is down (the last list is kept, to show greyed).
#[derive(Debug, Clone, Default)]
pub(super) struct Presence {
    /// Name key (lowercase) -> name as they write it: those online we have an interest in.
    online: SortedMap<String, String>,
    /// The name keys of those online who are away.
    away: SortedSet<String>,
    /// Name key -> when their last connection closed (ms since the epoch), from `presence`
    /// frames and the private conversations' entries.
    last_seen: SortedMap<String, Millis>,
    /// A `welcome` has said who is online, and the connection has not dropped since.
    known: bool,
    /// How many are online in all (`welcome.online_count`, then `presence`'s).
    count: u64,
    /// "Everyone online", as the lobby's `members` pages listed them.
    pub(super) everyone: Everyone,
}

impl Presence {
    /// Those online we have an interest in are `names`, of whom `away` are away, and `count`
    /// are online in all (a `welcome`'s lists).
    pub(super) fn reset(&mut self, names: Vec<String>, away: &[String], count: u64) {
        self.count = count;
        self.online.clear();
        self.online.extend(
            names
                .into_iter()
                .map(|name| (name.to_ascii_lowercase(), name)),
        );
        self.away.clear();
        self.away
            .extend(away.iter().map(|name| name.to_ascii_lowercase()));
        self.known = true;
    }

    /// `name`'s last connection closed at `at` (the latest time heard wins).
    pub(super) fn seen_at(&mut self, name: &str, at: Millis) {
        let key = name.to_ascii_lowercase();
        if self.last_seen.get(&key).is_none_or(|old| *old < at) {
            self.last_seen.insert(key, at);
        }
    }

    fn is_away(&self, key: &str) -> bool {
        self.away.contains(key)
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
        let key = name.to_ascii_lowercase();
        self.away.remove(&key);
        self.everyone.gone(&key);
        self.online.remove(&key).is_some()
    }

    /// Keeps those online whose name key is `kept` (the others are no longer of interest:
    /// the server stops telling their changes).
    fn keep(&mut self, kept: impl Fn(&str) -> bool) {
        self.online.retain(|key, _| kept(key));
        self.away.retain(|key| kept(key));
    }

    /// How `name` is shown: online, away, offline (with when last seen) or unknown.
    pub(super) fn availability(&self, name: &str) -> Availability {
        let key = name.to_ascii_lowercase();
        let listed = self.everyone.away(&key);
        if !self.known {
            Availability::Unknown
        } else if self.online.contains_key(&key) {
            if self.is_away(&key) {
                Availability::Away
            } else {
                Availability::Online
            }
        } else {
            match listed {
                Some(true) => Availability::Away,
                Some(false) => Availability::Online,
                None => Availability::Offline(self.last_seen.get(&key).copied()),
            }
        }
    }

    /// Whether `name` is online: one we have an interest in, or listed in "Everyone online".
    pub(super) fn is_online(&self, name: &str) -> bool {
        let key = name.to_ascii_lowercase();
        self.known && (self.online.contains_key(&key) || self.everyone.away(&key).is_some())
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
                away: self.known && self.is_away(key),
            })
            .collect()
    }
}

impl ChatState {
    /// Whether who is online is known: not while the connection is down.
    pub fn presence_known(&self) -> bool {
        self.presence.known
    }

    /// How many are online in all, ourselves included.
    pub fn online_count(&self) -> u64 {
        self.presence.count
    }

    /// Those online we have an interest in, by name, ourselves included and marked; while
    /// the connection is down, those last known online, none of them shown as online.
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
            .map(|name| {
                let shown = self.presence.availability(name);
                Person {
                    name: name.clone(),
                    is_me: self.is_me(name),
                    online: matches!(shown, Availability::Online | Availability::Away),
                    away: shown == Availability::Away,
                }
            })
            .collect();
        order::sort_by_key(&mut members, |p| p.name.to_ascii_lowercase());
        members
    }

    /// Who may be mentioned in the open conversation, ourselves left out: a room's members;
    /// in lobby those online we know of (of interest, or listed in "Everyone online"); nobody
    /// in a private conversation.
    pub fn mentionable(&self) -> Vec<String> {
        let Some(conv) = self.active_conversation() else {
            return Vec::new();
        };
        let mut names: Vec<String> = Vec::new();
        if conv.key == ConvKey::lobby() {
            let known = self.presence.online.values().map(String::as_str);
            for name in known.chain(self.presence.everyone.names()) {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    names.push(name.to_owned());
                }
            }
        } else {
            names = self.active_members().into_iter().map(|p| p.name).collect();
        }
        names.retain(|name| !self.is_me(name));
        names
    }

    pub fn is_online(&self, name: &str) -> bool {
        self.presence.is_online(name)
    }

    /// How `name` is shown: online, away, or offline with when they were last seen.
    pub fn availability(&self, name: &str) -> Availability {
        self.presence.availability(name)
    }

    /// How many are online in all, when the server says (`presence.online_count`).
    pub(super) fn online_counted(&mut self, count: Option<u64>) {
        if let Some(count) = count {
            self.presence.count = count;
        }
    }

    /// An interest may have ended (we left a room, someone left one of ours): forget the
    /// presence of those no longer in any of our rooms but lobby nor of a private
    /// conversation, rather than show a state that goes stale.
    pub(super) fn interests_changed(&mut self) {
        let me = self.me.to_ascii_lowercase();
        let convs = &self.convs;
        self.presence.keep(|key| {
            key == me
                || convs.iter().any(|c| match &c.key {
                    ConvKey::Direct(peer) => peer == key,
                    ConvKey::Room(_) => {
                        c.joined
                            && c.key != ConvKey::lobby()
                            && c.members.iter().any(|m| m.eq_ignore_ascii_case(key))
                    }
                })
        });
    }

    /// Who came online (of them, who is `away`) and who went offline (with when, in
    /// `last_seen`). The server coalesces changes and may repeat what we know (what `welcome`
    /// said, ourselves), so these are set operations. Presence shows in the header and the
    /// lists only: no line in any conversation. `room_joined` and `conversations` bring
    /// who is online of the people they bring into our interest the same way.
    pub(super) fn presence_changed(
        &mut self,
        online: Vec<String>,
        offline: Vec<String>,
        away: &[String],
        last_seen: std::collections::BTreeMap<String, u64>,
    ) {
        for (user, at) in last_seen {
            self.presence.seen_at(&user, at);
        }
        for user in online {
            let key = user.to_ascii_lowercase();
            if away.iter().any(|a| a.eq_ignore_ascii_case(&user)) {
                self.presence.away.insert(key);
            } else {
                self.presence.away.remove(&key);
            }
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
