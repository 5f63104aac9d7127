//! `members`: a page of a room's members who are online (for `lobby`, of everyone online),
//! from the hub. The welcome lists only the users of interest to the connection; this lists
//! the others when its user asks, without making them of interest.

use shared::ServerFrame;

use super::{room_name, user_name, Context, Refusal};

pub(super) fn run(
    cx: &Context<'_>,
    room: &str,
    after: Option<&str>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let after = after.map(user_name).transpose()?;
    let page = cx.hub.members(cx.id, &room, after.as_ref())?;
    cx.reply(&ServerFrame::Members {
        room: room.to_string(),
        members: page.members,
        away: page.away,
        complete: page.complete,
        req,
    });
    Ok(())
}
