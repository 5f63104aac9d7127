//! Sizes both sides agree on. The server enforces them; the client checks them first so a
//! person hears about a problem before anything is sent.

/// Longest message body, counted in Unicode scalar values (`char`s).
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest user name, in characters (Unicode scalar values, after NFC).
pub const MAX_USER_NAME: usize = 24;
/// Longest room name, in characters (names are ASCII).
pub const MAX_ROOM_NAME: usize = 32;
/// Longest request id a client may attach to a frame.
pub const MAX_REQ_CHARS: usize = 64;
/// Shortest password accepted when a name is claimed with one.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 would take more, but nobody needs it).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The room everyone is in while online; it cannot be left.
pub const LOBBY: &str = "lobby";
/// Longest room topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 200;
/// Longest room title (the name shown; the room's address stays its name), in characters.
pub const MAX_TITLE_CHARS: usize = 64;
/// Rooms in one `room_list` page.
pub const ROOMS_PAGE: u32 = 50;
/// Where the server stops counting a conversation's unread messages (and unread mentions): a
/// count of this many means this many or more. Counting costs a read per message counted,
/// so without a bound a user away from a busy room would wait seconds for their `welcome`.
pub const UNREAD_COUNTED: u32 = 1000;

/// Why a room's topic or title was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomTextError {
    #[error("it is longer than {max} characters")]
    TooLong { max: usize },
    #[error("it holds a control character")]
    Control,
}

/// A room's topic or title as stored: trimmed, `None` when empty, at most `max` characters,
/// without control characters (a topic is one line).
pub fn check_room_text(text: &str, max: usize) -> Result<Option<String>, RoomTextError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(RoomTextError::TooLong { max });
    }
    if text.chars().any(char::is_control) {
        return Err(RoomTextError::Control);
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Why a message body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {max} characters")]
    TooLong { max: usize },
}

/// Checks a message body: not empty or only white space, at most [`MAX_BODY_CHARS`] characters.
pub fn check_body(body: &str) -> Result<(), BodyError> {
    if body.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(BodyError::TooLong {
            max: MAX_BODY_CHARS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_texts_are_trimmed_one_line_and_bounded() {
        assert_eq!(check_room_text("  ", 10), Ok(None));
        assert_eq!(
            check_room_text(" Rust talk ", 10),
            Ok(Some("Rust talk".into()))
        );
        assert_eq!(
            check_room_text("ééééééééééé", 10),
            Err(RoomTextError::TooLong { max: 10 })
        );
        assert_eq!(check_room_text("a\nb", 10), Err(RoomTextError::Control));
    }

    #[test]
    fn bodies_are_checked_in_characters() {
        assert_eq!(check_body(""), Err(BodyError::Empty));
        assert_eq!(check_body(" \n\t "), Err(BodyError::Empty));
        assert_eq!(check_body("hi"), Ok(()));
        // 4000 two-byte characters are 8000 bytes, and still allowed.
        assert_eq!(check_body(&"é".repeat(MAX_BODY_CHARS)), Ok(()));
        assert_eq!(
            check_body(&"é".repeat(MAX_BODY_CHARS + 1)),
            Err(BodyError::TooLong {
                max: MAX_BODY_CHARS
            })
        );
    }
}
