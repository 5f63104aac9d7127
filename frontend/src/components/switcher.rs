//! The quick switcher (Ctrl+K or Cmd+K): a dialog with a combobox that lists the conversations
//! matching what is typed; ↑ and ↓ move the highlight, Enter or a click opens it, Escape (the
//! chat page's shortcut) closes the dialog. The matching is [`crate::state::switcher`]'s.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use super::sidebar::{focus_composer, SidebarOpen};
use crate::connection::Socket;
use crate::state::switcher::Switcher;
use crate::state::{ChatState, ConvKey, ConvSummary};

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
    let input = NodeRef::<html::Input>::new();
    // Fresh every time it opens, with focus in its box.
    Effect::new(move |_| {
        if open.get() {
            switcher.set(Switcher::default());
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
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let step = if ev.key() == "ArrowDown" { 1 } else { -1 };
            let count = matches.with(Vec::len);
            switcher.update(|s| s.move_by(step, count));
        }
        "Enter" => {
            ev.prevent_default();
            let key = matches.with(|m| switcher.with(|s| s.chosen(m).map(|c| c.key.clone())));
            if let Some(key) = key {
                choose(key);
            }
        }
        // The dialog is modal and its box is its one stop: Tab stays in it.
        "Tab" => ev.prevent_default(),
        _ => {}
    };
    let active_option = move || {
        let selected = switcher.with(Switcher::selected);
        matches
            .with(|m| selected < m.len())
            .then(|| option_id(selected))
    };

    view! {
        <Show when=move || open.get()>
            <div class="switcher-scrim" aria-hidden="true" on:click=move |_| {
                open.set(false);
                focus_composer();
            }></div>
            <div class="switcher" role="dialog" aria-modal="true" aria-labelledby="switcher-label" data-testid="switcher">
                <label id="switcher-label" for="switcher-input">"Jump to a conversation"</label>
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
                    on:input=move |ev| switcher.update(|s| s.set_query(&event_target_value(&ev)))
                    on:keydown=on_key
                />
                <p id="switcher-help" class="muted small">"↑ ↓ to choose · Enter opens · Esc closes"</p>
                <ul id="switcher-list" role="listbox" aria-label="Conversations" data-testid="switcher-list">
                    <For
                        each=move || matches.get().into_iter().enumerate()
                        key=|(at, conv)| (*at, conv.key.clone(), conv.unread)
                        children=move |(at, conv)| {
                            let key = conv.key.clone();
                            let selected = move || switcher.with(|s| s.selected() == at);
                            view! {
                                <li
                                    id=option_id(at)
                                    role="option"
                                    class="switcher-option"
                                    class:selected=selected
                                    aria-selected=move || selected().to_string()
                                    data-testid="switcher-option"
                                    on:click=move |_| choose(key.clone())
                                >
                                    <span>{option_label(&conv)}</span>
                                    {(conv.unread > 0)
                                        .then(|| {
                                            view! {
                                                <span class="badge">
                                                    {conv.unread}
                                                    <span class="visually-hidden">" unread"</span>
                                                </span>
                                            }
                                        })}
                                </li>
                            }
                        }
                    />
                </ul>
                <Show when=move || matches.with(Vec::is_empty)>
                    <p class="muted small" role="status">"No conversation matches."</p>
                </Show>
            </div>
        </Show>
    }
}
