//! `room_message`: a message to a room the user is in, stored, then delivered to its members
//! and acknowledged (by the journal). A reply names a message of the same room; attachments
//! are the sender's unsent uploads.

use shared::ErrorCode;

use super::{body_ok, room_name, Context, Refusal};
use crate::message::{Destination, NewMessage};

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    body: String,
    reply_to: Option<u64>,
    attachments: Vec<String>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    body_ok(&body, &attachments)?;
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
    let message = NewMessage {
        reply_to,
        attachments: cx.own_attachments(&attachments).await?,
        ..Context::message(from, to, body, req)
    };
    cx.store_and_deliver(message).await
}
