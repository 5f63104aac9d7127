//! `set_room`: a room's owner changes its title, topic, or whether it is archived. Stored,
//! then every member on every node gets `room_updated`, and the asking connection `done`.

use shared::limits::{MAX_TITLE_CHARS, MAX_TOPIC_CHARS};
use shared::ServerFrame;

use super::{internal, room_name, room_text, Context, Refusal};
use crate::store::RoomChange;

/// What `set_room` asks to change.
pub(super) struct Asked {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub archived: Option<bool>,
}

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    asked: Asked,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let change = RoomChange {
        title: asked
            .title
            .map(|t| room_text(&t, MAX_TITLE_CHARS))
            .transpose()?,
        topic: asked
            .topic
            .map(|t| room_text(&t, MAX_TOPIC_CHARS))
            .transpose()?,
        archived: asked.archived,
    };
    cx.owned(&room).await?;
    let settings = cx
        .store
        .update_room(&room, &change)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(format!("room {room} vanished while being changed")))?;
    tracing::info!(room = %room, by = %cx.name, archived = settings.archived, "room changed");
    cx.hub.update_room(&room, settings);
    cx.reply(&ServerFrame::Done { req });
    Ok(())
}
