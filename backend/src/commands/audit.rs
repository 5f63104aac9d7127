//! `audit`: a page of a room's audit log (its moderation actions, newest first), for those
//! who run the room only.

use shared::ServerFrame;

use super::{internal, room_name, Context, Refusal};

/// Entries in one `audit_log` page.
pub(super) const AUDIT_PAGE: u32 = 50;

pub(super) async fn run(
    cx: &Context<'_>,
    room: &str,
    before: Option<u64>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let room = room_name(room)?;
    cx.running(&room).await?;
    let mut entries = cx
        .store
        .audit(&room, before, AUDIT_PAGE + 1)
        .await
        .map_err(internal)?;
    let complete = entries.len() <= AUDIT_PAGE as usize;
    entries.truncate(AUDIT_PAGE as usize);
    cx.reply(&ServerFrame::AuditLog {
        room: room.to_string(),
        entries,
        complete,
        req,
    });
    Ok(())
}
