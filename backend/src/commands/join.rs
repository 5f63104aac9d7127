//! `join`: enter a room (creating it). The membership is stored before the hub announces it;
//! joining a room one is in tells this connection again, and nobody else.

use super::{internal, room_name, Context, Refusal};
use crate::hub::Joining;

pub(super) async fn run(cx: &Context<'_>, room: &str) -> Result<(), Refusal> {
    let room = room_name(room)?;
    if cx.hub.check_join(cx.id, &room)? == Joining::New {
        cx.store.join_room(cx.name, &room).await.map_err(internal)?;
    }
    Ok(cx.hub.join(cx.id, room)?)
}
