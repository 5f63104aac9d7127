//! "Seen" under our last message someone has read: in a private conversation, "Seen"; in a
//! room, "Seen by N"; a disclosure that opens by tap, click or keyboard to the names (its
//! summary also names them on hover).

use leptos::prelude::*;

use crate::state::Receipt;

/// The open conversation's [`Receipt`], shared by its rows: each shows it when it is theirs.
#[derive(Clone, Copy)]
pub struct SeenLine(pub Memo<Option<Receipt>>);

/// Who saw the message with line `seq`, if it is the one that shows it: "Seen" (private) or
/// "Seen by N" (a room), opening to the names.
#[component]
pub fn SeenNote(seq: u64, room: bool) -> impl IntoView {
    let SeenLine(seen) = expect_context::<SeenLine>();
    move || {
        let (label, names) = seen.with(|s| {
            let s = s.as_ref().filter(|s| s.seq == seq)?;
            let mut label = String::from("Seen");
            if room {
                label.push_str(" by ");
                label.push_str(&s.names.len().to_string());
            }
            Some((label, s.names.join(", ")))
        })?;
        Some(view! {
            <details class="seen" data-testid="seen">
                <summary title=names.clone()>{label}</summary>
                <p class="seen-names" data-testid="seen-names">{names}</p>
            </details>
        })
    }
}
