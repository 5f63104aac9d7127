//! `join`: enter a room (creating it). The membership is stored before the hub announces it;
//! joining a room one is in tells this connection again, and nobody else. The rooms limit is
//! checked atomically with the join: the hub's ticket counts the room from the check on.

use super::{internal, room_name, Context, Refusal};
use crate::hub::Joining;

pub(super) async fn run(cx: &Context<'_>, room: &str) -> Result<(), Refusal> {
    let room = room_name(room)?;
    // The ticket holds the room's place under the limit until the hub has announced it.
    let ticket = cx.hub.check_join(cx.id, &room)?;
    if let Joining::New(_) = &ticket {
        cx.store.join_room(cx.name, &room).await.map_err(internal)?;
    }
    cx.hub.join(cx.id, room)?;
    drop(ticket);
    Ok(())
}
