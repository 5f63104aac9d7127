//! A released name's new holder, in a real browser: alice keeps her conversation with the
//! former bob, and a line tells her where the new bob's messages begin.

use e2e::{dist_dir, eventually, run, Browser, ChromeDriver, WAIT};
use serde_json::{json, Value};
use testkit::ServerProcess;

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn alice_sees_that_a_released_name_s_new_holder_is_a_new_account() {
    run(async {
        // Names are released after zero days of inactivity.
        let server = ServerProcess::options()
            .static_dir(dist_dir())
            .args(["--release-names-after-days", "0"])
            .start()
            .await;
        let endpoint = server.endpoint();
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, endpoint, "alice").await;
        alice.sign_in("alice").await;

        // The first bob talks with alice, signs out and is away for the release period.
        let (bob_token, mut bob) = endpoint.user("bob").await;
        bob.whisper("alice", "hello from the first bob", "b1").await;
        bob.close().await;
        assert_eq!(endpoint.sign_out(&bob_token).await, 204);
        alice.wait_connected().await;

        // Someone else claims the name, and writes to alice.
        let response = endpoint.post_session(json!({"name": "bob"})).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let mut new_bob = endpoint.connect(body["token"].as_str().unwrap()).await;
        new_bob.whisper("alice", "hi, I am the new bob", "n1").await;

        // Alice's next welcome says bob is new since then; the conversation shows both
        // messages, the line between them, and "new account" in its header.
        alice.client().refresh().await.expect("a reload");
        alice.wait_connected().await;
        alice
            .client()
            .goto(&format!("{}#/with/bob", endpoint.url("")))
            .await
            .expect("the conversation opens");
        alice.wait_for_body("hi, I am the new bob").await;
        alice.wait_for_body("hello from the first bob").await;
        let line = alice.wait_for("[data-testid=former-divider]").await;
        let text = line.text().await.unwrap_or_default();
        assert!(
            text.starts_with("bob is a new account since")
                && text.ends_with("earlier messages were with a former holder of the name"),
            "{text}"
        );
        // The line stands between the former bob's message and the new bob's.
        let order = alice
            .js(
                "const all = [...document.querySelectorAll('ol.rows > li')]; \
                 const at = t => all.findIndex(li => li.textContent.includes(t)); \
                 return [at('hello from the first bob'), \
                         all.findIndex(li => li.dataset.testid === 'former-divider'), \
                         at('hi, I am the new bob')];",
            )
            .await;
        let order: Vec<i64> = order
            .as_array()
            .expect("three indexes")
            .iter()
            .map(|v| v.as_i64().unwrap_or(-1))
            .collect();
        assert!(
            order[0] >= 0 && order[0] < order[1] && order[1] < order[2],
            "{order:?}"
        );
        eventually("the header says new account", WAIT, || async {
            let sub = alice
                .js("const e = document.querySelector('.conv-header .muted'); \
                     return e ? e.textContent : '';")
                .await;
            sub.as_str()
                .is_some_and(|s| s.contains("new account"))
                .then_some(())
        })
        .await;
        new_bob.close().await;
        alice.close().await;
    });
}
