//! The browser client of the chat: a Leptos (client-side rendered) app that Trunk builds to
//! WebAssembly. `main.rs` only mounts [`App`].
//!
//! The logic is plain Rust, tested on the host with `cargo test -p frontend`:
//! - [`state`]: the chat as the client knows it. [`state::ChatState::apply`] takes each server
//!   frame; user actions return the frames to send. `ChatState` is made of parts, one concept
//!   per file in `state/`: the conversation list, history pages merged by id, the resume
//!   point, pending, confirmed and failed sends (each keeps its request id, its idempotency
//!   key), read markers and unread counts, rooms, presence, typing notices and notices.
//!   [`state::composer`] holds the message box's rules: what may be sent, the character
//!   counter, how often to send `typing`.
//! - [`timeline`]: the lines of a conversation and how messages are grouped for display.
//! - [`follow`]: whether the message list follows new messages or shows a marker, and keeps
//!   its place when older pages arrive above.
//! - [`entries`]: the list as drawn: day separators ([`days`]), the "New" divider, who
//!   shows an [`avatar`].
//! - [`markdown`]: message formatting, a safe markdown subset (bold, italic, code, code
//!   blocks, quotes, lists) parsed in linear time into nodes the view turns into elements;
//!   [`links`]: `http`/`https` addresses in bodies, which become links; [`steps`]: the work
//!   the parsers do, counted in tests.
//! - [`mentions`]: the mentions of the signed-in user in a body, to emphasise.
//! - [`last_seen`]: "last seen 5 min ago" for someone offline.
//! - [`order`]: stable sorting with one copy of the sort in the wasm.
//! - [`sorted`]: ordered maps and sets in a sorted `Vec`, smaller in the wasm than B-trees.
//! - [`route`]: the open conversation in the page's address (`#/room/lobby`, `#/with/bob`).
//! - [`backoff`]: the reconnection delays (exponential, capped, jittered).
//! - [`api`]: the HTTP session API and the words for its refusals.
//! - [`reach`]: telling "the server was not reached" (a failed fetch, a proxy's 502) apart.
//! - [`account`]: what signing out does to a passwordless account, and adding a password.
//! - [`admin`]: the administrators' panel: the server's figures, disabling and enabling accounts.
//!
//! The browser-facing parts stay thin:
//! - [`connection`]: the one WebSocket, its reconnect loop, and the [`connection::Socket`]
//!   handle that components take from context to send frames.
//! - [`browser`]: clock, local time and time zone, `localStorage` (session, drafts, mutes),
//!   the page's address (its fragment, history entries), title and icon.
//! - [`notifier`]: the browser's `Notification`: permission, asking, raising one.
//! - `components/`: the sign-in page and the chat page, built from the state by signals.
//!
//! Text from other people is only ever rendered as text nodes; nothing uses `inner_html`.

use leptos::prelude::*;

pub mod account;
pub mod admin;
pub mod api;
pub mod avatar;
pub mod backoff;
pub mod browser;
mod components;
pub mod connection;
pub mod days;
pub mod entries;
pub mod follow;
pub mod former;
pub mod last_seen;
pub mod links;
pub mod markdown;
pub mod mentions;
pub mod notifier;
pub mod order;
pub mod reach;
pub mod route;
pub mod sorted;
pub mod state;
pub mod steps;
pub mod timeline;
pub mod upload;

use components::{ChatPage, SignIn};

/// A signed-in session: the name and the token that proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub token: String,
}

/// Whether someone is signed in; the app shows the page that fits. Provided as context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// A saved token is being checked with the server.
    Checking,
    /// Nobody is signed in; `notice` says why, when there is something to say.
    SignedOut {
        notice: Option<String>,
    },
    SignedIn(Session),
}

/// The whole app: the sign-in page or the chat page.
#[component]
pub fn App() -> impl IntoView {
    let saved = browser::load_session();
    let auth = RwSignal::new(if saved.is_some() {
        Auth::Checking
    } else {
        Auth::SignedOut { notice: None }
    });
    provide_context(auth);

    if let Some(saved) = saved {
        leptos::task::spawn_local(async move {
            let next = match api::check_session(&saved.token).await {
                Ok(answer) => {
                    let session = Session {
                        name: answer.name,
                        token: saved.token,
                    };
                    browser::save_session(&session);
                    Auth::SignedIn(session)
                }
                Err(failure) if failure.is_unauthorized() => {
                    browser::clear_session();
                    Auth::SignedOut {
                        notice: Some("Your session has ended. Please sign in again.".into()),
                    }
                }
                // The server is unreachable: carry on; the connection keeps trying.
                Err(_) => Auth::SignedIn(saved),
            };
            auth.set(next);
        });
    }

    move || match auth.get() {
        Auth::Checking => view! {
            <main class="splash boot" aria-busy="true">
                <h1 class="boot-title">"Chat"</h1>
                <span class="boot-spinner" aria-hidden="true"></span>
                <p class="boot-text" role="status">"Signing you in…"</p>
            </main>
        }
        .into_any(),
        Auth::SignedOut { notice } => view! { <SignIn notice=notice /> }.into_any(),
        Auth::SignedIn(session) => view! { <ChatPage session=session /> }.into_any(),
    }
}
