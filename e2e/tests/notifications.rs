//! Notifications in real browsers, with `window.Notification` replaced by a stub that records
//! what the page does (headless Chromium shows none): no permission asked on load, asked once
//! on a click; with bob's page hidden a private message from alice raises one notification
//! (its title, its text) and counts in the tab's title and icon, a click on it opens the
//! conversation; a muted conversation raises none and is not counted; an ordinary room
//! message raises none, one that mentions bob does.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use serde_json::{json, Value};

/// Replaces `Notification` with a stub: each one made is kept in `window.__notes`, each
/// permission request counted in `window.__asks` and granted.
const STUB: &str = "window.__notes = []; window.__asks = 0;\
    class FakeNotification {\
      constructor(title, options) {\
        this.title = title; this.body = options.body; this.tag = options.tag;\
        this.onclick = null; this.closed = false; window.__notes.push(this);\
      }\
      close() { this.closed = true; }\
      static requestPermission() {\
        window.__asks += 1; FakeNotification.permission = 'granted';\
        return Promise.resolve('granted');\
      }\
    }\
    FakeNotification.permission = 'default';\
    window.Notification = FakeNotification;";

/// The notifications raised so far, as `[title, body, tag]`.
async fn notes(browser: &Browser) -> Vec<Value> {
    let found = browser
        .js("return window.__notes.map(n => [n.title, n.body, n.tag]);")
        .await;
    serde_json::from_value(found).unwrap_or_default()
}

async fn wait_for_notes(browser: &Browser, count: usize) -> Vec<Value> {
    let what = format!("{}: {count} notifications", browser.label);
    eventually(&what, WAIT, || async {
        let found = notes(browser).await;
        (found.len() == count).then_some(found)
    })
    .await
}

async fn asks(browser: &Browser) -> Value {
    browser.js("return window.__asks;").await
}

/// The tab's title and its icon's address.
async fn tab(browser: &Browser) -> (String, String) {
    let found = browser
        .js("return [document.title, document.getElementById('favicon').getAttribute('href')];")
        .await;
    serde_json::from_value(found).expect("a title and an icon")
}

async fn wait_for_tab(browser: &Browser, title: &str, icon: &str) {
    let what = format!("{}: the tab says {title} with {icon}", browser.label);
    eventually(&what, WAIT, || async {
        (tab(browser).await == (title.to_owned(), icon.to_owned())).then_some(())
    })
    .await;
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_hidden_page_is_notified_of_private_messages_and_mentions_but_not_of_muted_or_ordinary_ones() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        // The stub is in place before the chat page loads: anything it asked would count.
        bob.wait_for("[data-testid=signin-name]").await;
        bob.js(STUB).await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        let switch = "[data-testid=notifications]";
        let state = |b: &'static str| {
            format!("const s = document.querySelector('{b}'); return s ? s.dataset.state : null;")
        };
        assert_eq!(bob.js(&state(switch)).await, json!("off"));
        bob.wait_for_text(switch, "🔕 Notifications: off").await;
        assert_eq!(asks(&bob).await, json!(0), "no permission asked on load");

        // Bob turns them on: asked once.
        bob.click(switch).await;
        bob.wait_for_text(switch, "🔔 Notifications: on").await;
        assert_eq!(asks(&bob).await, json!(1));
        assert_eq!(bob.js(&state(switch)).await, json!("on"));
        wait_for_tab(&bob, "Chat", "/favicon.svg").await;

        // Bob's tab goes to the background; alice writes to him privately.
        bob.set_hidden(true).await;
        alice.talk_to("bob").await;
        alice.send("psst, <b>bob</b>").await;
        let raised = wait_for_notes(&bob, 1).await;
        assert_eq!(
            raised[0],
            json!(["alice (private)", "psst, <b>bob</b>", "dm-alice"])
        );
        wait_for_tab(&bob, "(1) Chat", "/favicon-unread.svg").await;
        // Both icons are static files of the client, served as SVG.
        for icon in ["/favicon.svg", "/favicon-unread.svg"] {
            let script = format!(
                "return fetch('{icon}').then(r => [r.status, r.headers.get('content-type')]);"
            );
            assert_eq!(
                bob.js(&script).await,
                json!([200, "image/svg+xml"]),
                "{icon}"
            );
        }

        // A click on it brings the tab forward on the conversation, which is then read.
        bob.js("window.__notes[0].onclick();").await;
        bob.set_hidden(false).await;
        bob.wait_for_title("alice").await;
        bob.wait_for_body("psst, <b>bob</b>").await;
        wait_for_tab(&bob, "Chat", "/favicon.svg").await;
        assert_eq!(
            bob.js("return window.__notes[0].closed;").await,
            json!(true)
        );

        // Bob mutes the conversation with alice, looks at the lobby, and hides the tab again.
        bob.click("[data-testid=mute]").await;
        eventually("bob: muted", WAIT, || async {
            (bob.js(
                "return document.querySelector('[data-testid=mute]').getAttribute('aria-pressed');",
            )
            .await
                == json!("true"))
            .then_some(())
        })
        .await;
        let violations = bob.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        bob.open_conversation("room-lobby", "#lobby").await;
        bob.set_hidden(true).await;
        alice.send("are you there?").await;
        bob.wait_for_text(
            "[data-testid=dm-alice] [data-testid=unread]",
            "1 unread, muted",
        )
        .await;
        // A picture for the README: notifications on, the muted conversation's count in grey.
        let docs = e2e::repo_root().join("docs");
        std::fs::write(
            docs.join("screenshot-notifications.png"),
            bob.screenshot().await,
        )
        .expect("docs/screenshot-notifications.png");
        assert_eq!(
            notes(&bob).await.len(),
            1,
            "a muted conversation raises none"
        );
        assert_eq!(tab(&bob).await.0, "Chat", "nor counts in the title");

        // An ordinary message in the lobby: counted, no notification.
        alice.open_conversation("room-lobby", "#lobby").await;
        alice.send("hello everyone").await;
        wait_for_tab(&bob, "(1) Chat", "/favicon-unread.svg").await;
        assert_eq!(
            notes(&bob).await.len(),
            1,
            "an ordinary room message raises none"
        );
        // One that mentions bob does.
        alice.send("@bob over here").await;
        let raised = wait_for_notes(&bob, 2).await;
        assert_eq!(
            raised[1],
            json!(["alice in #lobby", "@bob over here", "room-lobby"])
        );
        wait_for_tab(&bob, "(2) Chat", "/favicon-unread.svg").await;

        alice.close().await;
        bob.close().await;
    });
}
