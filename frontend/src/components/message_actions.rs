//! What can be done to a message: reply, react (quick reactions or any emoji typed), edit and
//! delete (ours; in a room we own, anyone's). The buttons show on hover, and on focus, so a tap
//! on a message shows them on a phone, and Tab reaches them.
//!
//! The buttons of every row (these, the reaction chips, the reply quotes) carry what they do
//! in `data-act`; one handler on the list ([`act`]) does it for the row they are in, so a row
//! holds no closures of its own (less code in the wasm, less work per row). Also how
//! components hand a state action's frame to the connection, and how a message is shown.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

use crate::browser;
use crate::connection::Socket;
use crate::state::ChatState;

/// Runs a state action and sends the frame it returns, if any; a frame the connection could
/// not take waits for the next one.
pub(super) fn send_with(
    state: RwSignal<ChatState>,
    socket: Socket,
    action: impl FnOnce(&mut ChatState) -> Option<shared::ClientFrame>,
) {
    if let Some(Some(frame)) = state.try_update(action) {
        if !socket.send(&frame) {
            state.update(|s| s.send_failed(&frame));
        }
    }
}

/// The element with this id, if drawn.
fn element(id: &str) -> Option<HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()
}

/// The list element of message `id`, if drawn.
fn row_of(id: u64) -> Option<HtmlElement> {
    element(&(String::from("msg-") + &id.to_string()))
}

/// Shows message `id` (scrolled to the top of the list) and moves focus to it, which
/// highlights it. Returns whether it is drawn.
pub(super) fn reveal(id: u64) -> bool {
    let Some(row) = row_of(id) else {
        return false;
    };
    row.scroll_into_view();
    let _ = row.focus();
    true
}

/// Does what the button (or form) an event came from says, for the message of its row: the
/// one handler of the list's clicks and submits.
pub(super) fn act(state: RwSignal<ChatState>, socket: Socket, ev: &web_sys::Event) {
    let Some(button) = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("[data-act]").ok().flatten())
    else {
        return;
    };
    let Some(id) = button
        .closest(".msg")
        .ok()
        .flatten()
        .and_then(|row| row.id().strip_prefix("msg-")?.parse::<u64>().ok())
    else {
        return;
    };
    let data = |name| button.get_attribute(name).unwrap_or_default();
    let what = data("data-act");
    // The form of "any emoji" acts when submitted, not when clicked in.
    if (what == "typed") != (ev.type_() == "submit") {
        return;
    }
    let emoji = if what == "typed" {
        ev.prevent_default();
        // The form's first element is its box.
        button
            .first_element_child()
            .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default()
    } else {
        data("data-emoji")
    };
    let sure = || {
        web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("Delete this message for everyone?")
                    .ok()
            })
            .unwrap_or(false)
    };
    if what == "delete" && !sure() {
        return;
    }
    let sought = data("data-id").parse().unwrap_or_default();
    let now = browser::now_ms();
    send_with(state, socket, |s| match what.as_str() {
        "reply" => {
            s.reply_to(id);
            None
        }
        "edit" => {
            s.start_edit(id);
            None
        }
        "seek" => s.seek(sought, now),
        "delete" => s.delete(id, now),
        _ => s.toggle_reaction(id, &emoji, now),
    });
    match what.as_str() {
        // The box takes the keyboard: the reply or the new text is typed there.
        "reply" | "edit" => {
            if let Some(input) = element("composer-input") {
                let _ = input.focus();
            }
        }
        "seek" if state.with_untracked(ChatState::sought).is_some() && reveal(sought) => {
            state.update(ChatState::found);
        }
        _ => {}
    }
}

/// The actions of a message, the same markup for every row (static, so it costs the wasm
/// one string): a row shows Edit only on our messages (`own`) and Delete only where we may
/// delete (`deletable`), by its classes.
pub(super) fn actions() -> impl IntoView {
    view! {
        <div class="actions" data-testid="message-actions">
            <button type="button" class="act" data-act="reply" data-testid="reply">"Reply"</button>
            <button type="button" class="act" data-act="edit" data-testid="edit">"Edit"</button>
            <button type="button" class="act" data-act="delete" data-testid="delete">"Delete"</button>
            <details class="react">
                <summary data-testid="react">"React"</summary>
                <form class="picker" data-act="typed">
                    <input
                        aria-label="Any emoji, then Enter"
                        placeholder="…"
                        size="3"
                        data-testid="emoji-input"
                    />
                    <button type="button" class="act" data-act="react" data-emoji="👍">"👍"</button>
                    <button type="button" class="act" data-act="react" data-emoji="❤️">"❤️"</button>
                    <button type="button" class="act" data-act="react" data-emoji="😂">"😂"</button>
                    <button type="button" class="act" data-act="react" data-emoji="🎉">"🎉"</button>
                    <button type="button" class="act" data-act="react" data-emoji="😮">"😮"</button>
                    <button type="button" class="act" data-act="react" data-emoji="😢">"😢"</button>
                </form>
            </details>
        </div>
    }
}
