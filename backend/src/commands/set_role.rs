//! `set_role`: a room's owner makes a member a moderator, or a plain member again. Stored,
//! then every member on every node gets `room_updated`, and the asking connection `done`.

use shared::{ErrorCode, ServerFrame};

use super::{internal, room_name, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    user: &str,
    moderator: bool,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let settings = cx.owned(&room).await?;
    let who = cx.existing_user(user).await?;
    if settings.owner.as_deref() == Some(who.as_str()) {
        return Err((
            ErrorCode::NotAllowed,
            "the owner's role does not change".to_owned(),
        ));
    }
    let settings = cx
        .store
        .set_moderator(&room, &who, moderator)
        .await
        .map_err(internal)?
        .ok_or_else(|| (ErrorCode::NotMember, format!("{who} is not in #{room}")))?;
    tracing::info!(room = %room, user = %who, moderator, "role changed");
    cx.hub.update_room(&room, settings);
    cx.reply(&ServerFrame::Done { req });
    Ok(())
}
