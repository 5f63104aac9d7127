//! `room_message`: a message to a room the user is in, stored, then delivered to its members
//! and acknowledged (by the journal).

use super::{body_ok, room_name, Context, Refusal};
use crate::message::Destination;

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    body: String,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    body_ok(&body)?;
    let from = cx.hub.member(cx.id, &room)?;
    cx.store_and_deliver(from, Destination::Room(room), body, req)
        .await
}
