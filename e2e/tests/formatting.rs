//! Message formatting in real browsers: one person sends markdown with a link and an HTML
//! payload; the other sees bold, italic, code, a code block, a quote and lists as elements,
//! the link with its safe attributes, the payload as literal text (and no script ran); both
//! pages pass axe-core, and a long code line scrolls inside its bubble on a phone.

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use serde_json::{json, Value};

/// The HTML and script that must stay text.
const PAYLOAD: &str = "<img src=x onerror=\"window.pwned=1\"> <script>window.pwned=2</script> \
                       [x](javascript:window.pwned=3) javascript:alert(4)";

/// What the formatted message holds, as seen in `browser`: the elements inside the body
/// that starts with "Plan".
const FOUND: &str =
    "const body = Array.from(document.querySelectorAll('[data-testid=message-body]'))\
       .find(b => b.textContent.startsWith('Plan'));\
     if (!body) return null;\
     const texts = css => Array.from(body.querySelectorAll(css)).map(e => e.textContent);\
     return {\
       strong: texts('strong'), em: texts('em'), code: texts('code.code-span'),\
       bullets: texts('ul > li'), numbered: texts('ol > li'),\
       quote: texts('blockquote'), block: texts('pre > code'),\
       links: Array.from(body.querySelectorAll('a')).map(a => ({\
         href: a.getAttribute('href'), rel: a.getAttribute('rel'),\
         target: a.getAttribute('target'), text: a.textContent })),\
       paragraphs: texts(':scope > p'),\
       markup: document.querySelectorAll('[data-testid=message-list] img, \
         [data-testid=message-list] script').length,\
       pwned: window.pwned === undefined ? null : window.pwned,\
     };";

/// Waits until `browser` shows the formatted message, and returns what it holds.
async fn formatted(browser: &Browser) -> Value {
    let what = format!("{}: the formatted message", browser.label);
    eventually(&what, WAIT, || async {
        let found = browser.js(FOUND).await;
        (!found.is_null()).then_some(found)
    })
    .await
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn markdown_is_shown_as_elements_links_are_safe_and_html_stays_text() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;

        alice
            .send_lines(&[
                "Plan for *today* with `cargo test`:",
                "- read **https://example.com/docs?a=1&b=2**",
                "- **ship** it",
                "",
                "1. first",
                "2. second",
                "",
                "```",
                "let x = \"<b>not bold</b>\";",
                "```",
                PAYLOAD,
                "> quoted _words_",
            ])
            .await;

        for browser in [&bob, &alice] {
            let found = formatted(browser).await;
            let label = &browser.label;
            assert_eq!(
                found["strong"],
                json!(["https://example.com/docs?a=1&b=2", "ship"]),
                "{label}"
            );
            assert_eq!(found["em"], json!(["today", "words"]), "{label}");
            assert_eq!(found["code"], json!(["cargo test"]), "{label}");
            assert_eq!(
                found["bullets"],
                json!(["read https://example.com/docs?a=1&b=2", "ship it"]),
                "{label}"
            );
            assert_eq!(found["numbered"], json!(["first", "second"]), "{label}");
            assert_eq!(
                found["block"],
                json!(["let x = \"<b>not bold</b>\";"]),
                "{label}"
            );
            assert_eq!(found["quote"], json!(["quoted words"]), "{label}");
            // One link, the http one, with the attributes that keep this page safe.
            assert_eq!(
                found["links"],
                json!([{
                    "href": "https://example.com/docs?a=1&b=2",
                    "rel": "noopener noreferrer",
                    "target": "_blank",
                    "text": "https://example.com/docs?a=1&b=2",
                }]),
                "{label}"
            );
            // The payload is a paragraph of text, exactly as typed; nothing of it ran.
            assert_eq!(
                found["paragraphs"],
                json!(["Plan for today with cargo test:", PAYLOAD]),
                "{label}"
            );
            assert_eq!(found["markup"], json!(0), "{label}");
            assert_eq!(found["pwned"], Value::Null, "{label}");
            assert!(
                browser.client().get_alert_text().await.is_err(),
                "{label}: an alert is open"
            );
            let violations = browser.axe_violations().await;
            assert!(
                violations.is_empty(),
                "{label}: axe-core found violations:\n{}",
                serde_json::to_string_pretty(&violations).unwrap_or_default()
            );
        }

        // A picture of formatted messages for the README.
        let docs = e2e::repo_root().join("docs");
        std::fs::write(
            docs.join("screenshot-formatting.png"),
            bob.screenshot().await,
        )
        .expect("docs/screenshot-formatting.png");

        // On a phone, a long line of code scrolls inside its block; the page does not.
        let long = format!("let line = \"{}\";", "x".repeat(200));
        alice.send_lines(&["```", &long, "```"]).await;
        bob.client()
            .set_window_size(360, 800)
            .await
            .expect("a phone-sized window");
        let what = "bob: the long code block scrolls inside its bubble";
        eventually(what, WAIT, || async {
            let layout = bob
                .js(
                    "const pre = Array.from(document.querySelectorAll('[data-testid=code-block]'))\
                       .find(p => p.textContent.startsWith('let line'));\
                     if (!pre) return null;\
                     const page = document.documentElement;\
                     return {\
                       scrolls: pre.scrollWidth > pre.clientWidth,\
                       overflow: getComputedStyle(pre).overflowX,\
                       fits: pre.getBoundingClientRect().right <= window.innerWidth,\
                       pageFits: page.scrollWidth <= window.innerWidth,\
                       focusable: pre.tabIndex === 0,\
                     };",
                )
                .await;
            (layout
                == json!({
                    "scrolls": true, "overflow": "auto", "fits": true,
                    "pageFits": true, "focusable": true,
                }))
            .then_some(())
        })
        .await;
        let violations = bob.axe_violations().await;
        assert!(
            violations.is_empty(),
            "bob (phone): axe-core found violations:\n{}",
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );

        alice.close().await;
        bob.close().await;
    });
}
