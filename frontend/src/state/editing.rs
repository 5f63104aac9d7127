//! Editing and deleting messages: which of our messages the composer edits (Up in an empty
//! composer picks our newest one), who may delete what (our own; in a room we own, anyone's),
//! and the `edit` and `delete` changes, which wait their turn among our sends.

use shared::ClientFrame;

use super::changes::Change;
use super::composer::{check_body, BodyProblem};
use super::{ChatState, ConvKey};
use crate::timeline::{Message, Millis};

/// Whether a message can still change: confirmed by the server and not a tombstone.
fn changeable(message: &Message) -> bool {
    message.id.is_some() && !message.details.deleted
}

impl ChatState {
    /// Our newest message in the open conversation that can be edited: what Up edits.
    pub fn last_editable(&self) -> Option<u64> {
        self.active_conversation()?
            .lines
            .iter()
            .rev()
            .filter_map(|l| l.message())
            .find(|m| m.own && changeable(m))?
            .id
    }

    /// Starts editing our message `id` of the open conversation (a reply being written is
    /// dropped). Returns its text, for the composer.
    pub fn start_edit(&mut self, id: u64) -> Option<String> {
        let key = self.active().clone();
        let message = self.conversation(&key)?.message(id)?;
        if !message.own || !changeable(message) {
            return None;
        }
        let body = message.body.clone();
        self.replying = None;
        self.editing = Some((key, id));
        Some(body)
    }

    /// The message being edited in the open conversation, if one is.
    pub fn editing(&self) -> Option<u64> {
        self.editing
            .as_ref()
            .filter(|(key, _)| key == self.active())
            .map(|(_, id)| *id)
    }

    pub fn cancel_edit(&mut self) {
        self.editing = None;
    }

    /// Saves the edit with `body`: the message reads it for everyone once the server has it.
    /// An unchanged text ends the edit without a word to the server. Returns the frame to
    /// send now, if it may go now.
    pub fn save_edit(
        &mut self,
        body: &str,
        now: Millis,
    ) -> Result<Option<ClientFrame>, BodyProblem> {
        check_body(body)?;
        let Some((key, id)) = self.editing.take() else {
            return Ok(None);
        };
        let body = body.trim_end_matches(['\n', '\r']);
        let unchanged = self
            .conversation(&key)
            .and_then(|c| c.message(id))
            .is_none_or(|m| m.body == body);
        if unchanged {
            return Ok(None);
        }
        Ok(self.queue_change(&key, id, Change::Edit(body.to_owned()), now))
    }

    /// Whether we may delete a message of the open conversation: our own (`own`), or any in a
    /// room we own or moderate.
    pub fn may_delete(&self, own: bool) -> bool {
        own || self
            .active_conversation()
            .is_some_and(|c| c.settings.runs(&self.me))
    }

    /// Deletes message `id` of the open conversation: it becomes a tombstone for everyone once
    /// the server has it. Returns the frame to send now, if it may go now.
    pub fn delete(&mut self, id: u64, now: Millis) -> Option<ClientFrame> {
        let key: ConvKey = self.active().clone();
        let message = self.conversation(&key)?.message(id)?;
        if !changeable(message) || !self.may_delete(message.own) {
            return None;
        }
        if self.editing == Some((key.clone(), id)) {
            self.editing = None;
        }
        self.queue_change(&key, id, Change::Delete, now)
    }
}
