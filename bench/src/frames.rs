//! The text the load generator sends and the little it reads back, kept cheap: at half a
//! million deliveries a second the generator has about a microsecond per frame.
//!
//! Every timed message carries `"<tag> <send time in µs since the epoch> <padding>"` in its
//! `body` (the tag is a phase number or a broadcast id). Our server copies the body into the
//! `room_message`/`private_message` it delivers; the Node peers forward the sent text as it is;
//! either way the receiver finds `"body":"` and reads the two numbers. A `req` that starts the
//! same way comes back in our server's `ack`. Nothing else is parsed: a frame's type is the word after
//! `{"type":"`, which both our server and our own sent frames put first.

use std::time::{SystemTime, UNIX_EPOCH};

use memchr::memmem;

/// Filler that brings a body to about the length of a short chat line.
const PADDING: &str = "lorem ipsum dolor sit amet";

/// Microseconds since the Unix epoch. One clock for every process on the machine.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A room message to `room` tagged `tag`, sent at `now`.
pub fn room_message(room: &str, tag: u64, now: u64) -> String {
    format!(r#"{{"type":"room_message","room":"{room}","body":"{tag} {now} {PADDING}"}}"#)
}

/// A room message with a `req`, so that our server's `ack` can be timed. The `req` is also
/// the message's idempotency key, so `seq` keeps it unique per sender.
pub fn acked_room_message(room: &str, tag: u64, now: u64, seq: u64) -> String {
    format!(
        r#"{{"type":"room_message","room":"{room}","body":"{tag} {now} {PADDING}","req":"{tag} {now} {seq}"}}"#
    )
}

/// A private message to `to`, tagged `tag`, sent at `now`.
pub fn private_message(to: &str, tag: u64, now: u64) -> String {
    format!(r#"{{"type":"private_message","to":"{to}","body":"{tag} {now} {PADDING}"}}"#)
}

/// Joins `room` (our protocol).
pub fn join(room: &str) -> String {
    format!(r#"{{"type":"join","room":"{room}"}}"#)
}

/// Registers with the private-message peer.
pub fn online(name: &str) -> String {
    format!(r#"{{"type":"online","from":"{name}"}}"#)
}

/// The frame's `type`, when it comes first (as in every frame our server sends).
pub fn frame_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(r#"{"type":""#)?;
    rest.split('"').next()
}

/// The tag and send time in the string field `key` (`"body":"` or `"req":"`).
pub fn stamp(text: &str, key: &str) -> Option<(u64, u64)> {
    let at = memmem::find(text.as_bytes(), key.as_bytes())? + key.len();
    let mut numbers = text[at..].split([' ', '"']);
    let tag = numbers.next()?.parse().ok()?;
    let sent = numbers.next()?.parse().ok()?;
    Some((tag, sent))
}

/// The key of a delivered message's body.
pub const BODY: &str = r#""body":""#;
/// The key of an acknowledgement's request id.
pub const REQ: &str = r#""req":""#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_come_back_from_our_server_frames() {
        let delivered = r#"{"type":"room_message","id":1042,"room":"lobby","from":"u7","body":"12 1764146700123456 lorem","at":1764146700123}"#;
        assert_eq!(frame_type(delivered), Some("room_message"));
        assert_eq!(stamp(delivered, BODY), Some((12, 1_764_146_700_123_456)));
        let ack = r#"{"type":"ack","req":"3 99","id":5,"at":1}"#;
        assert_eq!(frame_type(ack), Some("ack"));
        assert_eq!(stamp(ack, REQ), Some((3, 99)));
    }

    #[test]
    fn sent_frames_are_valid_protocol() {
        let frames = [
            room_message("lobby", 1, 2),
            acked_room_message("r5", 1, 2, 3),
            private_message("u9", 1, 2),
            join("r5"),
        ];
        for text in &frames {
            let frame: shared::ClientFrame = serde_json::from_str(text).unwrap();
            let _ = frame;
        }
        assert_eq!(stamp(&frames[0], BODY), Some((1, 2)));
        assert_eq!(frame_type(&frames[2]), Some("private_message"));
        assert_eq!(stamp(&frames[1], REQ), Some((1, 2)));
    }

    #[test]
    fn junk_has_no_stamp() {
        assert_eq!(stamp(r#"{"type":"welcome"}"#, BODY), None);
        assert_eq!(stamp(r#""body":"x y""#, BODY), None);
        assert_eq!(frame_type("[]"), None);
    }
}
