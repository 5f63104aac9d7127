//! `kick`, `ban` and `unban`: those who run a room take a member out of it, keep someone out,
//! or let them back. The owner acts on anyone but themself; a moderator on plain members only.
//! Stored with its audit log entry, then the removed user and the room's members hear of it
//! on every node, and the asking connection gets `done`.

use shared::{ErrorCode, ServerFrame};

use super::{internal, room_name, Context, Refusal};
use crate::hub::Removal;
use crate::store::Action;

/// What is done to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sanction {
    Kick,
    Ban,
    Unban,
}

impl Sanction {
    fn action(self) -> &'static str {
        match self {
            Self::Kick => "kick",
            Self::Ban => "ban",
            Self::Unban => "unban",
        }
    }
}

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    user: &str,
    sanction: Sanction,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    let settings = cx.running(&room).await?;
    let target = cx.existing_user(user).await?;
    let is = |name: &Option<String>| name.as_deref() == Some(target.as_str());
    let mine = settings.owner.as_deref() == Some(cx.name.as_str());
    let moderator = settings.moderators.iter().any(|m| m == target.as_str());
    if target.key() == cx.name.key() || is(&settings.owner) || (moderator && !mine) {
        return Err((
            ErrorCode::NotAllowed,
            "the owner acts on anyone else, a moderator on plain members only".to_owned(),
        ));
    }
    let action = Action {
        room: &room,
        actor: cx.name,
        action: sanction.action(),
        target: &target,
        message: None,
    };
    match sanction {
        Sanction::Kick | Sanction::Ban => {
            let removed = cx.store.remove_member(&action).await.map_err(internal)?;
            if removed {
                let removal = Removal {
                    by: Some(cx.name.to_string()),
                    banned: sanction == Sanction::Ban,
                };
                cx.hub.remove(&room, &target, removal);
            } else if sanction == Sanction::Kick {
                return Err((ErrorCode::NotMember, format!("{target} is not in #{room}")));
            }
        }
        Sanction::Unban => {
            if !cx.store.unban(&action).await.map_err(internal)? {
                return Err((
                    ErrorCode::NotAllowed,
                    format!("{target} is not banned from #{room}"),
                ));
            }
        }
    }
    tracing::info!(room = %room, by = %cx.name, user = %target, action = action.action, "moderated");
    cx.reply(&ServerFrame::Done { req });
    Ok(())
}
