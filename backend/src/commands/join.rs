//! `join`: enter a room (creating it, public, when it never existed; an existing room with
//! nobody in it is joined as a plain member). The store decides whether the user may (a
//! private room needs an invitation, an archived one takes nobody new, a ban keeps its user
//! out) and records the membership before the hub announces it; joining a room one is in
//! tells this connection again, and nobody else. The rooms limit is checked atomically with
//! the join: the hub's ticket counts the room from the check on.

use shared::{ErrorCode, RoomName};

use super::{internal, room_name, Context, Refusal};
use crate::hub::Joining;
use crate::store::{JoinRefusal, Joined};

pub(super) async fn run(cx: &Context<'_>, room: &str) -> Result<(), Refusal> {
    let room = room_name(room)?;
    // The ticket holds the room's place under the limit until the hub has announced it.
    let ticket = cx.hub.check_join(cx.id, &room)?;
    let settings = match &ticket {
        Joining::New(_) => match cx.store.join_room(cx.name, &room).await.map_err(internal)? {
            Joined::Member(settings) => settings,
            Joined::Refused(why) => return Err(refusal(&room, why)),
        },
        Joining::Already => cx.hub.settings(&room).unwrap_or_default(),
    };
    cx.hub.join(cx.id, room, settings)?;
    drop(ticket);
    Ok(())
}

/// What a refused join answers: a private room without an invitation is not told apart from
/// no room at all.
pub(super) fn refusal(room: &RoomName, why: JoinRefusal) -> Refusal {
    match why {
        JoinRefusal::Unknown => (
            ErrorCode::UnknownRoom,
            format!("there is no room #{room} that you may join"),
        ),
        JoinRefusal::Archived => (
            ErrorCode::RoomArchived,
            format!("#{room} is archived: nobody new joins it"),
        ),
        JoinRefusal::Banned => (ErrorCode::Banned, format!("you are banned from #{room}")),
    }
}
