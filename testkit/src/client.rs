//! The protocol client: [`Endpoint`] (where a server listens, and the HTTP and WebSocket calls
//! a client makes) and [`Client`] (one WebSocket that speaks the protocol through the shared
//! types, waiting for the frames a test expects rather than for time to pass).
//!
//! Longer than 600 lines on purpose: one helper per request a test makes, on the one type
//! tests hold.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::api::ApiError;
use shared::{ClientFrame, ErrorCode, ServerFrame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::frames::answered;

/// How long a test waits for a frame that must come.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(10);
/// How long a test listens to be sure that a frame does NOT come.
pub const QUIET_FOR: Duration = Duration::from_millis(500);

/// Where a server listens, with the HTTP and WebSocket calls a client makes.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// One HTTP client (and its connection pool) for every call to this server.
    http: reqwest::Client,
}

impl Endpoint {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: reqwest::Client::new(),
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The HTTP client, for calls the helpers do not make.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
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

    /// `DELETE /api/session`: signs the token's session out; returns the status.
    pub async fn sign_out(&self, token: &str) -> u16 {
        self.http
            .delete(self.url("/api/session"))
            .bearer_auth(token)
            .send()
            .await
            .expect("DELETE /api/session")
            .status()
            .as_u16()
    }

    /// `POST /api/attachments?name=<name>` with `bytes` as the body, sent as `content_type`
    /// (which the server must not believe), with `token`.
    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/api/attachments"))
            .query(&[("name", name)])
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("POST /api/attachments")
    }

    /// Uploads and returns the attachment the server answered (asserting 201).
    pub async fn upload_ok(&self, token: &str, name: &str, bytes: Vec<u8>) -> shared::Attachment {
        let response = self
            .upload(token, name, "application/octet-stream", bytes)
            .await;
        assert_eq!(response.status(), 201, "uploading {name}");
        response.json().await.expect("an attachment")
    }

    /// `GET /api/attachments/<id><suffix>` with `token` as a Bearer header.
    pub async fn attachment(&self, token: &str, id: &str, suffix: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/api/attachments/{id}{suffix}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /api/attachments")
    }

    /// The status of `GET <path>`, or `None` when the server does not answer.
    pub async fn status_of(&self, path: &str) -> Option<u16> {
        let response = self
            .http
            .get(self.url(path))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .ok()?;
        Some(response.status().as_u16())
    }

    /// The status of `GET /readyz`, or `None` when the server does not answer.
    pub async fn readyz(&self) -> Option<u16> {
        self.status_of("/readyz").await
    }

    /// Waits until `GET <path>` answers 200.
    pub async fn wait_for_200(&self, path: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.status_of(path).await != Some(200) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} did not answer 200 within {within:?}",
                self.url(path)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `/readyz` answers 200 (store and bus up).
    pub async fn wait_ready(&self, within: Duration) {
        self.wait_for_200("/readyz", within).await;
    }

    /// Opens a WebSocket with the token in the query, as a browser does.
    pub async fn connect(&self, token: &str) -> Client {
        self.open(format!("ws://{}/ws?token={token}", self.addr))
            .await
    }

    /// Opens a WebSocket that resumes after message `after`.
    pub async fn connect_after(&self, token: &str, after: u64) -> Client {
        self.open(format!("ws://{}/ws?token={token}&after={after}", self.addr))
            .await
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
        self.open(request).await
    }

    /// Opens a WebSocket (resuming after `after`, if given) over a socket whose receive
    /// buffer is about `bytes`, set before connecting so that the TCP window stays small: a
    /// client that then stops reading makes the server's writes stall after little data.
    pub async fn connect_small_window(
        &self,
        token: &str,
        after: Option<u64>,
        bytes: u32,
    ) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        let stream = socket.connect(self.addr).await.expect("connect");
        let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
        let url = format!("ws://{}/ws?token={token}{after}", self.addr);
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("WebSocket upgrade");
        Client::new(ws).await
    }

    /// Opens a WebSocket with the token in the query; a refused upgrade gives its status and
    /// `ApiError` body instead.
    pub async fn try_connect(&self, token: &str) -> Result<Client, (u16, ApiError)> {
        let url = format!("ws://{}/ws?token={token}", self.addr);
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => Ok(Client::new(ws).await),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let status = response.status().as_u16();
                let body = response.body().clone().unwrap_or_default();
                let error = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("{status} without an ApiError body: {e}"));
                Err((status, error))
            }
            Err(e) => panic!("WebSocket upgrade: {e}"),
        }
    }

    async fn open(&self, request: impl IntoClientRequest + Unpin) -> Client {
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

    /// Claims `name` with an account in room `team` ([`Endpoint::teammate`]) and connects:
    /// the team's members hear of each other's presence.
    pub async fn member(&self, name: &str) -> (String, Client) {
        let token = self.teammate(name).await;
        let client = self.connect(&token).await;
        (token, client)
    }

    /// The connections this server holds, from `GET /healthz`.
    pub async fn connections(&self) -> u64 {
        let health: Value = self
            .http
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("GET /healthz")
            .json()
            .await
            .expect("a JSON health");
        health["connections"].as_u64().expect("connections")
    }

    /// Claims `name`, puts the account in room `team`, closes that connection and waits until
    /// the server has let it go; returns its token. Every member of `team` has an interest in
    /// the account from then on (protocol 11): they hear of its presence, as do those of a
    /// private conversation with it. Call while no other connection comes or goes here.
    pub async fn teammate(&self, name: &str) -> String {
        let before = self.connections().await;
        let (token, mut client) = self.user(name).await;
        client.join("team").await;
        client.close().await;
        let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
        while self.connections().await != before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name}'s connection was never let go"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        token
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A connected test client. It has read its `welcome`.
pub struct Client {
    pub ws: Socket,
    pub welcome: ServerFrame,
    /// Who this client takes to be online: the welcome's list with every `presence` frame it
    /// has read applied, as a real client keeps it.
    online: BTreeSet<String>,
    /// Those of them it takes to be away, likewise.
    away: BTreeSet<String>,
    /// When users went offline, from the `last_seen` of the `presence` frames read.
    last_seen: BTreeMap<String, u64>,
    /// How many are online in all, from the welcome and the `presence` frames read.
    online_count: u64,
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
            online: BTreeSet::new(),
            away: BTreeSet::new(),
            last_seen: BTreeMap::new(),
            online_count: 0,
        };
        let welcome = client.recv().await;
        let ServerFrame::Welcome {
            online,
            away,
            online_count,
            ..
        } = &welcome
        else {
            panic!("first frame must be welcome, got {welcome:?}");
        };
        client.online = online.iter().cloned().collect();
        client.away = away.iter().cloned().collect();
        client.online_count = *online_count;
        client.welcome = welcome;
        client
    }

    /// The `welcome` this connection began with.
    pub fn welcome(&self) -> &ServerFrame {
        &self.welcome
    }

    /// The id of the last message delivered before this connection joined (`welcome.last_id`).
    pub fn last_id(&self) -> u64 {
        match &self.welcome {
            ServerFrame::Welcome { last_id, .. } => *last_id,
            other => unreachable!("not a welcome: {other:?}"),
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_text(&serde_json::to_string(frame).expect("a client frame encodes"))
            .await;
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

    /// The next frame, or how the connection ended; `None` if nothing came `within`.
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
                    match &frame {
                        ServerFrame::Presence {
                            online,
                            offline,
                            away,
                            last_seen,
                            online_count,
                        } => {
                            self.seen_online(online, away);
                            for name in offline {
                                self.online.remove(name);
                                self.away.remove(name);
                            }
                            self.last_seen
                                .extend(last_seen.iter().map(|(k, v)| (k.clone(), *v)));
                            if let Some(count) = online_count {
                                self.online_count = *count;
                            }
                        }
                        ServerFrame::RoomJoined { online, away, .. }
                        | ServerFrame::Conversations { online, away, .. } => {
                            self.seen_online(online, away);
                        }
                        // A join comes from a connection: the new member is online.
                        ServerFrame::MemberJoined { user, .. } => {
                            self.online.insert(user.clone());
                        }
                        _ => {}
                    }
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

    /// Reads frames until `n` messages (room or private) have come, skipping other frames;
    /// returns their ids and bodies.
    pub async fn messages(&mut self, n: usize) -> Vec<(u64, String)> {
        let mut got = Vec::new();
        while got.len() < n {
            match self.recv().await {
                ServerFrame::RoomMessage { id, body, .. }
                | ServerFrame::PrivateMessage { id, body, .. } => got.push((id, body)),
                _ => {}
            }
        }
        got
    }

    /// A round trip through this connection's queue: sends a ping and reads up to its pong.
    /// Returns the frames read before it: everything the server had queued for this
    /// connection when it read the ping.
    pub async fn sync(&mut self) -> Vec<ServerFrame> {
        static SYNCS: AtomicU64 = AtomicU64::new(0);
        let req = format!("sync-{}", SYNCS.fetch_add(1, Ordering::Relaxed));
        self.send(&ClientFrame::Ping {
            req: Some(req.clone()),
        })
        .await;
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                ServerFrame::Pong { req: Some(r) } if r == req => return before,
                frame => before.push(frame),
            }
        }
    }

    /// Notes `online` as online, those of them in `away` away and the others present.
    fn seen_online(&mut self, online: &[String], away: &[String]) {
        self.online.extend(online.iter().cloned());
        for name in online {
            if away.contains(name) {
                self.away.insert(name.clone());
            } else {
                self.away.remove(name);
            }
        }
    }

    /// How many this client takes to be online in all: the welcome's `online_count`, then
    /// each `presence` frame's.
    pub fn online_count(&self) -> u64 {
        self.online_count
    }

    /// Whether this client takes `user` to be online, from what it has read so far.
    pub fn knows_online(&self, user: &str) -> bool {
        self.online.contains(user)
    }

    /// Waits until this client knows `user` is online: from its welcome or a `presence` frame.
    pub async fn sees_online(&mut self, user: &str) {
        while !self.knows_online(user) {
            self.recv().await;
        }
    }

    /// Whether this client takes `user` to be away, from what it has read so far.
    pub fn knows_away(&self, user: &str) -> bool {
        self.away.contains(user)
    }

    /// Waits until this client knows `user` is online and away.
    pub async fn sees_away(&mut self, user: &str) {
        while !self.knows_away(user) {
            self.recv().await;
        }
    }

    /// Waits until this client knows `user` is online and present (not away).
    pub async fn sees_present(&mut self, user: &str) {
        while !self.knows_online(user) || self.knows_away(user) {
            self.recv().await;
        }
    }

    /// When `user` was last seen, from the `presence` frames read so far.
    pub fn last_seen(&self, user: &str) -> Option<u64> {
        self.last_seen.get(user).copied()
    }

    /// Says this page is away or back (`activity`).
    pub async fn activity(&mut self, away: bool) {
        self.send(&ClientFrame::Activity { away }).await;
    }

    /// Waits until this client knows `user` is offline.
    pub async fn sees_offline(&mut self, user: &str) {
        while self.knows_online(user) {
            self.recv().await;
        }
    }

    /// Asserts that no frame at all arrives for [`QUIET_FOR`].
    pub async fn assert_quiet(&mut self) {
        if let Some(item) = self.next(QUIET_FOR).await {
            panic!("expected nothing, got {item:?}");
        }
    }

    /// Reads for [`QUIET_FOR`] and fails on a frame that matches `unwanted` (`what` names it);
    /// other frames are read and dropped. The connection must stay open.
    pub async fn assert_none_of(&mut self, what: &str, unwanted: impl Fn(&ServerFrame) -> bool) {
        let deadline = tokio::time::Instant::now() + QUIET_FOR;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                None => return,
                Some(Ok(frame)) => assert!(!unwanted(&frame), "expected no {what}, got {frame:?}"),
                Some(Err(ended)) => panic!("the connection ended: {ended:?}"),
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

    /// Sends `frame` (which has a `req`) and returns the frame that answers it (whatever
    /// frame carries that `req`: `error`, `done`, `invitation`, `room_list`, …), skipping
    /// other frames.
    pub async fn answer(&mut self, frame: Value) -> ServerFrame {
        let req = frame["req"].as_str().expect("a req").to_owned();
        self.send_json(frame).await;
        self.recv_until(|f| answered(f) == Some(req.as_str())).await
    }

    /// Sends `frame` (which has a `req`) and returns the error code refusing it; fails the
    /// test when it is not refused.
    pub async fn refused(&mut self, frame: Value) -> ErrorCode {
        match self.answer(frame).await {
            ServerFrame::Error { code, .. } => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// Sends `frame` (which has a `req`) and waits for its `done`; fails the test otherwise.
    pub async fn done(&mut self, frame: Value) {
        match self.answer(frame).await {
            ServerFrame::Done { .. } => {}
            other => panic!("expected done, got {other:?}"),
        }
    }

    /// Creates `room` (public, or `private`) with `topic` and waits until the server says
    /// we are in it.
    pub async fn create_room(&mut self, room: &str, topic: &str, private: bool) {
        self.send_json(
            json!({"type": "create_room", "room": room, "topic": topic, "private": private}),
        )
        .await;
        self.recv_until(|f| matches!(f, ServerFrame::RoomJoined { room: r, .. } if r == room))
            .await;
    }

    /// Sends `frame` (which has a `req`) and returns the id of its ack, skipping other frames.
    pub async fn send_acked(&mut self, frame: Value) -> u64 {
        let req = frame["req"].as_str().expect("a req").to_owned();
        self.send_json(frame).await;
        let ack = self
            .recv_until(|f| {
                matches!(f, ServerFrame::Ack { req: Some(r), .. } if *r == req)
                    || matches!(f, ServerFrame::Error { req: Some(r), .. } if *r == req)
            })
            .await;
        match ack {
            ServerFrame::Ack { id, .. } => id,
            other => panic!("expected the ack of {req}, got {other:?}"),
        }
    }

    /// Sends a room message and returns its id from the ack.
    pub async fn say(&mut self, room: &str, body: &str, req: &str) -> u64 {
        self.send_acked(json!({"type": "room_message", "room": room, "body": body, "req": req}))
            .await
    }

    /// Sends a private message and returns its id from the ack.
    pub async fn whisper(&mut self, to: &str, body: &str, req: &str) -> u64 {
        self.send_acked(json!({"type": "private_message", "to": to, "body": body, "req": req}))
            .await
    }

    /// Sends `history` and returns the answer: `Ok((ids, complete))`, or the error frame.
    pub async fn try_history(&mut self, target: Value) -> Result<(Vec<u64>, bool), ServerFrame> {
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
            } => Ok((messages.iter().map(|m| m.id).collect(), complete)),
            other => Err(other),
        }
    }

    /// Sends `history` and returns the ids and `complete` of the answer.
    pub async fn history(&mut self, target: Value) -> (Vec<u64>, bool) {
        match self.try_history(target).await {
            Ok(answer) => answer,
            Err(other) => panic!("expected history, got {other:?}"),
        }
    }

    /// Sends `search` with the fields of `query` (a `req` of "search" unless it has one) and
    /// returns the answer: `Ok((hits, next))`, or the error frame.
    pub async fn try_search(
        &mut self,
        query: Value,
    ) -> Result<(Vec<shared::StoredMessage>, Option<u32>), ServerFrame> {
        let mut frame = json!({"type": "search", "req": "search"});
        for (k, v) in query.as_object().expect("an object") {
            frame[k] = v.clone();
        }
        let req = frame["req"].as_str().expect("a req").to_owned();
        self.send_json(frame).await;
        match self
            .recv_until(|f| match f {
                ServerFrame::SearchResults { req: r, .. } | ServerFrame::Error { req: r, .. } => {
                    r.as_deref() == Some(req.as_str())
                }
                _ => false,
            })
            .await
        {
            ServerFrame::SearchResults { messages, next, .. } => Ok((messages, next)),
            other => Err(other),
        }
    }

    /// Sends `search` and returns the ids of the results, best first.
    pub async fn search_ids(&mut self, query: Value) -> Vec<u64> {
        match self.try_search(query).await {
            Ok((found, _)) => found.iter().map(|m| m.id).collect(),
            Err(other) => panic!("expected search results, got {other:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
