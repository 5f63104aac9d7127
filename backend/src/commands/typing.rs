//! `typing`: a typing notice for a room or a user, which the hub throttles and forwards.

use shared::Target;

use super::{room_name, user_name, Context, Refusal};
use crate::hub::TypingTarget;

pub(super) fn run(cx: &Context<'_>, target: Target) -> Result<(), Refusal> {
    let target = match target {
        Target::Room { room } => TypingTarget::Room(room_name(&room)?),
        Target::User { to } => TypingTarget::User(user_name(&to)?),
    };
    Ok(cx.hub.typing(cx.id, target)?)
}
