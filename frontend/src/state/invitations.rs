//! Invitations to us, held until we join the room or dismiss them. The server repeats each one
//! after every `welcome` until we join; the protocol has no way to decline, so dismissing is
//! this page's alone: a dismissed invitation from the same person stays hidden until the page
//! is loaded again, while one from someone else shows.

use shared::Invite;

use super::{ChatState, ConvKey};

/// The invitations shown, and those dismissed on this page.
#[derive(Debug, Clone, Default)]
pub struct Invitations {
    /// One per room, the newest, in the order they came.
    held: Vec<Invite>,
    /// (room, from) of the invitations dismissed.
    dismissed: Vec<(String, String)>,
}

impl ChatState {
    /// The invitations to show, oldest first.
    pub fn invitations(&self) -> &[Invite] {
        &self.invitations.held
    }

    /// An invitation to us: held (replacing one to the same room) unless we are in the room
    /// or dismissed it (accepting it is joining the room); returns whether it is new here (so that it is announced once, not
    /// after every `welcome`).
    pub(super) fn hold_invitation(&mut self, invite: Invite) -> bool {
        let key = ConvKey::Room(invite.room.clone());
        let dismissed =
            self.invitations.dismissed.iter().any(|(room, from)| {
                *room == invite.room && from.eq_ignore_ascii_case(&invite.from)
            });
        if dismissed || self.conversation(&key).is_some_and(|c| c.joined) {
            return false;
        }
        let held = &mut self.invitations.held;
        let new = !held.contains(&invite);
        held.retain(|i| i.room != invite.room);
        held.push(invite);
        new
    }

    /// Dismissing the invitation to `room`, on this page only.
    pub fn dismiss_invitation(&mut self, room: &str) {
        let held = &mut self.invitations.held;
        if let Some(at) = held.iter().position(|i| i.room == room) {
            let invite = held.remove(at);
            self.invitations.dismissed.push((invite.room, invite.from));
        }
    }

    /// We are in `room`: its invitation is used.
    pub(super) fn invitation_used(&mut self, room: &str) {
        self.invitations.held.retain(|i| i.room != room);
    }
}
