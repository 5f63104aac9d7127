//! `delete`: the author, or in a room its owner or a moderator, turns a message into a
//! tombstone (its body erased from the store); stored, delivered and acknowledged by the
//! journal. Someone else's message deleted goes into the room's audit log, in the transaction
//! that stores the deletion (`store::changes`).

use shared::ErrorCode;

use super::{internal, Context, Refusal};
use crate::change::ChangeKind;
use crate::message::Destination;

pub(super) async fn run(cx: &Context<'_>, id: u64, req: Option<String>) -> Result<(), Refusal> {
    let found = cx.visible_message(id).await?;
    let allowed = found.own
        || match &found.to {
            Destination::Room(room) => cx
                .store
                .room(room)
                .await
                .map_err(internal)?
                .is_some_and(|settings| settings.runs(cx.name.as_str())),
            Destination::User(_) => false,
        };
    if !allowed {
        return Err((
            ErrorCode::NotAllowed,
            "only its author, or the room's owner or a moderator, deletes a message".to_owned(),
        ));
    }
    cx.change(found, id, ChangeKind::Delete, String::new(), req)
        .await
}
