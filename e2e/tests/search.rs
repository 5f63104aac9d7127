//! Search in a real browser: Ctrl+K, a word, Enter searches the messages; the results show
//! where, who and when, with the matched words in `<mark>`; Enter on one opens its
//! conversation at that message, far back (a page around it loaded, its neighbours drawn) and
//! focused; "More results" after a full page asks for the next one. The results pass axe-core.

use e2e::{dist_dir, eventually, run, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;
use serde_json::{json, Value};
use testkit::ServerProcess;

async fn press(browser: &Browser, keys: &str) {
    let element = browser
        .client()
        .active_element()
        .await
        .expect("a focused element");
    element.send_keys(keys).await.expect("key presses");
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_search_shows_marked_results_and_enter_opens_the_message_among_its_neighbours() {
    run(async {
        // Generous limits: the history below is written quickly.
        let server = ServerProcess::options()
            .static_dir(dist_dir())
            .args(["--rate-per-sec", "1000", "--rate-burst", "1000"])
            .start()
            .await;
        let endpoint = server.endpoint();
        let bob_token = endpoint.claim("bob").await;
        let mut bob = endpoint.connect(&bob_token).await;
        for i in 0..20 {
            bob.say("lobby", &format!("filler {i}"), &format!("a{i}"))
                .await;
        }
        bob.say("lobby", "the zeppelin lands at noon, zeppelin!", "z1")
            .await;
        for i in 20..320 {
            bob.say("lobby", &format!("filler {i}"), &format!("a{i}"))
                .await;
        }
        bob.say("lobby", "no zeppelin today", "z2").await;

        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;
        alice.wait_for_body("no zeppelin today").await;
        assert!(
            !alice.bodies().await.iter().any(|b| b.contains("noon")),
            "the old message is not drawn yet"
        );

        let ctrl_k = format!("{}k{}", Key::Control, Key::Null);
        press(&alice, &ctrl_k).await;
        alice.wait_for_focus("switcher-input").await;
        press(&alice, "zeppel").await;
        alice
            .wait_for("[data-testid=search-option]:not([hidden])")
            .await;
        press(&alice, &Key::Enter.to_string()).await;
        let results =
            eventually("two results", WAIT, || async {
                let found = alice
                .js("return Array.from(document.querySelectorAll('[data-testid=search-result]'))\
                     .map(r => [r.lastChild.textContent, \
                                Array.from(r.querySelectorAll('mark')).map(m => m.textContent), \
                                r.firstChild.textContent.startsWith('#lobby · bob · ')]);")
                .await;
                (found.as_array().map_or(0, Vec::len) == 2).then_some(found)
            })
            .await;
        assert_eq!(
            results,
            json!([
                [
                    "the zeppelin lands at noon, zeppelin!",
                    ["zeppelin", "zeppelin"],
                    true
                ],
                ["no zeppelin today", ["zeppelin"], true]
            ]),
            "the denser match first, its words marked"
        );
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "{violations:#?}");

        // Enter opens the first: the page around it, the message focused among its neighbours.
        press(&alice, &Key::Enter.to_string()).await;
        eventually("the old message focused", WAIT, || async {
            let focused: Value = alice
                .js("const e = document.activeElement; \
                     const b = e && e.querySelector('[data-testid=message-body]'); \
                     return b ? b.textContent : null;")
                .await;
            (focused == json!("the zeppelin lands at noon, zeppelin!")).then_some(())
        })
        .await;
        let bodies = alice.bodies().await;
        for neighbour in ["filler 19", "filler 20", "filler 319"] {
            assert!(
                bodies.iter().any(|b| b == neighbour),
                "{neighbour} in {bodies:?}"
            );
        }
        assert!(!alice.has("[data-testid=switcher]").await);
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "{violations:#?}");
        alice.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn more_results_loads_the_next_page_after_the_first() {
    run(async {
        let server = ServerProcess::options()
            .static_dir(dist_dir())
            .args(["--rate-per-sec", "1000", "--rate-burst", "1000"])
            .start()
            .await;
        let endpoint = server.endpoint();
        let bob_token = endpoint.claim("bob").await;
        let mut bob = endpoint.connect(&bob_token).await;
        for i in 0..25 {
            bob.say("lobby", &format!("kettle number {i}"), &format!("k{i}"))
                .await;
        }
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;
        alice.wait_for_body("kettle number 24").await;
        let count = || async {
            alice
                .js("return document.querySelectorAll('[data-testid=search-result]').length;")
                .await
                .as_u64()
                .unwrap_or(0)
        };

        let ctrl_k = format!("{}k{}", Key::Control, Key::Null);
        press(&alice, &ctrl_k).await;
        alice.wait_for_focus("switcher-input").await;
        press(&alice, "kettle").await;
        alice.wait_for("[data-testid=search-option]").await;
        press(&alice, &Key::Enter.to_string()).await;
        // The first page (20, the server's default) and the option after it.
        alice
            .wait_for_text("[data-testid=more-results]", "More results")
            .await;
        assert_eq!(count().await, 20);
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "{violations:#?}");
        // Down to "More results" by the keyboard, then Enter: the next page joins the list.
        for _ in 0..20 {
            press(&alice, &Key::Down.to_string()).await;
        }
        let active = alice
            .js("return document.getElementById(\
                 document.querySelector('[data-testid=switcher-input]')\
                 .getAttribute('aria-activedescendant')).dataset.testid;")
            .await;
        assert_eq!(active, json!("more-results"));
        press(&alice, &Key::Enter.to_string()).await;
        eventually("all 25 results", WAIT, || async {
            (count().await == 25).then_some(())
        })
        .await;
        // The last page: nothing more is offered, and no result is shown twice.
        assert!(!alice.has("[data-testid=more-results]").await);
        let bodies = alice
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=search-result]'))\
                 .map(r => r.lastChild.textContent);",
            )
            .await;
        let mut bodies: Vec<String> = serde_json::from_value(bodies).unwrap();
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), 25);
        let violations = alice.axe_violations().await;
        assert!(violations.is_empty(), "{violations:#?}");
        alice.close().await;
    });
}
