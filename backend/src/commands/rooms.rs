//! `rooms`: a page of the public rooms (neither private nor archived) whose name, title or
//! topic holds the query, most members first, from the store.

use shared::limits::ROOMS_PAGE;
use shared::search::MAX_QUERY_CHARS;
use shared::{ErrorCode, ServerFrame};

use super::{internal, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    query: Option<String>,
    offset: Option<u32>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let query = query.unwrap_or_default();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err((
            ErrorCode::InvalidQuery,
            format!("a query has at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let offset = offset.unwrap_or(0);
    let mut rooms = cx
        .store
        .public_rooms(&query, offset, ROOMS_PAGE + 1)
        .await
        .map_err(internal)?;
    let next = (rooms.len() > ROOMS_PAGE as usize).then(|| {
        rooms.truncate(ROOMS_PAGE as usize);
        offset.saturating_add(ROOMS_PAGE)
    });
    cx.reply(&ServerFrame::RoomList { rooms, next, req });
    Ok(())
}
