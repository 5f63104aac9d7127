//! Rooms and moderation in real browsers, three people side by side. A private room made with
//! `/private` is invisible to a third user (not in `/rooms`, not joined, told nothing of it),
//! while the user invited with `/invite` is told in the lobby and joins with `/join`. A
//! moderator (`/mod`) kicks a member, who may come back, then bans them, who may not;
//! the owner reads both in the room's audit log (`/audit`). Without slash commands: the room
//! browser lists the public rooms, its search narrows them, Join joins one (Open opens one
//! we are in); the invited user sees the invitation in the sidebar and joins with
//! one click; the owner's `/retention` shows under the heading. The pages, the browser's
//! dialog open, pass axe-core.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use serde_json::json;

/// Whether the room browser's dialog is open.
const DIALOG_OPEN: &str = "return document.querySelector('[data-testid=room-browser]').open;";

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
        carol.click("[data-testid=browse-close]").await;
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

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_room_browser_finds_and_joins_and_an_invitation_is_one_click() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        for (browser, name) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol")] {
            browser.sign_in(name).await;
        }
        alice.send("/create rust Ownership and borrowing").await;
        alice.wait_for_title("#rust").await;
        alice.send("/create go Goroutines").await;
        alice.wait_for_title("#go").await;

        // Bob browses: both listed with their topic and size; a search narrows to one.
        bob.click("[data-testid=browse-rooms]").await;
        bob.wait_for("[data-testid=room-browser] [data-testid=browse-go]")
            .await;
        bob.wait_for_text("[data-testid=browse-rust] p", "Ownership and borrowing")
            .await;
        assert!(bob
            .text_of("[data-testid=browse-rust]")
            .await
            .unwrap_or_default()
            .contains("#rust · 1 member"));
        no_axe_violations(&bob).await;
        bob.type_into("[data-testid=browse-query]", "borrow").await;
        bob.click("[data-testid=browse-search]").await;
        eventually("bob: the search leaves #go out", WAIT, || async {
            (!bob.has("[data-testid=browse-go]").await).then_some(())
        })
        .await;
        assert!(bob.has("[data-testid=browse-rust]").await);
        bob.click("[data-testid=browse-rust] button").await;
        bob.wait_for_title("#rust").await;
        assert!(lists_room(&bob, "rust").await);
        assert_eq!(bob.js(DIALOG_OPEN).await, json!(false));

        // Close closes the browser; a room we are in is opened from it, not joined.
        bob.click("[data-testid=room-lobby]").await;
        bob.wait_for_title("#lobby").await;
        bob.click("[data-testid=browse-rooms]").await;
        bob.wait_for_text("[data-testid=browse-rust] button", "Open")
            .await;
        bob.click("[data-testid=browse-close]").await;
        eventually("bob: Close closes the browser", WAIT, || async {
            (bob.js(DIALOG_OPEN).await == json!(false)).then_some(())
        })
        .await;
        bob.click("[data-testid=browse-rooms]").await;
        bob.click("[data-testid=browse-rust] button").await;
        bob.wait_for_title("#rust").await;

        // Bob makes a private room, keeps its messages 30 days and invites carol.
        bob.send("/private plans Q3 dates").await;
        bob.wait_for_title("#plans").await;
        bob.wait_for_text(
            "[data-testid=conv-subtitle]",
            "1 member · private · Q3 dates",
        )
        .await;
        bob.send("/retention 30").await;
        bob.wait_for_text(
            "[data-testid=conv-subtitle]",
            "1 member · private · kept 30 days · Q3 dates",
        )
        .await;
        bob.send("/invite carol").await;

        // Carol sees the invitation in her sidebar and joins with one click.
        carol
            .wait_for_text("[data-testid=invite-plans] strong", "#plans from bob")
            .await;
        carol
            .wait_for_text("[data-testid=invite-plans] p", "Q3 dates")
            .await;
        no_axe_violations(&carol).await;
        carol
            .click("[data-testid=invite-plans] [data-act=Join]")
            .await;
        carol.wait_for_title("#plans").await;
        assert!(lists_room(&carol, "plans").await);
        eventually("carol: the invitation gone once joined", WAIT, || async {
            (!carol.has("[data-testid=invite-plans]").await).then_some(())
        })
        .await;
        // Not listed to anyone: alice's browser shows #rust and #go only.
        alice.click("[data-testid=browse-rooms]").await;
        alice.wait_for("[data-testid=browse-go]").await;
        assert!(!alice.has("[data-testid=browse-plans]").await);
        no_axe_violations(&alice).await;
    });
}
