//! Whom we block: the server's `blocked` list (after `welcome`, and whenever it changes on any
//! of our connections), our `block` and `unblock` requests, and whose room messages the list
//! collapses (their private messages never reach us: the server keeps them from us).

use shared::ClientFrame;

use super::ChatState;
use crate::timeline::Row;

impl ChatState {
    /// The server's list of whom we block, as displayed.
    pub(super) fn blocked_listed(&mut self, users: &[String]) {
        self.blocked = users.iter().map(|u| u.to_ascii_lowercase()).collect();
    }

    /// Whether we block `name`.
    pub fn blocks(&self, name: &str) -> bool {
        let key = name.to_ascii_lowercase();
        self.blocked.contains(&key)
    }

    /// Blocks `name`, or unblocks them when we block them: the frame to send. The list
    /// changes when the server answers.
    pub fn toggle_block(&mut self, name: &str) -> ClientFrame {
        let user = name.to_owned();
        let req = Some(self.reqs.take());
        if self.blocks(name) {
            ClientFrame::Unblock { user, req }
        } else {
            ClientFrame::Block { user, req }
        }
    }

    /// Marks the rows of messages from people we block, which the list draws collapsed.
    pub(super) fn mark_blocked(&self, rows: &mut [Row]) {
        for row in rows {
            if let Row::Message {
                from,
                own: false,
                blocked,
                ..
            } = row
            {
                *blocked = self.blocks(from);
            }
        }
    }
}
