//! Reactions: applied as set operations (a user once per emoji, an emoji once per message, in
//! the order it first appeared), the chips drawn under a message, and toggling ours.

use shared::changes::Reaction;
use shared::ClientFrame;

use super::changes::Change;
use super::ChatState;
use crate::timeline::Millis;

/// One reaction under a message, as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    pub emoji: String,
    /// How many reacted with it.
    pub count: usize,
    /// We did: the chip is pressed, and a click takes it back.
    pub mine: bool,
    /// What the chip shows: "👍 2".
    pub text: String,
    /// Who reacted, for the chip's title: "👍 2: alice, bob".
    pub label: String,
}

/// `user` adds (`added`) or takes back `emoji`: a set operation, so repeating one changes
/// nothing. An emoji nobody holds any more goes.
pub(super) fn set(reactions: &mut Vec<Reaction>, emoji: String, user: String, added: bool) {
    let at = reactions.iter().position(|r| r.emoji == emoji);
    match (at, added) {
        (Some(at), true) => {
            let users = &mut reactions[at].users;
            if !users.contains(&user) {
                users.push(user);
            }
        }
        (None, true) => reactions.push(Reaction {
            emoji,
            users: vec![user],
        }),
        (Some(at), false) => {
            reactions[at].users.retain(|u| *u != user);
            if reactions[at].users.is_empty() {
                reactions.remove(at);
            }
        }
        (None, false) => {}
    }
}

/// The chips for a message's reactions, ours (`me`) marked.
pub fn chips(reactions: &[Reaction], me: &str) -> Vec<Chip> {
    reactions
        .iter()
        .map(|r| {
            let text = r.emoji.clone() + " " + &r.users.len().to_string();
            Chip {
                emoji: r.emoji.clone(),
                count: r.users.len(),
                mine: r.users.iter().any(|u| u.eq_ignore_ascii_case(me)),
                label: text.clone() + ": " + &r.users.join(", "),
                text,
            }
        })
        .collect()
}

impl ChatState {
    /// Adds our reaction `emoji` to message `id` of the open conversation, or takes it back
    /// if we reacted so already. It shows once the server has it. Returns the frame to send
    /// now, if it may go now. The server alone checks that it is an emoji (`invalid_emoji`,
    /// shown as any refusal): the rule's Unicode tables would weigh on the client.
    pub fn toggle_reaction(&mut self, id: u64, emoji: &str, now: Millis) -> Option<ClientFrame> {
        let emoji = emoji.trim();
        let key = self.active().clone();
        let message = self.conversation(&key)?.message(id)?;
        if emoji.is_empty() {
            return None;
        }
        let mine = message
            .details
            .reactions
            .iter()
            .any(|r| r.emoji == emoji && r.users.iter().any(|u| self.is_me(u)));
        let change = Change::React {
            emoji: emoji.to_owned(),
            user: self.me.clone(),
            added: !mine,
        };
        self.queue_change(&key, id, change, now)
    }
}
