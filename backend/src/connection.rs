//! One WebSocket connection: a reader that answers the client's frames and a writer that
//! drains the connection's bounded queue into the socket, writing what has piled up with one
//! `writev`. Both run in the connection's task; whichever ends first ends the other.
//!
//! The socket is read and written here, directly ([`crate::ws`] has the format): queued frames
//! were encoded once for all their recipients and are written from their shared bytes, and an
//! idle connection holds no read or write buffer.
//!
//! Everything the client sends is checked here (rate, shape, names, sizes) before the hub sees
//! it; a bad frame is answered with an `error` frame and the connection carries on. Only
//! oversized frames, protocol violations and sustained flooding close it.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use shared::limits::{check_body, BodyError, MAX_REQ_CHARS};
use shared::protocol::{HISTORY_PAGE, MAX_HISTORY_PAGE};
use shared::{close, ClientFrame, ErrorCode, RoomName, ServerFrame, Target, UserName};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::clock::now_ms;
use crate::config::Config;
use crate::hub::{Hub, HubError, Joining, TypingTarget};
use crate::identity::Session;
use crate::journal::{Entry, Journal};
use crate::message::{Conversation, Destination, NewMessage};
use crate::outbox::{ConnId, Control, Inbox, Outbox};
use crate::store::{Store, StoreError};
use crate::ws::{encode, Decoder, Frame, Incoming, Socket, WireFrame};

/// How long the close frame (or a final flush) may take to go out before the socket is
/// dropped. The connection has already left the hub by then, so nobody waits for it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// After its close frame, how long the server reads (and drops) what the client still sends,
/// waiting for it to close its side, so that the close frame is not lost to a TCP reset.
const LINGER: Duration = Duration::from_secs(1);
/// Most queued frames written with one `writev`.
const MAX_BATCH: usize = 64;
/// Missed messages read from the store at a time when a client resumes.
const BACKLOG_PAGE: u32 = 500;
/// Bytes read from the socket at a time (into a stack buffer; only an incomplete frame is
/// kept between reads).
const READ_CHUNK: usize = 4096;
/// Capacity of the buffer of an incomplete frame that is kept once the frame is complete:
/// enough for a busy sender's typical frames, small enough to keep for any connection.
const KEEP_READ_CAPACITY: usize = 512;

static PING: LazyLock<Frame> = LazyLock::new(|| Arc::new(WireFrame::ping()));

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
    /// The socket went away: nothing more to say.
    Gone,
    /// The client sent a close frame (with this code, if any): answer it with the same code.
    Closed(Option<u16>),
    /// Close with this code.
    Close(u16),
}

impl Connection {
    /// Runs the connection until either side ends it, then takes it out of the hub.
    ///
    /// Every path taken once or rarely (the preamble, closing, answering a frame) is boxed, so
    /// that its future does not take room in the task for as long as the connection lives.
    pub async fn serve(self, socket: Socket) {
        let Socket {
            mut stream,
            read_ahead,
        } = socket;
        let name = self.session.name.clone();
        let rooms = self.hub.rooms_of(&name);
        let conversations = match self.store.conversations(&name, &rooms).await {
            Ok(conversations) => conversations,
            Err(e) => {
                tracing::error!(error = %e, user = %name, "reading conversations failed");
                let close = close_frame(close::INTERNAL_ERROR);
                Box::pin(finish(&mut stream, Some(close))).await;
                return;
            }
        };
        let control = Arc::new(Control::default());
        let (outbox, mut inbox) = self.hub.queue(self.config.queue_frames, control.clone());
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
        let preamble = Box::pin(self.preamble(&stream, welcome, up_to));
        let failed = tokio::select! {
            result = preamble => result.err(),
            () = control.closed() => None,
            () = self.shutdown.cancelled() => None,
        };
        if let Some(e) = failed {
            tracing::warn!(conn = id, error = %e, "sending the welcome or the backlog failed");
            control.close(Some(close::INTERNAL_ERROR));
        }
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
        let mut echo = None;
        {
            let read = reader.run(
                &stream,
                read_ahead,
                self.config.max_frame_bytes,
                started,
                &last_heard,
            );
            let write = writer.run(&stream, &mut inbox);
            tokio::pin!(read, write);
            tokio::select! {
                end = &mut read => {
                    let first = control.close(match end {
                        ReadEnd::Gone | ReadEnd::Closed(_) => None,
                        ReadEnd::Close(code) => Some(code),
                    });
                    // A client's close is answered, unless the server had closed first (then
                    // the client's frame was the answer).
                    if let (ReadEnd::Closed(code), true) = (end, first) {
                        echo = Some(code.map_or_else(WireFrame::close_empty, |code| {
                            WireFrame::close(code, "")
                        }));
                    }
                    write.await;
                }
                () = &mut write => {}
            }
        }
        self.hub.disconnect(id);
        Box::pin(finish(&mut stream, echo)).await;
        tracing::info!(conn = id, user = %name, close = ?control.code(), "disconnected");
        drop(self.permit);
        drop(self.task);
    }

    /// Sends the welcome, then, for a resuming client, every message in its conversations
    /// with an id in `(after, up_to]`, oldest first.
    async fn preamble(
        &self,
        stream: &TcpStream,
        welcome: Frame,
        up_to: u64,
    ) -> Result<(), PreambleError> {
        write_frames(stream, vec![welcome]).await?;
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
            write_frames(stream, frames).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
enum PreambleError {
    #[error(transparent)]
    Socket(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Frames being written to a socket, and how far the writing has got. Kept outside the write
/// future, so that a write cut short (by a close request) leaves a true record of what went
/// out: a frame half written must be finished before the close frame, or the client would
/// read the close frame as the rest of the half-written one.
#[derive(Default)]
struct Outgoing {
    frames: Vec<Frame>,
    /// The frame the next byte comes from, and the offset of that byte in it.
    index: usize,
    offset: usize,
}

impl Outgoing {
    fn new(frames: Vec<Frame>) -> Self {
        Self {
            frames,
            index: 0,
            offset: 0,
        }
    }

    /// Writes every frame, with as few `writev` calls as the socket takes.
    async fn write(&mut self, stream: &TcpStream) -> io::Result<()> {
        while self.index < self.frames.len() {
            match try_write_frames(stream, &self.frames[self.index..], self.offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.writable().await?,
                Err(e) => return Err(e),
            }
        }
        // Nothing is kept allocated between batches.
        *self = Self::default();
        Ok(())
    }

    fn advance(&mut self, mut written: usize) {
        while self.index < self.frames.len() {
            let left = self.frames[self.index].as_bytes().len() - self.offset;
            if written < left {
                self.offset += written;
                return;
            }
            written -= left;
            self.index += 1;
            self.offset = 0;
        }
    }

    /// Forgets the frames not yet begun; a frame partly written stays, to be finished.
    fn keep_partial(&mut self) {
        let keep = if self.offset > 0 {
            self.index + 1
        } else {
            self.index
        };
        self.frames.truncate(keep);
    }
}

/// Writes `frames` in order.
async fn write_frames(stream: &TcpStream, frames: Vec<Frame>) -> io::Result<()> {
    Outgoing::new(frames).write(stream).await
}

/// One `writev` of up to [`MAX_BATCH`] frames, the first from `offset` on.
fn try_write_frames(stream: &TcpStream, frames: &[Frame], offset: usize) -> io::Result<usize> {
    let mut slices = [IoSlice::new(&[]); MAX_BATCH];
    let count = frames.len().min(MAX_BATCH);
    for (i, (slice, frame)) in slices.iter_mut().zip(frames).enumerate() {
        let bytes = frame.as_bytes();
        *slice = IoSlice::new(if i == 0 { &bytes[offset..] } else { bytes });
    }
    stream.try_write_vectored(&slices[..count])
}

/// Reads what has arrived onto the end of `buf`; `Ok(0)` at the end of the stream.
async fn read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        stream.readable().await?;
        match try_read_some(stream, buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return result,
        }
    }
}

fn try_read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; READ_CHUNK];
    let read = stream.try_read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..read]);
    Ok(read)
}

/// Ends the TCP connection: writes the last (close) frame, if any, and closes the sending
/// side, then reads what the client still sends until it closes its side too, or for at most
/// [`LINGER`]. Dropping a socket with unread data would reset the connection, and the client
/// could lose the close frame.
async fn finish(stream: &mut TcpStream, last: Option<WireFrame>) {
    if let Some(frame) = last {
        let _ = timeout(CLOSE_TIMEOUT, write_frames(stream, vec![Arc::new(frame)])).await;
    }
    if stream.shutdown().await.is_err() {
        return;
    }
    let _ = timeout(LINGER, async {
        let mut drained = Vec::new();
        while let Ok(1..) = read_some(stream, &mut drained).await {
            drained.clear();
        }
    })
    .await;
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
    Write(Vec<Frame>),
    Ping,
    Close(Option<u16>),
    Drop,
}

impl Writer<'_> {
    async fn run(&self, stream: &TcpStream, inbox: &mut Inbox) {
        let mut ping =
            tokio::time::interval_at(Instant::now() + self.ping_interval, self.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Made once, not on every turn: each wake of the writer would otherwise build and
        // register them again.
        let closed = self.control.closed();
        let shutdown = self.shutdown.cancelled();
        tokio::pin!(closed, shutdown);
        let mut out = Outgoing::default();
        loop {
            let step = tokio::select! {
                biased;
                () = &mut closed => Step::Close(self.control.code()),
                () = &mut shutdown => Step::Close(Some(close::GOING_AWAY)),
                frames = inbox.take() => Step::Write(frames),
                _ = ping.tick() => {
                    let heard = Duration::from_millis(self.last_heard.load(Ordering::Relaxed));
                    if self.started.elapsed().saturating_sub(heard) > self.idle_timeout {
                        Step::Drop
                    } else {
                        Step::Ping
                    }
                }
            };
            match step {
                Step::Write(frames) => {
                    self.hub
                        .metrics()
                        .write_batches
                        .fetch_add(1, Ordering::Relaxed);
                    out = Outgoing::new(frames);
                }
                Step::Ping => out = Outgoing::new(vec![PING.clone()]),
                Step::Close(code) => {
                    self.hub.disconnect(self.id);
                    if let Some(code) = code {
                        out.keep_partial();
                        out.frames.push(Arc::new(close_frame(code)));
                        // Boxed: see `Connection::serve`.
                        let _ = Box::pin(timeout(CLOSE_TIMEOUT, out.write(stream))).await;
                    }
                    return;
                }
                Step::Drop => {
                    tracing::info!(
                        conn = self.id,
                        "no answer to pings: dropping the connection"
                    );
                    return;
                }
            }
            // A write to a peer that does not read can wait forever: a close or shutdown
            // request interrupts it, and the next turn of the loop acts on it.
            let write = tokio::select! {
                result = out.write(stream) => result,
                () = &mut closed => continue,
                () = &mut shutdown => continue,
            };
            if write.is_err() {
                return;
            }
        }
    }
}

/// The server's close frame for `code`.
fn close_frame(code: u16) -> WireFrame {
    WireFrame::close(code, close_reason(code))
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
    /// Reads and answers the client's frames until the connection ends. `buf` holds what had
    /// arrived before the connection task started.
    async fn run(
        &mut self,
        stream: &TcpStream,
        mut buf: Vec<u8>,
        max_message: usize,
        started: Instant,
        last_heard: &AtomicU64,
    ) -> ReadEnd {
        let mut decoder = Decoder::new(max_message);
        loop {
            let mut used = 0;
            loop {
                let (size, incoming) = match decoder.decode(&buf[used..]) {
                    Ok(Some(frame)) => frame,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::debug!(conn = self.id, error = %e, "refusing the client's bytes");
                        return ReadEnd::Close(e.close_code());
                    }
                };
                used += size;
                let heard = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                last_heard.store(heard, Ordering::Relaxed);
                if let Some(end) = self.on_incoming(incoming).await {
                    return end;
                }
            }
            buf.drain(..used);
            if buf.is_empty() && buf.capacity() > KEEP_READ_CAPACITY {
                buf = Vec::new();
            }
            match read_some(stream, &mut buf).await {
                Ok(0) | Err(_) => return ReadEnd::Gone,
                Ok(_) => {}
            }
        }
    }

    /// Answers one message or control frame; `Some` when the connection must end.
    async fn on_incoming(&mut self, incoming: Option<Incoming>) -> Option<ReadEnd> {
        let incoming = incoming?;
        // Messages, text or binary, count against the rate limit; control frames do not.
        if matches!(incoming, Incoming::Text(_) | Incoming::Binary) {
            match self.admit() {
                Admission::Admitted => {}
                Admission::Limited => return None,
                Admission::Flooding => return Some(ReadEnd::Close(close::POLICY_VIOLATION)),
            }
        }
        match incoming {
            // Boxed: answering a frame can take a large future (store calls, the journal),
            // which would otherwise take room in the task while it idles.
            Incoming::Text(text) => Box::pin(self.on_text(&text)).await,
            Incoming::Binary => self.refuse(
                (
                    ErrorCode::BinaryNotSupported,
                    "frames are JSON text".to_owned(),
                ),
                None,
            ),
            Incoming::Ping(payload) => self.outbox.push(Arc::new(WireFrame::pong(&payload))),
            // A pong only proves liveness, which reading it has recorded.
            Incoming::Pong => {}
            Incoming::Close(code) => return Some(ReadEnd::Closed(code)),
        }
        None
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
