//! `read`: moves the user's read marker in a conversation (stored), then tells every
//! connection of theirs, on every node, where it stands; and, when it moved, those whose
//! messages it passed (a read receipt): in a room, the senders of the newest
//! [`RECEIPT_SENDERS_SCAN`] messages passed; in a private conversation, the other participant.

use shared::protocol::RECEIPT_SENDERS_SCAN;
use shared::Target;

use super::{internal, Context, Refusal};
use crate::message::Conversation;
use crate::store::Marked;

pub(super) async fn run(cx: &Context<'_>, target: Target, up_to: u64) -> Result<(), Refusal> {
    let conversation = cx.conversation(target).await?;
    let marked = cx
        .store
        .mark_read(cx.name, &conversation, up_to)
        .await
        .map_err(internal)?;
    if marked.up_to > marked.before {
        receipt(cx, &conversation, marked).await?;
    }
    // After the receipt: once the reader hears where the marker stands, the others have
    // their receipts queued.
    cx.hub.read(cx.name, conversation.target(), marked.up_to);
    Ok(())
}

/// Tells those whose messages the marker passed.
async fn receipt(
    cx: &Context<'_>,
    conversation: &Conversation,
    marked: Marked,
) -> Result<(), Refusal> {
    let recipients = match conversation {
        Conversation::Room(_) => cx
            .store
            .passed_senders(
                conversation,
                marked.before,
                marked.up_to,
                RECEIPT_SENDERS_SCAN,
            )
            .await
            .map_err(internal)?,
        Conversation::Private { other, .. } => vec![other.key()],
    };
    cx.hub
        .receipt(cx.name, conversation, marked.up_to, recipients);
    Ok(())
}
