//! `conversations`: a page of the user's private conversations, newest first, older than
//! `before`, from the store. The welcome lists only the first page (`--conversations-page`),
//! so that nobody can make someone else's welcome as large as they like by messaging them
//! from many accounts; a client pages in the rest with this frame. The other persons of the
//! conversations listed become of interest to the connection: the answer says who of them
//! is online, and `presence` tells their changes from then on.

use shared::{ServerFrame, Target};

use super::{internal, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    before: Option<u64>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let limit = cx.hub.conversations_page();
    let (conversations, complete) = page(cx, before, limit).await?;
    // Their other persons are of interest to this connection from now on.
    let people: Vec<&str> = conversations
        .iter()
        .filter_map(|c| match &c.target {
            Target::User { to } => Some(to.as_str()),
            Target::Room { .. } => None,
        })
        .collect();
    let (online, away) = cx.hub.watch(cx.id, &people);
    cx.reply(&ServerFrame::Conversations {
        conversations,
        complete,
        online,
        away,
        req,
    });
    Ok(())
}

/// Up to `limit` private conversations older than `before`, and whether none older exists.
async fn page(
    cx: &Context<'_>,
    before: Option<u64>,
    limit: u32,
) -> Result<(Vec<shared::ConversationInfo>, bool), Refusal> {
    let mut page = cx
        .store
        .conversations_page(cx.name, &[], before, limit.saturating_add(1))
        .await
        .map_err(internal)?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let complete = page.len() <= limit;
    page.truncate(limit);
    cx.hub.recent_last_seen(&mut page);
    Ok((page, complete))
}
