//! Small doors to the browser: the clock, randomness, local time, the saved session, drafts
//! and mutes in `localStorage`, the page's address, title and icon. Everything else stays
//! plain Rust.
//!
//! These compile on any target but only work in a browser; host tests do not call them.

use wasm_bindgen::JsValue;

use crate::state::notify::Mutes;
use crate::timeline::{clock_text, Millis};
use crate::Session;

const TOKEN_KEY: &str = "chat.token";
const NAME_KEY: &str = "chat.name";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    js_sys::Date::now().max(0.0) as Millis
}

/// A random number in `0.0..1.0` (for jitter; not for secrets).
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// A prefix that makes this page's request ids unique among the user's tabs.
pub fn req_prefix() -> String {
    format!("{:x}", (random() * f64::from(u32::MAX)) as u32)
}

/// "14:05" in the browser's time zone.
pub fn local_time(at: Millis) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
    clock_text(date.get_hours(), date.get_minutes())
}

/// Date and time in the browser's locale, for tooltips.
pub fn local_date_time(at: Millis) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The session saved by an earlier sign-in, if any.
pub fn load_session() -> Option<Session> {
    let storage = storage()?;
    let token = storage.get_item(TOKEN_KEY).ok().flatten()?;
    let name = storage
        .get_item(NAME_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    (!token.is_empty()).then_some(Session { name, token })
}

pub fn save_session(session: &Session) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(TOKEN_KEY, &session.token);
        let _ = storage.set_item(NAME_KEY, &session.name);
    }
}

pub fn clear_session() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TOKEN_KEY);
        let _ = storage.remove_item(NAME_KEY);
    }
}

/// Removes `index.html`'s loading screen (`#boot`) once the app is on the page.
pub fn remove_boot_screen() {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
}

/// The page's origin (`http://127.0.0.1:8081`), where the client asks for the API.
pub fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// The WebSocket address on the server that served this page; `after` asks for the messages
/// since that id (see [`crate::state::ChatState::resume_after`]).
pub fn ws_url(token: &str, after: Option<u64>) -> String {
    let location = web_sys::window().map(|w| w.location());
    let secure = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    let host = location
        .and_then(|l| l.host().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    let token = String::from(js_sys::encode_uri_component(token));
    let scheme = if secure { "wss" } else { "ws" };
    match after {
        Some(after) => format!("{scheme}://{host}/ws?token={token}&after={after}"),
        None => format!("{scheme}://{host}/ws?token={token}"),
    }
}

/// Whether the page can be seen (not a background tab, not minimised): only then does the
/// open conversation count as read.
pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Whether the browser believes it has a network.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// The tab's title with the number of unread messages in front ("(3) Chat"), and its icon
/// with a badge while there are any: `index.html`'s `#favicon` switches between two static
/// files (no `data:` address, for a strict CSP).
pub fn show_unread(unread: u32) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&crate::state::notify::title(unread));
        if let Some(icon) = document.get_element_by_id("favicon") {
            let file = if unread > 0 {
                "/favicon-unread.svg"
            } else {
                "/favicon.svg"
            };
            let _ = icon.set_attribute("href", file);
        }
    }
}

/// `user`'s muted conversations, saved by an earlier page.
pub fn load_mutes(user: &str) -> Mutes {
    storage()
        .and_then(|s| s.get_item(&Mutes::storage_key(user)).ok().flatten())
        .map(|text| Mutes::from_text(&text))
        .unwrap_or_default()
}

pub fn save_mutes(user: &str, mutes: &Mutes) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&Mutes::storage_key(user), &mutes.to_text());
    }
}

const NOTIFICATIONS_KEY: &str = "chat.notifications";

/// Whether this device wants notifications when the browser allows them (it does unless
/// they were turned off here).
pub fn notifications_wanted() -> bool {
    storage()
        .and_then(|s| s.get_item(NOTIFICATIONS_KEY).ok().flatten())
        .is_none_or(|v| v != "off")
}

pub fn set_notifications_wanted(on: bool) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(NOTIFICATIONS_KEY, if on { "on" } else { "off" });
    }
}

/// The reader's time zone at `at`: minutes ahead of UTC (daylight saving included).
pub fn utc_offset_minutes(at: Millis) -> i32 {
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
    -(date.get_timezone_offset() as i32)
}

/// `user`'s unsent drafts, saved by an earlier page.
pub fn load_drafts(user: &str) -> crate::state::drafts::Drafts {
    storage()
        .and_then(|s| {
            s.get_item(&crate::state::drafts::Drafts::storage_key(user))
                .ok()
                .flatten()
        })
        .map(|text| crate::state::drafts::Drafts::from_json(&text))
        .unwrap_or_default()
}

pub fn save_drafts(user: &str, drafts: &crate::state::drafts::Drafts) {
    if let Some(storage) = storage() {
        let key = crate::state::drafts::Drafts::storage_key(user);
        let _ = if drafts.is_empty() {
            storage.remove_item(&key)
        } else {
            storage.set_item(&key, &drafts.to_json())
        };
    }
}

/// Forgets `user`'s unsent drafts on this device (signing out).
pub fn clear_drafts(user: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&crate::state::drafts::Drafts::storage_key(user));
    }
}

/// The page address's fragment, with its `#` (empty when there is none).
/// Follows `url` (a download, which leaves the page where it is).
pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Puts `hash` in the address as a new history entry (the back button returns to the one
/// before), without reloading or scrolling.
pub fn push_hash(hash: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

/// Replaces the address's fragment without a new history entry.
pub fn replace_hash(hash: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}
