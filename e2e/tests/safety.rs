//! Safety in real browsers: alice blocks bob from their private conversation, then sees his
//! room message collapsed ("message from a blocked user — show", shown on a click) and never
//! gets his private message, while carol sees both as before; an administrator disables
//! bob's account and bob's browser is signed out at once, told why, and cannot sign in again.
//! The pages pass axe-core with a collapsed message.

use e2e::{dist_dir, eventually, run, Browser, ChromeDriver, WAIT};
use serde_json::json;
use testkit::ServerProcess;

/// The collapsed messages in the open conversation: whether each is open.
async fn collapsed(browser: &Browser) -> Vec<bool> {
    let found = browser
        .js(
            "return Array.from(document.querySelectorAll('[data-testid=blocked-message]'))\
             .map(d => d.open);",
        )
        .await;
    serde_json::from_value(found).unwrap_or_default()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_blocked_users_room_messages_are_collapsed_and_private_ones_never_arrive() {
    run(async {
        let server = ServerProcess::options()
            .static_dir(dist_dir())
            .start()
            .await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;

        alice.open_conversation("user-bob", "bob").await;
        alice
            .wait_for("[data-testid=block][aria-pressed=false]")
            .await;
        alice.click("[data-testid=block]").await;
        alice
            .wait_for("[data-testid=block][aria-pressed=true]")
            .await;
        let label = alice.text_of("[data-testid=block]").await;
        assert_eq!(label.as_deref(), Some("Unblock"));

        // Bob writes to the lobby, then privately to alice and to carol.
        bob.send("hello lobby").await;
        bob.wait_for_status("hello lobby", "confirmed").await;
        bob.open_conversation("user-alice", "alice").await;
        bob.send("psst alice").await;
        bob.wait_for_status("psst alice", "confirmed").await;
        bob.open_conversation("user-carol", "carol").await;
        bob.send("psst carol").await;
        bob.wait_for_status("psst carol", "confirmed").await;

        // Carol gets both of hers, as ever.
        carol.wait_for_body("hello lobby").await;
        carol.wait_for("[data-testid=dm-bob]").await;
        assert!(!carol.has("[data-testid=blocked-message]").await);

        // Alice: the room message is there, folded away, until she opens it.
        alice.open_conversation("room-lobby", "#lobby").await;
        eventually("alice: bob's message collapsed", WAIT, || async {
            (collapsed(&alice).await == [false]).then_some(())
        })
        .await;
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        alice.click("[data-testid=blocked-message] summary").await;
        eventually("alice: bob's message shown", WAIT, || async {
            (collapsed(&alice).await == [true]).then_some(())
        })
        .await;
        alice.wait_for_body("hello lobby").await;
        // His private message never came: no unread count from him, nothing in the
        // conversation, even after a reload.
        alice.send("still here").await;
        alice.wait_for_status("still here", "confirmed").await;
        assert!(!alice.has("[data-testid=dm-bob] [data-testid=unread]").await);
        alice.goto_page().await;
        alice.wait_connected().await;
        alice.open_conversation("user-bob", "bob").await;
        alice
            .wait_for("[data-testid=block][aria-pressed=true]")
            .await;
        assert!(!alice.bodies().await.contains(&"psst alice".to_owned()));

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn an_administrator_disables_an_account_and_its_browser_is_signed_out() {
    run(async {
        let server = ServerProcess::options()
            .static_dir(dist_dir())
            .args(["--admin", "root"])
            .start()
            .await;
        let driver = ChromeDriver::start();
        let root = Browser::open(&driver, &server, "root").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        root.sign_in("root").await;
        bob.sign_in("bob").await;
        bob.send("before").await;
        bob.wait_for_status("before", "confirmed").await;

        // The administrator's token, from their page; the endpoint is the HTTP API's.
        let token = root
            .js("return localStorage.getItem('chat.token');")
            .await
            .as_str()
            .expect("root's token")
            .to_owned();
        let disabled = server
            .http()
            .put(server.url("/api/admin/accounts/bob/disabled"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("PUT");
        assert_eq!(disabled.status(), 204);

        // Bob's page is signed out at once, and says why.
        bob.wait_for("[data-testid=signin-form]").await;
        eventually("bob: told why", WAIT, || async {
            let text = bob.page_text().await;
            text.contains("This account has been disabled by an administrator.")
                .then_some(())
        })
        .await;
        let stored = bob.js("return localStorage.getItem('chat.token');").await;
        assert_eq!(stored, json!(null));
        let violations = bob.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        // The administrator's page carries on.
        root.send("after").await;
        root.wait_for_status("after", "confirmed").await;

        root.close().await;
        bob.close().await;
    });
}
