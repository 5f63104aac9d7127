//! `delete`: the author, or in a room its owner or a moderator, turns a message into a
//! tombstone (its body erased from the store); stored, delivered and acknowledged by the
//! journal. Someone else's message deleted goes into the room's audit log.

use shared::ErrorCode;

use super::{internal, Context, Refusal};
use crate::change::ChangeKind;
use crate::message::Destination;
use crate::store::Action;

pub(super) async fn run(cx: &Context<'_>, id: u64, req: Option<String>) -> Result<(), Refusal> {
    let found = cx.visible_message(id).await?;
    let own = found.own;
    let allowed = own
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
    // Someone else's message, deleted by who runs the room: recorded in its audit log once
    // the deletion is stored.
    let moderated = match (&found.to, own, found.deleted) {
        (Destination::Room(room), false, false) => Some((room.clone(), found.from.clone())),
        _ => None,
    };
    cx.change(found, id, ChangeKind::Delete, String::new(), req)
        .await?;
    if let Some((room, author)) = moderated {
        let action = Action {
            room: &room,
            actor: cx.name,
            action: "delete",
            target: &author,
            message: Some(id),
        };
        cx.store.record(&action).await.map_err(internal)?;
    }
    Ok(())
}
