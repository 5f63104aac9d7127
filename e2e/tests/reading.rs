//! Reading a conversation in real browsers: drafts kept per conversation, day separators and
//! the "New" divider, links made safely, `dir="auto"`, avatars, and the open conversation in
//! the page's address (reload, links, the back button).

use e2e::{eventually, run, start_server, Browser, ChromeDriver, WAIT};
use fantoccini::key::Key;
use serde_json::{json, Value};

/// Waits until the composer holds exactly `text`.
async fn wait_for_composer(browser: &Browser, text: &str) {
    let what = format!("{}: the composer holds {text:?}", browser.label);
    eventually(&what, WAIT, || async {
        (browser.composer_text().await == text).then_some(())
    })
    .await;
}

/// Reloads the page and waits until the chat is connected again.
async fn reload(browser: &Browser) {
    browser.client().refresh().await.expect("a reload");
    browser.wait_for("[data-testid=chat]").await;
    browser.wait_connected().await;
}

/// The page address's fragment.
async fn hash(browser: &Browser) -> String {
    browser
        .js("return location.hash;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for_hash(browser: &Browser, wanted: &str) {
    let what = format!("{}: the address ends in {wanted}", browser.label);
    eventually(&what, WAIT, || async {
        (hash(browser).await == wanted).then_some(())
    })
    .await;
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn a_draft_stays_with_its_conversation_across_switching_and_reload() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.wait_for_online_count(2).await;

        // Half a message for everyone in the lobby...
        alice
            .type_into("[data-testid=composer]", "half a message for the lobby")
            .await;
        // ...does not follow her into the private conversation.
        alice.talk_to("bob").await;
        wait_for_composer(&alice, "").await;
        alice
            .type_into("[data-testid=composer]", "only for bob")
            .await;
        alice.open_conversation("room-lobby", "#lobby").await;
        wait_for_composer(&alice, "half a message for the lobby").await;
        alice.open_conversation("dm-bob", "bob").await;
        wait_for_composer(&alice, "only for bob").await;

        // Both drafts survive a reload (which opens bob's conversation again).
        reload(&alice).await;
        alice.wait_for_title("bob").await;
        wait_for_composer(&alice, "only for bob").await;
        alice.open_conversation("room-lobby", "#lobby").await;
        wait_for_composer(&alice, "half a message for the lobby").await;

        // Sending clears that conversation's draft, and only that one.
        alice.talk_to("bob").await;
        wait_for_composer(&alice, "only for bob").await;
        alice
            .type_into("[data-testid=composer]", &Key::Enter.to_string())
            .await;
        alice.wait_for_status("only for bob", "confirmed").await;
        wait_for_composer(&alice, "").await;
        bob.open_conversation("dm-alice", "alice").await;
        bob.wait_for_body("only for bob").await;
        assert!(
            !bob.bodies().await.iter().any(|b| b.contains("lobby")),
            "the lobby draft never went to bob"
        );
        alice.open_conversation("room-lobby", "#lobby").await;
        wait_for_composer(&alice, "half a message for the lobby").await;
        reload(&alice).await;
        alice.open_conversation("dm-bob", "bob").await;
        wait_for_composer(&alice, "").await;
        assert!(
            !bob.bodies().await.iter().any(|b| b.contains("lobby")),
            "nothing from the lobby draft was sent anywhere"
        );

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn addresses_become_safe_links_the_rest_stays_text_and_bodies_lay_out_by_their_script() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;

        // The sign-in name lays out by its own script.
        let dir = alice
            .js("return document.querySelector('[data-testid=signin-name]').getAttribute('dir');")
            .await;
        assert_eq!(dir, json!("auto"));

        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        let text = "see https://example.com/a?b=1&c=<b>bold</b> javascript:alert(1) \
                    <script>window.pwned=1</script> <a href=\"javascript:alert(2)\">x</a>";
        alice.send(text).await;
        bob.wait_for_body(text).await;
        let arabic = "مرحبا، كيف حالك؟";
        alice.send(arabic).await;
        bob.wait_for_body(arabic).await;

        let found = bob
            .js("const bodies = Array.from(document.querySelectorAll('[data-testid=message-body]'));\
                 const body = bodies.find(b => b.textContent.startsWith('see '));\
                 return {\
                   links: Array.from(body.querySelectorAll('a')).map(a => ({\
                     href: a.getAttribute('href'), rel: a.getAttribute('rel'),\
                     target: a.getAttribute('target'), text: a.textContent })),\
                   elements: Array.from(body.querySelectorAll('*')).map(e => e.tagName),\
                   dirs: bodies.map(b => b.getAttribute('dir')),\
                   pwned: window.pwned === undefined ? null : window.pwned,\
                   composerDir: document.querySelector('[data-testid=composer]').getAttribute('dir'),\
                 };")
            .await;
        // Exactly one link, to the address as typed up to the markup; everything else,
        // markup and `javascript:` included, is text.
        assert_eq!(
            found["links"],
            json!([{
                "href": "https://example.com/a?b=1&c=",
                "rel": "noopener noreferrer",
                "target": "_blank",
                "text": "https://example.com/a?b=1&c=",
            }])
        );
        assert_eq!(found["elements"], json!(["A"]));
        assert_eq!(found["pwned"], Value::Null);
        assert_eq!(found["dirs"], json!(["auto", "auto"]));
        assert_eq!(found["composerDir"], json!("auto"));

        // The right-to-left body is laid out right to left.
        let rtl = bob
            .js(
                "const b = Array.from(document.querySelectorAll('[data-testid=message-body]'))\
                 .find(b => b.textContent.startsWith('مرحبا')); return b.matches(':dir(rtl)');",
            )
            .await;
        assert_eq!(rtl, json!(true));

        alice.close().await;
        bob.close().await;
    });
}

/// Where the rows of the open message list sit relative to the list's visible part.
const LAYOUT: &str = "const list = document.querySelector('[data-testid=message-list]');\
     const box = list.getBoundingClientRect();\
     const divider = document.querySelector('[data-testid=new-divider]');\
     const next = divider && divider.nextElementSibling;\
     const d = divider && divider.getBoundingClientRect();\
     return {\
       divider: divider ? divider.textContent : null,\
       after: next ? next.querySelector('[data-testid=message-body]').textContent : null,\
       visible: d ? d.top >= box.top - 1 && d.bottom <= box.bottom + 1 : false,\
       atBottom: list.scrollHeight - list.scrollTop - list.clientHeight < 4,\
       days: Array.from(document.querySelectorAll('[data-testid=day-separator]')).map(e => e.textContent),\
     };";

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_new_divider_stands_where_reading_stopped_under_a_today_separator_and_avatars_show_who_is_who(
) {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.wait_for_online_count(2).await;

        bob.send("hello alice").await;
        alice.wait_for_body("hello alice").await;
        alice.send("hi bob").await;
        alice.wait_for_status("hi bob", "confirmed").await;

        // Who is who: bob's group has his avatar (initials, decoration only) and name; alice's
        // own message repeats neither.
        let who = alice
            .js("return Array.from(document.querySelectorAll('[data-testid=message]')).map(m => ({\
                   sender: (m.querySelector('[data-testid=message-sender]') || {}).textContent || null,\
                   avatar: (m.querySelector('[data-testid=avatar]') || {}).textContent || null,\
                   hidden: m.querySelector('[data-testid=avatar]') ?\
                     m.querySelector('[data-testid=avatar]').getAttribute('aria-hidden') : null,\
                   times: m.querySelectorAll('time').length }));")
            .await;
        assert_eq!(
            who,
            json!([
                { "sender": "bob", "avatar": "B", "hidden": "true", "times": 1 },
                { "sender": null, "avatar": null, "hidden": null, "times": 1 },
            ])
        );
        let layout = alice.js(LAYOUT).await;
        assert_eq!(layout["days"], json!(["Today"]));
        assert_eq!(layout["divider"], Value::Null, "alice read everything");

        // Alice goes to another room; bob writes in the lobby meanwhile, long messages.
        alice.join_room("quiet").await;
        let long: Vec<String> = (1..=12).map(|n| format!("line {n}")).collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        for n in 1..=3 {
            let mut lines = vec![format!("unread {n}")];
            lines.extend(long.iter().map(|l| (*l).to_owned()));
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            bob.send_lines(&lines).await;
            bob.wait_for_status(&lines.join("\n"), "confirmed").await;
        }

        // Opening the lobby shows the divider above bob's first unread message, in sight,
        // although the list does not fit (so it is not simply scrolled to the bottom).
        alice.open_conversation("room-lobby", "#lobby").await;
        let layout = eventually("alice sees the divider", WAIT, || async {
            let layout = alice.js(LAYOUT).await;
            (layout["divider"] == json!("New") && layout["visible"] == json!(true))
                .then_some(layout)
        })
        .await;
        assert!(
            layout["after"]
                .as_str()
                .is_some_and(|b| b.starts_with("unread 1\n")),
            "{layout}"
        );
        assert_eq!(layout["atBottom"], json!(false), "{layout}");
        assert_eq!(layout["days"], json!(["Today"]));

        // It was read on opening: coming back shows no divider.
        alice.open_conversation("room-quiet", "#quiet").await;
        alice.open_conversation("room-lobby", "#lobby").await;
        let layout = alice.js(LAYOUT).await;
        assert_eq!(layout["divider"], Value::Null, "{layout}");

        alice.close().await;
        bob.close().await;
    });
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn the_address_keeps_the_open_conversation_through_a_reload_and_back_returns_to_the_last() {
    run(async {
        let server = start_server().await;
        let driver = ChromeDriver::start();
        let alice = Browser::open(&driver, &server, "alice").await;
        let bob = Browser::open(&driver, &server, "bob").await;
        alice.sign_in("alice").await;
        bob.sign_in("bob").await;
        alice.wait_for_online_count(2).await;
        wait_for_hash(&alice, "#/room/lobby").await;

        alice.talk_to("bob").await;
        wait_for_hash(&alice, "#/with/bob").await;
        alice.join_room("books").await;
        wait_for_hash(&alice, "#/room/books").await;

        // Back returns to the conversation before, and the one before that; forward again.
        alice.client().back().await.expect("back");
        alice.wait_for_title("bob").await;
        alice.client().back().await.expect("back");
        alice.wait_for_title("#lobby").await;
        alice.client().forward().await.expect("forward");
        alice.wait_for_title("bob").await;
        assert_eq!(hash(&alice).await, "#/with/bob");

        // A reload opens the same conversation again...
        reload(&alice).await;
        alice.wait_for_title("bob").await;
        assert_eq!(hash(&alice).await, "#/with/bob");
        // ...and a room too, once the server says she is in it.
        alice.open_conversation("room-books", "#books").await;
        wait_for_hash(&alice, "#/room/books").await;
        reload(&alice).await;
        alice.wait_for_title("#books").await;
        assert_eq!(hash(&alice).await, "#/room/books");
        alice.open_conversation("room-lobby", "#lobby").await;

        // A link to a conversation opens it.
        alice
            .js("location.hash = '#/room/books'; return null;")
            .await;
        alice.wait_for_title("#books").await;
        // One to a room she is not in, or to nothing, leaves her where she is.
        alice
            .js("location.hash = '#/room/elsewhere'; return null;")
            .await;
        alice.js("location.hash = '#/nowhere'; return null;").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        alice.wait_for_title("#books").await;

        // Someone opening a link to a private conversation lands in it.
        let carol = Browser::open(&driver, &server, "carol").await;
        carol.sign_in("carol").await;
        carol
            .client()
            .goto(&format!("{}#/with/bob", server.url("")))
            .await
            .expect("the link");
        carol.wait_connected().await;
        carol.wait_for_title("bob").await;

        alice.close().await;
        bob.close().await;
        carol.close().await;
    });
}
