//! `room_message`: a message to a room the user is in, stored, then delivered to its members
//! and acknowledged (by the journal). A reply names a message of the same room.

use shared::ErrorCode;

use super::{body_ok, room_name, Context, Refusal};
use crate::message::Destination;

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    body: String,
    reply_to: Option<u64>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    body_ok(&body)?;
    let from = cx.hub.writer(cx.id, &room)?;
    let to = Destination::Room(room);
    if let Some(id) = reply_to {
        let found = cx.visible_message(id).await?;
        if found.to != to {
            return Err((
                ErrorCode::UnknownMessage,
                format!("there is no message {id} in this conversation"),
            ));
        }
    }
    cx.store_and_deliver(from, to, body, req, reply_to, None)
        .await
}
