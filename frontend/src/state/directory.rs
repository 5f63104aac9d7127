//! The room browser: the public rooms whose name, title or topic holds what was typed, most
//! members first, a page at a time ("More" asks for the next one), each shown with whether
//! we are in it (Open) or not (Join); and creating a room (`/create`, `/private`). `/rooms`
//! typed in the composer asks the same way, and opens the browser.

use shared::{ClientFrame, RoomListing, RoomName};

use super::rooms::capitalize;
use super::{ChatState, ConvKey};

/// What the room browser holds.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// The query the rooms held answer.
    query: String,
    /// The rooms of the pages received so far, in the server's order.
    pub rooms: Vec<RoomListing>,
    /// The `offset` of the next page, when the server said there is one.
    next: Option<u32>,
    /// Our `rooms` request on its way: its request id, and whether it asks for the page
    /// after those held (else for a fresh first page).
    asked: Option<(String, bool)>,
    /// A first page has answered the query.
    pub answered: bool,
}

impl Directory {
    /// Whether the server has more rooms for this query.
    pub fn has_more(&self) -> bool {
        self.next.is_some()
    }

    /// What the rooms held answer.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Whether a request is on its way.
    pub fn busy(&self) -> bool {
        self.asked.is_some()
    }
}

/// A public room as the browser shows it, and whether we are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub room: RoomListing,
    pub joined: bool,
}

impl ChatState {
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The rooms the browser lists, each marked when we are in it.
    pub fn listed(&self) -> Vec<Listed> {
        self.directory
            .rooms
            .iter()
            .map(|room| Listed {
                joined: self
                    .conversation(&ConvKey::Room(room.room.to_ascii_lowercase()))
                    .is_some_and(|c| c.joined),
                room: room.clone(),
            })
            .collect()
    }

    /// Asks for the first page of public rooms holding `query` (every public room when it
    /// is blank); `None` while disconnected.
    pub fn browse(&mut self, query: &str) -> Option<ClientFrame> {
        query.trim().clone_into(&mut self.directory.query);
        self.browse_page(false)
    }

    /// Asks for the page after the rooms held, when there is one.
    pub fn browse_more(&mut self) -> Option<ClientFrame> {
        self.directory.next?;
        self.browse_page(true)
    }

    fn browse_page(&mut self, more: bool) -> Option<ClientFrame> {
        if !self.is_connected() {
            return None;
        }
        let req = self.reqs.take();
        let dir = &mut self.directory;
        dir.asked = Some((req.clone(), more));
        let query = &dir.query;
        Some(ClientFrame::Rooms {
            query: (!query.is_empty()).then(|| query.clone()),
            offset: dir.next.filter(|_| more),
            req: Some(req),
        })
    }

    /// A `room_list`: the browser's page when it answers the browser's request (an older
    /// request's answer is dropped).
    pub(super) fn directory_page(
        &mut self,
        rooms: &mut Vec<RoomListing>,
        next: Option<u32>,
        req: Option<&str>,
    ) {
        let dir = &mut self.directory;
        let Some((_, more)) = dir.asked.take_if(|(asked, _)| Some(asked.as_str()) == req) else {
            return;
        };
        if !more {
            dir.rooms.clear();
        }
        dir.rooms.append(rooms);
        dir.next = next;
        dir.answered = true;
    }

    /// The request `req` was refused, or (`None`) every request was lost with the
    /// connection: no answer is coming.
    pub(super) fn directory_refused(&mut self, req: Option<&str>) {
        self.directory
            .asked
            .take_if(|(asked, _)| req.is_none_or(|req| req == asked));
    }

    /// Creating `room` with `topic`, `private` or public: we are its owner, and it opens
    /// once the server confirms.
    pub fn create_room(
        &mut self,
        room: &str,
        topic: &str,
        private: bool,
    ) -> Result<ClientFrame, String> {
        let name = RoomName::parse(room.trim()).map_err(|e| capitalize(&e.to_string()))?;
        if !self.is_connected() {
            return Err("Not connected: try again once the connection is back.".to_owned());
        }
        self.focus_on_join = Some(name.as_str().to_owned());
        let topic = topic.trim();
        Ok(ClientFrame::CreateRoom {
            room: name.into(),
            topic: (!topic.is_empty()).then(|| topic.to_owned()),
            private,
            req: Some(self.reqs.take()),
        })
    }
}
