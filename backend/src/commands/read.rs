//! `read`: moves the user's read marker in a conversation (stored), then tells every
//! connection of theirs, on every node, where it stands.

use shared::Target;

use super::{internal, Context, Refusal};

pub(super) async fn run(cx: &Context<'_>, target: Target, up_to: u64) -> Result<(), Refusal> {
    let conversation = cx.conversation(target).await?;
    let marker = cx
        .store
        .mark_read(cx.name, &conversation, up_to)
        .await
        .map_err(internal)?;
    cx.hub.read(cx.name, conversation.target(), marker);
    Ok(())
}
