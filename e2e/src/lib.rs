//! Harness for the browser tests in `tests/browser.rs`.
//!
//! - [`start_server`]: the real `chat-server` binary ([`Server`], testkit's `ServerProcess`) on
//!   a free port with a fresh data directory, serving the built frontend from `<repo>/dist`; it
//!   can be killed and started again on the same port and data directory. testkit's [`Relay`]
//!   puts a connection between a browser and it that a test can cut.
//! - [`ChromeDriver`]: a `chromedriver` process; [`Browser`] is one headless Chromium session
//!   with its own profile directory, with helpers that speak the UI's `data-testid`s, and
//!   Chrome DevTools Protocol commands through chromedriver (`cdp.rs`).
//! - [`run`]: runs one test body on a Tokio runtime, one test at a time (two cores do not run
//!   several Chromiums well), with an overall time limit.
//!
//! What it needs, and the variables that point at it:
//! `CHAT_SERVER_BIN` (else the newest `target/{debug,release}/chat-server`, also under
//! `CARGO_TARGET_DIR`), `CHROMEDRIVER` (else `chromedriver` on the `PATH`), `CHROME_BIN`
//! (else `/usr/bin/chromium`), and the frontend built by `trunk build --release` into
//! `CHAT_DIST_DIR` (else `<repo>/dist`).
//! axe-core for [`Browser::axe_violations`] comes from `AXE_CORE_JS`, else `<repo>/.tools/axe`.
//! `E2E_LOG=1` (or `TEST_LOG=1`) lets the server's log through to the terminal; `E2E_CHROME_ARGS` adds Chromium
//! arguments (say `--force-dark-mode`).

use std::future::Future;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;
pub use testkit::{repo_root, Endpoint, Relay, ServerProcess};

mod cdp;

/// How long one wait for something on the page may take.
pub const WAIT: Duration = Duration::from_secs(15);
/// How long a whole test may take.
const TEST_LIMIT: Duration = Duration::from_secs(180);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs a test body, one test at a time, within [`TEST_LIMIT`].
pub fn run(test: impl Future<Output = ()>) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    runtime.block_on(async {
        tokio::time::timeout(TEST_LIMIT, test)
            .await
            .expect("the test took too long");
    });
}

/// The built frontend (`CHAT_DIST_DIR`, else `<repo>/dist`); the tests need it.
pub fn dist_dir() -> PathBuf {
    let dist =
        std::env::var_os("CHAT_DIST_DIR").map_or_else(|| repo_root().join("dist"), PathBuf::from);
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the frontend first (`trunk build --release`)",
        dist.display()
    );
    dist
}

/// axe-core's `axe.min.js`: `AXE_CORE_JS`, else what `cargo xtask setup` installs into
/// `<repo>/.tools/axe`.
pub fn axe_script() -> String {
    let path = std::env::var_os("AXE_CORE_JS").map_or_else(
        || repo_root().join(".tools/axe/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; install axe-core with `cargo xtask setup`",
            path.display()
        )
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    testkit::free_addr().port()
}

fn wait_for_port(port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The chat server under test.
pub type Server = ServerProcess;

/// Starts the chat server on a free port with a fresh data directory, serving the built
/// frontend.
pub async fn start_server() -> Server {
    ServerProcess::options()
        .static_dir(dist_dir())
        .start()
        .await
}

/// A chromedriver process.
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    pub fn start() -> Self {
        let port = free_port();
        let program = std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into());
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", Path::new(&program).display()));
        assert!(
            wait_for_port(port, Duration::from_secs(15)),
            "chromedriver did not listen on {port}"
        );
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `probe` gives something, for at most `limit`; panics saying `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The outcome of an action on an element: `None` to try again when the page re-rendered the
/// element between finding it and acting on it (a stale reference), a panic on any other
/// error.
fn settled<T>(outcome: Result<T, CmdError>, what: &str) -> Option<T> {
    match outcome {
        Ok(value) => Some(value),
        Err(e) if e.is_stale_element_reference() => None,
        Err(e) => panic!("{what} failed: {e}"),
    }
}

/// One person's headless Chromium, on the chat page.
pub struct Browser {
    client: Client,
    base: String,
    /// Who this is, for messages.
    pub label: String,
    /// The browser profile, fresh for every session; removed at the end.
    _profile: TempDir,
}

impl Browser {
    /// Opens a new browser session on the page of `server` (a [`Server`], or a [`Relay`] in
    /// front of one).
    pub async fn open(driver: &ChromeDriver, server: &Endpoint, label: &str) -> Self {
        Self::open_with(driver, server, label, &[]).await
    }

    /// [`Browser::open`] with more Chromium arguments (say `--force-dark-mode`).
    pub async fn open_with(
        driver: &ChromeDriver,
        server: &Endpoint,
        label: &str,
        more_args: &[&str],
    ) -> Self {
        let browser = Self::launch(driver, server, label, more_args).await;
        browser.goto_page().await;
        browser
    }

    /// [`Browser::open`], with `script` run in every document of this session before any of
    /// the page's own (Chromium's `Page.addScriptToEvaluateOnNewDocument`): a listener it
    /// installs hears the page from its first moment on.
    pub async fn open_with_script(
        driver: &ChromeDriver,
        server: &Endpoint,
        label: &str,
        script: &str,
    ) -> Self {
        let browser = Self::launch(driver, server, label, &[]).await;
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": script }),
            )
            .await;
        browser.goto_page().await;
        browser
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver and returns its result.
    pub async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(cdp::Command { method, params })
            .await
            .unwrap_or_else(|e| panic!("{}: {method} failed: {e}", self.label))
    }

    /// Opens the chat page (again), as typing its address does.
    pub async fn goto_page(&self) {
        self.client.goto(&self.base).await.expect("the page opens");
    }

    /// A browser session on no page yet.
    async fn launch(
        driver: &ChromeDriver,
        server: &Endpoint,
        label: &str,
        more_args: &[&str],
    ) -> Self {
        let profile = tempfile::tempdir().expect("a profile directory");
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            // Leaving a page must unload it (and close its WebSocket), as the tests expect.
            "--disable-back-forward-cache".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,800".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let extra = std::env::var("E2E_CHROME_ARGS").unwrap_or_default();
        let args: Vec<String> = args
            .into_iter()
            .chain(extra.split_whitespace().map(str::to_owned))
            .chain(more_args.iter().map(|arg| (*arg).to_owned()))
            .collect();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chrome, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .expect("a WebDriver session");
        Self {
            client,
            base: server.url(""),
            label: label.to_owned(),
            _profile: profile,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}", self.label))
    }

    /// Waits for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> Element {
        let what = format!("{}: an element {css}", self.label);
        eventually(&what, WAIT, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|found| !found.is_empty())
    }

    pub async fn click(&self, css: &str) {
        let what = format!("{}: a click on {css}", self.label);
        eventually(&what, WAIT, || async {
            let element = self.wait_for(css).await;
            settled(element.click().await, &what)
        })
        .await
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let what = format!("{}: typing into {css}", self.label);
        eventually(&what, WAIT, || async {
            let element = self.wait_for(css).await;
            settled(element.send_keys(text).await, &what)
        })
        .await
    }

    /// Fills in the sign-in form and submits it, without waiting for the outcome.
    pub async fn submit_sign_in(&self, name: &str) {
        self.type_into("[data-testid=signin-name]", name).await;
        self.click("[data-testid=signin-submit]").await;
    }

    /// Signs in as `name` and waits for the connection.
    pub async fn sign_in(&self, name: &str) {
        self.submit_sign_in(name).await;
        self.wait_for("[data-testid=chat]").await;
        self.wait_connected().await;
    }

    /// The connection state the page shows: connected, reconnecting, offline, connecting.
    pub async fn connection_state(&self) -> String {
        let state = self
            .js(
                "const s = document.querySelector('[data-testid=connection-status]'); \
                 return s ? s.dataset.state : null;",
            )
            .await;
        state.as_str().unwrap_or_default().to_owned()
    }

    pub async fn wait_for_state(&self, wanted: &[&str]) -> String {
        let what = format!("{}: connection state {wanted:?}", self.label);
        eventually(&what, WAIT, || async {
            let state = self.connection_state().await;
            wanted.contains(&state.as_str()).then_some(state)
        })
        .await
    }

    pub async fn wait_connected(&self) {
        self.wait_for_state(&["connected"]).await;
    }

    /// Types a message into the open conversation and presses Enter.
    pub async fn send(&self, text: &str) {
        self.type_into("[data-testid=composer]", text).await;
        self.type_into("[data-testid=composer]", &Key::Enter.to_string())
            .await;
    }

    /// Types lines separated by Shift+Enter, then presses Enter to send them as one message.
    pub async fn send_lines(&self, lines: &[&str]) {
        let new_line = format!("{}{}{}", Key::Shift, Key::Enter, Key::Null);
        self.type_into("[data-testid=composer]", &lines.join(&new_line))
            .await;
        self.type_into("[data-testid=composer]", &Key::Enter.to_string())
            .await;
    }

    /// The bodies of the messages in the open conversation, as text.
    pub async fn bodies(&self) -> Vec<String> {
        let value = self
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=message-body]'))\
                 .map(e => e.textContent);",
            )
            .await;
        serde_json::from_value(value).unwrap_or_default()
    }

    /// Waits until the open conversation shows a message with exactly this text.
    pub async fn wait_for_body(&self, text: &str) {
        let what = format!("{}: a message {text:?}", self.label);
        eventually(&what, WAIT, || async {
            self.bodies().await.iter().any(|b| b == text).then_some(())
        })
        .await;
    }

    /// The delivery state of the last message with this text.
    pub async fn status_of(&self, text: &str) -> Option<String> {
        let script = format!(
            "const rows = Array.from(document.querySelectorAll('[data-testid=message]'))\
             .filter(r => r.querySelector('[data-testid=message-body]').textContent === {});\
             return rows.length ? rows[rows.length - 1].dataset.status : null;",
            serde_json::to_string(text).expect("a JSON string")
        );
        self.js(&script).await.as_str().map(str::to_owned)
    }

    pub async fn wait_for_status(&self, text: &str, status: &str) {
        let what = format!("{}: message {text:?} {status}", self.label);
        eventually(&what, WAIT, || async {
            (self.status_of(text).await.as_deref() == Some(status)).then_some(())
        })
        .await;
    }

    /// All text on the page, as a person would read it.
    pub async fn page_text(&self) -> String {
        self.js("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The violations axe-core finds on the page as it is now (injected on first use in each
    /// document), each as `{id, impact, help, nodes: [{target, summary}]}`.
    pub async fn axe_violations(&self) -> Vec<Value> {
        if self.js("return typeof window.axe;").await != json!("object") {
            self.js(&axe_script()).await;
        }
        let script = "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] })\
             .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })) }))))\
             .catch(e => done([{ id: 'axe-error', help: String(e) }]));";
        let found = self
            .client
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{}: axe.run failed: {e}", self.label));
        serde_json::from_value(found).unwrap_or_default()
    }

    /// A PNG of the page.
    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.expect("a screenshot")
    }

    /// Waits until the open conversation's title is `title` (the heading is read afresh each
    /// time: it may be drawn again while we wait).
    pub async fn wait_for_title(&self, title: &str) {
        let what = format!("{}: {title} open", self.label);
        eventually(&what, WAIT, || async {
            let shown = self
                .js(
                    "const t = document.querySelector('[data-testid=conv-title]'); \
                     return t ? t.textContent : null;",
                )
                .await;
            (shown.as_str()? == title).then_some(())
        })
        .await;
    }

    /// Joins (or creates) `room` with the sidebar's form and waits until it is open.
    pub async fn join_room(&self, room: &str) {
        self.type_into("[data-testid=join-room]", room).await;
        self.click("[data-testid=join-submit]").await;
        self.wait_for_title(&format!("#{room}")).await;
    }

    /// Opens the conversation whose sidebar entry is `testid` and waits for its `title`.
    pub async fn open_conversation(&self, testid: &str, title: &str) {
        self.click(&format!("[data-testid={testid}]")).await;
        self.wait_for_title(title).await;
    }

    /// Waits until the sidebar says `count` people are online in all.
    pub async fn wait_for_online_count(&self, count: u64) {
        self.wait_for_text("#people-heading", &format!("Online — {count}"))
            .await;
    }

    /// Opens "Everyone online" afresh (closed first when it is open: each opening asks for
    /// a new list) and waits for `name` in the list the server sent for this opening.
    pub async fn open_everyone(&self, name: &str) {
        // The names drawn before are marked: every drawing replaces them.
        let open = self
            .js(
                "document.querySelectorAll('[data-testid=everyone-list] li')\
                 .forEach(li => li.dataset.old = '1');\
                 return document.querySelector('[data-testid=everyone-open]').parentElement.open;",
            )
            .await;
        if open == Value::Bool(true) {
            self.click("[data-testid=everyone-open]").await;
        }
        self.click("[data-testid=everyone-open]").await;
        let key = name.to_ascii_lowercase();
        self.wait_for(&format!("[data-testid='everyone-{key}']:not([data-old])"))
            .await;
        self.wait_for_text(
            "#everyone-status",
            "As listed when opened: open it again to refresh.",
        )
        .await;
    }

    /// Opens the private conversation with `name` from "Everyone online" and waits for it.
    pub async fn talk_to(&self, name: &str) {
        self.open_everyone(name).await;
        let key = name.to_ascii_lowercase();
        self.click(&format!("[data-testid='everyone-{key}'] button"))
            .await;
        self.wait_for_title(name).await;
    }

    /// What the composer holds, not yet sent.
    pub async fn composer_text(&self) -> String {
        let value = self
            .js(
                "const c = document.querySelector('[data-testid=composer]'); \
                 return c ? c.value : null;",
            )
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The focused element: its `data-testid`, else its id, else its tag.
    pub async fn focused(&self) -> String {
        self.js("const e = document.activeElement; \
                 return e ? (e.dataset.testid || e.id || e.tagName) : null;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until [`Browser::focused`] is `wanted`.
    pub async fn wait_for_focus(&self, wanted: &str) {
        let what = format!("{}: focus on {wanted}", self.label);
        eventually(&what, WAIT, || async {
            (self.focused().await == wanted).then_some(())
        })
        .await;
    }

    /// Saves a screenshot as `name` in `E2E_SCREENSHOT_DIR`, when it is set (for looking, not
    /// asserting).
    pub async fn save_screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("E2E_SCREENSHOT_DIR") {
            let path = Path::new(&dir).join(name);
            std::fs::write(&path, self.screenshot().await)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }

    /// Makes the page look hidden (a background tab) or shown again: `document.visibilityState`
    /// and `document.hidden` say so from now on, and a `visibilitychange` event is fired, as a
    /// browser does when the tab changes (headless Chromium never hides a page by itself).
    pub async fn set_hidden(&self, hidden: bool) {
        let script = format!(
            "window.__hidden = {hidden};\
             if (!window.__visibilityStubbed) {{\
               window.__visibilityStubbed = true;\
               Object.defineProperty(document, 'visibilityState', {{ configurable: true,\
                 get: () => window.__hidden ? 'hidden' : 'visible' }});\
               Object.defineProperty(document, 'hidden', {{ configurable: true,\
                 get: () => window.__hidden }});\
             }}\
             document.dispatchEvent(new Event('visibilitychange', {{ bubbles: true }}));"
        );
        self.js(&script).await;
    }

    /// The text of the first element matching `css`, or `None` when there is none.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            serde_json::to_string(css).expect("a JSON string")
        );
        self.js(&script).await.as_str().map(str::to_owned)
    }

    /// Waits until the first element matching `css` says exactly `wanted`.
    pub async fn wait_for_text(&self, css: &str, wanted: &str) {
        let what = format!("{}: {css} says {wanted:?}", self.label);
        eventually(&what, WAIT, || async {
            (self.text_of(css).await.as_deref() == Some(wanted)).then_some(())
        })
        .await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
