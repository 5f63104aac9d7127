//! Searching messages: the query sent (`search`), its results as the quick switcher shows them
//! (conversation, sender, time, the body cut into plain and marked pieces at the server's
//! byte ranges), further pages, and opening a result: the conversation at that message, with
//! its neighbours loaded by a `history` page `around` it when it is not held.

use shared::{ClientFrame, StoredMessage, Target};

use super::conversation::Gap;
use super::{ChatState, ConvKey};
use crate::timeline::Millis;

/// One result, ready to show.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Its conversation.
    pub key: ConvKey,
    /// The message's id.
    pub id: u64,
    /// The room's name or the other person's name (as the conversation's title).
    pub title: String,
    pub from: String,
    pub at: Millis,
    pub body: String,
    /// The byte ranges of `body` that matched (see [`pieces`]).
    pub marks: Vec<[u32; 2]>,
}

/// The search on its way or answered.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The query, as sent: the next page asks for it again.
    query: String,
    /// The request id of the page on its way.
    pending: Option<String>,
    /// The `offset` of the next page, from the last page's `next`; `None` when there is none.
    next: Option<u32>,
    /// The results, best first, every page received so far.
    pub hits: Vec<Hit>,
}

impl Search {
    /// A page is on its way.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// The server has more results: "More results" is offered.
    pub fn more(&self) -> bool {
        self.next.is_some()
    }
}

/// `body` cut at `marks` (byte ranges, in order) into plain and marked pieces. Ranges that are
/// out of order, out of the body or not on character boundaries are skipped.
pub fn pieces<'a>(body: &'a str, marks: &[[u32; 2]]) -> Vec<(&'a str, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    for &[start, end] in marks {
        let (start, end) = (start as usize, end as usize);
        if start < at || end <= start || body.get(start..end).is_none() {
            continue;
        }
        if start > at {
            out.push((&body[at..start], false));
        }
        out.push((&body[start..end], true));
        at = end;
    }
    if at < body.len() {
        out.push((&body[at..], false));
    }
    out
}

impl ChatState {
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// Searches for `query` (its first page); `None` when there is nothing to send.
    pub fn search_request(&mut self, query: &str) -> Option<ClientFrame> {
        let query = query.trim();
        if !self.is_connected() || query.is_empty() {
            return None;
        }
        self.search = Search {
            query: query.to_owned(),
            ..Search::default()
        };
        self.search_page(None)
    }

    /// The next page of the search shown, after its results ("More results"); `None` when
    /// there is none, or a page is on its way.
    pub fn more_results(&mut self) -> Option<ClientFrame> {
        if !self.is_connected() || self.search.busy() || !self.search.more() {
            return None;
        }
        // Kept until the page arrives: refused (the search budget), it can be asked again.
        let offset = self.search.next;
        self.search_page(offset)
    }

    /// Asks for the page of the search at `offset`.
    fn search_page(&mut self, offset: Option<u32>) -> Option<ClientFrame> {
        let req = self.reqs.take();
        self.search.pending = Some(req.clone());
        Some(ClientFrame::Search {
            query: self.search.query.clone(),
            room: None,
            to: None,
            sender: None,
            since: None,
            until: None,
            limit: None,
            offset,
            req: Some(req),
        })
    }

    /// A page of results for our search `req` (an old search's is dropped), added after those
    /// shown; `next` is where the page after it starts.
    pub(super) fn search_results(
        &mut self,
        found: Vec<StoredMessage>,
        next: Option<u32>,
        req: Option<&str>,
    ) {
        if req.is_none() || self.search.pending.as_deref() != req {
            return;
        }
        self.search.pending = None;
        self.search.next = next;
        for m in found {
            // Messages stored since the last page may shift one onto this page too.
            if self.search.hits.iter().any(|h| h.id == m.id) {
                continue;
            }
            let (key, title) = match &m.target {
                Target::Room { room } => (ConvKey::of(&m.target), room.clone()),
                Target::User { to } => {
                    let peer = if self.is_me(&m.from) { to } else { &m.from };
                    (ConvKey::Direct(peer.to_ascii_lowercase()), peer.clone())
                }
            };
            self.search.hits.push(Hit {
                key,
                id: m.id,
                title,
                body: m.body,
                marks: m.marks,
                from: m.from,
                at: m.at,
            });
        }
    }

    /// The server refused our search `req`: the search ends (the notice says why).
    pub(super) fn search_refused(&mut self, req: &str) {
        if self.search.pending.as_deref() == Some(req) {
            self.search.pending = None;
        }
    }

    /// Opens the conversation of result `at` at its message: shown at once when held, else
    /// once a page `around` it arrives (the messages between it and those held are then paged
    /// in as a gap is). Returns the request to send, if one is needed.
    pub fn open_hit(&mut self, at: usize, now: Millis) -> Option<ClientFrame> {
        let hit = self.search.hits.get(at)?;
        let (key, id) = (hit.key.clone(), hit.id);
        let title = hit.title.clone();
        self.convs.entry(&key, &title);
        self.activate(&key);
        let conv = self.conversation(&key)?;
        if conv.has_id(id) || conv.gap.is_some() || conv.loading.is_some() {
            return self.seek(id, now);
        }
        self.seeking = Some((key.clone(), id));
        if !self.is_connected() {
            return None;
        }
        let req = self.reqs.take();
        let conv = self.convs.get_mut(&key)?;
        conv.loading = Some(req.clone());
        self.around = Some(req.clone());
        Some(ClientFrame::History {
            target: conv.target(),
            before: None,
            around: Some(id),
            limit: None,
            req: Some(req),
        })
    }

    /// Before a history page `req` is merged: when it is our page around a result, the gap it
    /// leaves between its newest message and the oldest held above it (every newer message,
    /// when none is held and the conversation had no page yet), to be paged in.
    pub(super) fn around_gap(
        &mut self,
        key: &ConvKey,
        newest: Option<u64>,
        req: Option<&str>,
    ) -> Option<Gap> {
        if req.is_none() || self.around.as_deref() != req {
            return None;
        }
        self.around = None;
        let conv = self.conversation(key)?;
        let after = newest?;
        match conv.oldest_id() {
            Some(held) if held > after + 1 => Some(Gap {
                after,
                before: held,
            }),
            None if !conv.loaded => Some(Gap {
                after,
                before: u64::MAX,
            }),
            _ => None,
        }
    }
}
