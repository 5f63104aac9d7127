//! Sending quickly loses nothing, and the connection and presence are honest: 200 messages
//! typed as fast as the page takes them all arrive, in order, none failed; after a server
//! restart the page is back within seconds; while the server is down everyone's presence is
//! unknown (greyed) and a message written then waits (not red) and goes out once back.
//! Ignored by a plain `cargo test`; `cargo xtask test` builds what they need and runs them.

use std::time::{Duration, Instant};

use e2e::{eventually, run, start_server, Browser, ChromeDriver};

/// The bodies of the open conversation's messages whose status is `status`.
async fn bodies_with_status(browser: &Browser, status: &str) -> Vec<String> {
    let script = format!(
        "return Array.from(document.querySelectorAll('[data-testid=message][data-status={status}]'))\
         .map(r => r.querySelector('[data-testid=message-body]').textContent);"
    );
    serde_json::from_value(browser.js(&script).await).unwrap_or_default()
}

/// Whether the person `name` shows as online in `browser`'s online list, and whether the
/// list says presence is known.
async fn presence_of(browser: &Browser, name: &str) -> (bool, String) {
    let script = format!(
        "const b = document.querySelector('[data-testid=user-{name}]'); \
         const list = document.querySelector('[data-testid=online-list]'); \
         return [!!b && !b.closest('li').classList.contains('offline'), \
                 list ? list.dataset.presence : ''];"
    );
    serde_json::from_value(browser.js(&script).await).unwrap_or((false, String::new()))
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn two_hundred_messages_typed_as_fast_as_possible_all_arrive_in_order() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.wait_for_online_count(2).await;

        let sent: Vec<String> = (1..=200).map(|i| format!("quick {i:03}")).collect();
        let started = Instant::now();
        for text in &sent {
            alice.send(text).await;
        }
        let typed = started.elapsed();

        let arrived = eventually(
            "bob has all 200 messages",
            Duration::from_secs(90),
            || async {
                let got: Vec<String> = bob
                    .bodies()
                    .await
                    .into_iter()
                    .filter(|b| b.starts_with("quick "))
                    .collect();
                (got.len() >= sent.len()).then_some(got)
            },
        )
        .await;
        let delivered = started.elapsed();
        assert_eq!(arrived, sent, "bob's messages, in order");
        let confirmed = eventually("alice's 200 confirmed", Duration::from_secs(30), || async {
            let confirmed = bodies_with_status(&alice, "confirmed").await;
            (confirmed.len() >= sent.len()).then_some(confirmed)
        })
        .await;
        assert_eq!(confirmed, sent, "alice's messages, in order");
        assert!(!alice.has("[data-testid=failed]").await);
        assert!(!alice.has("[data-testid=send-problems]").await);
        let notices = alice.page_text().await;
        assert!(!notices.contains("Not sent"), "{notices}");
        println!(
            "200 messages typed in {typed:?} ({:.1}/s); all at bob's, in order, after \
             {delivered:?}; none failed",
            200.0 / typed.as_secs_f64()
        );

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_server_restart_costs_seconds_presence_is_unknown_meanwhile_and_sends_wait() {
    run(async {
        let mut server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        // A room they share puts bob in alice's online list (the lobby does not).
        bob.join_room("team").await;
        alice.join_room("team").await;
        alice.wait_for("[data-testid=user-bob]").await;
        assert_eq!(presence_of(&alice, "bob").await, (true, "known".to_owned()));

        server.kill_9().await;
        alice
            .wait_for_state(&["reconnecting", "offline", "connecting"])
            .await;
        // Nobody shows online while the link is down.
        let unknown = eventually("presence unknown", Duration::from_secs(5), || async {
            let (online, list) = presence_of(&alice, "bob").await;
            (!online && list == "unknown").then_some(())
        })
        .await;
        let heading = alice.text_of("#people-heading").await;
        assert_eq!(
            heading.as_deref(),
            Some("Online: unknown while disconnected")
        );

        // A message written now waits for the connection: pending, not red.
        alice.send("written while down").await;
        assert_eq!(
            alice.status_of("written while down").await.as_deref(),
            Some("waiting")
        );
        assert!(!alice.has("[data-testid=failed]").await);
        let page = alice.page_text().await;
        assert!(page.contains("Waiting for connection"), "{page}");
        assert!(!page.contains("Not sent"), "{page}");

        // Down long enough for the back-off to reach its largest step.
        tokio::time::sleep(Duration::from_secs(8)).await;
        let countdown = alice
            .wait_for("[data-testid=connection-text]")
            .await
            .text()
            .await
            .unwrap_or_default();

        server.restart().await;
        let up = Instant::now();
        eventually("alice connected again", Duration::from_secs(15), || async {
            (alice.connection_state().await == "connected").then_some(())
        })
        .await;
        let back_after = up.elapsed();
        println!(
            "down for 8 s (showing {countdown:?}); alice connected {back_after:?} after the \
             server was up again ({unknown:?})"
        );
        assert!(
            back_after <= Duration::from_millis(3_500),
            "back only {back_after:?} after the server was up"
        );

        // The waiting message goes out, and bob gets it; presence is known again.
        alice
            .wait_for_status("written while down", "confirmed")
            .await;
        bob.wait_connected().await;
        bob.wait_for_body("written while down").await;
        eventually("presence known again", Duration::from_secs(10), || async {
            (presence_of(&alice, "bob").await == (true, "known".to_owned())).then_some(())
        })
        .await;
        // And no presence lines in the conversations.
        alice.click("[data-testid=user-bob]").await;
        assert!(!alice.has("[data-testid=system-line]").await);

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn presence_changes_are_not_lines_in_a_private_conversation() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        // A private message makes each of interest to the other.
        alice.talk_to("bob").await;
        alice.send("hello bob").await;
        alice.wait_for_status("hello bob", "confirmed").await;

        // bob reloads his page twice: each time he goes offline and comes back.
        for round in 0..2 {
            bob.client().refresh().await.expect("reload");
            bob.wait_connected().await;
            eventually(
                &format!("bob online again after reload {round}"),
                Duration::from_secs(15),
                || async { presence_of(&alice, "bob").await.0.then_some(()) },
            )
            .await;
        }

        let lines: Vec<String> = serde_json::from_value(
            alice
                .js(
                    "return Array.from(document.querySelectorAll('[data-testid=system-line]'))\
                     .map(l => l.textContent);",
                )
                .await,
        )
        .unwrap_or_default();
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("online") && !l.contains("offline")),
            "presence shown as timeline lines: {lines:?}"
        );
        assert_eq!(alice.bodies().await, ["hello bob"]);

        alice.close().await;
        bob.close().await;
    });
}
