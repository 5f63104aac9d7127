//! Keyboard focus moved by the app: to an element that the view is about to draw (a dialog's
//! first control, the button that opened it once it closes).

use leptos::prelude::*;

/// Moves keyboard focus to the first element matching `css`, after the view has updated.
pub fn focus_first(css: &'static str) {
    request_animation_frame(move || {
        if let Ok(Some(el)) = document().query_selector(css) {
            if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                let _ = el.focus();
            }
        }
    });
}
