//! The chat page: it owns the [`ChatState`] signal and the connection task, and lays out the
//! top bar, the sidebar, the open conversation, the notices and the screen-reader region.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::account::AccountControls;
use super::conversation::ConversationView;
use super::keyboard;
use super::room_browser::RoomBrowser;
use super::send_problems::SendProblems;
use super::sidebar::{focus_composer, Sidebar, SidebarOpen};
use super::switcher::{QuickSwitcher, SwitcherOpen};
use crate::connection::{self, Ended, Socket};
use crate::state::{count_label, ChatState, Link};
use crate::timeline::Millis;
use crate::{browser, Auth, Session};

/// The current time, ticking twice a second, for countdowns. Provided as context.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<Millis>);

#[component]
pub fn ChatPage(session: Session) -> impl IntoView {
    let auth = expect_context::<RwSignal<Auth>>();
    let mut initial = ChatState::new(&session.name, &browser::req_prefix());
    initial.set_mutes(browser::load_mutes(&session.name));
    let state = RwSignal::new(initial);
    let socket = Socket::new();
    let clock = Clock(RwSignal::new(browser::now_ms()));
    let sidebar = SidebarOpen(RwSignal::new(false));
    provide_context(state);
    provide_context(socket);
    provide_context(clock);
    provide_context(sidebar);
    provide_context(SwitcherOpen(RwSignal::new(false)));
    provide_context(super::files::FileToken(session.token.clone()));
    let shortcuts = keyboard::listen();
    // Signed in: ready to type.
    focus_composer();

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
    // The network or the person is back: try at once instead of waiting out the back-off.
    let wake_if_down = move || {
        if state.try_with_untracked(|s| !s.is_connected()) == Some(true) {
            socket.wake();
        }
    };
    let online = window_event_listener(leptos::ev::online, move |_| wake_if_down());
    // Someone uses the page: it is not away (it becomes away when hidden or untouched for
    // a while; the ticker's `send_due` tells the server).
    let touched = move || {
        let now = browser::now_ms();
        let frame = state
            .try_maybe_update(|s| (false, s.touched(now)))
            .flatten();
        if let Some(frame) = frame {
            socket.send(&frame);
        }
    };
    let focused = window_event_listener(leptos::ev::focus, move |_| {
        touched();
        wake_if_down();
    });
    let pointed = window_event_listener(leptos::ev::pointerdown, move |_| touched());
    let moved = window_event_listener(leptos::ev::pointermove, move |_| touched());
    let keyed = window_event_listener(leptos::ev::keydown, move |_| touched());
    // Coming back to the tab marks the open conversation read at once.
    let shown = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if browser::page_visible() {
            wake_if_down();
        }
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
                Ended::Disabled => "This account has been disabled by an administrator.",
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
        focused.remove();
        pointed.remove();
        moved.remove();
        keyed.remove();
        shown.remove();
        shortcuts.remove();
    });

    // The tab's title and icon count what is unread outside muted conversations.
    let loud = Memo::new(move |_| state.with(ChatState::loud_unread));
    Effect::new(move |_| browser::show_unread(loud.get()));
    on_cleanup(super::reading::keep_in_address(state, socket));

    view! {
        <div class="chat" data-testid="chat">
            <SkipLinks />
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
                        (unread > 0).then(|| view! { <span class="badge">{count_label(unread)}</span> })
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
            <SendProblems />
            <QuickSwitcher />
            <RoomBrowser />
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="live-region">
                {move || state.with(|s| s.announcement().to_owned())}
            </div>
        </div>
    }
}

/// The first Tab stops: past the top bar and the sidebar, to the messages or the message box.
#[component]
fn SkipLinks() -> impl IntoView {
    let skip_to = |id: &'static str| {
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            if let Some(el) = document().get_element_by_id(id) {
                if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                    let _ = el.focus();
                }
            }
        }
    };
    view! {
        <div class="skip-links">
            <a class="skip-link" href="#composer-input" data-testid="skip-link" on:click=skip_to("composer-input")>
                "Skip to the message box"
            </a>
            <a class="skip-link" href="#message-list" on:click=skip_to("message-list")>
                "Skip to messages"
            </a>
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
            <button
                class="quiet small"
                data-testid="retry-now"
                hidden=move || !waiting()
                on:click=move |_| socket.wake()
            >
                "Retry now"
            </button>
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
            <For each=move || notices.get() key=|notice| (notice.id, notice.count) let:notice>
                <div class="notice" data-testid="notice">
                    <span>{notice.label()}</span>
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
