//! The reactions under a message: one chip per emoji with its count, ours pressed; a click
//! adds ours or takes it back (see `message_actions::act`). Who reacted is the chip's title
//! (its accessible description).

use leptos::prelude::*;
use shared::changes::Reaction;

use crate::state::reactions::chips;

/// The chips of `reactions`, ours (`me`) pressed.
pub(super) fn reactions(reactions: &[Reaction], me: &str) -> impl IntoView {
    let chips = chips(reactions, me);
    view! {
        <div class="reactions" data-testid="reactions">
            {chips
                .into_iter()
                .map(|chip| {
                    view! {
                        <button
                            class="chip"
                            data-act="react"
                            data-emoji=chip.emoji
                            aria-pressed=if chip.mine { "true" } else { "false" }
                            title=chip.label
                        >
                            {chip.text}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
