//! "Everyone online": who is in the lobby (everyone online), listed page by page with
//! `members` when the person asks ("More" for the next page). It is a snapshot: the lobby gives
//! no interest, so the server tells no changes of those it lists; asking again refreshes it.
//! Someone it lists shows as online (or away) until a `presence` frame says otherwise, or the
//! connection is replaced (the next `welcome` forgets the list).

use shared::ClientFrame;

use super::{ChatState, Person};

/// What the "Everyone online" list holds.
#[derive(Debug, Clone, Default)]
pub struct Everyone {
    /// The names of the pages received so far, in the server's order (by name ignoring
    /// case), each with whether they were away.
    listed: Vec<(String, bool)>,
    /// The server said no later name is online.
    complete: bool,
    /// Our `members` request on its way: its request id, and whether it asks for the page
    /// after those held (else for a fresh first page).
    asked: Option<(String, bool)>,
    /// A first page has arrived.
    answered: bool,
}

impl Everyone {
    /// Whether `key` (a name key) was listed, and then whether they were away.
    pub(super) fn away(&self, key: &str) -> Option<bool> {
        self.listed
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, away)| *away)
    }

    /// `key` (a name key) went offline: no longer listed.
    pub(super) fn gone(&mut self, key: &str) {
        self.listed
            .retain(|(name, _)| !name.eq_ignore_ascii_case(key));
    }

    /// The names listed.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.listed.iter().map(|(name, _)| name.as_str())
    }

    /// Whether the server has more names after those held.
    pub fn has_more(&self) -> bool {
        self.answered && !self.complete
    }

    /// Whether a request is on its way.
    pub fn busy(&self) -> bool {
        self.asked.is_some()
    }

    /// Whether a first page has arrived.
    pub fn answered(&self) -> bool {
        self.answered
    }
}

impl ChatState {
    pub fn everyone(&self) -> &Everyone {
        &self.presence.everyone
    }

    /// The people "Everyone online" lists, in the server's order; we are marked.
    pub fn everyone_listed(&self) -> Vec<Person> {
        self.presence
            .everyone
            .listed
            .iter()
            .map(|(name, away)| Person {
                name: name.clone(),
                is_me: self.is_me(name),
                online: true,
                away: *away,
            })
            .collect()
    }

    /// Asks for the first page of everyone online (again: a fresh list); `None` while
    /// disconnected.
    pub fn everyone_request(&mut self) -> Option<ClientFrame> {
        self.everyone_page(false)
    }

    /// Asks for the page after the names held, when the server has more.
    pub fn everyone_more(&mut self) -> Option<ClientFrame> {
        if !self.presence.everyone.has_more() {
            return None;
        }
        self.everyone_page(true)
    }

    fn everyone_page(&mut self, more: bool) -> Option<ClientFrame> {
        if !self.is_connected() {
            return None;
        }
        let req = self.reqs.take();
        let everyone = &mut self.presence.everyone;
        everyone.asked = Some((req.clone(), more));
        Some(ClientFrame::Members {
            room: shared::limits::LOBBY.to_owned(),
            after: everyone
                .listed
                .last()
                .filter(|_| more)
                .map(|(name, _)| name.clone()),
            req: Some(req),
        })
    }

    /// A `members` page: the list's when it answers its request (an older request's answer
    /// is dropped).
    pub(super) fn members_page(
        &mut self,
        members: Vec<String>,
        away: &[String],
        complete: bool,
        req: Option<&str>,
    ) {
        let everyone = &mut self.presence.everyone;
        let Some((_, more)) = everyone
            .asked
            .take_if(|(asked, _)| Some(asked.as_str()) == req)
        else {
            return;
        };
        if !more {
            everyone.listed.clear();
        }
        everyone.listed.extend(members.into_iter().map(|name| {
            let away = away.iter().any(|a| a.eq_ignore_ascii_case(&name));
            (name, away)
        }));
        everyone.complete = complete;
        everyone.answered = true;
    }

    /// The request `req` was refused, or (`None`) every request was lost with the
    /// connection: no answer is coming.
    pub(super) fn everyone_refused(&mut self, req: Option<&str>) {
        self.presence
            .everyone
            .asked
            .take_if(|(asked, _)| req.is_none_or(|req| req == asked));
    }
}
