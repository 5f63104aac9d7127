//! `leave`: leave a room (never the lobby). The store forgets the membership before the hub
//! announces it.

use super::{internal, room_name, Context, Refusal};

pub(super) async fn run(cx: &Context<'_>, room: &str) -> Result<(), Refusal> {
    let room = room_name(room)?;
    cx.hub.check_leave(cx.id, &room)?;
    cx.store
        .leave_room(cx.name, &room)
        .await
        .map_err(internal)?;
    Ok(cx.hub.leave(cx.id, room)?)
}
