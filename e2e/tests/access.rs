//! First load, keyboard, phone and accessibility, in real browsers: the loading screen,
//! focus and shortcuts, tap targets and the landscape layout, axe-core on every page in
//! desktop and phone sizes, light and dark, and the phone screenshot for the README.
//! Ignored by a plain `cargo test`; `cargo xtask test` builds what they need and runs them.

use std::path::Path;

use e2e::{eventually, run, start_server, Browser, ChromeDriver, Server, WAIT};
use fantoccini::key::Key;
use serde_json::{json, Value};

const DESKTOP: (u32, u32) = (1280, 800);
const PHONE: (u32, u32) = (360, 740);
const LANDSCAPE: (u32, u32) = (740, 360);

/// Makes the page's viewport (not the window around it) `width` × `height` CSS px.
async fn resize(browser: &Browser, (width, height): (u32, u32)) {
    let client = browser.client();
    client
        .set_window_size(width, height)
        .await
        .expect("a window size");
    let chrome = browser
        .js("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];")
        .await;
    let (_, extra_height): (i64, u32) = serde_json::from_value(chrome).unwrap_or_default();
    if extra_height > 0 {
        client
            .set_window_size(width, height + extra_height)
            .await
            .expect("a window size");
    }
    // Let layout and media queries settle.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let inner = browser
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    assert_eq!(
        inner,
        json!([width, height]),
        "{}: the viewport",
        browser.label
    );
}

/// Opens the phone drawer and waits until it has slid in.
async fn open_drawer(browser: &Browser) {
    browser.click("[data-testid=menu-toggle]").await;
    browser.wait_for("#sidebar.open").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

/// Presses keys on the focused element (modifiers stay down until `Key::Null`).
async fn press(browser: &Browser, keys: &str) {
    let element = browser
        .client()
        .active_element()
        .await
        .expect("a focused element");
    element.send_keys(keys).await.expect("key presses");
}

fn describe(violations: &[Value]) -> String {
    serde_json::to_string_pretty(violations).unwrap_or_default()
}

async fn assert_axe_clean(browser: &Browser, what: &str) {
    let violations = browser.axe_violations().await;
    assert!(
        violations.is_empty(),
        "{}: axe-core found violations on {what}:\n{}",
        browser.label,
        describe(&violations)
    );
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_loading_screen_is_served_and_replaced_once_the_app_runs() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.wait_for("[data-testid=signin-form]").await;
        // The served page itself carries the loading screen, before any script runs.
        let served = alice.js("return fetch('/').then(r => r.text());").await;
        let served = served.as_str().unwrap_or_default();
        assert!(served.contains("id=\"boot\""), "{served}");
        assert!(served.contains("Loading the chat…"), "{served}");
        assert!(served.contains("role=\"status\""), "{served}");
        // The app replaced it.
        assert!(!alice.has("#boot").await);
        assert!(!alice.page_text().await.contains("Loading the chat"));
        alice.close().await;
    });
}

/// A copy of the built frontend without its WebAssembly: the app cannot start.
fn broken_dist(into: &Path) {
    let dist = e2e::dist_dir();
    for entry in std::fs::read_dir(&dist).expect("the dist directory") {
        let path = entry.expect("an entry").path();
        // Neither the wasm nor its brotli and gzip copies, which the server would send in
        // its place.
        let wasm = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().contains(".wasm"));
        if path.is_file() && !wasm {
            std::fs::copy(&path, into.join(path.file_name().expect("a name"))).expect("a copy");
        }
    }
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_client_that_cannot_load_says_so() {
    run(async {
        let dist = tempfile::tempdir().expect("a directory");
        broken_dist(dist.path());
        let server = Server::options().static_dir(dist.path()).start().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let boot = alice.wait_for("[data-testid=boot]").await;
        eventually("the loading screen turns into an error", WAIT, || async {
            let text = boot.text().await.ok()?;
            text.contains("could not be").then_some(())
        })
        .await;
        let role = alice
            .js("return document.querySelector('#boot .boot-text').getAttribute('role');")
            .await;
        assert_eq!(role, json!("alert"));
        assert_axe_clean(&alice, "the page that could not load").await;
        alice.save_screenshot("cannot-load.png").await;
        alice.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn signing_in_without_a_server_says_it_cannot_be_reached() {
    run(async {
        let mut server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.wait_for("[data-testid=signin-form]").await;
        let address = format!("{}/api", server.base_url().trim_end_matches('/'));
        server.kill_9().await;
        alice.submit_sign_in("alice").await;
        let error = alice.wait_for("[data-testid=signin-error]").await;
        let text = eventually("an error under the form", WAIT, || async {
            let text = error.text().await.ok()?;
            (!text.is_empty()).then_some(text)
        })
        .await;
        assert!(
            text.contains(&format!("could not be reached at {address}")),
            "{text}"
        );
        alice.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_keyboard_reaches_everything_with_skip_link_shortcuts_and_switcher() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;
        // Signed in: ready to type.
        alice.wait_for_focus("composer").await;

        // From the top of the page, the first Tab reaches the skip link; Enter follows it.
        alice
            .js("document.body.tabIndex = -1; document.body.focus(); \
                 document.body.removeAttribute('tabindex');")
            .await;
        press(&alice, &Key::Tab.to_string()).await;
        alice.wait_for_focus("skip-link").await;
        press(&alice, &Key::Enter.to_string()).await;
        alice.wait_for_focus("composer").await;

        alice.join_room("random").await;
        alice.join_room("rust").await;
        alice.click("[data-testid=composer]").await;
        // The sidebar's order: lobby, random, rust.
        let alt = |arrow: Key| format!("{}{}{}", Key::Alt, arrow, Key::Null);
        press(&alice, &alt(Key::Up)).await;
        alice.wait_for_title("#random").await;
        press(&alice, &alt(Key::Up)).await;
        alice.wait_for_title("#lobby").await;
        press(&alice, &alt(Key::Up)).await;
        alice.wait_for_title("#lobby").await;
        press(&alice, &alt(Key::Down)).await;
        alice.wait_for_title("#random").await;
        alice.wait_for_focus("composer").await;

        // Ctrl+K, a few letters, Enter.
        let ctrl_k = format!("{}k{}", Key::Control, Key::Null);
        press(&alice, &ctrl_k).await;
        alice.wait_for_focus("switcher-input").await;
        assert_eq!(
            alice
                .js("return document.querySelector('[data-testid=switcher-input]').getAttribute('role');")
                .await,
            json!("combobox")
        );
        press(&alice, "ru").await;
        alice.save_screenshot("switcher.png").await;
        eventually("one option left", WAIT, || async {
            let count = alice
                .js("return document.querySelectorAll('[data-testid=switcher-option]').length;")
                .await;
            (count == json!(1)).then_some(())
        })
        .await;
        press(&alice, &Key::Enter.to_string()).await;
        alice.wait_for_title("#rust").await;
        assert!(!alice.has("[data-testid=switcher]").await);
        alice.wait_for_focus("composer").await;

        // Escape closes the switcher, back to the message box; arrows move the highlight.
        press(&alice, &ctrl_k).await;
        alice.wait_for_focus("switcher-input").await;
        press(&alice, &Key::Down.to_string()).await;
        press(&alice, &Key::Enter.to_string()).await;
        alice.wait_for_title("#random").await;
        press(&alice, &ctrl_k).await;
        alice.wait_for_focus("switcher-input").await;
        press(&alice, &Key::Escape.to_string()).await;
        eventually("the switcher closes", WAIT, || async {
            (!alice.has("[data-testid=switcher]").await).then_some(())
        })
        .await;
        alice.wait_for_focus("composer").await;
        alice.wait_for_title("#random").await;
        alice.close().await;
    });
}

/// Width and height of every element matching `css` that is shown.
async fn sizes(browser: &Browser, css: &str) -> Vec<(f64, f64)> {
    let script = format!(
        "return Array.from(document.querySelectorAll({}))\
         .map(e => e.getBoundingClientRect())\
         .filter(r => r.width > 0 && r.height > 0)\
         .map(r => [r.width, r.height]);",
        serde_json::to_string(css).expect("a JSON string")
    );
    serde_json::from_value(browser.js(&script).await).unwrap_or_default()
}

async fn assert_tap_targets(browser: &Browser, css: &str) {
    let found = sizes(browser, css).await;
    assert!(!found.is_empty(), "nothing shown matches {css}");
    for (width, height) in found {
        assert!(
            width >= 44.0 && height >= 44.0,
            "{css} is {width}×{height} CSS px, less than 44×44"
        );
    }
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn on_a_phone_targets_are_large_the_drawer_closes_with_escape_and_messages_get_the_height() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        resize(&alice, PHONE).await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.click("[data-testid=menu-toggle]").await;
        alice.join_room("rust").await;
        // Bob in #rust too: a person in alice's sidebar (the lobby gives no interest).
        bob.join_room("rust").await;
        alice.wait_for("[data-testid=member-bob]").await;

        // Escape closes the drawer and gives focus back to its button.
        let sidebar = alice.wait_for("#sidebar").await;
        alice.click("[data-testid=menu-toggle]").await;
        eventually("the drawer opens", WAIT, || async {
            sidebar.is_displayed().await.ok()?.then_some(())
        })
        .await;
        alice.wait_for("[data-testid=close-room-rust]").await;
        assert_tap_targets(&alice, "[data-testid=close-room-rust]").await;
        assert_tap_targets(&alice, "#sidebar .conv").await;
        assert_tap_targets(&alice, "#sidebar .person-button").await;
        assert_tap_targets(&alice, "[data-testid=everyone-open]").await;
        press(&alice, &Key::Escape.to_string()).await;
        eventually("the drawer closes", WAIT, || async {
            (!sidebar.is_displayed().await.ok()?).then_some(())
        })
        .await;
        alice.wait_for_focus("menu-toggle").await;
        for css in [
            "[data-testid=menu-toggle]",
            "[data-testid=send]",
            "[data-testid=sign-out]",
        ] {
            assert_tap_targets(&alice, css).await;
        }

        // A conversation for the picture, with bob.
        bob.talk_to("alice").await;
        bob.send("Are you on the train?").await;
        alice.wait_for("[data-testid=dm-bob]").await;
        open_drawer(&alice).await;
        alice.click("[data-testid=dm-bob]").await;
        alice.wait_for_body("Are you on the train?").await;
        alice.send("Yes, writing from my phone").await;
        alice
            .wait_for_status("Yes, writing from my phone", "confirmed")
            .await;
        bob.send("See you at the station then").await;
        alice.wait_for_body("See you at the station then").await;
        let docs = e2e::repo_root().join("docs");
        std::fs::create_dir_all(&docs).expect("docs/");
        std::fs::write(docs.join("screenshot-phone.png"), alice.screenshot().await)
            .expect("docs/screenshot-phone.png");

        // Landscape: most of the height is the messages.
        resize(&alice, LANDSCAPE).await;
        let heights = alice
            .js("return [window.innerHeight, \
                 document.querySelector('[data-testid=message-list]').getBoundingClientRect().height];")
            .await;
        let (viewport, list): (f64, f64) =
            serde_json::from_value(heights.clone()).expect("two heights");
        alice.save_screenshot("phone-landscape.png").await;
        println!("landscape {LANDSCAPE:?}: message list {list} px of a {viewport} px viewport");
        // 187 px of 360 before the landscape layout: a bit more than half.
        assert!(
            list >= viewport * 0.6,
            "the message list has {list} of {viewport} px"
        );
        alice.close().await;
        bob.close().await;
    });
}

/// axe-core on the sign-in page and the chat page (messages, an unread badge, then a send that
/// did not go through), desktop and phone, in one colour scheme.
async fn axe_everywhere(dark: bool) {
    let mut server = start_server().await;
    let driver = ChromeDriver::start();
    let args: &[&str] = if dark { &["--force-dark-mode"] } else { &[] };
    let label = if dark {
        "alice (dark)"
    } else {
        "alice (light)"
    };
    let alice = Browser::open_with(&driver, &server, label, args).await;
    let bob = Browser::open(&driver, &server, "bob").await;
    let scheme = alice
        .js("return matchMedia('(prefers-color-scheme: dark)').matches;")
        .await;
    assert_eq!(scheme, json!(dark), "{label}: prefers-color-scheme");

    alice.wait_for("[data-testid=signin-form]").await;
    for size in [DESKTOP, PHONE] {
        resize(&alice, size).await;
        assert_axe_clean(&alice, &format!("the sign-in page at {size:?}")).await;
    }
    // A refused sign-in shows its problem too.
    alice.submit_sign_in("-").await;
    alice
        .wait_for("[data-testid=signin-error]:not(:empty)")
        .await;
    assert_axe_clean(&alice, "the sign-in page with a problem").await;
    alice
        .js("document.querySelector('[data-testid=signin-name]').value = '';")
        .await;

    resize(&alice, DESKTOP).await;
    alice
        .type_into("[data-testid=signin-name]", &Key::Backspace.to_string())
        .await;
    alice.sign_in("alice").await;
    bob.sign_in("bob").await;
    alice.join_room("rust").await;
    bob.join_room("rust").await;
    bob.send("Morning! Anyone around?").await;
    alice.wait_for_body("Morning! Anyone around?").await;
    alice.send("Yes, here").await;
    alice.send("Just got in").await;
    alice.wait_for_status("Just got in", "confirmed").await;
    // Unread in #lobby, seen from #rust.
    bob.click("[data-testid=room-lobby]").await;
    bob.send("Lunch at noon in the lobby?").await;
    alice
        .wait_for("[data-testid=room-lobby] [data-testid=unread]")
        .await;
    // bob joins (a system line), then types (the typing line).
    alice.click("[data-testid=room-rust]").await;
    bob.click("[data-testid=room-rust]").await;
    // Typing notices are throttled (one per conversation every 2 s), and bob has just sent:
    // he keeps typing until alice sees it, as a person would.
    eventually("alice sees bob typing", WAIT, || async {
        bob.type_into("[data-testid=composer]", ".").await;
        alice
            .has("[data-testid=typing]:not(:empty)")
            .await
            .then_some(())
    })
    .await;
    for size in [DESKTOP, PHONE] {
        resize(&alice, size).await;
        assert_axe_clean(&alice, &format!("the chat page at {size:?}")).await;
    }
    // The quick switcher.
    alice.click("[data-testid=composer]").await;
    press(&alice, &format!("{}k{}", Key::Control, Key::Null)).await;
    alice.wait_for("[data-testid=switcher-option]").await;
    assert_axe_clean(&alice, "the quick switcher").await;
    press(&alice, &Key::Escape.to_string()).await;
    open_drawer(&alice).await;
    assert_axe_clean(&alice, "the chat page's drawer").await;
    press(&alice, &Key::Escape.to_string()).await;

    // The server goes away: a send that waits for the connection, presence unknown, and the
    // reconnecting status.
    server.kill_9().await;
    alice.wait_for_state(&["reconnecting", "offline"]).await;
    alice.send("Is the server down?").await;
    alice
        .wait_for("[data-testid=message][data-status=waiting]")
        .await;
    alice
        .wait_for("[data-testid=online-list][data-presence=unknown]")
        .await;
    for size in [PHONE, DESKTOP] {
        resize(&alice, size).await;
        assert_axe_clean(&alice, &format!("the chat page, disconnected, at {size:?}")).await;
    }
    alice.close().await;
    bob.close().await;
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn axe_finds_nothing_in_light_mode() {
    run(axe_everywhere(false));
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn axe_finds_nothing_in_dark_mode() {
    run(axe_everywhere(true));
}
