//! Presence by interest in real browsers: three people in the lobby alone see how many are
//! online but not each other; "Everyone online" lists them (a snapshot, asked for when
//! opened), and a name in it opens a private conversation, by keyboard, after which each is
//! of interest to the other. A room shared brings its members' presence, and leaving it
//! takes it away. The page passes axe-core with the list open.
//! Ignored by a plain `cargo test`; `cargo xtask test` builds what they need and runs them.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;

/// The names in `browser`'s list of those online it has an interest in.
async fn online_list(browser: &Browser) -> Vec<String> {
    let names = browser
        .js(
            "return Array.from(document.querySelectorAll('[data-testid=online-list] li'))\
             .map(li => li.textContent.trim());",
        )
        .await;
    serde_json::from_value(names).unwrap_or_default()
}

/// The names "Everyone online" lists.
async fn everyone(browser: &Browser) -> Vec<String> {
    let names = browser
        .js(
            "return Array.from(document.querySelectorAll('[data-testid=everyone-list] strong'))\
             .map(s => s.textContent);",
        )
        .await;
    serde_json::from_value(names).unwrap_or_default()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn everyone_online_lists_the_lobby_and_opens_a_private_conversation() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;

        // The lobby gives no interest: alice sees the count, and herself alone listed.
        alice.wait_for_online_count(3).await;
        alice
            .wait_for_text("[data-testid=conv-subtitle]", "3 online")
            .await;
        assert_eq!(online_list(&alice).await, ["alice (you)"]);
        assert!(!alice.has("[data-testid=user-bob]").await);

        // "Everyone online" asks for the lobby's members, and says the list is a snapshot.
        alice.open_everyone("bob").await;
        assert_eq!(
            alice
                .js(
                    "return document.querySelector('[data-testid=everyone-open]')\
                     .parentElement.open;"
                )
                .await,
            true
        );
        eventually("alice: everyone listed", WAIT, || async {
            (everyone(&alice).await == ["alice", "bob", "carol"]).then_some(())
        })
        .await;
        alice
            .wait_for_text(
                "#everyone-status",
                "As listed when opened: open it again to refresh.",
            )
            .await;
        assert!(!alice.has("[data-testid='everyone-alice'] button").await);
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");

        // Bob's entry, by keyboard: a private conversation with him opens, online.
        alice
            .js("document.querySelector(\"[data-testid='everyone-bob'] button\").focus();")
            .await;
        alice
            .client()
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("Enter");
        alice.wait_for_title("bob").await;
        alice
            .wait_for_text("[data-testid=conv-subtitle]", "online · private")
            .await;
        alice.send("found you in the list").await;
        alice
            .wait_for_status("found you in the list", "confirmed")
            .await;
        bob.wait_for("[data-testid=dm-alice]").await;

        // A private message makes each of interest to the other: bob is in alice's list now.
        alice.wait_for("[data-testid=user-bob]").await;

        // A room shared brings carol's presence; leaving it takes it away.
        carol.join_room("team").await;
        alice.join_room("team").await;
        alice.wait_for("[data-testid=user-carol]").await;
        alice.click("[data-testid=close-room-team]").await;
        eventually("alice: carol no longer listed", WAIT, || async {
            (!alice.has("[data-testid=user-carol]").await).then_some(())
        })
        .await;
        assert!(alice.has("[data-testid=user-bob]").await);

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}
