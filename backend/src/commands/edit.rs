//! `edit`: the author replaces the body of a message; stored, then delivered to everyone in
//! the conversation and acknowledged (by the journal), like a message.

use shared::ErrorCode;

use super::{body_ok, Context, Refusal};
use crate::change::ChangeKind;

pub(super) async fn run(
    cx: &Context<'_>,
    id: u64,
    body: String,
    req: Option<String>,
) -> Result<(), Refusal> {
    body_ok(&body, &[])?;
    let found = cx.visible_message(id).await?;
    if !found.own {
        return Err((
            ErrorCode::NotAllowed,
            "only its author edits a message".to_owned(),
        ));
    }
    if found.deleted {
        return Err((
            ErrorCode::MessageDeleted,
            "the message was deleted".to_owned(),
        ));
    }
    cx.change(found, id, ChangeKind::Edit, body, req).await
}
