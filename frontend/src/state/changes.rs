//! Changes to messages already sent: an edit, a deletion (a tombstone), a reaction added or
//! taken back. The same [`Change`] comes from the server (`message_edited`,
//! `message_deleted`, `reaction`, live or replayed) and from our own change once acknowledged:
//! the server does not echo our changes to the connection that made them. Quotes of a
//! changed message in replies follow it.
//!
//! Our own changes wait their turn among our sends (see `sending`): one on the wire at a time,
//! paced, sent again with the same `req` after `rate_limited` or a reconnect.

use shared::changes::{Place, Quote};
use shared::ClientFrame;

use super::{reactions, ChatState, ConvKey};
use crate::timeline::Millis;

/// What happened to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    /// It now reads this.
    Edit(String),
    /// It is a tombstone.
    Delete,
    /// `user` added (`added`) or took back the reaction `emoji`.
    React {
        emoji: String,
        user: String,
        added: bool,
    },
}

/// One of our changes not yet acknowledged.
#[derive(Debug, Clone)]
pub(super) struct OwnChange {
    /// Its place in the line of our sends (a sequence number no line has).
    pub(super) seq: u64,
    /// Its request id, the change's idempotency key.
    pub(super) req: String,
    /// The conversation of the message.
    pub(super) key: ConvKey,
    /// The message changed.
    pub(super) id: u64,
    pub(super) change: Change,
}

impl OwnChange {
    /// The frame that asks for it.
    pub(super) fn frame(&self) -> ClientFrame {
        let (id, req) = (self.id, Some(self.req.clone()));
        match &self.change {
            Change::Edit(body) => ClientFrame::Edit {
                id,
                body: body.clone(),
                req,
            },
            Change::Delete => ClientFrame::Delete { id, req },
            Change::React {
                emoji, added: true, ..
            } => ClientFrame::React {
                id,
                emoji: emoji.clone(),
                req,
            },
            Change::React { emoji, .. } => ClientFrame::Unreact {
                id,
                emoji: emoji.clone(),
                req,
            },
        }
    }
}

impl ChatState {
    /// A change the server announces (`change_id` counts towards the resume point), to
    /// message `id` of the conversation at `place`; `at` is an edit's time.
    pub(super) fn changed(
        &mut self,
        place: &Place,
        change_id: u64,
        id: u64,
        change: Change,
        at: Millis,
    ) {
        self.resume.reached(change_id);
        let key = match place {
            Place::Room { room } => ConvKey::Room(room.clone()),
            Place::Private { from, to } => {
                ConvKey::Direct(if self.is_me(from) { to } else { from }.to_ascii_lowercase())
            }
        };
        self.apply_change(&key, id, change, at);
    }

    /// Our change to message `id`: it waits its turn among our sends. Returns the frame to
    /// send now, if it may go now.
    pub(super) fn queue_change(
        &mut self,
        key: &ConvKey,
        id: u64,
        change: Change,
        now: Millis,
    ) -> Option<ClientFrame> {
        let req = self.reqs.take();
        let seq = self.convs.take_seq();
        self.outbox.queued.insert(seq, (req.clone(), key.clone()));
        self.outbox.changes.push(OwnChange {
            seq,
            req,
            key: key.clone(),
            id,
            change,
        });
        self.next_send(now)
    }

    /// Applies a change to message `id` of a conversation, and to the quotes of it.
    pub(super) fn apply_change(&mut self, key: &ConvKey, id: u64, change: Change, at: Millis) {
        let mentions_me = match &change {
            Change::Edit(body) => self
                .conversation(key)
                .and_then(|c| c.message(id))
                .is_some_and(|m| self.mentions_me(key, &m.from, body)),
            _ => false,
        };
        let Some(conv) = self.convs.get_mut(key) else {
            return;
        };
        let quote = match &change {
            Change::Edit(body) => Some(Quote::of(id, String::new(), body, false)),
            Change::Delete => Some(Quote::of(id, String::new(), "", true)),
            Change::React { .. } => None,
        };
        if let Some(quote) = quote {
            for line in &mut conv.lines {
                let Some(m) = line.message_mut() else {
                    continue;
                };
                if let Some(reply) = m.details.reply.as_mut().filter(|r| r.id == id) {
                    reply.text.clone_from(&quote.text);
                    reply.deleted = quote.deleted;
                    m.rev += 1;
                }
            }
        }
        let Some(message) = conv.message_mut(id) else {
            return;
        };
        message.rev += 1;
        let details = &mut message.details;
        match change {
            Change::Edit(body) => {
                message.body = body;
                message.mentions_me = mentions_me;
                details.edited_at = Some(at);
            }
            Change::Delete => {
                message.body.clear();
                details.deleted = true;
                details.reactions.clear();
            }
            Change::React { emoji, user, added } => {
                reactions::set(&mut details.reactions, emoji, user, added);
            }
        }
    }
}
