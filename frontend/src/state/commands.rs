//! Slash commands typed in the composer, for rooms and their moderation: `/create` and
//! `/private` (a room with a topic), `/rooms` (the public list), `/join`, and in a room
//! `/invite`, `/topic`, `/title`, `/archive`, `/unarchive`, `/mod`, `/unmod`, `/kick`, `/ban`,
//! `/unban`, `/audit` and `/retention`. Each is one frame; what the server answers is shown as
//! system lines (invitations in the lobby, the audit log page by page, removals, retention),
//! but for `/rooms`, whose list the room browser shows.

use shared::{AuditEntry, ClientFrame, Invite};

use super::{ChatState, ConvKey, Conversation};
use crate::days;
use crate::timeline::{clock_text, Millis};

/// What `/help` and an unknown command list.
const COMMANDS: &str = "/create room topic, /private room topic, /rooms query, /join room, \
    /invite name, /topic text, /title text, /archive, /unarchive, /mod name, /unmod name, \
    /kick name, /ban name, /unban name, /audit, /retention days|off";

impl ChatState {
    /// `body` as a slash command typed in conversation `key`: `None` when it is no command
    /// (it does not start with `/`), else the frame to send, or why not.
    pub fn command(
        &mut self,
        key: &ConvKey,
        body: &str,
    ) -> Option<Result<Option<ClientFrame>, String>> {
        let rest = body.trim().strip_prefix('/')?;
        let (word, arg) = rest
            .split_once(char::is_whitespace)
            .map_or((rest, ""), |(word, arg)| (word, arg.trim()));
        if word == "join" {
            return Some(self.join_request(arg));
        }
        if !self.is_connected() {
            return Some(Err(
                "Not connected: try again once the connection is back.".to_owned()
            ));
        }
        Some(self.command_frame(key, word, arg).map(Some))
    }

    fn command_frame(
        &mut self,
        key: &ConvKey,
        word: &str,
        arg: &str,
    ) -> Result<ClientFrame, String> {
        let req = Some(self.reqs.take());
        let text = |t: &str| Some(t.to_owned());
        match word {
            "create" | "private" => {
                let (room, topic) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
                if room.is_empty() {
                    return Err(format!("Name the room: /{word} room topic"));
                }
                return self.create_room(room, topic, word == "private");
            }
            // The room browser shows the answer.
            "rooms" => return self.browse(arg).ok_or_else(String::new),
            _ => {}
        }
        let ConvKey::Room(room) = key else {
            return Err(format!(
                "Commands: {COMMANDS}. Room commands work in a room."
            ));
        };
        let room = room.clone();
        let user = || {
            (!arg.is_empty())
                .then(|| arg.to_owned())
                .ok_or_else(|| format!("Name someone: /{word} name"))
        };
        let set = |title, topic, archived| ClientFrame::SetRoom {
            room: room.clone(),
            title,
            topic,
            archived,
            req: req.clone(),
        };
        Ok(match word {
            "invite" => ClientFrame::Invite {
                room,
                user: user()?,
                req,
            },
            "kick" => ClientFrame::Kick {
                room,
                user: user()?,
                req,
            },
            "ban" => ClientFrame::Ban {
                room,
                user: user()?,
                req,
            },
            "unban" => ClientFrame::Unban {
                room,
                user: user()?,
                req,
            },
            "mod" | "unmod" => ClientFrame::SetRole {
                room,
                user: user()?,
                moderator: word == "mod",
                req,
            },
            "topic" => set(None, text(arg), None),
            "title" => set(text(arg), None, None),
            "archive" | "unarchive" => set(None, None, Some(word == "archive")),
            "audit" => ClientFrame::Audit {
                room,
                before: None,
                req,
            },
            "retention" => ClientFrame::Retention {
                room,
                days: match arg {
                    "off" => None,
                    _ => Some(
                        arg.parse()
                            .ok()
                            .filter(|d| (1..=36_500).contains(d))
                            .ok_or("Say how many days (1 to 36500), or off: /retention 30")?,
                    ),
                },
                req,
            },
            _ => return Err(format!("Commands: {COMMANDS}.")),
        })
    }

    /// An `invitation`: ours (held to be shown, and when new here said in the lobby, with how
    /// to join), or the answer to ours (said in the room).
    pub(super) fn invited(&mut self, invite: Invite, now: Millis) {
        let (key, text) = if self.is_me(&invite.user) {
            let text = format!("{} invited you to #{}", invite.from, invite.room);
            let room = invite.room.clone();
            if !self.hold_invitation(invite) {
                return;
            }
            self.notify(text.clone(), now);
            (ConvKey::lobby(), format!("{text}: /join {room}"))
        } else {
            let text = format!("{} invited {}", invite.from, invite.user);
            (ConvKey::Room(invite.room), text)
        };
        self.convs.system_line(&key, text, now);
    }

    /// An `audit_log`: one line per entry, oldest first, in the room; when older entries
    /// exist, [`Self::older_audit`] asks for them.
    pub(super) fn audit_log(
        &mut self,
        room: String,
        entries: &[AuditEntry],
        complete: bool,
        now: Millis,
    ) {
        self.audit_older = entries
            .last()
            .filter(|_| !complete)
            .map(|e| (room.clone(), e.id));
        let key = ConvKey::Room(room);
        if entries.is_empty() {
            self.convs
                .system_line(&key, "The audit log is empty.".to_owned(), now);
        }
        for e in entries.iter().rev() {
            let user = e.user.as_deref().unwrap_or_default();
            let text = format!("Audit: {} {} {user} on {}", e.actor, e.action, utc(e.at));
            self.convs.system_line(&key, text, now);
        }
    }

    /// Whether the open room's audit log, as shown, has older entries to ask for.
    pub fn audit_has_older(&self) -> bool {
        self.audit_older
            .as_ref()
            .is_some_and(|(room, _)| *self.active() == ConvKey::Room(room.clone()))
    }

    /// The next page of the open room's audit log: the entries older than those shown.
    pub fn older_audit(&mut self) -> Option<ClientFrame> {
        if !self.audit_has_older() || !self.is_connected() {
            return None;
        }
        let (room, before) = self.audit_older.take()?;
        Some(ClientFrame::Audit {
            room,
            before: Some(before),
            req: Some(self.reqs.take()),
        })
    }

    /// A `retention`: how long `room` keeps its messages now, under its heading and said in
    /// it.
    pub(super) fn retention_set(&mut self, room: String, days: Option<u32>, now: Millis) {
        let key = ConvKey::Room(room);
        if let Some(conv) = self.convs.get_mut(&key) {
            conv.kept_days = days;
        }
        let text = match days {
            Some(days) => format!("Messages here are now kept {days} days"),
            None => "Messages here are now kept as long as the server keeps them".to_owned(),
        };
        self.convs.system_line(&key, text, now);
    }

    /// `by` removed us from `room` (`banned`: and keeps us out).
    pub(super) fn removed_me(&mut self, room: &str, by: &str, banned: bool, now: Millis) {
        let how = if banned { "banned" } else { "removed" };
        self.notify(format!("{by} {how} you from #{room}"), now);
    }
}

/// Below a room's heading: its members, title, kind, moderators, retention and topic ("3
/// members · private · moderators: bob · kept 30 days · Ownership").
pub fn room_subheading(c: &Conversation) -> String {
    let s = &c.settings;
    let members = match c.members.len() {
        0 => String::new(),
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let kinds = [(s.private, "private"), (s.archived, "archived: read-only")];
    let moderators =
        (!s.moderators.is_empty()).then(|| format!("moderators: {}", s.moderators.join(", ")));
    let parts = [Some(members), s.title.clone()]
        .into_iter()
        .flatten()
        .chain(kinds.iter().filter(|k| k.0).map(|k| k.1.to_owned()))
        .chain(moderators)
        .chain(c.kept_days.map(|d| format!("kept {d} days")))
        .chain(s.topic.clone())
        .filter(|p| !p.is_empty());
    parts.collect::<Vec<_>>().join(" · ")
}

/// "2026-12-07 00:40 UTC".
fn utc(at: Millis) -> String {
    let (year, month, day) = days::civil(days::local_day(at, 0));
    let minute = (at / 60_000) % 1_440;
    let clock = clock_text((minute / 60) as u32, (minute % 60) as u32);
    format!("{year}-{month:02}-{day:02} {clock} UTC")
}
