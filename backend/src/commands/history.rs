//! `history`: a page of one of the user's conversations, older than `before` or around
//! `around`, from the store.

use shared::protocol::{HISTORY_PAGE, MAX_HISTORY_PAGE};
use shared::{ErrorCode, ServerFrame, Target};

use super::{internal, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    target: Target,
    before: Option<u64>,
    around: Option<u64>,
    limit: Option<u32>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let limit = limit.unwrap_or(HISTORY_PAGE);
    if !(1..=MAX_HISTORY_PAGE).contains(&limit) {
        return Err((
            ErrorCode::InvalidFrame,
            format!("limit must be 1 to {MAX_HISTORY_PAGE}"),
        ));
    }
    if before.is_some() && around.is_some() {
        return Err((
            ErrorCode::InvalidFrame,
            "before and around do not go together".to_owned(),
        ));
    }
    let conversation = cx.conversation(target).await?;
    let (messages, complete) = match around {
        Some(id) => cx.store.history_around(&conversation, id, limit).await,
        None => cx.store.history(&conversation, before, limit).await,
    }
    .map_err(internal)?;
    cx.reply(&ServerFrame::History {
        target: conversation.target(),
        messages: messages.into_iter().map(|m| m.stored()).collect(),
        complete,
        req,
    });
    Ok(())
}
