//! The browser's notifications, a thin door to `Notification`: what the browser allows,
//! asking it (only ever from a click), and raising one that brings the tab forward and opens
//! its conversation when clicked. Which messages raise one is [`crate::state::notify`]'s.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::browser;
use crate::state::notify::{Alert, Permission};
use crate::state::ConvKey;

/// What the browser allows now.
pub fn permission() -> Permission {
    let supported = web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false));
    if !supported {
        return Permission::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Granted => Permission::Granted,
        NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Ask,
    }
}

/// Asks the browser for permission (call it from a click only) and returns the answer.
pub async fn ask() -> Permission {
    if let Ok(promise) = Notification::request_permission() {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    permission()
}

/// Raises `alert` when the browser allows it and this device wants notifications; a click on
/// it focuses the tab and calls `open` with its conversation. One per conversation: a newer
/// one replaces it (its tag).
pub fn show(alert: Alert, open: impl FnOnce(ConvKey) + 'static) {
    if permission() != Permission::Granted || !browser::notifications_wanted() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(&alert.body);
    options.set_tag(&alert.key.dom_id());
    let Ok(notification) = Notification::new_with_options(&alert.title, &options) else {
        return;
    };
    let shown = notification.clone();
    let key = alert.key;
    let click = Closure::once_into_js(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        shown.close();
        open(key);
    });
    notification.set_onclick(Some(click.unchecked_ref()));
}
