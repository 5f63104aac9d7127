//! Mentions in real browsers: bob completes `@al` to alice with the keyboard, alice sees a
//! mention badge beside the room's unread count, and the message highlighted with her name
//! emphasised; the completion list is an accessible listbox (axe).

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;

/// Presses keys on the focused element.
async fn press(browser: &Browser, keys: &str) {
    let element = browser
        .client()
        .active_element()
        .await
        .expect("a focused element");
    element.send_keys(keys).await.expect("key presses");
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn bob_completes_a_mention_with_the_keyboard_and_alice_sees_it_highlighted() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.join_room("rust").await;
        bob.join_room("rust").await;
        // Alice looks elsewhere: what comes in #rust is unread for her.
        alice.wait_for("[data-testid=member-list] li").await;
        alice.open_conversation("room-lobby", "#lobby").await;

        bob.wait_for("[data-testid=member-list] li").await;
        bob.type_into("[data-testid=composer]", "look @al").await;
        bob.wait_for("[data-testid=mention-options]").await;
        bob.wait_for_text("[data-testid=mention-option]", "@alice")
            .await;
        let expanded = bob
            .js("const c = document.querySelector('[data-testid=composer]'); \
                 return [c.getAttribute('aria-controls'), c.getAttribute('aria-activedescendant')];")
            .await;
        assert_eq!(
            expanded,
            serde_json::json!(["mention-options", "mention-option-0"])
        );
        let violations = bob.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        // ↓ wraps round the one option; Enter takes it instead of sending.
        press(&bob, &Key::Down.to_string()).await;
        press(&bob, &Key::Enter.to_string()).await;
        eventually("bob: the name completed", WAIT, || async {
            (bob.composer_text().await == "look @alice ").then_some(())
        })
        .await;
        assert!(!bob.has("[data-testid=mention-options]").await);
        bob.type_into("[data-testid=composer]", "here").await;
        press(&bob, &Key::Enter.to_string()).await;
        bob.wait_for_status("look @alice here", "confirmed").await;
        bob.send("no mention for anyone").await;

        // Alice: two unread in #rust, one of them a mention.
        alice
            .wait_for_text(
                "[data-testid=room-rust] [data-testid=mentions]",
                "@1 mention",
            )
            .await;
        alice
            .wait_for_text("[data-testid=room-rust] [data-testid=unread]", "2 unread")
            .await;
        alice.save_screenshot("mentions-badge.png").await;
        alice.open_conversation("room-rust", "#rust").await;
        alice.wait_for_body("look @alice here").await;
        alice
            .wait_for_text("[data-mention=me] [data-testid=mention-me]", "@alice")
            .await;
        let highlighted = alice
            .js("return document.querySelectorAll('[data-mention=me]').length;")
            .await;
        assert_eq!(highlighted, 1);
        // Read: the badge goes.
        eventually("alice: the mention badge gone", WAIT, || async {
            (!alice
                .has("[data-testid=room-rust] [data-testid=mentions]")
                .await)
                .then_some(())
        })
        .await;
        // Bob sees no highlight: he mentioned someone else.
        assert!(!bob.has("[data-mention=me]").await);

        alice.close().await;
        bob.close().await;
    });
}
