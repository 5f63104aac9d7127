//! Replying: which message the composer's next send answers ("Replying to bob: …" above the
//! box). The send carries `reply_to` and shows the quote at once (see `sending`).

use shared::changes::Quote;

use super::{ChatState, ConvKey};

impl ChatState {
    /// The next message sent in the open conversation answers message `id` (an edit in
    /// progress is dropped).
    pub fn reply_to(&mut self, id: u64) {
        let key = self.active().clone();
        if self
            .conversation(&key)
            .and_then(|c| c.message(id))
            .is_some_and(|m| !m.details.deleted)
        {
            self.editing = None;
            self.replying = Some((key, id));
        }
    }

    pub fn cancel_reply(&mut self) {
        self.replying = None;
    }

    /// The quote of the message the open conversation's next send answers, if any.
    pub fn replying(&self) -> Option<Quote> {
        self.reply_quote(self.active())
    }

    /// The quote of the message the next send to `key` answers: its sender and start.
    pub(super) fn reply_quote(&self, key: &ConvKey) -> Option<Quote> {
        let (at, id) = self.replying.as_ref().filter(|(k, _)| k == key)?;
        let message = self.conversation(at)?.message(*id)?;
        Some(Quote::of(
            *id,
            message.from.clone(),
            &message.body,
            message.details.deleted,
        ))
    }
}

impl ChatState {
    /// What the bar above the open conversation's box says, while the box edits a message or
    /// answers one.
    pub fn compose_note(&self) -> Option<String> {
        if self.editing().is_some() {
            return Some("Editing your message".to_owned());
        }
        let quote = self.replying()?;
        Some(String::from("Replying to ") + &quote.from + ": " + &quote.text)
    }
}
