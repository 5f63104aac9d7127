//! The chat in real browsers: the server binary, the built frontend and headless Chromium.
//! Ignored by a plain `cargo test`; `cargo xtask test` builds what they need and runs them.

use std::time::Duration;

use e2e::{eventually, run, start_server, Browser, ChromeDriver, Relay, WAIT};
use fantoccini::key::Key;

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn room_messages_reach_the_other_person() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        // Both see that two are online (the lobby gives no interest: neither is listed).
        alice.wait_for_online_count(2).await;
        bob.wait_for_online_count(2).await;

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

        // The sender's name is shown with bob's message on alice's side; her own messages do
        // not repeat hers.
        let senders = alice
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=message-sender]'))\
                 .map(e => e.textContent);",
            )
            .await;
        assert_eq!(senders, serde_json::json!(["bob"]));

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
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;

        alice.talk_to("bob").await;
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
        assert!(!carol.has("[data-testid=direct-list] li").await);
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
        let server = start_server().await;
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
            text.contains("spaces are not allowed").then_some(text)
        })
        .await;
        assert!(text.contains("spaces are not allowed"), "{text}");

        alice.close().await;
        impostor.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_client_reconnects_after_a_server_restart() {
    run(async {
        let mut server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        // Alice is in a second room; memberships are stored, so she is still in it after the
        // restart.
        alice.type_into("[data-testid=join-room]", "ops").await;
        alice.click("[data-testid=join-submit]").await;
        let title = alice.wait_for("[data-testid=conv-title]").await;
        eventually("alice in #ops", WAIT, || async {
            (title.text().await.ok()? == "#ops").then_some(())
        })
        .await;

        server.kill_9().await;
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

        server.restart().await;
        alice.wait_connected().await;
        bob.wait_connected().await;
        // Still signed in: the page did not fall back to the sign-in form.
        assert!(alice.has("[data-testid=chat]").await);

        // The room is hers again (the page says so before it lets one write there)...
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
        bob.wait_for_online_count(2).await;
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
        let server = start_server().await;
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
        let server = start_server().await;
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
        alice.save_screenshot("phone-sidebar.png").await;
        alice.talk_to("bob").await;
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
        alice.save_screenshot("phone-conversation.png").await;

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_session_survives_a_reload_and_signing_out_ends_it_in_every_tab() {
    run(async {
        let server = start_server().await;
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
        alice
            .client()
            .goto(&server.base_url())
            .await
            .expect("the page");
        alice.wait_connected().await;

        // Signing out there (confirmed) ends the session in the first tab too (close code 4001).
        alice.click("[data-testid=sign-out]").await;
        alice.click("[data-testid=sign-out-confirm]").await;
        alice.wait_for("[data-testid=signin-form]").await;
        alice
            .client()
            .switch_to_window(first_tab)
            .await
            .expect("the first tab");
        alice.wait_for("[data-testid=signin-form]").await;
        let text = alice.page_text().await;
        assert!(text.contains("Your session was signed out"), "{text}");

        // The name had no password and has no session left: it is still alice's.
        let bob = Browser::open(&driver, &server, "someone else").await;
        bob.submit_sign_in("Alice").await;
        eventually("the name is refused", WAIT, || async {
            let error = bob.wait_for("[data-testid=signin-error]").await;
            error.text().await.ok()?.contains("is taken").then_some(())
        })
        .await;

        alice.close().await;
        bob.close().await;
    });
}

/// The unread count a sidebar entry shows, once it shows one.
async fn wait_for_unread(browser: &Browser, testid: &str, count: u32) {
    let css = format!("[data-testid={testid}] [data-testid=unread]");
    let wanted = count.to_string();
    let what = format!("{}: {count} unread in {testid}", browser.label);
    eventually(&what, WAIT, || async {
        let text = browser
            .client()
            .find(fantoccini::Locator::Css(&css))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text.split_whitespace().next() == Some(wanted.as_str())).then_some(())
    })
    .await;
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_message_sent_while_bobs_page_is_offline_appears_for_bob_after_reconnect() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        bob.join_room("team").await;
        alice.join_room("team").await;
        alice.wait_for("[data-testid=member-bob]").await;

        // Bob's page goes away; the server keeps his membership and his messages.
        bob.client()
            .goto("about:blank")
            .await
            .expect("a blank page");
        eventually("alice sees bob go offline", WAIT, || async {
            (!alice.has("[data-testid=user-bob]").await).then_some(())
        })
        .await;

        // Alice finds bob among the room's members, offline, and writes to him anyway.
        alice.click("[data-testid=member-bob]").await;
        let title = alice.wait_for("[data-testid=conv-title]").await;
        assert_eq!(title.text().await.expect("a title"), "bob");
        let private = "written while you were away";
        alice.send(private).await;
        alice.wait_for_status(private, "confirmed").await;
        alice.click("[data-testid=room-team]").await;
        let news = "team news while bob is away";
        alice.send(news).await;
        alice.wait_for_status(news, "confirmed").await;

        // Bob comes back (same browser profile, so still signed in).
        bob.client()
            .goto(&server.base_url())
            .await
            .expect("the page");
        bob.wait_for("[data-testid=chat]").await;
        bob.wait_connected().await;
        alice.wait_for("[data-testid=user-bob]").await;

        // Both conversations say what is new, and hold it.
        wait_for_unread(&bob, "dm-alice", 1).await;
        wait_for_unread(&bob, "room-team", 1).await;
        bob.click("[data-testid=room-team]").await;
        bob.wait_for_body(news).await;
        eventually("bob: team read", WAIT, || async {
            (!bob
                .has("[data-testid=room-team] [data-testid=unread]")
                .await)
                .then_some(())
        })
        .await;
        bob.click("[data-testid=dm-alice]").await;
        bob.wait_for_body(private).await;
        eventually("bob: alice's message read", WAIT, || async {
            (!bob.has("[data-testid=dm-alice] [data-testid=unread]").await).then_some(())
        })
        .await;
        assert_eq!(bob.bodies().await, [private]);

        // Live messages still arrive, once.
        alice.click("[data-testid=dm-bob]").await;
        alice.send("welcome back").await;
        bob.wait_for_body("welcome back").await;
        assert_eq!(bob.bodies().await, [private, "welcome back"]);

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_reload_shows_the_history_and_keeps_unread_counts() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        alice.send("first in the lobby").await;
        bob.wait_for_body("first in the lobby").await;
        bob.send("second in the lobby").await;
        alice.wait_for_body("second in the lobby").await;
        alice.talk_to("bob").await;
        alice.send("a private word").await;
        alice.wait_for_status("a private word", "confirmed").await;
        wait_for_unread(&bob, "dm-alice", 1).await;

        // Alice reloads: she is back in her private conversation with bob (the address keeps
        // it), which holds its message...
        alice.client().refresh().await.expect("a reload");
        alice.wait_connected().await;
        eventually(
            "alice: the private conversation's history",
            WAIT,
            || async { (alice.bodies().await == ["a private word"]).then_some(()) },
        )
        .await;
        alice.wait_for("[data-testid=dm-bob]").await;
        // ...and the lobby shows what was said, in order, once.
        alice.click("[data-testid=room-lobby]").await;
        eventually("alice: the lobby's history", WAIT, || async {
            let bodies = alice.bodies().await;
            (bodies == ["first in the lobby", "second in the lobby"]).then_some(())
        })
        .await;

        // Bob reloads without reading: the count is kept by the server.
        bob.client().refresh().await.expect("a reload");
        bob.wait_connected().await;
        wait_for_unread(&bob, "dm-alice", 1).await;
        bob.click("[data-testid=dm-alice]").await;
        bob.wait_for_body("a private word").await;
        eventually("bob: read", WAIT, || async {
            (!bob.has("[data-testid=dm-alice] [data-testid=unread]").await).then_some(())
        })
        .await;
        // Read on the server too: after another reload (into the lobby, so that the reload
        // itself does not open and read the conversation) there is nothing unread.
        tokio::time::sleep(Duration::from_millis(500)).await;
        bob.click("[data-testid=room-lobby]").await;
        bob.client().refresh().await.expect("a reload");
        bob.wait_connected().await;
        bob.wait_for("[data-testid=dm-alice]").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!bob.has("[data-testid=dm-alice] [data-testid=unread]").await);

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn scrolling_up_loads_older_messages_without_gaps_or_doubles() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;

        // 60 messages from a second connection of alice's (a plain WebSocket in her page),
        // slowly enough for the rate limit.
        let sent = alice
            .client()
            .execute_async(
                "const [count, done] = arguments;\
                 const token = localStorage.getItem('chat.token');\
                 const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);\
                 let acks = 0;\
                 ws.onmessage = (e) => {\
                   const f = JSON.parse(e.data);\
                   if (f.type === 'welcome') {\
                     let n = 0;\
                     const t = setInterval(() => {\
                       n += 1;\
                       if (n > count) { clearInterval(t); return; }\
                       ws.send(JSON.stringify({type: 'room_message', room: 'lobby',\
                         body: 'old ' + n, req: 'bulk-' + n}));\
                     }, 120);\
                   } else if (f.type === 'ack') {\
                     acks += 1;\
                     if (acks === count) { ws.close(1000); done(acks); }\
                   } else if (f.type === 'error') { ws.close(1000); done(e.data); }\
                 };",
                vec![serde_json::json!(60)],
            )
            .await
            .expect("the messages are sent");
        assert_eq!(sent, serde_json::json!(60));
        let all: Vec<String> = (1..=60).map(|n| format!("old {n}")).collect();
        // The open page got them live (they came from another connection of hers).
        eventually("alice: all 60 live", WAIT, || async {
            (alice.bodies().await == all).then_some(())
        })
        .await;

        // A reload opens the conversation at its newest page, and loads nothing older until
        // the reader scrolls up.
        alice.client().refresh().await.expect("a reload");
        alice.wait_connected().await;
        eventually("alice: the newest page", WAIT, || async {
            (alice.bodies().await == all[10..]).then_some(())
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(alice.bodies().await, all[10..], "nothing older unasked");

        // Scrolling to the top loads the rest, above, without moving what she sees.
        alice
            .js("document.querySelector('[data-testid=message-list]').scrollTop = 0;")
            .await;
        eventually("alice: everything, in order, once", WAIT, || async {
            (alice.bodies().await == all).then_some(())
        })
        .await;
        let top = alice
            .js("return document.querySelector('[data-testid=message-list]').scrollTop;")
            .await;
        assert!(top.as_f64().is_some_and(|t| t > 0.0), "scrollTop {top}");
        let edge = alice.wait_for("[data-testid=history-edge]").await;
        eventually("alice: the beginning", WAIT, || async {
            edge.text().await.ok()?.contains("beginning").then_some(())
        })
        .await;

        alice.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_dropped_connection_loses_and_doubles_nothing_on_either_side() {
    run(async {
        let server = start_server().await;
        // Alice's page, `/api` and `/ws` all go through the relay: her page's origin is the
        // relay's, and so is the `Host` her WebSocket upgrade carries, so the server's
        // same-origin check passes as it would behind a real proxy.
        let relay = Relay::start(server.addr).await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &relay, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        assert_eq!(
            alice.js("return location.host;").await,
            serde_json::json!(relay.addr.to_string())
        );
        alice.wait_for_online_count(2).await;
        bob.wait_for_online_count(2).await;

        // They talk in the lobby, then privately.
        alice.send("Morning, Bob!").await;
        bob.wait_for_body("Morning, Bob!").await;
        bob.send("Morning! Coffee?").await;
        alice.wait_for_body("Morning! Coffee?").await;
        alice.talk_to("bob").await;
        alice.send("psst, a private question").await;
        bob.wait_for("[data-testid=dm-alice]").await;
        bob.open_conversation("dm-alice", "alice").await;
        bob.wait_for_body("psst, a private question").await;
        bob.send("ask away").await;
        alice.wait_for_body("ask away").await;

        // The line drops while messages are on their way: bob's private one may or may not
        // reach alice first, alice's in the lobby may or may not reach the server.
        alice.open_conversation("room-lobby", "#lobby").await;
        bob.send("did you get this?").await;
        alice.send("lobby in flight").await;
        relay.cut();
        alice
            .wait_for_state(&["reconnecting", "offline", "connecting"])
            .await;

        // Bob carries on, privately and in the lobby.
        for text in ["away dm 1", "away dm 2"] {
            bob.send(text).await;
            bob.wait_for_status(text, "confirmed").await;
        }
        bob.open_conversation("room-lobby", "#lobby").await;
        for text in ["away lobby 1", "away lobby 2", "away lobby 3"] {
            bob.send(text).await;
            bob.wait_for_status(text, "confirmed").await;
        }

        // Alice writes too. Her page keeps what she sends, waiting (not failed), to send it
        // once the connection is back.
        for text in ["queued lobby 1", "queued lobby 2"] {
            alice.send(text).await;
            assert_eq!(alice.status_of(text).await.as_deref(), Some("waiting"));
        }
        let page = alice.page_text().await;
        assert!(page.contains("Waiting for connection"), "{page}");
        assert!(!page.contains("Not sent"), "{page}");
        alice.open_conversation("dm-bob", "bob").await;
        alice.send("queued dm 1").await;
        assert_eq!(
            alice.status_of("queued dm 1").await.as_deref(),
            Some("waiting")
        );
        // And she starts a message she will only send once back.
        alice
            .type_into("[data-testid=composer]", "typed during the cut")
            .await;
        assert!(!alice.bodies().await.iter().any(|b| b.starts_with("away")));

        // The outage lasts until her page has been refused a few times and waits seconds
        // between attempts ("Reconnecting in 2 s"), so that it must wait out its back-off.
        let text = alice.wait_for("[data-testid=connection-text]").await;
        let waiting = eventually(
            "alice backs off for seconds",
            Duration::from_secs(30),
            || async {
                let shown = text.text().await.ok()?;
                let seconds: u32 = shown
                    .strip_prefix("Reconnecting in ")?
                    .strip_suffix(" s")?
                    .parse()
                    .ok()?;
                (seconds >= 2).then_some(shown)
            },
        )
        .await;

        relay.restore();
        let restored = std::time::Instant::now();
        // The back-off may wait several seconds before the next attempt.
        eventually("alice reconnects", Duration::from_secs(60), || async {
            (alice.connection_state().await == "connected").then_some(())
        })
        .await;
        let reconnect = restored.elapsed();
        assert_eq!(text.text().await.expect("a status"), "Connected");
        assert_eq!(bob.connection_state().await, "connected");

        // What she sent while cut off goes out now, once; her unfinished message is still there.
        alice.wait_for_status("queued dm 1", "confirmed").await;
        assert_eq!(alice.composer_text().await, "typed during the cut");
        alice
            .type_into("[data-testid=composer]", &Key::Enter.to_string())
            .await;

        // Private: once each has the other's newest message, both hold the same list.
        bob.open_conversation("dm-alice", "alice").await;
        bob.wait_for_body("typed during the cut").await;
        bob.send("welcome back").await;
        alice.wait_for_body("welcome back").await;
        let private = [
            "psst, a private question",
            "ask away",
            "did you get this?",
            "away dm 1",
            "away dm 2",
            "queued dm 1",
            "typed during the cut",
            "welcome back",
        ];
        assert_eq!(
            alice.bodies().await,
            private,
            "alice's private conversation"
        );
        assert_eq!(bob.bodies().await, private, "bob's private conversation");

        // The lobby, the same way. Alice's message in flight at the cut was stored either
        // then (before bob's) or when her page sent it again after reconnecting (with her
        // queued ones); never twice.
        alice.open_conversation("room-lobby", "#lobby").await;
        bob.open_conversation("room-lobby", "#lobby").await;
        alice.wait_for_status("queued lobby 2", "confirmed").await;
        alice.send("back in the lobby").await;
        bob.wait_for_body("back in the lobby").await;
        bob.send("glad you're back").await;
        alice.wait_for_body("glad you're back").await;
        let lobby = alice.bodies().await;
        let stored_then = [
            "Morning, Bob!",
            "Morning! Coffee?",
            "lobby in flight",
            "away lobby 1",
            "away lobby 2",
            "away lobby 3",
            "queued lobby 1",
            "queued lobby 2",
            "back in the lobby",
            "glad you're back",
        ];
        let mut sent_again = stored_then.to_vec();
        sent_again.remove(2);
        sent_again.insert(5, "lobby in flight");
        assert!(
            lobby == stored_then || lobby == sent_again,
            "alice's lobby: {lobby:?}"
        );
        assert_eq!(bob.bodies().await, lobby, "bob's lobby");

        // Nothing left unsent or failed, and both say connected.
        for browser in [&alice, &bob] {
            assert!(
                !browser.has("[data-testid=failed]").await,
                "{}",
                browser.label
            );
            assert!(
                !browser.has("[data-testid=pending]").await,
                "{}",
                browser.label
            );
            assert_eq!(browser.connection_state().await, "connected");
        }
        println!(
            "alice showed {waiting:?}, reconnected {reconnect:?} after the relay was restored; \
             lobby {} messages (the in-flight one {}), private {}",
            lobby.len(),
            if lobby == stored_then {
                "stored at the cut"
            } else {
                "sent again after"
            },
            private.len()
        );

        alice.close().await;
        bob.close().await;
    });
}
