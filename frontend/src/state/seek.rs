//! Finding a quoted message: a click on a reply's quote shows the original, paging in older
//! history until it is held (or nothing older is left).

use shared::ClientFrame;

use super::ChatState;
use crate::timeline::Millis;

impl ChatState {
    /// Shows message `id` of the open conversation: at once if it is held, else once older
    /// pages bring it. Returns the history request to send now, if one is needed.
    pub fn seek(&mut self, id: u64, now: Millis) -> Option<ClientFrame> {
        self.seeking = Some((self.active().clone(), id));
        self.seek_more(now)
    }

    /// The sought message, once the open conversation holds it: the view shows it and calls
    /// [`Self::found`].
    pub fn sought(&self) -> Option<u64> {
        let (key, id) = self.seeking.as_ref()?;
        (key == self.active() && self.conversation(key)?.has_id(*id)).then_some(*id)
    }

    pub fn found(&mut self) {
        self.seeking = None;
    }

    /// The next older page while the sought message is not held. The search ends when
    /// another conversation is opened, and with a notice when the message cannot be there:
    /// nothing older exists, or older messages are held without it.
    pub(super) fn seek_more(&mut self, now: Millis) -> Option<ClientFrame> {
        let (key, id) = self.seeking.clone()?;
        if &key != self.active() {
            self.seeking = None;
            return None;
        }
        let conv = self.conversation(&key)?;
        if conv.has_id(id) {
            return None;
        }
        let passed = conv.gap.is_none() && conv.oldest_id().is_some_and(|oldest| oldest < id);
        if conv.loaded && (conv.complete || passed) {
            self.seeking = None;
            self.notify("The quoted message is not available.".to_owned(), now);
            return None;
        }
        self.history_request(&key, true)
    }
}
