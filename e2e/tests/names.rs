//! Name rules on the sign-in page, in a real browser: the rules are shown before typing, a name
//! is never cut silently (200 characters stay 200, and the page says the limit and the count),
//! emoji are refused by name, "José" signs in, and "aIice" (capital i) is refused while "alice"
//! exists, with an explanation.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use shared::names::USER_NAME_RULES;

const NAME_BOX: &str = "[data-testid=signin-name]";

/// The sign-in form's problem text once it is `wanted`.
async fn problem_becomes(browser: &Browser, wanted: &str) -> String {
    eventually(&format!("the sign-in problem {wanted:?}"), WAIT, || async {
        let el = browser.wait_for("[data-testid=signin-error]").await;
        let text = el.text().await.unwrap_or_default();
        (text == wanted).then_some(text)
    })
    .await
}

/// What the name box holds now.
async fn name_box_value(browser: &Browser) -> String {
    let value = browser
        .js("return document.querySelector('[data-testid=signin-name]').value;")
        .await;
    value.as_str().unwrap_or_default().to_owned()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_long_name_is_not_cut_and_the_page_says_why() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let page = Browser::open(&driver, &server, "long").await;

        // The rules are there before anything is typed.
        let rules = page.wait_for("[data-testid=signin-name-rules]").await;
        assert_eq!(rules.text().await.unwrap(), USER_NAME_RULES);
        let max_length = page
            .js("return document.querySelector('[data-testid=signin-name]').maxLength;")
            .await;
        assert_eq!(max_length, serde_json::json!(-1), "no silent maxlength cut");

        let long = "a".repeat(200);
        page.type_into(NAME_BOX, &long).await;
        assert_eq!(name_box_value(&page).await, long, "all 200 characters stay");
        problem_becomes(&page, "Names are at most 24 characters (this one has 200)").await;
        let counter = page.wait_for("[data-testid=signin-name-counter]").await;
        assert_eq!(counter.text().await.unwrap(), "200/24");

        // Sending it changes nothing: the page does not cut it and does not sign in.
        page.click("[data-testid=signin-submit]").await;
        problem_becomes(&page, "Names are at most 24 characters (this one has 200)").await;
        assert!(!page.has("[data-testid=chat]").await);
        assert_eq!(name_box_value(&page).await, long);

        // Emoji (outside the keyboard driver's reach: set as a paste would) are refused by name.
        page.js(
            "const box = document.querySelector('[data-testid=signin-name]');\
             box.value = 'bob😀';\
             box.dispatchEvent(new Event('input', { bubbles: true }));",
        )
        .await;
        problem_becomes(
            &page,
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; ‘😀’ is not allowed",
        )
        .await;

        page.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn jose_signs_in_and_a_look_alike_of_alice_is_refused() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        alice.sign_in("alice").await;

        let jose = Browser::open(&driver, &server, "jose").await;
        jose.sign_in("José").await;
        alice.open_everyone("José").await;

        let impostor = Browser::open(&driver, &server, "impostor").await;
        impostor.submit_sign_in("aIice").await;
        let explanation = problem_becomes(
            &impostor,
            "Names that look alike cannot both be taken: ‘aIice’ looks like ‘alice’, which \
             belongs to someone else. Pick another name.",
        )
        .await;
        assert!(explanation.contains("‘alice’"));
        assert!(!impostor.has("[data-testid=chat]").await);
        assert!(impostor.has("[data-testid=signin-form]").await);

        alice.close().await;
        jose.close().await;
        impostor.close().await;
    });
}
