//! The test harness: the real server on port 0 with a fresh data directory, and real
//! WebSocket clients that speak the protocol through the shared types.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use backend::store::SqliteStore;
use backend::tasks::Tasks;
use backend::{server, AppState, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ServerFrame;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame that must come.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(5);
/// How long a test listens to be sure that a frame does NOT come.
pub const QUIET_FOR: Duration = Duration::from_millis(500);

pub struct TestApp {
    endpoint: Endpoint,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// The store's background tasks, stopped by `shutdown`.
    tasks: Tasks,
    /// The data directory, when the app owns it.
    _data: Option<TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test defaults, changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    let mut app = start(data.path(), tweak).await;
    app._data = Some(data);
    app
}

/// Starts the server on the data directory `dir`, which outlives it.
pub async fn spawn_app_in(dir: &Path) -> TestApp {
    start(dir, |_| {}).await
}

async fn start(dir: &Path, tweak: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .try_init();
    }
    let mut config = Config::defaults();
    config.data_dir = dir.to_path_buf();
    config.static_dir = dir.join("no-client");
    // Tests send faster than people do; the rate-limit tests set their own.
    config.rate_per_sec = 1000;
    config.rate_burst = 1000;
    // Presence changes that follow one another are sent together after this interval. Well
    // under the quiet moment `Client::drain` waits for, so that a drained client has had
    // them; the presence tests set the server's default.
    config.presence_interval_ms = 50;
    tweak(&mut config);
    let tasks = Tasks::new();
    let store = SqliteStore::open(&config.data_dir, &tasks)
        .await
        .expect("store");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::open(config, Arc::new(store), Tasks::new())
        .await
        .expect("state");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::run(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    TestApp {
        endpoint: Endpoint::new(addr),
        state,
        stop: Some(stop),
        server: Some(server),
        tasks,
        _data: None,
    }
}

/// Where a server listens, with the HTTP and WebSocket calls a client makes.
pub struct Endpoint {
    pub addr: SocketAddr,
    http: reqwest::Client,
}

impl std::ops::Deref for TestApp {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Endpoint {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `POST /api/session` with `body`.
    pub async fn post_session(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/session"))
            .json(&body)
            .send()
            .await
            .expect("POST /api/session")
    }

    /// Claims `name` and returns its token.
    pub async fn claim(&self, name: &str) -> String {
        let response = self.post_session(json!({ "name": name })).await;
        assert_eq!(response.status(), 201, "claiming {name}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Opens a WebSocket with the token in the query, as a browser does.
    pub async fn connect(&self, token: &str) -> Client {
        let url = format!("ws://{}/ws?token={token}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket upgrade");
        Client::new(ws).await
    }

    /// Opens a WebSocket that resumes after message `after`.
    pub async fn connect_after(&self, token: &str, after: u64) -> Client {
        let url = format!("ws://{}/ws?token={token}&after={after}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket upgrade");
        Client::new(ws).await
    }

    /// Opens a WebSocket with `Authorization: Bearer`, as other clients do.
    pub async fn connect_bearer(&self, token: &str) -> Client {
        let mut request = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket upgrade");
        Client::new(ws).await
    }

    /// Claims `name` and connects once.
    pub async fn user(&self, name: &str) -> (String, Client) {
        let token = self.claim(name).await;
        let client = self.connect(&token).await;
        (token, client)
    }
}

impl TestApp {
    /// Waits until the hub's pool has `connections` connections (they leave asynchronously).
    pub async fn wait_for_connections(&self, connections: usize) {
        let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
        while self.state.hub.stats().connections != connections {
            assert!(
                tokio::time::Instant::now() < deadline,
                "pool still has {:?}, expected {connections} connections",
                self.state.hub.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Triggers shutdown and waits for `run` to return.
    pub async fn shutdown(mut self) -> Duration {
        let started = tokio::time::Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
        let elapsed = started.elapsed();
        assert!(self.tasks.shutdown(Duration::from_secs(5)).await);
        elapsed
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A `presence` frame with these lists.
pub fn presence(online: &[&str], offline: &[&str]) -> ServerFrame {
    ServerFrame::Presence {
        online: online.iter().map(|s| s.to_string()).collect(),
        offline: offline.iter().map(|s| s.to_string()).collect(),
    }
}

/// Matches a `presence` frame that says `user` is online.
pub fn is_online(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| matches!(f, ServerFrame::Presence { online, .. } if online.iter().any(|u| u == user))
}

/// Matches a `presence` frame that says `user` is offline.
pub fn is_offline(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| matches!(f, ServerFrame::Presence { offline, .. } if offline.iter().any(|u| u == user))
}

/// A connected test client. It has read its `welcome`.
pub struct Client {
    pub ws: Socket,
    pub welcome: ServerFrame,
}

/// What a client saw instead of a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(Option<u16>),
    Dropped,
}

impl Client {
    async fn new(ws: Socket) -> Self {
        let mut client = Self {
            ws,
            welcome: ServerFrame::Pong { req: None },
        };
        let welcome = client.recv().await;
        assert!(
            matches!(welcome, ServerFrame::Welcome { .. }),
            "first frame must be welcome, got {welcome:?}"
        );
        client.welcome = welcome;
        client
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// The next frame, or how the connection ended.
    pub async fn next(&mut self, within: Duration) -> Option<Result<ServerFrame, Ended>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let item = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(item) => item,
            };
            match item {
                Some(Ok(Message::Text(text))) => {
                    let frame = serde_json::from_str::<ServerFrame>(&text)
                        .unwrap_or_else(|e| panic!("server sent {text}, not a ServerFrame: {e}"));
                    return Some(Ok(frame));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Err(Ended::Closed(frame.map(|f| u16::from(f.code)))))
                }
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Err(Ended::Dropped)),
            }
        }
    }

    /// The next frame; fails the test if none comes in time.
    pub async fn recv(&mut self) -> ServerFrame {
        match self.next(ARRIVES_WITHIN).await {
            Some(Ok(frame)) => frame,
            Some(Err(ended)) => panic!("expected a frame, the connection ended: {ended:?}"),
            None => panic!("expected a frame within {ARRIVES_WITHIN:?}, none came"),
        }
    }

    /// The next frame, which must be the `ack` for `req`; returns its id and time.
    pub async fn recv_ack(&mut self, req: &str) -> (u64, u64) {
        let frame = self.recv().await;
        match frame {
            ServerFrame::Ack {
                req: Some(got),
                id,
                at,
            } if got == req => (id, at),
            other => panic!("expected the ack for {req}, got {other:?}"),
        }
    }

    /// Skips frames until one matches `pred`; fails the test if none does in time.
    pub async fn recv_until(&mut self, pred: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let frame = self.recv().await;
            if pred(&frame) {
                return frame;
            }
        }
    }

    /// Asserts that no frame at all arrives for [`QUIET_FOR`].
    pub async fn expect_silence(&mut self) {
        if let Some(item) = self.next(QUIET_FOR).await {
            panic!("expected nothing, got {item:?}");
        }
    }

    /// Reads and discards frames until the connection is quiet for a moment.
    pub async fn drain(&mut self) {
        while let Some(item) = self.next(Duration::from_millis(150)).await {
            if let Err(ended) = item {
                panic!("connection ended while draining: {ended:?}");
            }
        }
    }

    /// Reads until the connection ends; returns the close code, if a close frame came.
    pub async fn until_closed(&mut self) -> Ended {
        loop {
            match self.next(ARRIVES_WITHIN).await {
                None => panic!("the connection did not end within {ARRIVES_WITHIN:?}"),
                Some(Ok(_)) => continue,
                Some(Err(ended)) => return ended,
            }
        }
    }

    /// Sends a ping with `req` and waits for its pong, proving the connection still works.
    pub async fn assert_alive(&mut self, req: &str) {
        self.send_json(json!({"type": "ping", "req": req})).await;
        let pong = self
            .recv_until(|f| matches!(f, ServerFrame::Pong { .. }))
            .await;
        assert_eq!(
            pong,
            ServerFrame::Pong {
                req: Some(req.to_owned())
            }
        );
    }

    /// Joins `room` and waits until the server says so.
    pub async fn join(&mut self, room: &str) {
        self.send_json(json!({"type": "join", "room": room})).await;
        self.recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
            .await;
    }

    /// Sends `history` and returns the ids and `complete` of the answer.
    pub async fn history(&mut self, target: Value) -> (Vec<u64>, bool) {
        let mut frame = json!({"type": "history", "req": "history"});
        for (k, v) in target.as_object().expect("an object") {
            frame[k] = v.clone();
        }
        self.send_json(frame).await;
        match self
            .recv_until(|f| matches!(f, ServerFrame::History { .. } | ServerFrame::Error { .. }))
            .await
        {
            ServerFrame::History {
                messages, complete, ..
            } => (messages.iter().map(|m| m.id).collect(), complete),
            other => panic!("expected history, got {other:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
