//! Rules for the message box (the composer): what may be sent, when to show the character
//! counter, and how often to tell the server "I am typing".

use std::collections::HashMap;

use shared::limits::{BodyError, MAX_BODY_CHARS};

use super::ConvKey;
use crate::timeline::Millis;

/// The counter appears once a draft is this close to the limit.
pub const COUNTER_MARGIN: usize = 400;

/// "typing" is sent at most this often per conversation (the server drops extra ones anyway).
/// Sending a message does not reset it: a quick sender sends messages, not notices.
pub const TYPING_INTERVAL_MS: Millis = 2_000;

/// Why a draft cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyProblem {
    #[error("Write something first.")]
    Empty,
    #[error("This message is {over} characters too long (the limit is {max}). Please shorten it.")]
    TooLong { over: usize, max: usize },
}

/// Checks a draft with the server's own rule ([`shared::limits::check_body`]), and says by how
/// much a long one is over.
pub fn check_body(body: &str) -> Result<(), BodyProblem> {
    shared::limits::check_body(body).map_err(|error| match error {
        BodyError::Empty => BodyProblem::Empty,
        BodyError::TooLong { max } => BodyProblem::TooLong {
            over: body.chars().count().saturating_sub(max),
            max,
        },
    })
}

/// The character counter for a draft, when it is near or over the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// "3600 / 4000": characters written, and the limit.
    pub text: String,
    /// The draft is over the limit: the counter shows it as an error.
    pub over: bool,
}

pub fn counter(body: &str) -> Option<Counter> {
    let chars = body.chars().count();
    if chars + COUNTER_MARGIN < MAX_BODY_CHARS {
        return None;
    }
    Some(Counter {
        text: format!("{chars} / {MAX_BODY_CHARS}"),
        over: chars > MAX_BODY_CHARS,
    })
}

/// Remembers when "typing" was last sent to each conversation.
#[derive(Debug, Default, Clone)]
pub struct TypingThrottle {
    /// Last time a typing notice went to a conversation.
    last_sent: HashMap<ConvKey, Millis>,
}

impl TypingThrottle {
    /// Whether to send a typing notice for `conv` now; records it when the answer is yes.
    pub fn should_send(&mut self, conv: &ConvKey, now: Millis) -> bool {
        match self.last_sent.get(conv) {
            Some(&last) if now.saturating_sub(last) < TYPING_INTERVAL_MS => false,
            _ => {
                self.last_sent.insert(conv.clone(), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_in_characters() {
        assert_eq!(check_body("  \n "), Err(BodyProblem::Empty));
        assert_eq!(check_body("hi"), Ok(()));
        assert_eq!(check_body(&"é".repeat(MAX_BODY_CHARS)), Ok(()));
        assert_eq!(
            check_body(&"é".repeat(MAX_BODY_CHARS + 3)),
            Err(BodyProblem::TooLong {
                over: 3,
                max: MAX_BODY_CHARS
            })
        );
        let text = BodyProblem::TooLong { over: 3, max: 4000 }.to_string();
        assert!(text.contains("3 characters too long"), "{text}");
    }

    #[test]
    fn the_counter_appears_near_the_limit() {
        assert_eq!(counter("short"), None);
        assert_eq!(
            counter(&"a".repeat(MAX_BODY_CHARS - COUNTER_MARGIN - 1)),
            None
        );
        let near = counter(&"a".repeat(MAX_BODY_CHARS - COUNTER_MARGIN)).unwrap();
        assert_eq!(near.text, "3600 / 4000");
        assert!(!near.over);
        let over = counter(&"a".repeat(MAX_BODY_CHARS + 1)).unwrap();
        assert!(over.over);
    }

    #[test]
    fn typing_is_sent_at_most_every_two_seconds() {
        let mut throttle = TypingThrottle::default();
        let lobby = ConvKey::Room("lobby".into());
        let bob = ConvKey::Direct("bob".into());
        assert!(throttle.should_send(&lobby, 0));
        assert!(!throttle.should_send(&lobby, 1_999));
        assert!(throttle.should_send(&bob, 1_999));
        assert!(throttle.should_send(&lobby, 2_000));
    }

    #[test]
    fn a_quick_sender_announces_typing_once_per_interval() {
        // Type and send ten messages in a second: one notice, not one per message.
        let mut throttle = TypingThrottle::default();
        let lobby = ConvKey::Room("lobby".into());
        let notices = (0..10)
            .filter(|i| throttle.should_send(&lobby, i * 100))
            .count();
        assert_eq!(notices, 1);
    }
}
