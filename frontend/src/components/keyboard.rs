//! The chat page's keyboard shortcuts, wired to the window: the rules are
//! [`crate::state::shortcuts`]'s, this only reads the key press and acts.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::sidebar::{focus_composer, SidebarOpen};
use super::switcher::{open_conversation, SwitcherOpen};
use crate::state::shortcuts::{KeyPress, Shortcut};
use crate::state::ChatState;

/// Listens for the shortcuts on the window until the returned handle is removed.
pub(super) fn listen() -> WindowListenerHandle {
    let state = expect_context::<RwSignal<ChatState>>();
    let SidebarOpen(drawer) = expect_context::<SidebarOpen>();
    let SwitcherOpen(switcher) = expect_context::<SwitcherOpen>();
    let owner = Owner::current();
    window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        let press = KeyPress {
            key: &key,
            alt: ev.alt_key(),
            ctrl: ev.ctrl_key(),
            meta: ev.meta_key(),
            shift: ev.shift_key(),
        };
        let Some(shortcut) = press.shortcut() else {
            return;
        };
        match shortcut {
            Shortcut::Previous | Shortcut::Next => {
                let Some(key) = state
                    .try_with_untracked(|s| s.neighbour(shortcut))
                    .flatten()
                else {
                    return;
                };
                ev.prevent_default();
                switcher.set(false);
                if let Some(owner) = &owner {
                    owner.with(|| open_conversation(&key));
                }
            }
            Shortcut::Switcher => {
                ev.prevent_default();
                switcher.set(true);
            }
            Shortcut::Close => {
                if switcher.get_untracked() {
                    switcher.set(false);
                    focus_composer();
                } else if drawer.get_untracked() {
                    drawer.set(false);
                    focus_menu_toggle();
                }
            }
        }
    })
}

fn focus_menu_toggle() {
    let toggle = document()
        .query_selector("[data-testid=menu-toggle]")
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(toggle) = toggle {
        let _ = toggle.focus();
    }
}
