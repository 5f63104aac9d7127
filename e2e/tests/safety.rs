//! Safety in real browsers: alice blocks bob from their private conversation, then sees his
//! room message collapsed ("message from a blocked user — show", shown on a click) and never
//! gets his private message, while carol sees both as before; an administrator, from the
//! panel only administrators are offered, reads the figures and disables bob's account, and
//! bob's browser is signed out at once and told why. The pages pass axe-core with a collapsed
//! message and with the panel open.

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

        alice.talk_to("bob").await;
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
        bob.talk_to("alice").await;
        bob.send("psst alice").await;
        bob.wait_for_status("psst alice", "confirmed").await;
        bob.talk_to("carol").await;
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
        alice.talk_to("bob").await;
        alice
            .wait_for("[data-testid=block][aria-pressed=true]")
            .await;
        assert!(!alice.bodies().await.contains(&"psst alice".to_owned()));

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}

/// The administrators' panel's figures, as `label: value` lines.
async fn figures(browser: &Browser) -> Vec<String> {
    let found = browser
        .js(
            "return Array.from(document.querySelectorAll('[data-testid=admin-figures] dt'))\
             .map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent);",
        )
        .await;
    serde_json::from_value(found).unwrap_or_default()
}

/// Asks the panel to disable the account typed in it: "Disable…", then the confirmation,
/// by the keyboard (focus moves to the confirming button).
async fn disable(root: &Browser, name: &str) {
    root.js("document.querySelector('[data-testid=admin-account]').value = '';")
        .await;
    root.type_into("[data-testid=admin-account]", name).await;
    root.click("[data-testid=admin-disable]").await;
    root.wait_for("[data-testid=admin-question]").await;
    root.wait_for_focus("admin-confirm").await;
    let focused = root
        .client()
        .active_element()
        .await
        .expect("a focused element");
    focused
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("Enter");
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn an_administrator_disables_an_account_from_the_panel_and_its_browser_is_signed_out() {
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

        // Bob is no administrator: once his page knows his account (it offers a password),
        // it offers no administration, and the endpoints refuse his token anyway.
        bob.wait_for("[data-testid=add-password-open]").await;
        assert!(!bob.has("[data-testid=admin-open]").await);
        assert!(!bob.has("[data-testid=admin-panel]").await);
        let bob_token = bob
            .js("return localStorage.getItem('chat.token');")
            .await
            .as_str()
            .expect("bob's token")
            .to_owned();
        let refused = server
            .http()
            .get(server.url("/api/admin/figures"))
            .bearer_auth(&bob_token)
            .send()
            .await
            .expect("GET");
        assert_eq!(refused.status(), 403);

        // Root opens the panel: the server's figures.
        root.click("[data-testid=admin-open]").await;
        root.wait_for("[data-testid=admin-panel]").await;
        eventually("root: the figures", WAIT, || async {
            let rows = figures(&root).await;
            (rows.len() == 6).then_some(rows)
        })
        .await;
        let rows = figures(&root).await;
        assert_eq!(
            rows[..5],
            [
                "Accounts: 2",
                "Disabled accounts: 0",
                "Users online: 2",
                "Rooms: 1",
                "Messages stored: 1"
            ]
        );
        assert_eq!(rows[5], "Connections on local: 2");
        let violations = root.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");

        // A name nobody has: the server's refusal, in words; nothing happens to anyone.
        disable(&root, "nobody").await;
        root.wait_for_text(
            "[data-testid=admin-error]",
            "No account is called “nobody”.",
        )
        .await;

        // Bob's account: asked, confirmed, done.
        root.js("document.querySelector('[data-testid=admin-account]').value = '';")
            .await;
        root.type_into("[data-testid=admin-account]", "bob").await;
        root.click("[data-testid=admin-disable]").await;
        let question = root.text_of("[data-testid=admin-question]").await;
        assert!(
            question
                .as_deref()
                .is_some_and(|q| q.starts_with("Disable the account “bob”?")),
            "{question:?}"
        );
        let violations = root.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        root.click("[data-testid=admin-cancel]").await;
        assert!(!root.has("[data-testid=admin-question]").await);
        bob.wait_connected().await;
        disable(&root, "bob").await;
        root.wait_for_text(
            "[data-testid=admin-done]",
            "The account “bob” is disabled; its sessions have ended.",
        )
        .await;

        // Bob's page is signed out at once (4003), and says why.
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

        // The figures, refreshed after it, count him.
        eventually("root: one disabled account", WAIT, || async {
            figures(&root)
                .await
                .contains(&"Disabled accounts: 1".to_owned())
                .then_some(())
        })
        .await;
        // The administrator's page carries on.
        root.click("[data-testid=dialog-cancel]").await;
        root.wait_for_focus("admin-open").await;
        root.send("after").await;
        root.wait_for_status("after", "confirmed").await;

        root.close().await;
        bob.close().await;
    });
}
