//! `retention`: a room's owner sets how many days the room keeps its messages (or clears it);
//! stored, then told to every member on every node (`retention`), the owner's connection with
//! its `req`. The retention task deletes what is older at its next pass.

use shared::protocol::MAX_RETENTION_DAYS;
use shared::{ErrorCode, ServerFrame};

use super::{internal, room_name, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    days: Option<u32>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    // A member who is not its owner: `not_allowed`; not a member: `not_member`.
    cx.owned(&room).await?;
    if days.is_some_and(|d| d == 0 || d > MAX_RETENTION_DAYS) {
        return Err((
            ErrorCode::InvalidFrame,
            format!("days must be 1 to {MAX_RETENTION_DAYS}"),
        ));
    }
    cx.store
        .set_room_retention(&room, days, cx.name)
        .await
        .map_err(internal)?;
    tracing::info!(user = %cx.name, room = %room, ?days, "room retention set");
    let answer = ServerFrame::Retention {
        room: room.to_string(),
        days,
        req,
    };
    let others = ServerFrame::Retention {
        room: room.to_string(),
        days,
        req: None,
    };
    cx.hub.tell_room(&room, &others, cx.id, &answer);
    Ok(())
}
