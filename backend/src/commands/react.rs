//! `react` and `unreact`: a user's emoji on a message they can see, added or taken back;
//! stored, delivered and acknowledged by the journal. The store counts the emoji.

use shared::changes::check_emoji;
use shared::ErrorCode;

use super::{Context, Refusal};
use crate::change::ChangeKind;

pub(super) async fn run(
    cx: &Context<'_>,
    id: u64,
    emoji: String,
    add: bool,
    req: Option<String>,
) -> Result<(), Refusal> {
    check_emoji(&emoji).map_err(|e| (ErrorCode::InvalidEmoji, e.to_string()))?;
    let found = cx.visible_message(id).await?;
    if add && found.deleted {
        return Err((
            ErrorCode::MessageDeleted,
            "the message was deleted".to_owned(),
        ));
    }
    let kind = if add {
        ChangeKind::React(emoji)
    } else {
        ChangeKind::Unreact(emoji)
    };
    cx.change(found, id, kind, String::new(), req).await
}
