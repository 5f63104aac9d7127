//! One WebSocket connection: a reader that answers the client's frames and a writer that
//! drains the connection's bounded queue into the socket, batching what has piled up into one
//! flush. Both run in the connection's task; whichever ends first ends the other.
//!
//! The welcome and any missed messages are written to the raw socket before tungstenite takes
//! it over ([`crate::upgrade`]), so that its write buffer, which never shrinks, is not sized
//! by them for the rest of the connection's life.
//!
//! Everything the client sends is checked here (rate, shape, names, sizes) before the hub sees
//! it; a bad frame is answered with an `error` frame and the connection carries on. Only
//! oversized frames, protocol violations and sustained flooding close it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use shared::limits::{check_body, BodyError, MAX_REQ_CHARS};
use shared::protocol::{HISTORY_PAGE, MAX_HISTORY_PAGE};
use shared::{close, ClientFrame, ErrorCode, RoomName, ServerFrame, Target, UserName};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, Utf8Bytes};

use crate::clock::now_ms;
use crate::config::Config;
use crate::hub::{encode, ConnId, Control, Frame, Hub, HubError, Joining, Outbox, TypingTarget};
use crate::identity::Session;
use crate::journal::{Entry, Journal};
use crate::message::{Conversation, Destination, NewMessage};
use crate::store::{Store, StoreError};
use crate::upgrade::{RawSocket, Socket};

/// How long the close frame (or a final flush) may take to go out before the socket is
/// dropped. The connection has already left the hub by then, so nobody waits for it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most queued frames written before one flush.
const MAX_BATCH: usize = 64;
/// Missed messages read from the store at a time when a client resumes.
const BACKLOG_PAGE: u32 = 500;

/// Everything a connection task needs, handed over by the upgrade handler.
pub struct Connection {
    pub hub: Hub,
    pub store: Arc<dyn Store>,
    pub journal: Journal,
    pub session: Session,
    /// The client has every message up to this id (the `after` of the URL): replay the rest.
    pub after: Option<u64>,
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down: the connection closes with 1001.
    pub shutdown: CancellationToken,
    /// Holds one of the server's connection slots while the connection lives.
    pub permit: OwnedSemaphorePermit,
    /// Lets shutdown wait for this task.
    pub task: TaskTrackerToken,
}

/// Why reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadEnd {
    /// The client closed, or the socket went away: nothing more to say.
    Gone,
    /// Close with this code.
    Close(u16),
}

impl Connection {
    /// Runs the connection until either side ends it, then takes it out of the hub.
    ///
    /// Every path taken once or rarely (the preamble, closing, answering a frame) is boxed, so
    /// that its future does not take room in the task for as long as the connection lives.
    pub async fn serve(self, mut socket: RawSocket) {
        let name = self.session.name.clone();
        let rooms = self.hub.rooms_of(&name);
        let conversations = match self.store.conversations(&name, &rooms).await {
            Ok(conversations) => conversations,
            Err(e) => {
                tracing::error!(error = %e, user = %name, "reading conversations failed");
                Box::pin(Writer::close_socket(socket, close::INTERNAL_ERROR)).await;
                return;
            }
        };
        let (tx, mut rx) = mpsc::channel(self.config.queue_frames.max(1));
        let control = Arc::new(Control::default());
        let outbox = Outbox::new(tx, control.clone(), self.hub.metrics().clone());
        let (id, welcome, up_to) = self.hub.connect(
            name.clone(),
            self.session.id.clone(),
            outbox.clone(),
            conversations,
        );
        self.hub
            .metrics()
            .connections_opened
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(conn = id, user = %name, after = ?self.after, "connected");

        let started = Instant::now();
        let last_heard = AtomicU64::new(0);
        // The welcome and what the client missed go out before anything queued since it
        // joined the hub, which holds exactly the messages after `up_to`.
        let preamble = Box::pin(self.preamble(&mut socket, welcome, up_to));
        let failed = tokio::select! {
            result = preamble => result.err(),
            () = control.closed() => None,
            () = self.shutdown.cancelled() => None,
        };
        if let Some(e) = failed {
            tracing::warn!(conn = id, error = %e, "sending the welcome or the backlog failed");
            control.close(Some(close::INTERNAL_ERROR));
        }
        let (mut sink, mut stream) = Box::pin(socket.into_websocket()).await.split();
        let mut reader = Reader {
            id,
            name: &name,
            hub: &self.hub,
            store: self.store.as_ref(),
            journal: &self.journal,
            outbox: &outbox,
            bucket: crate::rate_limit::TokenBucket::new(
                self.config.rate_per_sec,
                self.config.rate_burst,
            ),
            flood_limit: self.config.flood_limit.max(1),
            rate_limited_in_a_row: 0,
        };
        let writer = Writer {
            id,
            hub: &self.hub,
            control: &control,
            shutdown: &self.shutdown,
            ping_interval: self.config.ping_interval(),
            idle_timeout: self.config.idle_timeout(),
            started,
            last_heard: &last_heard,
        };
        {
            let read = reader.run(&mut stream, started, &last_heard);
            let write = writer.run(&mut sink, &mut rx);
            tokio::pin!(read, write);
            tokio::select! {
                end = &mut read => {
                    control.close(match end {
                        ReadEnd::Gone => None,
                        ReadEnd::Close(code) => Some(code),
                    });
                    write.await;
                }
                () = &mut write => {}
            }
        }
        self.hub.disconnect(id);
        tracing::info!(conn = id, user = %name, close = ?control.code(), "disconnected");
        drop(self.permit);
        drop(self.task);
    }

    /// Sends the welcome, then, for a resuming client, every message in its conversations
    /// with an id in `(after, up_to]`, oldest first.
    async fn preamble(
        &self,
        socket: &mut RawSocket,
        welcome: Frame,
        up_to: u64,
    ) -> Result<(), PreambleError> {
        socket.send_texts([&*welcome]).await?;
        drop(welcome);
        let Some(mut after) = self.after else {
            return Ok(());
        };
        while after < up_to {
            let page = self
                .store
                .missed(&self.session.name, after, up_to, BACKLOG_PAGE)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.id;
            let frames: Vec<Frame> = page.iter().map(|m| encode(&m.frame())).collect();
            socket.send_texts(frames.iter().map(|f| &**f)).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
enum PreambleError {
    #[error(transparent)]
    Socket(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Writer<'a> {
    id: ConnId,
    hub: &'a Hub,
    control: &'a Control,
    shutdown: &'a CancellationToken,
    ping_interval: Duration,
    idle_timeout: Duration,
    started: Instant,
    last_heard: &'a AtomicU64,
}

enum Step {
    Write(Frame),
    Ping,
    Close(Option<u16>),
    Drop,
}

impl Writer<'_> {
    async fn run(&self, sink: &mut SplitSink<Socket, Message>, rx: &mut mpsc::Receiver<Frame>) {
        let mut ping =
            tokio::time::interval_at(Instant::now() + self.ping_interval, self.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Made once, not on every turn: each wake of the writer would otherwise build and
        // register them again.
        let closed = self.control.closed();
        let shutdown = self.shutdown.cancelled();
        tokio::pin!(closed, shutdown);
        loop {
            let step = tokio::select! {
                biased;
                () = &mut closed => Step::Close(self.control.code()),
                () = &mut shutdown => Step::Close(Some(close::GOING_AWAY)),
                frame = rx.recv() => frame.map_or(Step::Close(None), Step::Write),
                _ = ping.tick() => {
                    let heard = Duration::from_millis(self.last_heard.load(Ordering::Relaxed));
                    if self.started.elapsed().saturating_sub(heard) > self.idle_timeout {
                        Step::Drop
                    } else {
                        Step::Ping
                    }
                }
            };
            let write = match step {
                // A write to a peer that does not read can wait forever: a close or shutdown
                // request interrupts it, and the next turn of the loop acts on it.
                Step::Write(first) => tokio::select! {
                    result = Self::write_batch(sink, rx, first) => result,
                    () = &mut closed => continue,
                    () = &mut shutdown => continue,
                },
                Step::Ping => tokio::select! {
                    result = sink.send(Message::Ping(Default::default())) => result,
                    () = &mut closed => continue,
                    () = &mut shutdown => continue,
                },
                Step::Close(code) => {
                    self.hub.disconnect(self.id);
                    // Boxed: see `Connection::serve`.
                    let _ = Box::pin(timeout(CLOSE_TIMEOUT, Self::close(sink, code))).await;
                    return;
                }
                Step::Drop => {
                    tracing::info!(
                        conn = self.id,
                        "no answer to pings: dropping the connection"
                    );
                    return;
                }
            };
            if write.is_err() {
                return;
            }
        }
    }

    /// Writes `first` and whatever else is queued, then flushes once.
    async fn write_batch(
        sink: &mut SplitSink<Socket, Message>,
        rx: &mut mpsc::Receiver<Frame>,
        first: Frame,
    ) -> Result<(), tungstenite::Error> {
        sink.feed(text(first)).await?;
        for _ in 1..MAX_BATCH {
            match rx.try_recv() {
                Ok(frame) => sink.feed(text(frame)).await?,
                Err(_) => break,
            }
        }
        sink.flush().await
    }

    /// Closes a socket that never joined the hub.
    async fn close_socket(socket: RawSocket, code: u16) {
        let mut socket = socket.into_websocket().await;
        let frame = CloseFrame {
            code: code.into(),
            reason: Utf8Bytes::from_static(close_reason(code)),
        };
        let _ = timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    }

    async fn close(
        sink: &mut SplitSink<Socket, Message>,
        code: Option<u16>,
    ) -> Result<(), tungstenite::Error> {
        match code {
            Some(code) => {
                let frame = CloseFrame {
                    code: code.into(),
                    reason: Utf8Bytes::from_static(close_reason(code)),
                };
                sink.send(Message::Close(Some(frame))).await
            }
            // The peer closed or vanished: flush tungstenite's reply to its close, if any.
            None => sink.flush().await,
        }
    }
}

/// The message that carries a queued frame; the last of its recipients takes its bytes.
fn text(frame: Frame) -> Message {
    Message::Text(Arc::unwrap_or_clone(frame))
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close::GOING_AWAY => "server shutting down",
        close::PROTOCOL_ERROR => "protocol error",
        close::INVALID_PAYLOAD => "text frame is not valid UTF-8",
        close::POLICY_VIOLATION => "too many frames",
        close::MESSAGE_TOO_BIG => "frame too large",
        close::TRY_AGAIN_LATER => "too slow to keep up; reconnect",
        close::SESSION_ENDED => "signed out",
        close::INTERNAL_ERROR => "server error; reconnect",
        _ => "",
    }
}

/// What the rate limit says about a frame.
enum Admission {
    Admitted,
    /// Dropped and answered with `rate_limited`.
    Limited,
    /// Rate-limited too many times in a row: close the connection.
    Flooding,
}

/// A refused frame: the error code and a human explanation.
type Refusal = (ErrorCode, String);

impl From<HubError> for (ErrorCode, String) {
    fn from(e: HubError) -> Self {
        (e.code(), e.to_string())
    }
}

struct Reader<'a> {
    id: ConnId,
    /// The connection's user.
    name: &'a UserName,
    hub: &'a Hub,
    store: &'a dyn Store,
    journal: &'a Journal,
    outbox: &'a Outbox,
    bucket: crate::rate_limit::TokenBucket,
    flood_limit: u32,
    rate_limited_in_a_row: u32,
}

impl Reader<'_> {
    async fn run(
        &mut self,
        stream: &mut SplitStream<Socket>,
        started: Instant,
        last_heard: &AtomicU64,
    ) -> ReadEnd {
        while let Some(item) = stream.next().await {
            let heard = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            last_heard.store(heard, Ordering::Relaxed);
            let message = match item {
                Ok(message) => message,
                Err(e) => return read_error(e),
            };
            match message {
                Message::Text(_) | Message::Binary(_) => match self.admit() {
                    Admission::Admitted => {}
                    Admission::Limited => continue,
                    Admission::Flooding => return ReadEnd::Close(close::POLICY_VIOLATION),
                },
                Message::Close(_) => return ReadEnd::Gone,
                // tungstenite answers pings itself; a pong only proves liveness. Raw frames
                // are never read.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            }
            match message {
                // Boxed: answering a frame can take a large future (store calls, the
                // journal), which would otherwise take room in the task while it idles.
                Message::Text(text) => Box::pin(self.on_text(&text)).await,
                _ => self.refuse(
                    (
                        ErrorCode::BinaryNotSupported,
                        "frames are JSON text".to_owned(),
                    ),
                    None,
                ),
            }
        }
        ReadEnd::Gone
    }

    /// Spends a token from the rate limit; answers `rate_limited` when there is none.
    fn admit(&mut self) -> Admission {
        if self.bucket.try_take() {
            self.rate_limited_in_a_row = 0;
            let received = &self.hub.metrics().frames_received;
            received.fetch_add(1, Ordering::Relaxed);
            return Admission::Admitted;
        }
        self.rate_limited_in_a_row += 1;
        let metrics = self.hub.metrics();
        metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        if self.rate_limited_in_a_row >= self.flood_limit {
            metrics.flood_disconnects.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(conn = self.id, "flooding: closing with 1008");
            return Admission::Flooding;
        }
        self.refuse(
            (
                ErrorCode::RateLimited,
                "too many frames; slow down".to_owned(),
            ),
            None,
        );
        Admission::Limited
    }

    async fn on_text(&mut self, text: &str) {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(e) => {
                let (code, req) = diagnose(text);
                self.refuse((code, e.to_string()), req);
                return;
            }
        };
        let req = frame.req().map(str::to_owned);
        if req
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REQ_CHARS)
        {
            self.refuse(
                (
                    ErrorCode::InvalidFrame,
                    format!("req is longer than {MAX_REQ_CHARS} characters"),
                ),
                None,
            );
            return;
        }
        if let Err(refusal) = self.dispatch(frame).await {
            self.refuse(refusal, req);
        }
    }

    async fn dispatch(&mut self, frame: ClientFrame) -> Result<(), Refusal> {
        let (hub, id) = (self.hub, self.id);
        match frame {
            ClientFrame::Join { room, .. } => {
                let room = room_name(&room)?;
                if hub.check_join(id, &room)? == Joining::New {
                    self.store
                        .join_room(self.name, &room)
                        .await
                        .map_err(internal)?;
                }
                Ok(hub.join(id, room)?)
            }
            ClientFrame::Leave { room, .. } => {
                let room = room_name(&room)?;
                hub.check_leave(id, &room)?;
                self.store
                    .leave_room(self.name, &room)
                    .await
                    .map_err(internal)?;
                Ok(hub.leave(id, room)?)
            }
            ClientFrame::RoomMessage { room, body, req } => {
                let room = room_name(&room)?;
                body_ok(&body)?;
                let from = hub.member(id, &room)?;
                self.store_and_deliver(from, Destination::Room(room), body, req)
                    .await
            }
            ClientFrame::PrivateMessage { to, body, req } => {
                let to = self.existing_user(&to).await?;
                body_ok(&body)?;
                self.store_and_deliver(self.name.clone(), Destination::User(to), body, req)
                    .await
            }
            ClientFrame::Typing { target } => {
                let target = match target {
                    Target::Room { room } => TypingTarget::Room(room_name(&room)?),
                    Target::User { to } => TypingTarget::User(user_name(&to)?),
                };
                Ok(hub.typing(id, target)?)
            }
            ClientFrame::Ping { req } => {
                self.outbox.send(&ServerFrame::Pong { req });
                Ok(())
            }
            ClientFrame::History {
                target,
                before,
                limit,
                req,
            } => {
                let limit = limit.unwrap_or(HISTORY_PAGE);
                if !(1..=MAX_HISTORY_PAGE).contains(&limit) {
                    return Err((
                        ErrorCode::InvalidFrame,
                        format!("limit must be 1 to {MAX_HISTORY_PAGE}"),
                    ));
                }
                let conversation = self.conversation(target).await?;
                let (messages, complete) = self
                    .store
                    .history(&conversation, before, limit)
                    .await
                    .map_err(internal)?;
                self.outbox.send(&ServerFrame::History {
                    target: conversation.target(),
                    messages: messages.into_iter().map(|m| m.stored()).collect(),
                    complete,
                    req,
                });
                Ok(())
            }
            ClientFrame::Read { target, up_to } => {
                let conversation = self.conversation(target).await?;
                let marker = self
                    .store
                    .mark_read(self.name, &conversation, up_to)
                    .await
                    .map_err(internal)?;
                hub.read(self.name, conversation.target(), marker);
                Ok(())
            }
        }
    }

    /// Hands a message to the journal, which stores it, then delivers and acknowledges it.
    async fn store_and_deliver(
        &self,
        from: UserName,
        to: Destination,
        body: String,
        req: Option<String>,
    ) -> Result<(), Refusal> {
        let message = NewMessage {
            from,
            to,
            body,
            at: now_ms(),
            req,
        };
        let entry = Entry {
            message,
            origin: self.id,
        };
        self.journal.submit(entry).await.map_err(internal)
    }

    /// A user who has an account, by the name they claimed.
    async fn existing_user(&self, raw: &str) -> Result<UserName, Refusal> {
        let name = user_name(raw)?;
        if let Some(online) = self.hub.online_name(&name) {
            return Ok(online);
        }
        match self.store.find_account(&name).await.map_err(internal)? {
            Some(account) => Ok(account.name),
            None => Err((ErrorCode::UnknownUser, format!("nobody is called {name}"))),
        }
    }

    /// The conversation a `history` or `read` frame names, if it is the user's.
    async fn conversation(&self, target: Target) -> Result<Conversation, Refusal> {
        match target {
            Target::Room { room } => {
                let room = room_name(&room)?;
                self.hub.member(self.id, &room)?;
                Ok(Conversation::Room(room))
            }
            Target::User { to } => Ok(Conversation::Private {
                me: self.name.clone(),
                other: self.existing_user(&to).await?,
            }),
        }
    }

    fn refuse(&self, (code, message): Refusal, req: Option<String>) {
        self.outbox.send(&ServerFrame::Error { code, message, req });
    }
}

/// A failure of ours: logged here, answered with `internal`.
fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "request failed");
    (ErrorCode::Internal, "internal error".to_owned())
}

fn room_name(raw: &str) -> Result<RoomName, Refusal> {
    RoomName::parse(raw).map_err(|e| (ErrorCode::InvalidRoomName, e.to_string()))
}

fn user_name(raw: &str) -> Result<UserName, Refusal> {
    UserName::parse(raw).map_err(|e| (ErrorCode::InvalidUserName, e.to_string()))
}

fn body_ok(body: &str) -> Result<(), Refusal> {
    check_body(body).map_err(|e| {
        let code = match e {
            BodyError::Empty => ErrorCode::EmptyBody,
            BodyError::TooLong { .. } => ErrorCode::BodyTooLong,
        };
        (code, e.to_string())
    })
}

/// Why a text frame did not parse, and its request id if one can be read from it.
fn diagnose(text: &str) -> (ErrorCode, Option<String>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return (ErrorCode::MalformedJson, None);
    };
    let req = value
        .get("req")
        .and_then(|r| r.as_str())
        .filter(|r| r.chars().count() <= MAX_REQ_CHARS)
        .map(str::to_owned);
    match value.get("type").and_then(|t| t.as_str()) {
        Some(kind) if !ClientFrame::TYPES.contains(&kind) => (ErrorCode::UnknownType, req),
        _ => (ErrorCode::InvalidFrame, req),
    }
}

/// Maps a read error to how the connection ends.
fn read_error(error: tungstenite::Error) -> ReadEnd {
    use tungstenite::Error;
    match error {
        Error::Capacity(_) => ReadEnd::Close(close::MESSAGE_TOO_BIG),
        Error::Protocol(_) => ReadEnd::Close(close::PROTOCOL_ERROR),
        Error::Utf8(_) => ReadEnd::Close(close::INVALID_PAYLOAD),
        _ => ReadEnd::Gone,
    }
}
