//! Rooms and moderation in real browsers, three people side by side. A private room made with
//! `/private` is invisible to a third user (not in `/rooms`, not joined, told nothing of it),
//! while the user invited with `/invite` is told in the lobby and joins with `/join`. A
//! moderator (`/mod`) kicks a member, who may come back, then bans them, who may not;
//! the owner reads both in the room's audit log (`/audit`). The pages pass axe-core.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};

/// Waits until the page shows `text` somewhere (a notice, a system line, a list).
async fn wait_for_text_anywhere(browser: &Browser, text: &str) {
    let what = format!("{}: {text:?} shown", browser.label);
    eventually(&what, WAIT, || async {
        browser.page_text().await.contains(text).then_some(())
    })
    .await;
}

/// Whether the sidebar lists room `room` among ours.
async fn lists_room(browser: &Browser, room: &str) -> bool {
    browser
        .has(&format!(
            "[data-testid=room-list] [data-testid=room-{room}]"
        ))
        .await
}

async fn no_axe_violations(browser: &Browser) {
    let violations = browser.axe_violations().await;
    assert!(violations.is_empty(), "{}: {violations:#?}", browser.label);
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_private_room_is_invisible_to_a_third_user_and_open_to_the_invited() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        for (browser, name) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol")] {
            browser.sign_in(name).await;
        }
        alice.send("/private plans Q3 dates").await;
        alice.wait_for_title("#plans").await;
        alice
            .wait_for_text(
                "[data-testid=conv-subtitle]",
                "1 member · private · Q3 dates",
            )
            .await;
        alice.send("the plan").await;
        alice.wait_for_status("the plan", "confirmed").await;

        // Carol: not listed, and joining it is answered as for a room she may not see.
        carol.send("/rooms").await;
        wait_for_text_anywhere(&carol, "No public room matches.").await;
        carol.type_into("[data-testid=join-room]", "plans").await;
        carol.click("[data-testid=join-submit]").await;
        wait_for_text_anywhere(&carol, "there is no room #plans that you may join").await;

        // Bob, invited, is told in the lobby how to join, and joins.
        alice.send("/invite bob").await;
        wait_for_text_anywhere(&alice, "alice invited bob").await;
        wait_for_text_anywhere(&bob, "alice invited you to #plans: /join plans").await;
        no_axe_violations(&bob).await;
        bob.send("/join plans").await;
        bob.wait_for_title("#plans").await;
        bob.wait_for_body("the plan").await;

        // Carol still sees nothing of it.
        let page = carol.page_text().await;
        assert!(
            !page.contains("the plan") && !page.contains("Q3 dates"),
            "{page}"
        );
        assert!(!lists_room(&carol, "plans").await);
        no_axe_violations(&carol).await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_moderator_kicks_then_bans_and_the_owner_reads_the_audit_log() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        for (browser, name) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol")] {
            browser.sign_in(name).await;
        }
        alice.join_room("rust").await;
        bob.join_room("rust").await;
        carol.join_room("rust").await;
        alice.send("/mod bob").await;
        bob.wait_for_text("[data-testid=conv-subtitle]", "3 members · moderators: bob")
            .await;

        // Kicked: out, told by whom, and free to come back.
        bob.send("/kick carol").await;
        wait_for_text_anywhere(&carol, "bob removed you from #rust").await;
        eventually("carol: #rust gone from the sidebar", WAIT, || async {
            (!lists_room(&carol, "rust").await).then_some(())
        })
        .await;
        wait_for_text_anywhere(&alice, "bob removed carol").await;
        carol.join_room("rust").await;

        // Banned: out, and kept out.
        bob.send("/ban carol").await;
        wait_for_text_anywhere(&carol, "bob banned you from #rust").await;
        eventually("carol: #rust gone again", WAIT, || async {
            (!lists_room(&carol, "rust").await).then_some(())
        })
        .await;
        carol.type_into("[data-testid=join-room]", "rust").await;
        carol.click("[data-testid=join-submit]").await;
        wait_for_text_anywhere(&carol, "you are banned from #rust").await;
        assert!(!lists_room(&carol, "rust").await);

        // The owner reads who did what to whom, and when.
        alice.send("/audit").await;
        wait_for_text_anywhere(&alice, "Audit: bob kick carol on ").await;
        wait_for_text_anywhere(&alice, "Audit: bob ban carol on ").await;
        no_axe_violations(&alice).await;
    });
}
