//! The chat page: it owns the [`ChatState`] signal and the connection task, and lays out the
//! top bar, the sidebar, the open conversation, the notices and the screen-reader region.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::account::AccountControls;
use super::conversation::ConversationView;
use super::sidebar::{Sidebar, SidebarOpen};
use crate::connection::{self, Ended, Socket};
use crate::state::{ChatState, Link};
use crate::timeline::Millis;
use crate::{browser, Auth, Session};

/// The current time, ticking twice a second, for countdowns. Provided as context.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<Millis>);

#[component]
pub fn ChatPage(session: Session) -> impl IntoView {
    let auth = expect_context::<RwSignal<Auth>>();
    let state = RwSignal::new(ChatState::new(&session.name, &browser::req_prefix()));
    let socket = Socket::new();
    let clock = Clock(RwSignal::new(browser::now_ms()));
    let sidebar = SidebarOpen(RwSignal::new(false));
    provide_context(state);
    provide_context(socket);
    provide_context(clock);
    provide_context(sidebar);

    let ticker = set_interval_with_handle(
        move || {
            let now = browser::now_ms();
            clock.0.try_set(now);
            state.try_maybe_update(|s| (s.tick(now), ()));
            // The open conversation's history and read marker, when due.
            socket.send_due(state);
        },
        Duration::from_millis(500),
    )
    .ok();
    let online = window_event_listener(leptos::ev::online, move |_| socket.wake());
    // Coming back to the tab marks the open conversation read at once.
    let shown = window_event_listener(leptos::ev::visibilitychange, move |_| {
        socket.send_due(state)
    });

    let stop = Arc::new(AtomicBool::new(false));
    spawn_local(connection::run(
        session.token.clone(),
        state,
        socket,
        Arc::clone(&stop),
        move |ended| {
            browser::clear_session();
            let notice = match ended {
                Ended::SessionEnded => "Your session was signed out. Please sign in again.",
                Ended::TokenRejected => "Your session has ended. Please sign in again.",
            };
            auth.set(Auth::SignedOut {
                notice: Some(notice.into()),
            });
        },
    ));
    on_cleanup(move || {
        stop.store(true, Ordering::Relaxed);
        socket.close();
        socket.wake();
        if let Some(ticker) = ticker {
            ticker.clear();
        }
        online.remove();
        shown.remove();
    });

    Effect::new(move |_| browser::set_title(state.with(ChatState::total_unread)));

    view! {
        <div
            class="chat"
            data-testid="chat"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    sidebar.0.set(false);
                }
            }
        >
            <header class="topbar">
                <button
                    class="menu-toggle"
                    data-testid="menu-toggle"
                    aria-controls="sidebar"
                    aria-expanded=move || sidebar.0.get().to_string()
                    on:click=move |_| sidebar.0.update(|open| *open = !*open)
                >
                    <span aria-hidden="true">"☰"</span>
                    <span class="visually-hidden">"Rooms and people"</span>
                    {move || {
                        let unread = state.with(ChatState::total_unread);
                        (unread > 0).then(|| view! { <span class="badge">{unread}</span> })
                    }}
                </button>
                <h1 class="brand">"Chat"</h1>
                <ConnectionStatus />
                <div class="account">
                    <span class="me" data-testid="me" title="Signed in as">
                        {move || state.with(|s| s.me().to_owned())}
                    </span>
                    <AccountControls name=session.name.clone() token=session.token.clone() />
                </div>
            </header>
            <div class="layout">
                <Sidebar />
                <div
                    class="scrim"
                    class:open=move || sidebar.0.get()
                    aria-hidden="true"
                    on:click=move |_| sidebar.0.set(false)
                ></div>
                <ConversationView />
            </div>
            <Notices />
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="live-region">
                {move || state.with(|s| s.announcement().to_owned())}
            </div>
        </div>
    }
}

/// Connected, reconnecting (with a countdown), offline; with a "retry now" while waiting.
#[component]
fn ConnectionStatus() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let Clock(now) = expect_context::<Clock>();
    let link = Memo::new(move |_| state.with(ChatState::link));
    let waiting = move || matches!(link.get(), Link::Reconnecting { .. } | Link::Offline { .. });

    view! {
        <div class="status" data-testid="connection-status" data-state=move || link.get().as_str()>
            <span class="dot" aria-hidden="true"></span>
            <span class="status-text" aria-hidden="true" data-testid="connection-text">
                {move || link.get().describe(now.get())}
            </span>
            <span class="visually-hidden" role="status">
                {move || format!("Connection: {}", link.get().as_str())}
            </span>
            <Show when=waiting>
                <button class="quiet small" data-testid="retry-now" on:click=move |_| socket.wake()>
                    "Retry now"
                </button>
            </Show>
        </div>
    }
}

/// Short notices (server `error` frames and the like); each goes away after a few seconds.
#[component]
fn Notices() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let notices = Memo::new(move |_| state.with(|s| s.notices().to_vec()));
    view! {
        <div class="notices" aria-live="polite" data-testid="notices">
            <For each=move || notices.get() key=|notice| notice.id let:notice>
                <div class="notice" data-testid="notice">
                    <span>{notice.text}</span>
                    <button
                        class="icon"
                        aria-label="Dismiss"
                        on:click=move |_| state.update(|s| s.dismiss(notice.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
