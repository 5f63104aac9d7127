//! The chat in real browsers: the server binary, the built frontend and headless Chromium.
//! Ignored by a plain `cargo test`; `cargo xtask test` builds what they need and runs them.

use std::time::Duration;

use e2e::{eventually, run, Browser, ChromeDriver, Server, WAIT};

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn room_messages_reach_the_other_person() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        // Both see each other online.
        alice.wait_for("[data-testid=user-bob]").await;
        bob.wait_for("[data-testid=user-alice]").await;

        alice.send("Hi Bob! Lunch at noon?").await;
        alice
            .wait_for_status("Hi Bob! Lunch at noon?", "confirmed")
            .await;
        bob.wait_for_body("Hi Bob! Lunch at noon?").await;

        // Shift+Enter starts a new line, Enter sends.
        bob.send_lines(&["Sounds good.", "See you at the usual place."])
            .await;
        bob.wait_for_status("Sounds good.\nSee you at the usual place.", "confirmed")
            .await;
        alice
            .wait_for_body("Sounds good.\nSee you at the usual place.")
            .await;
        alice.send("Great, see you there").await;
        bob.wait_for_body("Great, see you there").await;

        // The sender's name is shown with bob's message on alice's side.
        let senders = alice
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=message-sender]'))\
                 .map(e => e.textContent);",
            )
            .await;
        assert_eq!(senders, serde_json::json!(["alice", "bob", "alice"]));

        // A picture of a real conversation for the README.
        let docs = e2e::repo_root().join("docs");
        std::fs::create_dir_all(&docs).expect("docs/");
        std::fs::write(docs.join("screenshot.png"), alice.screenshot().await)
            .expect("docs/screenshot.png");

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn private_messages_reach_only_the_recipient() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;

        alice.click("[data-testid=user-bob]").await;
        let title = alice.wait_for("[data-testid=conv-title]").await;
        assert_eq!(title.text().await.expect("a title"), "bob");
        let secret = "just between us: the password is swordfish";
        alice.send(secret).await;
        alice.wait_for_status(secret, "confirmed").await;

        // Bob gets a private conversation with an unread count, and the message in it.
        bob.wait_for("[data-testid=dm-alice] [data-testid=unread]")
            .await;
        bob.click("[data-testid=dm-alice]").await;
        bob.wait_for_body(secret).await;
        assert!(!bob.has("[data-testid=dm-alice] [data-testid=unread]").await);

        // Carol never sees it, anywhere on her page.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!carol.page_text().await.contains("swordfish"));
        assert!(!carol.has("[data-testid=dm-alice]").await);
        assert!(!carol.has("[data-testid=direct-list]").await);
        assert!(carol.bodies().await.is_empty());

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_taken_name_is_refused_with_an_explanation() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;

        let impostor = Browser::open(&driver, &server, "impostor").await;
        impostor.submit_sign_in("Alice").await;
        let explanation = eventually("an explanation under the form", WAIT, || async {
            let el = impostor.wait_for("[data-testid=signin-error]").await;
            let text = el.text().await.unwrap_or_default();
            (!text.is_empty()).then_some(text)
        })
        .await;
        assert!(explanation.contains("taken"), "{explanation}");
        assert!(explanation.contains("Alice"), "{explanation}");
        // Still on the sign-in page.
        assert!(!impostor.has("[data-testid=chat]").await);
        assert!(impostor.has("[data-testid=signin-form]").await);

        // A name against the rules is explained before anything is sent.
        let field = impostor.wait_for("[data-testid=signin-name]").await;
        field.clear().await.expect("clear the field");
        impostor.submit_sign_in("no spaces").await;
        let text = eventually("the rules of names", WAIT, || async {
            let el = impostor.wait_for("[data-testid=signin-error]").await;
            let text = el.text().await.unwrap_or_default();
            text.contains("only contain").then_some(text)
        })
        .await;
        assert!(text.contains("only contain"), "{text}");

        alice.close().await;
        impostor.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_client_reconnects_after_a_server_restart() {
    run(async {
        let mut server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        // Alice is in a second room, which she must be in again after the restart.
        alice.type_into("[data-testid=join-room]", "ops").await;
        alice.click("[data-testid=join-submit]").await;
        let title = alice.wait_for("[data-testid=conv-title]").await;
        eventually("alice in #ops", WAIT, || async {
            (title.text().await.ok()? == "#ops").then_some(())
        })
        .await;

        server.kill();
        alice
            .wait_for_state(&["reconnecting", "offline", "connecting"])
            .await;
        let text = alice
            .wait_for("[data-testid=connection-text]")
            .await
            .text()
            .await
            .unwrap_or_default();
        assert!(
            text.starts_with("Reconnecting") || text.starts_with("Connecting"),
            "{text}"
        );

        server.start_again();
        alice.wait_connected().await;
        bob.wait_connected().await;
        // Still signed in: the page did not fall back to the sign-in form.
        assert!(alice.has("[data-testid=chat]").await);

        // The room is joined again (the page says so before it lets one write there)...
        eventually("alice back in #ops", WAIT, || async {
            let help = alice
                .wait_for("[data-testid=composer-help]")
                .await
                .text()
                .await
                .ok()?;
            (!help.starts_with("Joining")).then_some(())
        })
        .await;
        // ...and a message there is accepted.
        alice.send("back in ops").await;
        alice.wait_for_status("back in ops", "confirmed").await;

        // And the lobby works both ways.
        alice.click("[data-testid=room-lobby]").await;
        bob.wait_for("[data-testid=user-alice]").await;
        alice.send("are you there?").await;
        bob.wait_for_body("are you there?").await;
        bob.send("yes!").await;
        alice.wait_for_body("yes!").await;

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn markup_in_messages_is_shown_as_text() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        let attack = "<img src=x onerror=alert(1)>";
        let sneaky = "<script>window.__pwned = 1</script><b onmouseover=alert(2)>bold?</b>";
        alice.send(attack).await;
        alice.send(sneaky).await;
        bob.wait_for_body(attack).await;
        bob.wait_for_body(sneaky).await;

        for browser in [&alice, &bob] {
            assert!(
                browser.client().get_alert_text().await.is_err(),
                "{}: an alert is open",
                browser.label
            );
            let found = browser
                .js(
                    "const list = document.querySelector('[data-testid=message-list]');\
                     return list.querySelectorAll('img, script, b').length;",
                )
                .await;
            assert_eq!(found, serde_json::json!(0), "{}", browser.label);
            assert_eq!(
                browser.js("return window.__pwned === undefined;").await,
                serde_json::json!(true)
            );
            assert!(browser.page_text().await.contains(attack));
        }

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_page_fits_a_phone_screen() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice
            .client()
            .set_window_size(360, 740)
            .await
            .expect("a narrow window");
        let width = alice.js("return window.innerWidth;").await;
        assert!(width.as_u64().is_some_and(|w| w <= 400), "viewport {width}");
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        // Nothing sticks out sideways.
        let fits = "return document.documentElement.scrollWidth <= window.innerWidth;";
        assert_eq!(alice.js(fits).await, serde_json::json!(true));

        // The sidebar is a drawer behind the menu button.
        let sidebar = alice.wait_for("#sidebar").await;
        assert!(!sidebar.is_displayed().await.expect("visibility"));
        alice.click("[data-testid=menu-toggle]").await;
        eventually("the drawer opens", WAIT, || async {
            sidebar.is_displayed().await.ok()?.then_some(())
        })
        .await;
        save_screenshot(&alice, "phone-sidebar.png").await;
        alice.click("[data-testid=user-bob]").await;
        eventually("the drawer closes", WAIT, || async {
            (!sidebar.is_displayed().await.ok()?).then_some(())
        })
        .await;

        alice.send("written on a phone").await;
        bob.wait_for("[data-testid=dm-alice]").await;
        bob.click("[data-testid=dm-alice]").await;
        bob.wait_for_body("written on a phone").await;
        bob.send("read on a laptop").await;
        alice.wait_for_body("read on a laptop").await;
        assert_eq!(alice.js(fits).await, serde_json::json!(true));
        save_screenshot(&alice, "phone-conversation.png").await;

        alice.close().await;
        bob.close().await;
    });
}

/// Saves a screenshot into `E2E_SCREENSHOT_DIR`, when it is set (for looking, not asserting).
async fn save_screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("E2E_SCREENSHOT_DIR") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, browser.screenshot().await)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_session_survives_a_reload_and_signing_out_ends_it_in_every_tab() {
    run(async {
        let server = Server::start();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;

        // A reload keeps her signed in (the token is in localStorage).
        alice.client().refresh().await.expect("a reload");
        alice.wait_for("[data-testid=chat]").await;
        alice.wait_connected().await;
        let me = alice.wait_for("[data-testid=me]").await;
        assert_eq!(me.text().await.expect("a name"), "alice");

        // A second tab shares the session.
        let first_tab = alice.client().window().await.expect("a tab");
        let second_tab = alice.client().new_window(true).await.expect("a new tab");
        alice
            .client()
            .switch_to_window(second_tab.handle)
            .await
            .expect("the new tab");
        alice.client().goto(&server.url()).await.expect("the page");
        alice.wait_connected().await;

        // Signing out there ends the session in the first tab too (close code 4001).
        alice.click("[data-testid=sign-out]").await;
        alice.wait_for("[data-testid=signin-form]").await;
        alice
            .client()
            .switch_to_window(first_tab)
            .await
            .expect("the first tab");
        alice.wait_for("[data-testid=signin-form]").await;
        let text = alice.page_text().await;
        assert!(text.contains("Your session was signed out"), "{text}");

        // The name had no password and has no session left: it is free again.
        let bob = Browser::open(&driver, &server, "someone else").await;
        bob.sign_in("Alice").await;
        let me = bob.wait_for("[data-testid=me]").await;
        assert_eq!(me.text().await.expect("a name"), "Alice");

        alice.close().await;
        bob.close().await;
    });
}
