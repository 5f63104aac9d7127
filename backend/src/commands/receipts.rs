//! `receipts`: where the others of one of the user's conversations have read up to, from the
//! store (at most [`MAX_RECEIPTS`], furthest along first).

use shared::protocol::MAX_RECEIPTS;
use shared::{ServerFrame, Target};

use super::{internal, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    target: Target,
    req: Option<String>,
) -> Result<(), Refusal> {
    let conversation = cx.conversation(target).await?;
    let found = cx
        .store
        .readers(cx.name, &conversation, MAX_RECEIPTS)
        .await
        .map_err(internal)?;
    cx.reply(&ServerFrame::Receipts {
        target: conversation.target(),
        readers: found.readers.into_iter().collect(),
        more: found.more,
        req,
    });
    Ok(())
}
