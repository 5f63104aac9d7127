//! `leave`: leave a room (never the lobby). The store forgets the membership before the hub
//! announces it; an owner's room passes to the member the store chose, and every member on
//! every node gets `room_updated` with its new owner.

use super::{internal, room_name, Context, Refusal};

pub(super) async fn run(cx: &Context<'_>, room: &str) -> Result<(), Refusal> {
    let room = room_name(room)?;
    cx.hub.check_leave(cx.id, &room)?;
    let passed = cx
        .store
        .leave_room(cx.name, &room)
        .await
        .map_err(internal)?;
    cx.hub.leave(cx.id, room.clone())?;
    if let Some(settings) = passed {
        tracing::info!(room = %room, owner = ?settings.owner, "ownership passed on");
        cx.hub.update_room(&room, settings);
    }
    Ok(())
}
