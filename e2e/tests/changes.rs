//! Edits, deletions, replies and reactions in real browsers, two side by side: alice edits
//! with Up and bob sees the new text marked edited; bob replies and alice's click on the quote
//! takes her to the original; both react and see the counts, theirs pressed; alice deletes
//! and bob sees a tombstone, in the list and in the quote. Once more in a private
//! conversation. The actions pass axe-core while shown.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;
use serde_json::{json, Value};

/// JavaScript: the last message row whose body is exactly `text` (a JSON string), as `row`.
fn find_row(text: &str) -> String {
    format!(
        "const row = Array.from(document.querySelectorAll('[data-testid=message]'))\
           .filter(r => {{ const b = r.querySelector('[data-testid=message-body]');\
                           return b && b.textContent === {}; }}).pop();",
        json!(text)
    )
}

/// Focuses the row of the message `text` (as a tap or Tab does, showing its actions) and
/// clicks its action `testid`.
async fn act(browser: &Browser, text: &str, testid: &str) {
    let what = format!("{}: {testid} on {text:?}", browser.label);
    let script = format!(
        "{} if (!row) return false; row.focus();\
         const b = row.querySelector('[data-testid={testid}]');\
         if (!b) return false; b.click(); return true;",
        find_row(text)
    );
    eventually(&what, WAIT, || async {
        (browser.js(&script).await == json!(true)).then_some(())
    })
    .await;
}

/// Opens the reaction picker of the message `text` (its row focused, so its actions show).
async fn open_picker(browser: &Browser, text: &str) {
    let script = format!(
        "{} if (!row) return false; row.focus();\
         row.querySelector('details.react').open = true; return true;",
        find_row(text)
    );
    assert_eq!(browser.js(&script).await, json!(true));
}

/// Reacts to the message `text` with the quick reaction `emoji`, from its actions.
async fn quick_react(browser: &Browser, text: &str, emoji: &str) {
    open_picker(browser, text).await;
    let script = format!(
        "{} const b = Array.from(row.querySelectorAll('.picker button'))\
           .find(b => b.textContent === {});\
         if (!b) return false; b.click(); return true;",
        find_row(text),
        json!(emoji)
    );
    assert_eq!(browser.js(&script).await, json!(true));
}

/// The reaction chips under the message `text`: `[label, pressed, shown text]` each.
async fn chips(browser: &Browser, text: &str) -> Value {
    let script = format!(
        "{} if (!row) return null;\
         return Array.from(row.querySelectorAll('button.chip'))\
           .map(c => [c.title, c.getAttribute('aria-pressed'),\
                      c.textContent]);",
        find_row(text)
    );
    browser.js(&script).await
}

async fn wait_for_chips(browser: &Browser, text: &str, wanted: Value) {
    let what = format!("{}: reactions on {text:?} are {wanted}", browser.label);
    eventually(&what, WAIT, || async {
        (chips(browser, text).await == wanted).then_some(())
    })
    .await;
}

/// Clicks the chip `emoji` under the message `text`.
async fn toggle_chip(browser: &Browser, text: &str, emoji: &str) {
    let script = format!(
        "{} const c = Array.from(row.querySelectorAll('button.chip'))\
           .find(c => c.textContent.startsWith({}));\
         if (!c) return false; c.click(); return true;",
        find_row(text),
        json!(emoji)
    );
    assert_eq!(browser.js(&script).await, json!(true));
}

/// Whether the message `text` shows "(edited)" by its time, and when in the time's title.
async fn edited(browser: &Browser, text: &str) -> bool {
    let script = format!(
        "{} const t = row && row.querySelector('.bubble time');\
         return !!t && t.textContent.startsWith('(edited) ') && t.title.includes(' · edited ');",
        find_row(text)
    );
    browser.js(&script).await == json!(true)
}

/// The quotes shown in the open conversation, as text.
async fn quotes(browser: &Browser) -> Value {
    browser
        .js("return Array.from(document.querySelectorAll('.quote'))\
             .filter(q => q.textContent).map(q => q.textContent);")
        .await
}

async fn wait_for_quotes(browser: &Browser, wanted: Value) {
    let what = format!("{}: quotes {wanted}", browser.label);
    eventually(&what, WAIT, || async {
        (quotes(browser).await == wanted).then_some(())
    })
    .await;
}

/// The tombstones ("message deleted") in the open conversation.
async fn tombstones(browser: &Browser) -> usize {
    browser
        .js("return document.querySelectorAll('.msg.deleted').length;")
        .await
        .as_u64()
        .unwrap_or_default() as usize
}

/// Replaces what the composer holds with `text` and presses Enter.
async fn replace_and_send(browser: &Browser, text: &str) {
    let select_all = format!("{}a{}", Key::Control, Key::Null);
    browser
        .type_into("[data-testid=composer]", &select_all)
        .await;
    browser.type_into("[data-testid=composer]", text).await;
    browser
        .type_into("[data-testid=composer]", &Key::Enter.to_string())
        .await;
}

/// Deletes the message `text`, saying yes to the confirmation.
async fn delete(browser: &Browser, text: &str) {
    browser.js("window.confirm = () => true;").await;
    act(browser, text, "delete").await;
}

/// Whether the message `text` offers Delete to `browser`.
async fn offers_delete(browser: &Browser, text: &str) -> bool {
    let script = format!(
        "{} const d = row && row.querySelector('[data-testid=delete]');\
         return !!d && getComputedStyle(d).display !== 'none';",
        find_row(text)
    );
    browser.js(&script).await == json!(true)
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn edits_replies_reactions_and_deletions_reach_the_other_browser_live() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        // Alice creates #rust: she owns it.
        alice.join_room("rust").await;
        bob.join_room("rust").await;

        alice.send("helo wrold").await;
        alice.wait_for_status("helo wrold", "confirmed").await;
        alice.send("second thought").await;
        alice.wait_for_status("second thought", "confirmed").await;
        bob.wait_for_body("second thought").await;

        // Up in the empty box edits alice's last message; Escape gives up.
        alice
            .type_into("[data-testid=composer]", &Key::Up.to_string())
            .await;
        eventually("alice: the last message in the box", WAIT, || async {
            (alice.composer_text().await == "second thought").then_some(())
        })
        .await;
        alice
            .wait_for("[data-testid=compose-bar]:not([hidden])")
            .await;
        alice
            .type_into("[data-testid=composer]", &Key::Escape.to_string())
            .await;
        eventually("alice: the box empty again", WAIT, || async {
            alice.composer_text().await.is_empty().then_some(())
        })
        .await;
        // The Edit action edits any of hers; Enter saves.
        act(&alice, "helo wrold", "edit").await;
        eventually("alice: the message in the box", WAIT, || async {
            (alice.composer_text().await == "helo wrold").then_some(())
        })
        .await;
        replace_and_send(&alice, "hello world").await;
        bob.wait_for_body("hello world").await;
        assert!(!bob.bodies().await.contains(&"helo wrold".to_owned()));
        eventually("bob: marked edited", WAIT, || async {
            edited(&bob, "hello world").await.then_some(())
        })
        .await;
        eventually("alice: marked edited", WAIT, || async {
            edited(&alice, "hello world").await.then_some(())
        })
        .await;

        // Bob replies: the bar says to whom, the message carries the quote.
        act(&bob, "hello world", "reply").await;
        let bar = bob
            .wait_for("[data-testid=compose-bar]:not([hidden])")
            .await;
        let bar_text = bar.text().await.expect("the bar's text");
        assert!(
            bar_text.contains("Replying to alice: hello world"),
            "{bar_text}"
        );
        bob.send("agreed").await;
        bob.wait_for_status("agreed", "confirmed").await;
        assert!(!bob.has("[data-testid=compose-bar]:not([hidden])").await);
        wait_for_quotes(&alice, json!(["Reply to alice: hello world"])).await;

        // Reactions: alice from the quick ones, bob from the chip; counts and who, live.
        quick_react(&alice, "agreed", "👍").await;
        wait_for_chips(&bob, "agreed", json!([["👍 1: alice", "false", "👍 1"]])).await;
        wait_for_chips(&alice, "agreed", json!([["👍 1: alice", "true", "👍 1"]])).await;
        toggle_chip(&bob, "agreed", "👍").await;
        wait_for_chips(
            &alice,
            "agreed",
            json!([["👍 2: alice, bob", "true", "👍 2"]]),
        )
        .await;
        wait_for_chips(
            &bob,
            "agreed",
            json!([["👍 2: alice, bob", "true", "👍 2"]]),
        )
        .await;
        toggle_chip(&alice, "agreed", "👍").await;
        wait_for_chips(&bob, "agreed", json!([["👍 1: bob", "true", "👍 1"]])).await;
        wait_for_chips(&alice, "agreed", json!([["👍 1: bob", "false", "👍 1"]])).await;
        // Any emoji, typed (one chromedriver can type: it sends no character beyond U+FFFF).
        open_picker(&alice, "agreed").await;
        let script = format!(
            "{} row.querySelector('[data-testid=emoji-input]').focus();",
            find_row("agreed")
        );
        alice.js(&script).await;
        let input = alice.client().active_element().await.expect("the box");
        input.send_keys("★").await.expect("typing");
        input
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("Enter");
        wait_for_chips(
            &bob,
            "agreed",
            json!([
                ["👍 1: bob", "true", "👍 1"],
                ["★ 1: alice", "false", "★ 1"]
            ]),
        )
        .await;

        // A click on the quote shows the original, focused (highlighted).
        alice.click(".quote:not(:empty)").await;
        eventually("alice: the original focused", WAIT, || async {
            let focused = alice
                .js(&format!(
                    "{} return row === document.activeElement;",
                    find_row("hello world")
                ))
                .await;
            (focused == json!(true)).then_some(())
        })
        .await;

        // With a row's actions showing and a reply bar open, the page passes axe.
        act(&alice, "agreed", "reply").await;
        alice
            .wait_for("[data-testid=compose-bar]:not([hidden])")
            .await;
        open_picker(&alice, "agreed").await;
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        // A picture of it for the README.
        let docs = e2e::repo_root().join("docs");
        std::fs::create_dir_all(&docs).expect("docs/");
        std::fs::write(
            docs.join("screenshot-changes.png"),
            alice.screenshot().await,
        )
        .expect("docs/screenshot-changes.png");
        alice.click("[data-testid=compose-cancel]").await;

        // Alice, the room's owner, deletes bob's message too; bob sees tombstones, the quote
        // says the original is gone.
        delete(&alice, "hello world").await;
        eventually("bob: a tombstone", WAIT, || async {
            (tombstones(&bob).await == 1).then_some(())
        })
        .await;
        assert!(!bob.bodies().await.contains(&"hello world".to_owned()));
        wait_for_quotes(&bob, json!(["Reply to alice: message deleted"])).await;
        delete(&alice, "agreed").await;
        eventually("bob: two tombstones", WAIT, || async {
            (tombstones(&bob).await == 2).then_some(())
        })
        .await;
        // Bob may not delete alice's: he has no Delete on her messages.
        alice.send("mine alone").await;
        bob.wait_for_body("mine alone").await;
        assert!(!offers_delete(&bob, "mine alone").await);
        assert!(offers_delete(&alice, "mine alone").await);

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_private_conversation_has_edits_replies_and_reactions_too() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.talk_to("bob").await;
        alice.send("lunch at noon?").await;
        bob.open_conversation("dm-alice", "alice").await;
        bob.wait_for_body("lunch at noon?").await;

        act(&alice, "lunch at noon?", "edit").await;
        eventually("alice: the message in the box", WAIT, || async {
            (alice.composer_text().await == "lunch at noon?").then_some(())
        })
        .await;
        replace_and_send(&alice, "lunch at one?").await;
        bob.wait_for_body("lunch at one?").await;

        act(&bob, "lunch at one?", "reply").await;
        bob.send("yes").await;
        wait_for_quotes(&alice, json!(["Reply to alice: lunch at one?"])).await;
        quick_react(&alice, "yes", "🎉").await;
        wait_for_chips(&bob, "yes", json!([["🎉 1: alice", "false", "🎉 1"]])).await;

        delete(&alice, "lunch at one?").await;
        eventually("bob: a tombstone", WAIT, || async {
            (tombstones(&bob).await == 1).then_some(())
        })
        .await;
        // In a private conversation nobody deletes the other's messages.
        assert!(!offers_delete(&alice, "yes").await);
        assert!(offers_delete(&bob, "yes").await);
        let violations = bob.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");

        alice.close().await;
        bob.close().await;
    });
}
