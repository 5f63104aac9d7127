//! Away and last seen in real browsers: bob's page hidden makes him away for alice (a hollow
//! dot, "away" in words), shown again makes him online, and closing it leaves "last seen
//! just now" in the header of alice's conversation with him.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};

/// The class and accessible name of bob's entry in alice's online list.
async fn bob_in_the_list(alice: &Browser) -> (String, String) {
    let found = alice
        .js(
            "const b = document.querySelector('[data-testid=user-bob]'); \
             return b ? [b.closest('li').className, b.getAttribute('aria-label')] : null;",
        )
        .await;
    serde_json::from_value(found).unwrap_or_default()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn bob_hidden_is_away_shown_is_online_and_gone_is_last_seen() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        // A room they share makes each of interest to the other (the lobby does not).
        bob.join_room("team").await;
        alice.join_room("team").await;
        alice.open_conversation("user-bob", "bob").await;
        let subtitle = "[data-testid=conv-subtitle]";
        alice.wait_for_text(subtitle, "online · private").await;
        let (class, label) = bob_in_the_list(&alice).await;
        assert!(!class.contains("away"), "{class}");
        assert_eq!(label, "Talk privately with bob");

        // Bob's tab goes to the background.
        bob.set_hidden(true).await;
        alice.wait_for_text(subtitle, "away · private").await;
        eventually("alice: bob away in the online list", WAIT, || async {
            let (class, label) = bob_in_the_list(&alice).await;
            (class.split(' ').any(|c| c == "away") && label == "Talk privately with bob (away)")
                .then_some(())
        })
        .await;
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        // A picture for the README: bob away in alice's list and her conversation's header.
        let docs = e2e::repo_root().join("docs");
        std::fs::write(docs.join("screenshot-away.png"), alice.screenshot().await)
            .expect("docs/screenshot-away.png");

        // Back: online again.
        bob.set_hidden(false).await;
        alice.wait_for_text(subtitle, "online · private").await;
        let (class, _) = bob_in_the_list(&alice).await;
        assert!(!class.contains("away"), "{class}");

        // Bob closes his browser: offline, seen just now.
        bob.close().await;
        alice
            .wait_for_text(subtitle, "last seen just now · private")
            .await;
        assert!(!alice.has("[data-testid=user-bob]").await);

        alice.close().await;
    });
}
