//! `create_room`: a new room with a topic, public or private; its creator is its owner and
//! first member. The store creates it only if no room of that name exists, with members or
//! none.

use shared::limits::MAX_TOPIC_CHARS;
use shared::ErrorCode;

use super::{internal, room_name, room_text, Context, Refusal};
use crate::hub::Joining;

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    topic: Option<&str>,
    private: bool,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let exists = || {
        (
            ErrorCode::RoomExists,
            format!("a room called #{room} exists already"),
        )
    };
    let topic = room_text(topic.unwrap_or_default(), MAX_TOPIC_CHARS)?;
    let ticket = cx.hub.check_join(cx.id, &room)?;
    if let Joining::Already = ticket {
        return Err(exists());
    }
    let settings = cx
        .store
        .create_room(cx.name, &room, topic.as_deref(), private)
        .await
        .map_err(internal)?
        .ok_or_else(exists)?;
    tracing::info!(room = %room, owner = %cx.name, private, "room created");
    cx.hub.join(cx.id, room, settings)?;
    drop(ticket);
    Ok(())
}
