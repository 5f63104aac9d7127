//! Live read receipts: a reader's marker passed messages of others, who hear of it (a
//! `receipts` frame naming the reader), on every node. Only people of the conversation ever
//! do: a room's members now (the lobby's: everyone), a private conversation's other
//! participant.

use std::collections::BTreeMap;

use shared::{ServerFrame, Target, UserName};

use super::{Event, Hub, Route};
use crate::message::Conversation;
use crate::ws::encode;

impl Hub {
    /// Tells `recipients` (name keys: the senders of the room messages the marker passed, or
    /// a private conversation's other participant) that `reader`'s marker in `conversation`
    /// now stands at `up_to`. The reader, and anyone not in the conversation, is left out.
    pub fn receipt(
        &self,
        reader: &UserName,
        conversation: &Conversation,
        up_to: u64,
        recipients: Vec<String>,
    ) {
        let target = match conversation {
            Conversation::Room(room) => Target::Room {
                room: room.to_string(),
            },
            // The other participant names the conversation by the reader.
            Conversation::Private { .. } => Target::User {
                to: reader.to_string(),
            },
        };
        let frame = encode(&ServerFrame::Receipts {
            target,
            readers: BTreeMap::from([(reader.to_string(), up_to)]),
            more: false,
            req: None,
        });
        let reader_key = reader.key();
        let users: Vec<String> = {
            let state = self.state();
            let users: Vec<String> = recipients
                .into_iter()
                .filter(|key| *key != reader_key)
                .filter(|key| match conversation {
                    Conversation::Room(room) => state.is_member(key, room),
                    Conversation::Private { other, .. } => *key == other.key(),
                })
                .collect();
            for key in &users {
                state.send_user(key, &frame, None);
            }
            users
        };
        if !users.is_empty() {
            self.publish(Event::Frame {
                route: Route::Users { users },
                frame: frame.text_payload().into_owned(),
            });
        }
    }
}
