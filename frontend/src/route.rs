//! The open conversation in the page's address: `#/room/lobby` for a room, `#/with/bob` for
//! a private conversation. A reload opens it again, a link opens it, and the browser's back
//! button returns to the conversation before.

use crate::state::ConvKey;
use shared::{RoomName, UserName};

/// The address fragment (with its `#`) of a conversation.
pub fn format(key: &ConvKey) -> String {
    match key {
        ConvKey::Room(room) => format!("#/room/{}", escape(room)),
        ConvKey::Direct(user) => format!("#/with/{}", escape(user)),
    }
}

/// The conversation an address fragment names (with or without its `#`), when it names a
/// valid room or user name.
pub fn parse(hash: &str) -> Option<ConvKey> {
    let path = hash.strip_prefix('#').unwrap_or(hash);
    let path = path.strip_prefix('/').unwrap_or(path);
    let (kind, name) = path.split_once('/')?;
    let name = unescape(name.trim_end_matches('/'))?;
    match kind {
        "room" => RoomName::parse(&name)
            .ok()
            .map(|room| ConvKey::Room(room.as_str().to_owned())),
        "with" => UserName::parse(&name)
            .ok()
            // The same key as the conversation's own (see `ConvKey::of`).
            .map(|user| ConvKey::Direct(user.as_str().to_ascii_lowercase())),
        _ => None,
    }
}

/// Percent-encodes all but ASCII letters, digits and `-_.~` (names may hold other letters:
/// their UTF-8 bytes are encoded).
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Undoes [`escape`] (and any other percent-encoding); `None` for a broken one.
fn unescape(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        if byte == b'%' {
            let high = char::from(rest.next()?).to_digit(16)?;
            let low = char::from(rest.next()?).to_digit(16)?;
            bytes.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversations_have_addresses() {
        assert_eq!(format(&ConvKey::lobby()), "#/room/lobby");
        assert_eq!(
            format(&ConvKey::Room("rust-fans".into())),
            "#/room/rust-fans"
        );
        assert_eq!(format(&ConvKey::Direct("bob".into())), "#/with/bob");
        assert_eq!(format(&ConvKey::Room("a b".into())), "#/room/a%20b");
        assert_eq!(format(&ConvKey::Direct("josé".into())), "#/with/jos%C3%A9");
    }

    #[test]
    fn addresses_name_conversations() {
        assert_eq!(parse("#/room/lobby"), Some(ConvKey::lobby()));
        assert_eq!(parse("/room/lobby/"), Some(ConvKey::lobby()));
        assert_eq!(parse("#/with/Bob"), Some(ConvKey::Direct("bob".into())));
        assert_eq!(parse("#/with/b%6Fb"), Some(ConvKey::Direct("bob".into())));
    }

    #[test]
    fn every_address_reads_back() {
        for key in [
            ConvKey::lobby(),
            ConvKey::Room("dev_ops-2".into()),
            ConvKey::Direct("mary.jane".into()),
            ConvKey::Direct("josé".into()),
        ] {
            assert_eq!(parse(&format(&key)), Some(key));
        }
    }

    #[test]
    fn other_addresses_name_nothing() {
        for hash in [
            "",
            "#",
            "#/",
            "#/room/",
            "#/room/Not Valid!",
            "#/with/<script>",
            "#/with/%zz",
            "#/with/%ff",
            "#/elsewhere/lobby",
            "#/room/javascript:alert(1)",
        ] {
            assert_eq!(parse(hash), None, "{hash}");
        }
    }
}
