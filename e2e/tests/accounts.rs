//! A name is an account, in real browsers: signing out asks first and warns a passwordless
//! account; a password added from the chat signs the name in on another browser; nobody else
//! gets the name after its holder signed out.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;

/// Waits until nothing matches `css`.
async fn wait_gone(browser: &Browser, css: &str) {
    eventually(&format!("{}: {css} gone", browser.label), WAIT, || async {
        (!browser.has(css).await).then_some(())
    })
    .await;
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser.wait_for(css).await.text().await.unwrap_or_default()
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn sign_out_warns_a_passwordless_account_and_a_password_added_signs_in_elsewhere() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let bob = Browser::open(&driver, &server, "bob").await;
        bob.sign_in("bob").await;

        // Signing out asks first, and warns: without a password the name cannot be used again.
        bob.click("[data-testid=sign-out]").await;
        let warning = text_of(&bob, "[data-testid=sign-out-warning]").await;
        assert!(
            warning.starts_with("You have no password") && warning.contains("sign in as bob"),
            "{warning}"
        );
        assert!(bob.has("[data-testid=password-form]").await);
        // Keyboard: focus is in the dialog, and Escape cancels, back to the button.
        bob.wait_for_focus("new-password").await;
        bob.type_into("[data-testid=new-password]", &Key::Escape.to_string())
            .await;
        wait_gone(&bob, "[data-testid=account-dialog]").await;
        bob.wait_for_focus("sign-out").await;
        assert!(bob.has("[data-testid=chat]").await, "still signed in");

        // "Add a password", from the top bar: a mismatch is explained, then it is added.
        bob.click("[data-testid=add-password-open]").await;
        bob.wait_for_focus("new-password").await;
        bob.type_into("[data-testid=new-password]", "correct horse")
            .await;
        bob.type_into("[data-testid=new-password-repeat]", "correct horsf")
            .await;
        bob.click("[data-testid=password-submit]").await;
        let problem = text_of(&bob, "[data-testid=password-error]").await;
        assert!(problem.contains("differ"), "{problem}");
        bob.type_into(
            "[data-testid=new-password-repeat]",
            &format!("{}e", Key::Backspace),
        )
        .await;
        bob.click("[data-testid=password-submit]").await;
        let added = text_of(&bob, "[data-testid=password-added]").await;
        assert!(added.contains("sign in as bob"), "{added}");
        bob.click("[data-testid=dialog-cancel]").await;
        wait_gone(&bob, "[data-testid=add-password-open]").await;

        // Now signing out is plain: no warning, and it can be confirmed with the keyboard.
        bob.click("[data-testid=sign-out]").await;
        let note = text_of(&bob, "[data-testid=sign-out-note]").await;
        assert!(note.contains("with your password"), "{note}");
        assert!(!bob.has("[data-testid=sign-out-warning]").await);
        bob.wait_for_focus("sign-out-confirm").await;
        bob.type_into("[data-testid=sign-out-confirm]", &Key::Enter.to_string())
            .await;
        bob.wait_for("[data-testid=signin-form]").await;

        // Someone else cannot take the name.
        let other = Browser::open(&driver, &server, "someone else").await;
        other.submit_sign_in("Bob").await;
        eventually("the name is refused", WAIT, || async {
            let error = text_of(&other, "[data-testid=signin-error]").await;
            error.contains("is taken").then_some(())
        })
        .await;

        // A fresh browser signs in as bob with the password.
        let elsewhere = Browser::open(&driver, &server, "bob elsewhere").await;
        elsewhere
            .type_into("[data-testid=signin-password]", "correct horse")
            .await;
        elsewhere.sign_in("bob").await;
        assert_eq!(text_of(&elsewhere, "[data-testid=me]").await, "bob");
        // It has a password: no offer to add one.
        assert!(!elsewhere.has("[data-testid=add-password-open]").await);

        bob.close().await;
        other.close().await;
        elsewhere.close().await;
    });
}
