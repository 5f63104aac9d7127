//! `ping`: answered with a `pong` carrying the same `req`.

use shared::ServerFrame;

use super::{Context, Refusal};

pub(super) fn run(cx: &Context<'_>, req: Option<String>) -> Result<(), Refusal> {
    cx.reply(&ServerFrame::Pong { req });
    Ok(())
}
