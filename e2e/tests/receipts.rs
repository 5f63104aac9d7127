//! Read receipts in real browsers: alice writes to bob privately and sees "Seen" once he has
//! opened the conversation, while carol sees nothing of it; in a room, "Seen by 2" with the
//! names behind a disclosure that opens by click and by keyboard (axe-checked).

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;

/// The body of the message the "seen" note stands under.
async fn seen_under(browser: &Browser) -> String {
    let body = browser
        .js("const s = document.querySelector('[data-testid=seen]'); \
             return s ? s.closest('[data-testid=message]').querySelector('.bubble').textContent : null;")
        .await;
    body.as_str().unwrap_or_default().to_owned()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_sender_sees_seen_privately_and_seen_by_names_in_a_room() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;

        // Private: nothing is seen until bob opens the conversation.
        alice.talk_to("bob").await;
        alice.send("did you get my note?").await;
        alice
            .wait_for_status("did you get my note?", "confirmed")
            .await;
        alice.send("the one about Friday").await;
        alice
            .wait_for_status("the one about Friday", "confirmed")
            .await;
        assert!(!alice.has("[data-testid=seen]").await);
        bob.wait_for("[data-testid=dm-alice] [data-testid=unread]")
            .await;
        bob.click("[data-testid=dm-alice]").await;
        bob.wait_for_body("the one about Friday").await;
        alice
            .wait_for_text("[data-testid=seen] summary", "Seen")
            .await;
        alice.wait_for_text("[data-testid=seen-names]", "bob").await;
        assert!(seen_under(&alice).await.contains("the one about Friday"));
        // One note, under the last message; the reader shows none for messages not his.
        let notes = alice
            .js("return document.querySelectorAll('[data-testid=seen]').length;")
            .await;
        assert_eq!(notes, serde_json::json!(1));
        assert!(!bob.has("[data-testid=seen]").await);
        // Carol has nothing of theirs.
        assert!(!carol.has("[data-testid=seen]").await);
        assert!(!carol.has("[data-testid=dm-alice]").await);

        // A room of three: the two others read, alice sees "Seen by 2" and who.
        for browser in [&alice, &bob, &carol] {
            browser.join_room("rust").await;
        }
        for browser in [&alice, &bob, &carol] {
            browser.wait_for("[data-testid=member-list] li").await;
        }
        alice.send("standup in five minutes").await;
        alice
            .wait_for_status("standup in five minutes", "confirmed")
            .await;
        bob.wait_for_body("standup in five minutes").await;
        carol.wait_for_body("standup in five minutes").await;
        alice
            .wait_for_text("[data-testid=seen] summary", "Seen by 2")
            .await;
        assert!(seen_under(&alice).await.contains("standup in five minutes"));
        let hover = alice
            .js("return document.querySelector('[data-testid=seen] summary').title;")
            .await;
        assert_eq!(hover, serde_json::json!("bob, carol"));
        let open = "return document.querySelector('[data-testid=seen]').open;";
        assert_eq!(alice.js(open).await, serde_json::json!(false));
        alice.click("[data-testid=seen] summary").await;
        assert_eq!(alice.js(open).await, serde_json::json!(true));
        // Opened, the names show (laid out, not only in the DOM).
        let shown = alice
            .js(
                "const n = document.querySelector('[data-testid=seen-names]'); \
                 return n.getBoundingClientRect().height > 0 ? n.textContent : null;",
            )
            .await;
        assert_eq!(shown, serde_json::json!("bob, carol"));
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "axe: {violations:?}");
        let docs = e2e::repo_root().join("docs");
        std::fs::write(
            docs.join("screenshot-receipts.png"),
            alice.screenshot().await,
        )
        .expect("docs/screenshot-receipts.png");
        // The keyboard closes it again: the summary is focused, Enter toggles it.
        let summary = alice.wait_for("[data-testid=seen] summary").await;
        summary
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("Enter on the summary");
        eventually("alice: the names closed by keyboard", WAIT, || async {
            (alice.js(open).await == serde_json::json!(false)).then_some(())
        })
        .await;

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}
