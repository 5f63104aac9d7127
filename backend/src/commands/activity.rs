//! `activity`: the page says it is away, or back; the hub works out whether its user is.

use super::{Context, Refusal};

pub(super) fn run(cx: &Context<'_>, away: bool) -> Result<(), Refusal> {
    cx.hub.set_away(cx.id, away);
    Ok(())
}
