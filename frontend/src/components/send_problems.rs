//! One line for our messages that failed, wherever they are: how many, and "Retry all".
//! Shown when more than one failed (a single one has its own "Retry" beside it).

use leptos::prelude::*;

use crate::browser;
use crate::connection::Socket;
use crate::state::ChatState;

#[component]
pub fn SendProblems() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let failed = Memo::new(move |_| state.with(ChatState::failed_count));
    let retry_all = move |_| {
        if let Some(Some(frame)) = state.try_update(|s| s.retry_all(browser::now_ms())) {
            if !socket.send(&frame) {
                state.update(|s| s.send_failed(&frame));
            }
        }
    };
    view! {
        <Show when=move || { failed.get() > 1 }>
            <div class="send-problems" role="status" data-testid="send-problems">
                <span>{move || format!("{} messages not sent", failed.get())}</span>
                <button class="link" data-testid="retry-all" on:click=retry_all>
                    "Retry all"
                </button>
            </div>
        </Show>
    }
}
