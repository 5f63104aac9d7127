//! What helps reading a conversation, as components and glue: day separators and the "New"
//! divider among the rows, avatars, the draft kept per
//! conversation, and the open conversation kept in the page's address.

use std::collections::HashMap;

use leptos::html;
use leptos::prelude::*;

use super::chat::Clock;
use crate::avatar;
use crate::browser;
use crate::connection::Socket;
use crate::days;
use crate::entries::{self, Entry};
use crate::former;
use crate::route;
use crate::state::drafts::Drafts;
use crate::state::{ChatState, ConvKey};
use crate::timeline::Row;

/// The open conversation's rows laid out with day separators, the "New" divider, and who
/// shows an avatar.
pub(super) fn active_entries(state: RwSignal<ChatState>, rows: Memo<Vec<Row>>) -> Memo<Vec<Entry>> {
    let clock = expect_context::<Clock>();
    let today = Memo::new(move |_| {
        let now = clock.0.get();
        days::local_day(now, browser::utc_offset_minutes(now))
    });
    // Message ids by line sequence number.
    let ids = Memo::new(move |_| {
        state.with(|s| {
            s.active_conversation()
                .map(|c| {
                    c.lines
                        .iter()
                        .filter_map(|l| Some((l.seq, l.message()?.id?)))
                        .collect::<HashMap<u64, u64>>()
                })
                .unwrap_or_default()
        })
    });
    let new_after = Memo::new(move |_| state.with(ChatState::new_after));
    let since = Memo::new(move |_| state.with(|s| s.active_conversation()?.since));
    Memo::new(move |_| {
        rows.with(|rows| {
            ids.with(|ids| {
                let mut entries = entries::entries(
                    rows,
                    |seq| ids.get(&seq).copied(),
                    |at| days::local_day(at, browser::utc_offset_minutes(at)),
                    today.get(),
                    new_after.get(),
                );
                former::mark_former(&mut entries, since.get());
                entries
            })
        })
    })
}

/// Above the first message from a released name's new holder: those above were with a former
/// holder of the name.
#[component]
pub(super) fn FormerDivider(since: u64) -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let clock = expect_context::<Clock>();
    let text = move || {
        let name = state.with(|s| s.active_conversation().map(|c| c.title.clone()));
        let now = clock.0.get();
        let today = days::local_day(now, browser::utc_offset_minutes(now));
        let day = days::local_day(since, browser::utc_offset_minutes(since));
        former::former_text(&name.unwrap_or_default(), &days::label(day, today))
    };
    view! {
        <li class="former-divider" data-testid="former-divider">
            <span>{text}</span>
        </li>
    }
}

/// "Today", "Yesterday", or a date, centred between two rules.
#[component]
pub(super) fn DaySeparator(label: String) -> impl IntoView {
    view! {
        <li class="day-separator" data-testid="day-separator">
            <span>{label}</span>
        </li>
    }
}

/// Above the first message not read when the conversation was opened.
#[component]
pub(super) fn NewDivider() -> impl IntoView {
    view! {
        <li class="new-divider" id="new-divider" data-testid="new-divider">
            <span>"New"</span>
        </li>
    }
}

/// A sender's initials on their colour; decoration only (the name is written beside it).
#[component]
pub(super) fn Avatar(name: String) -> impl IntoView {
    // Through the CSSOM (`style.setProperty`), not a `style` attribute, which the server's
    // Content-Security-Policy (`style-src 'self'`) would refuse.
    let colour = avatar::colour(&name);
    view! {
        <span class="avatar" aria-hidden="true" style:background-color=colour data-testid="avatar">
            {avatar::initials(&name)}
        </span>
    }
}

/// Scrolls the message list so that the "New" divider is near its top.
pub(super) fn scroll_to_divider(list: NodeRef<html::Div>) {
    request_animation_frame(move || {
        let (Some(list), Some(divider)) = (
            list.get_untracked(),
            document().get_element_by_id("new-divider"),
        ) else {
            return;
        };
        let above =
            divider.get_bounding_client_rect().top() - list.get_bounding_client_rect().top();
        // A little of the message before it stays in sight.
        let top = f64::from(list.scroll_top()) + above - 24.0;
        list.set_scroll_top(top.max(0.0) as i32);
    });
}

/// The drafts of the signed-in user, kept in `localStorage` as they are typed.
#[derive(Clone, Copy)]
pub(super) struct DraftKeeper {
    /// Whose drafts (the storage entry is per user) and the drafts themselves.
    kept: StoredValue<(String, Drafts)>,
}

impl DraftKeeper {
    pub(super) fn load(user: &str) -> Self {
        Self {
            kept: StoredValue::new((user.to_owned(), browser::load_drafts(user))),
        }
    }

    /// The draft of `conv`.
    pub(super) fn get(self, conv: &ConvKey) -> String {
        self.kept
            .try_with_value(|(_, drafts)| drafts.get(conv).to_owned())
            .unwrap_or_default()
    }

    /// Keeps `text` as `conv`'s draft (an empty text, or a sent one, drops it).
    pub(super) fn set(self, conv: &ConvKey, text: &str) {
        self.kept.update_value(|(user, drafts)| {
            if drafts.set(conv, text) {
                browser::save_drafts(user, drafts);
            }
        });
    }
}

/// Keeps the open conversation in the page's address: the address opens its conversation on
/// load (once the server has said which rooms we are in), following a link or the back
/// button opens the one it names, and opening a conversation adds a history entry.
pub(super) fn keep_in_address(state: RwSignal<ChatState>, socket: Socket) -> impl FnOnce() {
    // The conversation the address asks for, until it is opened or known not to exist.
    let wanted = StoredValue::new(route::parse(&browser::location_hash()));
    let open_wanted = move || {
        let Some(key) = wanted.get_value() else {
            return;
        };
        let opened = state
            .try_update(|s| {
                match &key {
                    ConvKey::Direct(name) => s.open_direct(name),
                    ConvKey::Room(_) => s.activate(&key),
                }
                s.active() == &key
            })
            .unwrap_or(false);
        // A room we are not in: once connected, it is not coming.
        let given_up = state.with_untracked(|s| s.is_connected() && s.conversation(&key).is_none());
        if opened || given_up || matches!(key, ConvKey::Direct(_)) {
            wanted.set_value(None);
            socket.send_due(state);
        }
    };
    open_wanted();
    // The address this page last wrote: a conversation opened from it gets a new entry.
    let written = StoredValue::new(None::<String>);

    Effect::new(move |_| {
        let (active, connected) = state.with(|s| (s.active().clone(), s.is_connected()));
        if wanted.with_value(Option::is_some) {
            if !connected {
                // Rooms are not known yet: leave the address alone.
                return;
            }
            open_wanted();
            if wanted.with_value(Option::is_some) {
                return;
            }
        }
        let hash = route::format(&active);
        let current = browser::location_hash();
        if current != hash {
            if written.with_value(|w| w.as_deref() == Some(current.as_str())) {
                browser::push_hash(&hash);
            } else {
                // The address names no conversation, or one that could not be opened: it
                // gets no history entry of its own.
                browser::replace_hash(&hash);
            }
        }
        written.set_value(Some(hash));
    });

    let navigated = move || {
        let Some(key) = route::parse(&browser::location_hash()) else {
            return;
        };
        if state.with_untracked(|s| s.active() != &key) {
            wanted.set_value(Some(key));
            open_wanted();
        }
    };
    let popstate = window_event_listener(leptos::ev::popstate, move |_| navigated());
    let hashchange = window_event_listener(leptos::ev::hashchange, move |_| navigated());
    move || {
        popstate.remove();
        hashchange.remove();
    }
}
