//! The quick switcher (Ctrl+K or Cmd+K): a dialog with a combobox that lists the conversations
//! matching what is typed; ↑ and ↓ move the highlight, Enter or a click opens it, Escape (the
//! chat page's shortcut) closes the dialog. The matching is [`crate::state::switcher`]'s.
//! Its last option searches the messages for what is typed ([`crate::state::search`]): the
//! results then fill the list (conversation, sender, time, the body with the matched words in
//! `<mark>`), and choosing one opens its conversation at that message; their last option,
//! "More results", asks for the next page when the server has one.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::message_actions::{reveal, send_with};
use super::sidebar::{focus_composer, SidebarOpen};
use crate::browser;
use crate::connection::Socket;
use crate::state::search::{pieces, Hit};
use crate::state::switcher::Switcher;
use crate::state::{count_label, ChatState, ConvKey, ConvSummary};

/// Whether the quick switcher is open. The chat page provides it as context.
#[derive(Clone, Copy)]
pub struct SwitcherOpen(pub RwSignal<bool>);

/// Opens `key` as a choice in the sidebar does: its due frames sent, the drawer closed and
/// focus in the message box.
pub(super) fn open_conversation(key: &ConvKey) {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let SidebarOpen(drawer) = expect_context::<SidebarOpen>();
    state.update(|s| s.activate(key));
    socket.send_due(state);
    drawer.set(false);
    focus_composer();
}

fn option_id(at: usize) -> String {
    format!("switcher-option-{at}")
}

/// What one option of the list is.
enum Entry<'a> {
    Conv(&'a ConvSummary),
    /// "Search messages for …" (after the conversations).
    Search(&'a str),
    Hit(&'a Hit),
    /// "More results" (after the results); `true` while that page is on its way.
    More(bool),
}

/// Fills `ul` with `entries`, the one at `selected` highlighted, drawn by hand (smaller in the
/// wasm than a keyed list of views): a conversation's name and unread badge; a result's conversation,
/// sender and time over its body, whose matched words are `<mark>` elements. Text goes in as
/// text, never as markup.
fn draw_options(ul: &web_sys::Element, entries: Vec<Entry<'_>>, selected: usize) -> Option<()> {
    let doc = document();
    ul.set_text_content(None);
    let element = |tag: &str, text: &str| -> Option<web_sys::Element> {
        let el = doc.create_element(tag).ok()?;
        el.set_text_content(Some(text));
        Some(el)
    };
    for (at, entry) in entries.into_iter().enumerate() {
        let (testid, text) = match &entry {
            Entry::Conv(conv) if conv.unread > 0 => (
                "switcher-option",
                [
                    option_label(conv),
                    ", ".into(),
                    count_label(conv.unread),
                    " unread".into(),
                ]
                .concat(),
            ),
            Entry::Conv(conv) => ("switcher-option", option_label(conv)),
            Entry::Search(query) => (
                "search-option",
                ["Search messages for “", query, "”"].concat(),
            ),
            Entry::Hit(_) => ("search-result", String::new()),
            Entry::More(busy) => (
                "more-results",
                if *busy {
                    "Loading more results…"
                } else {
                    "More results"
                }
                .into(),
            ),
        };
        let li = element("li", &text)?;
        let chosen = at == selected;
        for (name, value) in [
            ("id", option_id(at).as_str()),
            ("role", "option"),
            (
                "class",
                if chosen {
                    "switcher-option selected"
                } else {
                    "switcher-option"
                },
            ),
            ("aria-selected", if chosen { "true" } else { "false" }),
            ("data-testid", testid),
        ] {
            li.set_attribute(name, value).ok()?;
        }
        if let Entry::Hit(hit) = entry {
            let when = browser::local_date_time(hit.at);
            let head = element(
                "small",
                &[
                    if matches!(hit.key, ConvKey::Room(_)) {
                        "#"
                    } else {
                        ""
                    },
                    &hit.title,
                    " · ",
                    &hit.from,
                    " · ",
                    &when,
                ]
                .concat(),
            )?;
            li.append_child(&head).ok()?;
            let body = doc.create_element("span").ok()?;
            for (text, marked) in pieces(&hit.body, &hit.marks) {
                let piece = element(if marked { "mark" } else { "span" }, text)?;
                body.append_child(&piece).ok()?;
            }
            li.append_child(&body).ok()?;
        }
        ul.append_child(&li).ok()?;
    }
    Some(())
}

fn option_label(conv: &ConvSummary) -> String {
    match conv.key {
        ConvKey::Room(_) => format!("#{}", conv.title),
        ConvKey::Direct(_) => conv.title.clone(),
    }
}

#[component]
pub fn QuickSwitcher() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let SwitcherOpen(open) = expect_context::<SwitcherOpen>();
    let switcher = RwSignal::new(Switcher::default());
    let convs = Memo::new(move |_| {
        state.with(|s| s.rooms().into_iter().chain(s.directs()).collect::<Vec<_>>())
    });
    let matches = Memo::new(move |_| switcher.with(|sw| convs.with(|c| sw.matches(c))));
    // Showing search results (after "Search messages"), until the text changes.
    let results = RwSignal::new(false);
    let input = NodeRef::<html::Input>::new();
    let socket = expect_context::<Socket>();
    let SidebarOpen(drawer) = expect_context::<SidebarOpen>();
    // Fresh every time it opens, with focus in its box.
    Effect::new(move |_| {
        if open.get() {
            switcher.set(Switcher::default());
            results.set(false);
            request_animation_frame(move || {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                }
            });
        }
    });
    let choose = move |key: ConvKey| {
        open.set(false);
        open_conversation(&key);
    };
    // The search option (after the conversations).
    let search = move || {
        let query = switcher.with_untracked(|s| s.query().to_owned());
        send_with(state, socket, |s| s.search_request(&query));
        results.set(true);
    };
    let open_hit = move |at: usize| {
        open.set(false);
        send_with(state, socket, |s| s.open_hit(at, browser::now_ms()));
        socket.send_due(state);
        drawer.set(false);
        // Held already: shown now (else the list shows it once the page around it is drawn).
        if state.with_untracked(ChatState::sought).is_some_and(reveal) {
            state.update(ChatState::found);
        }
    };
    // The option at `at` chosen: a conversation or "Search messages", or a result or "More
    // results" (after them).
    let pick = move |at: usize| {
        if results.get_untracked() {
            if at < state.with_untracked(|s| s.search().hits.len()) {
                open_hit(at);
            } else {
                send_with(state, socket, ChatState::more_results);
            }
        } else {
            match matches.with_untracked(|m| m.get(at).map(|c| c.key.clone())) {
                Some(key) => choose(key),
                None if !switcher.with_untracked(|s| s.query().trim().is_empty()) => search(),
                None => {}
            }
        }
    };
    // How many options there are.
    let count = move || {
        if results.get() {
            state.with(|s| s.search().hits.len() + usize::from(s.search().more()))
        } else {
            matches.with(Vec::len) + usize::from(!switcher.with(|s| s.query().trim().is_empty()))
        }
    };
    let list = NodeRef::<html::Ul>::new();
    Effect::new(move |_| {
        let Some(ul) = list.get() else { return };
        let selected = switcher.with(Switcher::selected);
        if results.get() {
            state.with(|s| {
                let search = s.search();
                let more = search.more().then_some(Entry::More(search.busy()));
                draw_options(
                    &ul,
                    search.hits.iter().map(Entry::Hit).chain(more).collect(),
                    selected,
                )
            });
        } else {
            switcher.with(|sw| {
                let query = sw.query().trim();
                let search = (!query.is_empty()).then_some(Entry::Search(query));
                matches.with(|m| {
                    draw_options(
                        &ul,
                        m.iter().map(Entry::Conv).chain(search).collect(),
                        selected,
                    )
                })
            });
        }
    });
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let at = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest("[role=option]").ok().flatten())
            .and_then(|li| {
                li.id()
                    .strip_prefix("switcher-option-")?
                    .parse::<usize>()
                    .ok()
            });
        if let Some(at) = at {
            pick(at);
        }
    };
    let status = move || {
        if results.get() {
            state.with(|s| {
                let search = s.search();
                if !search.busy() && search.hits.is_empty() {
                    "No message matches."
                } else {
                    ""
                }
            })
        } else if matches.with(Vec::is_empty) {
            "No conversation matches."
        } else {
            ""
        }
    };
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let step = if ev.key() == "ArrowDown" { 1 } else { -1 };
            // Counted first: counting reads the switcher, which `update` holds.
            let n = count();
            switcher.update(|s| s.move_by(step, n));
        }
        "Enter" => {
            ev.prevent_default();
            pick(switcher.with(Switcher::selected));
        }
        // The dialog is modal and its box is its one stop: Tab stays in it.
        "Tab" => ev.prevent_default(),
        _ => {}
    };
    let active_option = move || {
        let selected = switcher.with(Switcher::selected);
        (selected < count()).then(|| option_id(selected))
    };

    view! {
        <Show when=move || open.get()>
            <div class="switcher-scrim" aria-hidden="true" on:click=move |_| {
                open.set(false);
                focus_composer();
            }></div>
            <div class="switcher" role="dialog" aria-modal="true" aria-labelledby="switcher-label" data-testid="switcher">
                <label id="switcher-label" for="switcher-input">"Jump to a conversation or search messages"</label>
                <input
                    id="switcher-input"
                    node_ref=input
                    data-testid="switcher-input"
                    type="text"
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="switcher-list"
                    aria-autocomplete="list"
                    aria-activedescendant=active_option
                    aria-describedby="switcher-help"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    prop:value=move || switcher.with(|s| s.query().to_owned())
                    on:input=move |ev| {
                        results.set(false);
                        switcher.update(|s| s.set_query(&event_target_value(&ev)));
                    }
                    on:keydown=on_key
                />
                <p id="switcher-help" class="muted small">"↑ ↓ to choose · Enter opens · Esc closes"</p>
                <ul id="switcher-list" role="listbox" aria-label="Conversations and messages" data-testid="switcher-list" node_ref=list on:click=on_click></ul>
                <p class="muted small" role="status">{status}</p>
            </div>
        </Show>
    }
}
