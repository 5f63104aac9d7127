//! Attachments in real browsers: alice pastes a picture into the composer, sees it upload,
//! and sends it; bob, in the other browser, sees it inline as the server's thumbnail, which
//! links to the full picture. A text file chosen with the 📎 button arrives as a chip with
//! its name and size; carol, who is not in the room, cannot fetch either file. No file's
//! address holds a token: the browser's `HttpOnly` files cookie says who asks, and it stops
//! working when its user signs out.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use serde_json::Value;

/// Pastes a 400 × 200 PNG drawn on a canvas into the composer, as a person pasting a
/// screenshot does.
const PASTE_PICTURE: &str = r#"
const canvas = document.createElement('canvas');
canvas.width = 400; canvas.height = 200;
const g = canvas.getContext('2d');
g.fillStyle = '#2357d9'; g.fillRect(0, 0, 400, 200);
g.fillStyle = '#f59e0b'; g.fillRect(100, 50, 200, 100);
const data = atob(canvas.toDataURL('image/png').split(',')[1]);
const bytes = new Uint8Array(data.length);
for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i);
const transfer = new DataTransfer();
// The type the page is told is a lie; the server reads the bytes.
transfer.items.add(new File([bytes], 'screenshot.png', {type: 'text/plain'}));
const box = document.querySelector('[data-testid=composer]');
box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
return bytes.length;
"#;

/// The status of `GET url` from this page, with the page's cookies (the files cookie).
async fn status(browser: &Browser, url: &str) -> u64 {
    let script = format!(
        "const r = new XMLHttpRequest(); r.open('GET', {url:?}, false); r.send(); return r.status;"
    );
    browser.js(&script).await.as_u64().unwrap_or(0)
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_pasted_picture_shows_inline_in_the_other_browser_and_a_file_as_a_chip() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        let carol = Browser::open(&driver, &server, "carol").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        carol.sign_in("carol").await;
        for browser in [&alice, &bob] {
            browser.join_room("pictures").await;
        }

        // A picture, pasted: it uploads, says its size, and goes with the message.
        let size = alice.js(PASTE_PICTURE).await;
        assert!(size.as_u64().unwrap_or(0) > 0);
        alice.wait_for("[data-testid=upload]").await;
        eventually("alice: the picture uploaded", WAIT, || async {
            let label = alice.text_of("[data-testid=upload]").await?;
            // "screenshot.png · 45%" while it uploads, then its size.
            let sized = label.contains(" B") || label.contains(" KB");
            (label.contains("screenshot.png · ") && sized).then_some(())
        })
        .await;
        alice
            .type_into("[data-testid=composer]", "the new logo")
            .await;
        alice.click("[data-testid=send]").await;
        alice.wait_for_status("the new logo", "confirmed").await;
        assert!(
            !alice.has("[data-testid=upload]").await,
            "the box is empty again"
        );

        // Bob sees it inline: the thumbnail loaded (320 wide), linking to the full picture.
        bob.wait_for_body("the new logo").await;
        bob.wait_for("[data-testid=attachment-image]").await;
        let loaded: Value = eventually("bob: the thumbnail loaded", WAIT, || async {
            let found = bob
                .js(
                    "const i = document.querySelector('[data-testid=attachment-image]'); \
                     return i.complete && i.naturalWidth > 0 \
                         ? [i.naturalWidth, i.naturalHeight, i.alt, i.closest('a').href] : null;",
                )
                .await;
            (!found.is_null()).then_some(found)
        })
        .await;
        assert_eq!(loaded[0], 320);
        assert_eq!(loaded[1], 160);
        assert_eq!(loaded[2], "screenshot.png");
        let full = loaded[3].as_str().unwrap().to_owned();
        assert!(full.contains("/api/attachments/") && !full.contains("/thumbnail"));
        assert_eq!(status(&bob, &full).await, 200);
        bob.save_screenshot("attachments.png").await;
        let docs = e2e::repo_root().join("docs");
        std::fs::write(
            docs.join("screenshot-attachments.png"),
            bob.screenshot().await,
        )
        .expect("docs/screenshot-attachments.png");

        // A file chosen with the button: a chip with its name and size.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "minutes of the meeting\n".repeat(100)).unwrap();
        alice
            .wait_for("[data-testid=file-input]")
            .await
            .send_keys(path.to_str().unwrap())
            .await
            .expect("a file chosen");
        eventually("alice: the file uploaded", WAIT, || async {
            let label = alice.text_of("[data-testid=upload]").await?;
            label.contains("notes.txt · 2.2 KB").then_some(())
        })
        .await;
        alice.click("[data-testid=send]").await;
        let chip = eventually("bob: the file's chip", WAIT, || async {
            bob.text_of("[data-testid=attachment-file]").await
        })
        .await;
        assert!(chip.contains("notes.txt · 2.2 KB"), "{chip}");

        // Every file's address is plain: no token in a link or a picture's source, and
        // none the page's scripts can read from the cookie.
        for browser in [&alice, &bob] {
            let addresses = browser
                .js(
                    "return [...document.querySelectorAll('img[src], a[href]')] \
                         .map(e => e.getAttribute('src') || e.getAttribute('href')) \
                         .filter(u => u.includes('/api/attachments/'));",
                )
                .await;
            let addresses = addresses.as_array().unwrap();
            assert_eq!(addresses.len(), 3, "{addresses:?}");
            for address in addresses {
                assert!(!address.as_str().unwrap().contains("token="), "{address}");
            }
            let cookies = browser.js("return document.cookie;").await;
            assert!(
                !cookies.as_str().unwrap().contains("chat_files"),
                "{cookies}"
            );
        }

        // Carol, outside the room, gets nothing with her own cookie, nor with a token in the
        // address.
        let path = format!(
            "/api/attachments/{}",
            full.split("/api/attachments/").nth(1).unwrap()
        );
        assert_eq!(status(&carol, &path).await, 404);
        let token = carol.js("return localStorage.getItem('chat.token');").await;
        let with_token = format!("{path}?token={}", token.as_str().unwrap());
        assert_eq!(status(&carol, &with_token).await, 404);

        // Signed out, bob's browser opens the picture no more.
        bob.click("[data-testid=sign-out]").await;
        bob.click("[data-testid=sign-out-confirm]").await;
        bob.wait_for("[data-testid=signin-form]").await;
        eventually("bob: the cookie opens nothing", WAIT, || async {
            (status(&bob, &path).await == 401).then_some(())
        })
        .await;
    });
}
