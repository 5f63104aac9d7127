//! Messages coming in: live ones and those replayed after a reconnect, and history pages,
//! asked for when the open conversation has none yet or the reader scrolls to the top. All
//! are merged by id, none twice.

use shared::changes::MessageDetails;
use shared::{ClientFrame, ErrorCode, StoredMessage, Target};

use super::conversation::Gap;
use super::{ChatState, ConvKey};
use crate::timeline::{Delivery, Line, LineKind, Message, Millis};

/// A message the server sent, as a line; `mentions_me` as [`Message::mentions_me`].
#[allow(clippy::too_many_arguments)]
fn received(
    seq: u64,
    id: u64,
    from: String,
    body: String,
    at: Millis,
    own: bool,
    mentions_me: bool,
    details: MessageDetails,
) -> Line {
    Line {
        seq,
        at,
        kind: LineKind::Message(Message {
            id: Some(id),
            from,
            body,
            at,
            own,
            mentions_me,
            delivery: Delivery::Confirmed,
            details,
            rev: 0,
        }),
    }
}

impl ChatState {
    /// The next older page of a conversation (the reader scrolled to the top), unless one is
    /// on its way or there is nothing older.
    pub fn older_request(&mut self, key: &ConvKey) -> Option<ClientFrame> {
        self.history_request(key, true)
    }

    /// The `history` frame for a conversation: its newest page when it has none yet, or
    /// (`older`) the page before the oldest message held.
    pub(super) fn history_request(&mut self, key: &ConvKey, older: bool) -> Option<ClientFrame> {
        if !self.is_connected() {
            return None;
        }
        let conv = self.conversation(key)?;
        if conv.loading.is_some() || (conv.is_room() && !conv.joined) {
            return None;
        }
        let before = match (older, conv.loaded, conv.gap) {
            // A gap left by a replay's cut is filled first, without being asked.
            (_, true, Some(gap)) => Some(gap.before),
            (false, false, _) => None,
            (true, true, None) if !conv.complete => Some(conv.oldest_id()?),
            _ => return None,
        };
        let req = self.reqs.take();
        let conv = self.convs.get_mut(key)?;
        conv.loading = Some(req.clone());
        Some(ClientFrame::History {
            target: conv.target(),
            before,
            around: None,
            limit: None,
            req: Some(req),
        })
    }

    /// A live or replayed message, in the conversation `key` (created, titled `title`, if
    /// need be). Others' messages are announced to screen readers, saying where (`place`:
    /// `#rust`, `private`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn incoming(
        &mut self,
        key: ConvKey,
        title: String,
        id: u64,
        from: String,
        body: String,
        at: Millis,
        place: &str,
        details: MessageDetails,
    ) {
        self.resume.reached(id);
        let own = self.is_me(&from);
        let mentions_me = self.mentions_me(&key, &from, &body);
        let seq = self.convs.take_seq();
        let conv = self.convs.entry(&key, &title);
        conv.last_id = conv.last_id.max(id);
        if conv.has_id(id) {
            return;
        }
        conv.typing.stopped(&from);
        let announcement = if own {
            None
        } else {
            let short: String = body.chars().take(140).collect();
            Some(format!("{from} ({place}): {short}"))
        };
        conv.place(received(seq, id, from, body, at, own, mentions_me, details));
        conv.trim();
        if let Some(text) = announcement {
            self.notices.announce(text);
        }
    }

    /// A page of history: merged in by id, none twice.
    pub(super) fn history_page(
        &mut self,
        target: &Target,
        messages: Vec<StoredMessage>,
        complete: bool,
        req: Option<&str>,
    ) {
        let key = ConvKey::of(target);
        if self.convs.get(&key).is_none() {
            return;
        }
        let around = self.around_gap(&key, messages.iter().map(|m| m.id).max(), req);
        // Each message gets its sequence number, whether it is held already or not.
        let lines: Vec<(u64, Line)> = messages
            .into_iter()
            .map(|stored| {
                let own = self.is_me(&stored.from);
                let mentions_me = self.mentions_me(&key, &stored.from, &stored.body);
                let seq = self.convs.take_seq();
                let (id, at) = (stored.id, stored.at);
                let line = received(
                    seq,
                    id,
                    stored.from,
                    stored.body,
                    at,
                    own,
                    mentions_me,
                    stored.details,
                );
                (stored.id, line)
            })
            .collect();
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let oldest = lines.iter().map(|(id, _)| *id).min();
        for (id, line) in lines {
            conv.last_id = conv.last_id.max(id);
            if !conv.has_id(id) {
                conv.place(line);
            }
        }
        if req.is_none() || conv.loading.as_deref() == req {
            conv.loading = None;
            // A page asked for while there was a gap was a page of the gap: it is filled
            // once a page reaches below it (or nothing older exists).
            if let Some(gap) = &mut conv.gap {
                match oldest {
                    Some(oldest) if !complete && oldest > gap.after + 1 => gap.before = oldest,
                    _ => conv.gap = None,
                }
            }
        }
        if around.is_some() {
            conv.gap = around;
        }
        conv.loaded = true;
        conv.complete |= complete;
    }

    /// The server refused our history request `req`. Asking again will not help (no such
    /// person, not a member), so the conversation counts as fully loaded; a rate limit
    /// passes, so then the next look at what is due asks again.
    pub(super) fn history_refused(&mut self, req: &str, code: ErrorCode) {
        if let Some(conv) = self
            .convs
            .iter_mut()
            .find(|c| c.loading.as_deref() == Some(req))
        {
            conv.loading = None;
            if code != ErrorCode::RateLimited {
                conv.loaded = true;
                conv.complete = true;
            }
        }
    }

    /// The server did not replay the ids in `(after, before)` (`replay_cut`): every
    /// conversation holding messages from before may miss some of them, between those it
    /// holds; each pages them in with `history` (the open one at once, see [`Self::due`]).
    /// A conversation with no page yet needs nothing: its pages run back from its newest.
    pub(super) fn replay_cut(&mut self, after: u64, before: u64) {
        for conv in self.convs.iter_mut().filter(|c| c.loaded) {
            let after = conv.gap.map_or(after, |gap| gap.after.min(after));
            conv.gap = Some(Gap { after, before });
        }
    }

    /// Our history request `req` will get no answer (it was not sent): the next look at what
    /// is due asks again.
    pub(super) fn history_lost(&mut self, req: &str) {
        for conv in self.convs.iter_mut() {
            if conv.loading.as_deref() == Some(req) {
                conv.loading = None;
            }
        }
    }
}
