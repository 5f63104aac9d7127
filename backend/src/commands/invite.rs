//! `invite`: a room's owner or a moderator invites someone, who may then join it (private or
//! not). Stored, then told to the invited user's connections on every node, and to the asking
//! connection.

use shared::{ErrorCode, Invite, ServerFrame};

use super::{internal, room_name, Context, Refusal};
use crate::store::Invited;

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    user: &str,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let settings = cx.running(&room).await?;
    if settings.archived {
        return Err((
            ErrorCode::RoomArchived,
            format!("#{room} is archived: nobody new joins it"),
        ));
    }
    let to = cx.existing_user(user).await?;
    match cx
        .store
        .invite(&room, cx.name, &to)
        .await
        .map_err(internal)?
    {
        Invited::Stored => {}
        Invited::Member => {
            return Err((
                ErrorCode::AlreadyMember,
                format!("{to} is in #{room} already"),
            ))
        }
        Invited::Banned => {
            return Err((
                ErrorCode::Banned,
                format!("{to} is banned from #{room}: unban them first"),
            ))
        }
    }
    let invite = Invite {
        room: room.to_string(),
        user: to.to_string(),
        from: cx.name.to_string(),
        title: settings.title,
        topic: settings.topic,
    };
    tracing::info!(room = %room, from = %cx.name, to = %to, "invited");
    cx.hub.invite(&to, invite.clone());
    cx.reply(&ServerFrame::Invitation { invite, req });
    Ok(())
}
