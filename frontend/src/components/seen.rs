//! "Seen" under our last message someone has read: in a private conversation, "Seen"; in a
//! room, "Seen by N", a disclosure that lists who (its summary also names them on hover), and
//! opens by tap, click or keyboard.

use leptos::prelude::*;

use crate::state::Receipt;

/// The open conversation's [`Receipt`], shared by its rows: each shows it when it is theirs.
#[derive(Clone, Copy)]
pub struct SeenLine(pub Memo<Option<Receipt>>);

/// Who saw the message with line `seq`, if it is the one that shows it.
#[component]
pub fn SeenNote(seq: u64, room: bool) -> impl IntoView {
    let SeenLine(seen) = expect_context::<SeenLine>();
    move || {
        let names = seen.with(|s| s.as_ref().filter(|s| s.seq == seq).map(|s| s.names.clone()))?;
        Some(if room {
            let all = names.join(", ");
            view! {
                <details class="seen" data-testid="seen">
                    <summary title=all>"Seen by " {names.len()}</summary>
                    <ul class="seen-names" data-testid="seen-names">
                        {names.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                    </ul>
                </details>
            }
            .into_any()
        } else {
            view! { <p class="seen" data-testid="seen">"Seen"</p> }.into_any()
        })
    }
}
