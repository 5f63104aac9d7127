//! The quote above a reply: the original's sender and start, or "message deleted". A click (or
//! Enter) shows the original, paging in older history until it is there (see
//! `message_actions::act`).

use leptos::prelude::*;
use shared::changes::Quote;

/// The quote of a reply; a message that answers nothing has it empty, and hidden by the
/// stylesheet (one shape of row for every message: less code in the wasm).
pub(super) fn reply_quote(quote: Option<&Quote>) -> impl IntoView {
    view! {
        <button
            class="quote"
            data-act="seek"
            data-id=quote.map(|q| q.id.to_string())
        >
            {quote.map(quote_text)}
        </button>
    }
}

/// "Reply to bob: the start of it", or "… message deleted".
fn quote_text(quote: &Quote) -> String {
    let text = if quote.deleted {
        "message deleted"
    } else {
        &quote.text
    };
    String::from("Reply to ") + &quote.from + ": " + text
}
