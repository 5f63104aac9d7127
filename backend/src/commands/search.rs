//! `search`: the messages the user may read that match a query, best first, from the store's
//! full-text index. The query's words and the highlighted ranges follow one rule
//! (`shared::search`), whichever engine answers; the store keeps to what the user may read.
//! A search spends the user's search budget besides the frame the reader admitted.

use shared::search::{terms, MAX_SEARCH_OFFSET, MAX_SEARCH_PAGE, SEARCH_PAGE};
use shared::{ErrorCode, ServerFrame, Target};

use super::{internal, Context, Refusal};
use crate::store::SearchQuery;

/// The optional filters of a `search` frame.
pub(super) struct Filters {
    pub(super) room: Option<String>,
    pub(super) to: Option<String>,
    pub(super) sender: Option<String>,
    pub(super) since: Option<u64>,
    pub(super) until: Option<u64>,
}

pub(super) async fn run(
    cx: &Context<'_>,
    query: &str,
    filters: Filters,
    limit: Option<u32>,
    offset: Option<u32>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let invalid = |message: String| (ErrorCode::InvalidFrame, message);
    let terms = terms(query).map_err(|e| (ErrorCode::InvalidQuery, e.to_string()))?;
    let limit = limit.unwrap_or(SEARCH_PAGE);
    if !(1..=MAX_SEARCH_PAGE).contains(&limit) {
        return Err(invalid(format!("limit must be 1 to {MAX_SEARCH_PAGE}")));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_SEARCH_OFFSET {
        return Err(invalid(format!("offset must be 0 to {MAX_SEARCH_OFFSET}")));
    }
    let since = filters.since.unwrap_or(0);
    let until = filters.until.unwrap_or(u64::MAX);
    if since >= until {
        return Err(invalid("since must be before until".to_owned()));
    }
    let conversation = match (filters.room, filters.to) {
        (Some(_), Some(_)) => return Err(invalid("room and to do not go together".to_owned())),
        (Some(room), None) => Some(cx.conversation(Target::Room { room }).await?),
        (None, Some(to)) => Some(cx.conversation(Target::User { to }).await?),
        (None, None) => None,
    };
    let sender = match filters.sender {
        Some(raw) => Some(cx.existing_user(&raw).await?),
        None => None,
    };
    if !cx.slot.try_take(crate::rate_limit::Budget::Searches) {
        return Err((
            ErrorCode::RateLimited,
            "too many searches; slow down".to_owned(),
        ));
    }
    let search = SearchQuery {
        terms,
        conversation,
        sender,
        since,
        until,
        limit,
        offset,
    };
    let page = cx.store.search(cx.name, &search).await.map_err(internal)?;
    let next = offset
        .saturating_add(limit)
        .min(MAX_SEARCH_OFFSET.saturating_add(1));
    cx.reply(&ServerFrame::SearchResults {
        messages: page
            .hits
            .into_iter()
            .map(|(message, marks)| shared::StoredMessage {
                marks,
                ..message.stored()
            })
            .collect(),
        next: (page.more && next <= MAX_SEARCH_OFFSET).then_some(next),
        req,
    });
    Ok(())
}
