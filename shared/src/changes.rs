//! What can happen to a message after it is sent: it is edited, deleted (a tombstone), replied
//! to, reacted to; and the files it carries. [`MessageDetails`] is the part of a message frame (`room_message`,
//! `private_message`, a `history` entry) that says so; [`Place`] names a message's conversation
//! in the frames that announce a change; [`check_emoji`] is the rule for a reaction.
//!
//! Every field of [`MessageDetails`] is left out of the JSON when it says nothing (no reply,
//! never edited, not deleted, no reaction), so a plain message looks as it did before.

use serde::{Deserialize, Serialize};

use crate::attachments::Attachment;
use crate::skip::is_false;

/// Characters of the original message a [`Quote`] carries.
pub const QUOTE_CHARS: usize = 100;
/// Longest reaction, in characters (Unicode scalar values): room for a flag, a skin tone or a
/// family joined with zero-width joiners.
pub const MAX_EMOJI_CHARS: usize = 16;
/// Most distinct reactions (emoji) on one message.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;

/// What a message became since it was sent, and what it answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDetails {
    /// The message this one answers, quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Quote>,
    /// When it was last edited, ms since the Unix epoch; absent if never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    /// A tombstone: the message was deleted, its `body` is empty and it has no reactions.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// Its reactions, each emoji once with who reacted, in the order the emoji first appeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The files it carries, in the order the sender listed them (none once it is deleted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl MessageDetails {
    /// Whether there is nothing to say (every field left out on the wire).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The start of the message a reply answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The original message's id.
    pub id: u64,
    /// Who wrote it.
    pub from: String,
    /// Its first [`QUOTE_CHARS`] characters (as it reads now: edits show); empty when deleted.
    pub text: String,
    /// The original was deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

impl Quote {
    /// The quote of a message with `body` (cut to [`QUOTE_CHARS`] characters).
    pub fn of(id: u64, from: String, body: &str, deleted: bool) -> Self {
        Self {
            id,
            from,
            text: if deleted {
                String::new()
            } else {
                body.chars().take(QUOTE_CHARS).collect()
            },
            deleted,
        }
    }
}

/// One emoji on a message and who reacted with it (each user once, in the order they did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<String>,
}

/// The conversation of a changed message, as its message frames name it: `room`, or the
/// private message's `from` and `to` (its sender and recipient, not who changed it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Place {
    Room { room: String },
    Private { from: String, to: String },
}

/// Why a reaction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmojiError {
    #[error("a reaction is one emoji")]
    Empty,
    #[error("a reaction is at most {max} characters")]
    TooLong { max: usize },
    #[error("a reaction has no spaces or control characters")]
    Space,
    #[error("a reaction is an emoji, not letters or digits")]
    NotEmoji,
}

/// Checks a reaction. Kept simple on purpose (no Unicode emoji table, which would weigh on the
/// client): 1 to [`MAX_EMOJI_CHARS`] characters, no white space or control characters, and at
/// least one character that is neither ASCII nor a letter or digit (`👍`, `❤️`, `🇫🇷` pass;
/// `+1`, `ok`, `é` do not). Symbols outside ASCII (`★`) pass too.
pub fn check_emoji(emoji: &str) -> Result<(), EmojiError> {
    if emoji.is_empty() {
        return Err(EmojiError::Empty);
    }
    if emoji.chars().count() > MAX_EMOJI_CHARS {
        return Err(EmojiError::TooLong {
            max: MAX_EMOJI_CHARS,
        });
    }
    if emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmojiError::Space);
    }
    if !emoji.chars().any(|c| !c.is_ascii() && !c.is_alphanumeric()) {
        return Err(EmojiError::NotEmoji);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_are_checked() {
        for good in ["👍", "❤️", "🇫🇷", "👨‍👩‍👧", "★", "👍🏽"] {
            assert_eq!(check_emoji(good), Ok(()), "{good}");
        }
        assert_eq!(check_emoji(""), Err(EmojiError::Empty));
        assert_eq!(check_emoji("+1"), Err(EmojiError::NotEmoji));
        assert_eq!(check_emoji("é"), Err(EmojiError::NotEmoji));
        assert_eq!(check_emoji("👍 👍"), Err(EmojiError::Space));
        assert_eq!(check_emoji("👍\n"), Err(EmojiError::Space));
        assert_eq!(
            check_emoji(&"👍".repeat(MAX_EMOJI_CHARS + 1)),
            Err(EmojiError::TooLong {
                max: MAX_EMOJI_CHARS
            })
        );
    }

    #[test]
    fn quotes_are_cut_and_tombstones_say_nothing() {
        let long = "é".repeat(QUOTE_CHARS + 5);
        let quote = Quote::of(3, "bob".into(), &long, false);
        assert_eq!(quote.text.chars().count(), QUOTE_CHARS);
        let gone = Quote::of(3, "bob".into(), "secret", true);
        assert_eq!(gone.text, "");
        assert!(gone.deleted);
    }

    #[test]
    fn empty_details_are_absent_on_the_wire() {
        let json = serde_json::to_string(&MessageDetails::default()).unwrap();
        assert_eq!(json, "{}");
        let details = MessageDetails {
            reply: Some(Quote::of(1, "bob".into(), "hi", false)),
            edited_at: Some(5),
            deleted: false,
            reactions: vec![Reaction {
                emoji: "👍".into(),
                users: vec!["bob".into()],
            }],
            attachments: Vec::new(),
        };
        let json = serde_json::to_string(&details).unwrap();
        assert_eq!(
            json,
            r#"{"reply":{"id":1,"from":"bob","text":"hi"},"edited_at":5,"reactions":[{"emoji":"👍","users":["bob"]}]}"#
        );
        assert_eq!(
            serde_json::from_str::<MessageDetails>(&json).unwrap(),
            details
        );
    }

    #[test]
    fn places_are_a_room_or_a_pair() {
        let room: Place = serde_json::from_str(r#"{"room":"rust"}"#).unwrap();
        assert_eq!(
            room,
            Place::Room {
                room: "rust".into()
            }
        );
        let pair: Place = serde_json::from_str(r#"{"from":"a","to":"b"}"#).unwrap();
        assert_eq!(
            pair,
            Place::Private {
                from: "a".into(),
                to: "b".into()
            }
        );
        assert!(serde_json::from_str::<Place>(r#"{"to":"b"}"#).is_err());
    }
}
