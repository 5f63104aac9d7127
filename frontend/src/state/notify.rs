//! Notifications: which incoming messages raise a browser notification ([`alert`]: private
//! messages and mentions of us, while the page is hidden, unless the conversation is muted),
//! the muted conversations ([`Mutes`], kept per user in `localStorage`), the tab's title with
//! the unread count, and the notifications switch ([`Switch`]) from the browser's permission.

use shared::{ServerFrame, UserName};

use super::{ChatState, ConvKey};
use crate::sorted::SortedSet;

/// How much of a body a notification shows.
const PREVIEW_CHARS: usize = 100;

/// A notification to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Who wrote, and where: "alice (private)", "alice in #rust".
    pub title: String,
    /// The start of the message, as text.
    pub body: String,
    /// The conversation that a click on it opens (also the notification's tag: one per
    /// conversation, the newest replacing the one before).
    pub key: ConvKey,
}

/// The conversations whose messages raise no notification and count in neither the tab's
/// title nor its icon (the sidebar still shows their unread count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mutes(SortedSet<ConvKey>);

impl Mutes {
    /// The `localStorage` key of `user`'s mutes.
    pub fn storage_key(user: &str) -> String {
        format!("chat.mutes.{}", user.to_lowercase())
    }

    pub fn contains(&self, key: &ConvKey) -> bool {
        self.0.contains(key)
    }

    /// Mutes `key`, or unmutes it when it was muted.
    pub fn toggle(&mut self, key: &ConvKey) {
        if !self.0.remove(key) {
            self.0.insert(key.clone());
        }
    }

    /// One conversation a line: `#room`, `@name key`.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for key in &self.0 {
            text.push(match key {
                ConvKey::Room(_) => '#',
                ConvKey::Direct(_) => '@',
            });
            text.push_str(key.name());
            text.push('\n');
        }
        text
    }

    /// What [`Self::to_text`] wrote; lines it did not write are skipped.
    pub fn from_text(text: &str) -> Self {
        Self(
            text.lines()
                .filter_map(|line| match line.split_at_checked(1)? {
                    ("#", room) if !room.is_empty() => Some(ConvKey::Room(room.to_owned())),
                    ("@", name) if !name.is_empty() => Some(ConvKey::Direct(name.to_owned())),
                    _ => None,
                })
                .collect(),
        )
    }
}

/// A name's key, as mentions and accounts compare names.
fn name_key(name: &str) -> String {
    UserName::parse(name).map_or_else(|_| name.to_lowercase(), |n| n.key())
}

/// The notification `frame` raises for the user whose name key is `me_key`, if any: a
/// private message to us or a room message that mentions us, from someone else, in a
/// conversation not muted, while the page is not `visible`.
pub fn alert(frame: &ServerFrame, visible: bool, mutes: &Mutes, me_key: &str) -> Option<Alert> {
    if visible {
        return None;
    }
    let (key, title, from, body) = match frame {
        ServerFrame::PrivateMessage { from, body, .. } => (
            ConvKey::Direct(from.to_ascii_lowercase()),
            format!("{from} (private)"),
            from,
            body,
        ),
        ServerFrame::RoomMessage {
            room, from, body, ..
        } if shared::mentions::mentions(body, me_key) => (
            ConvKey::Room(room.clone()),
            format!("{from} in #{room}"),
            from,
            body,
        ),
        _ => return None,
    };
    if name_key(from) == me_key || mutes.contains(&key) {
        return None;
    }
    let mut preview: String = body.chars().take(PREVIEW_CHARS).collect();
    if preview.len() < body.len() {
        preview.push('…');
    }
    Some(Alert {
        title,
        body: preview,
        key,
    })
}

/// The tab's title: "(3) Chat" with unread messages, "Chat" without.
pub fn title(unread: u32) -> String {
    match unread {
        0 => "Chat".to_owned(),
        n => format!("({}) Chat", super::read::count_label(n)),
    }
}

/// What the browser allows: its `Notification.permission`, or no notifications at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Unsupported,
    /// Not asked yet (or the question was dismissed).
    Ask,
    Granted,
    Denied,
}

/// The notifications switch, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
    /// The browser refuses: only its settings can change that.
    Blocked,
}

impl Switch {
    /// From the browser's permission and whether this device wants notifications (they can
    /// be turned off without taking the permission back); `None` without notifications.
    pub fn of(permission: Permission, wanted: bool) -> Option<Self> {
        Some(match permission {
            Permission::Unsupported => return None,
            Permission::Granted if wanted => Self::On,
            Permission::Granted | Permission::Ask => Self::Off,
            Permission::Denied => Self::Blocked,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::Blocked => "blocked",
        }
    }
}

impl ChatState {
    /// The conversations muted on this page.
    pub fn mutes(&self) -> &Mutes {
        &self.mutes
    }

    /// The mutes saved for this user (on page load).
    pub fn set_mutes(&mut self, mutes: Mutes) {
        self.mutes = mutes;
    }

    pub fn is_muted(&self, key: &ConvKey) -> bool {
        self.mutes.contains(key)
    }

    pub fn toggle_mute(&mut self, key: &ConvKey) {
        self.mutes.toggle(key);
    }

    /// Unread messages in conversations not muted: the tab's title and icon show them.
    pub fn loud_unread(&self) -> u32 {
        self.convs
            .iter()
            .filter(|c| !self.mutes.contains(&c.key))
            .map(super::Conversation::unread)
            .sum()
    }

    /// The notification `frame` raises (see [`alert`]); none for a message this page
    /// holds already (a repeat).
    pub fn alert(&self, frame: &ServerFrame, visible: bool) -> Option<Alert> {
        let alert = alert(frame, visible, &self.mutes, &self.me_key())?;
        let id = match frame {
            ServerFrame::PrivateMessage { id, .. } | ServerFrame::RoomMessage { id, .. } => *id,
            _ => return None,
        };
        let held = self.convs.get(&alert.key).is_some_and(|c| c.has_id(id));
        (!held).then_some(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(from: &str, to: &str, body: &str) -> ServerFrame {
        ServerFrame::PrivateMessage {
            id: 1,
            from: from.into(),
            to: to.into(),
            body: body.into(),
            at: 1,
            details: Default::default(),
        }
    }

    fn in_room(room: &str, from: &str, body: &str) -> ServerFrame {
        ServerFrame::RoomMessage {
            id: 1,
            room: room.into(),
            from: from.into(),
            body: body.into(),
            at: 1,
            details: Default::default(),
        }
    }

    #[test]
    fn a_private_message_to_a_hidden_page_raises_one() {
        let none = Mutes::default();
        let frame = private("Alice", "bob", "hello <b>bob</b>");
        assert_eq!(
            alert(&frame, false, &none, "bob"),
            Some(Alert {
                title: "Alice (private)".into(),
                body: "hello <b>bob</b>".into(),
                key: ConvKey::Direct("alice".into()),
            })
        );
        // Not while the page is seen; not for our own (sent from another tab).
        assert_eq!(alert(&frame, true, &none, "bob"), None);
        assert_eq!(
            alert(&private("Bob", "alice", "hi"), false, &none, "bob"),
            None
        );
    }

    #[test]
    fn a_room_message_raises_one_only_when_it_mentions_us() {
        let none = Mutes::default();
        assert_eq!(
            alert(&in_room("rust", "alice", "hello all"), false, &none, "bob"),
            None
        );
        assert_eq!(
            alert(&in_room("rust", "alice", "mail@bob"), false, &none, "bob"),
            None
        );
        let raised = alert(&in_room("rust", "alice", "look @Bob"), false, &none, "bob");
        assert_eq!(
            raised.map(|a| (a.title, a.key)),
            Some(("alice in #rust".into(), ConvKey::Room("rust".into())))
        );
        // Mentioning ourselves raises nothing.
        assert_eq!(
            alert(&in_room("rust", "bob", "note to @bob"), false, &none, "bob"),
            None
        );
    }

    #[test]
    fn a_muted_conversation_raises_none() {
        let mut mutes = Mutes::default();
        mutes.toggle(&ConvKey::Direct("alice".into()));
        mutes.toggle(&ConvKey::Room("rust".into()));
        assert_eq!(
            alert(&private("Alice", "bob", "hi"), false, &mutes, "bob"),
            None
        );
        assert_eq!(
            alert(&in_room("rust", "alice", "@bob"), false, &mutes, "bob"),
            None
        );
        assert!(alert(&private("carol", "bob", "hi"), false, &mutes, "bob").is_some());
        mutes.toggle(&ConvKey::Direct("alice".into()));
        assert!(alert(&private("Alice", "bob", "hi"), false, &mutes, "bob").is_some());
    }

    #[test]
    fn a_long_body_is_cut() {
        let body = "é".repeat(150);
        let raised = alert(
            &private("alice", "bob", &body),
            false,
            &Mutes::default(),
            "bob",
        );
        let shown = raised.unwrap().body;
        assert_eq!(shown.chars().count(), PREVIEW_CHARS + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn mutes_are_kept_as_text_and_read_back() {
        let mut mutes = Mutes::default();
        mutes.toggle(&ConvKey::Room("rust".into()));
        mutes.toggle(&ConvKey::Direct("alice".into()));
        let text = mutes.to_text();
        assert_eq!(Mutes::from_text(&text), mutes);
        assert_eq!(Mutes::from_text(""), Mutes::default());
        assert_eq!(Mutes::from_text("junk\n#\n@\n\n#rust"), {
            let mut only = Mutes::default();
            only.toggle(&ConvKey::Room("rust".into()));
            only
        });
        assert!(Mutes::storage_key("Bob").ends_with("bob"));
    }

    #[test]
    fn the_title_counts_unread() {
        assert_eq!(title(0), "Chat");
        assert_eq!(title(3), "(3) Chat");
    }

    #[test]
    fn the_switch_follows_the_permission_and_the_wish() {
        assert_eq!(Switch::of(Permission::Unsupported, true), None);
        assert_eq!(Switch::of(Permission::Ask, true), Some(Switch::Off));
        assert_eq!(Switch::of(Permission::Granted, true), Some(Switch::On));
        assert_eq!(Switch::of(Permission::Granted, false), Some(Switch::Off));
        assert_eq!(Switch::of(Permission::Denied, true), Some(Switch::Blocked));
    }
}
