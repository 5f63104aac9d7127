//! The read loop: reads what the client sends, decodes it ([`crate::ws::Decoder`]),
//! rate-limits it (`typing` notices and `activity` frames on a budget of their own, so that
//! they never cost a message its place), parses it and hands each frame to [`crate::commands::dispatch`]; a bad
//! frame is answered with an `error` frame and the connection carries on. Only oversized
//! frames, protocol violations and sustained flooding end it.

use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Poll};

use shared::limits::MAX_REQ_CHARS;
use shared::{close, ClientFrame, ErrorCode, ServerFrame};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::ReadEnd;
use crate::commands::{self, Context, Refusal};
use crate::rate_limit::Budget;
use crate::ws::{Decoder, Incoming, WireFrame};

/// Bytes read from the socket at a time (into a stack buffer; only an incomplete frame is
/// kept between reads).
const READ_CHUNK: usize = 4096;
/// Capacity of the buffer of an incomplete frame that is kept once the frame is complete:
/// enough for a busy sender's typical frames, small enough to keep for any connection.
const KEEP_READ_CAPACITY: usize = 512;

/// Reads what has arrived onto the end of `buf`; `Ok(0)` at the end of the stream.
///
/// It waits with `poll_read_ready`, which keeps the task's waker in the socket's own
/// registration: the future holds nothing but its references (`readable()` would hold a
/// waiter of some 80 bytes in every idle connection's task). An empty `buf` gives its room
/// back before it waits: an idle connection holds no read buffer (a client's pong would
/// otherwise leave one of 32 bytes or more in every connection pinged).
pub(super) async fn read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    poll_fn(|cx| loop {
        match try_read_some(stream, buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if buf.is_empty() && buf.capacity() > 0 {
                    *buf = Vec::new();
                }
                ready!(stream.poll_read_ready(cx))?;
            }
            result => return Poll::Ready(result),
        }
    })
    .await
}

fn try_read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; READ_CHUNK];
    let read = stream.try_read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..read]);
    Ok(read)
}

/// What the rate limit says about a frame.
enum Admission {
    Admitted,
    /// Dropped: answered with `rate_limited`, or silently for a notice (`typing`, `activity`).
    Limited,
    /// Rate-limited too many times in a row: close the connection.
    Flooding,
}

/// What the read loop does after a frame.
enum Next {
    /// Reads on.
    Read,
    /// Answers this text frame, then reads on.
    Answer(String),
    /// Ends the connection.
    End(ReadEnd),
}

/// The reading half of a connection.
pub(super) struct Reader<'a> {
    /// What a command works with: the connection, its user, the hub, the store, the journal,
    /// and the rate limit: its user's budgets, shared by all of the user's connections.
    pub(super) cx: Context<'a>,
    /// Rate-limited frames in a row that close the connection.
    pub(super) flood_limit: u32,
    /// Rate-limited frames in a row so far.
    pub(super) rate_limited_in_a_row: u32,
}

impl Reader<'_> {
    /// Reads and answers the client's frames until the connection ends. `buf` holds what had
    /// arrived before the connection task started.
    pub(super) async fn run(
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
                        tracing::debug!(conn = self.cx.id, error = %e, "refusing the client's bytes");
                        return ReadEnd::Close(e.close_code());
                    }
                };
                used += size;
                let heard = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                last_heard.store(heard, Ordering::Relaxed);
                match self.on_incoming(incoming) {
                    Next::Read => {}
                    // Boxed: answering a frame can take a large future (store calls, the
                    // journal), which would otherwise take room in the task while it idles.
                    Next::Answer(text) => Box::pin(self.on_text(text)).await,
                    Next::End(end) => return end,
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

    /// Answers one message or control frame at once, but a text frame admitted, which it
    /// hands back to be answered (`on_text`, boxed: this stays a plain function, so the
    /// read loop's future holds nothing of it while it waits).
    fn on_incoming(&mut self, incoming: Option<Incoming>) -> Next {
        let Some(incoming) = incoming else {
            return Next::Read;
        };
        // Messages, text or binary, count against the rate limit; control frames do not.
        if matches!(incoming, Incoming::Text(_) | Incoming::Binary(_)) {
            match self.admit(&incoming) {
                Admission::Admitted => {}
                Admission::Limited => return Next::Read,
                Admission::Flooding => return Next::End(ReadEnd::Close(close::POLICY_VIOLATION)),
            }
        }
        match incoming {
            Incoming::Text(text) => return Next::Answer(text),
            Incoming::Binary(_) => self.refuse(
                (
                    ErrorCode::BinaryNotSupported,
                    "frames are JSON text".to_owned(),
                ),
                None,
            ),
            Incoming::Ping(payload) => self.cx.outbox.push(Arc::new(WireFrame::pong(&payload))),
            // A pong only proves liveness, which reading it has recorded.
            Incoming::Pong => {}
            Incoming::Close(code) => return Next::End(ReadEnd::Closed(code)),
        }
        Next::Read
    }

    /// Spends a token from the rate limit; answers `rate_limited` (with the frame's `req`)
    /// when there is none. A notice (`typing`, `activity`) spends from its own budget and,
    /// over it, is dropped without an answer (it has no `req`, and nobody waits for it).
    fn admit(&mut self, incoming: &Incoming) -> Admission {
        let text = match incoming {
            Incoming::Text(text) => Some(&**text),
            _ => None,
        };
        let typing = text.is_some_and(is_notice);
        let budget = if typing {
            Budget::Notices
        } else {
            Budget::Frames
        };
        if self.cx.slot.try_take(budget) {
            self.rate_limited_in_a_row = 0;
            self.cx.hub.metrics().frames_received.inc();
            return Admission::Admitted;
        }
        self.rate_limited_in_a_row += 1;
        let metrics = self.cx.hub.metrics();
        metrics.rate_limited.inc();
        if self.rate_limited_in_a_row >= self.flood_limit {
            metrics.flood_disconnects.inc();
            tracing::warn!(conn = self.cx.id, "flooding: closing with 1008");
            return Admission::Flooding;
        }
        if typing {
            return Admission::Limited;
        }
        self.refuse(
            (
                ErrorCode::RateLimited,
                "too many frames; slow down".to_owned(),
            ),
            text.and_then(scan_req),
        );
        Admission::Limited
    }

    /// Takes the text by value: held in the boxed future, not in the read loop's.
    async fn on_text(&mut self, text: String) {
        let text = text.as_str();
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
        if let Err(refusal) = commands::dispatch(&self.cx, frame).await {
            self.refuse(refusal, req);
        }
    }

    fn refuse(&self, (code, message): Refusal, req: Option<String>) {
        self.cx
            .outbox
            .send(&ServerFrame::Error { code, message, req });
    }
}

/// The `req` of a frame that is refused before it is parsed (rate-limited): read without
/// building the frame, every other field skipped; `None` unless it is a string of at most
/// [`MAX_REQ_CHARS`] characters in a JSON object.
fn scan_req(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct OnlyReq<'a> {
        #[serde(borrow, default)]
        req: Option<std::borrow::Cow<'a, str>>,
    }
    let only = serde_json::from_str::<OnlyReq<'_>>(text).ok()?;
    usable_req(&only.req?)
}

/// A `req` as an `error` may carry it back: at most [`MAX_REQ_CHARS`] characters.
fn usable_req(req: &str) -> Option<String> {
    (req.chars().count() <= MAX_REQ_CHARS).then(|| req.to_owned())
}

/// Whether a text frame is a notice, `typing` or `activity`: its `type` read without building
/// the frame, every other field skipped.
fn is_notice(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct OnlyType<'a> {
        #[serde(borrow, default, rename = "type")]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    // Most frames are not: a substring search spares them the second parse.
    if !text.contains("\"typing\"") && !text.contains("\"activity\"") {
        return false;
    }
    serde_json::from_str::<OnlyType<'_>>(text)
        .ok()
        .and_then(|only| only.kind)
        .is_some_and(|kind| kind == "typing" || kind == "activity")
}

/// Why a text frame did not parse, and its request id if one can be read from it.
fn diagnose(text: &str) -> (ErrorCode, Option<String>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return (ErrorCode::MalformedJson, None);
    };
    let req = value
        .get("req")
        .and_then(|r| r.as_str())
        .and_then(usable_req);
    match value.get("type").and_then(|t| t.as_str()) {
        Some(kind) if !ClientFrame::TYPES.contains(&kind) => (ErrorCode::UnknownType, req),
        _ => (ErrorCode::InvalidFrame, req),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::{is_notice, read_some, scan_req, MAX_REQ_CHARS};

    #[tokio::test]
    async fn an_empty_read_buffer_is_given_back_before_waiting() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        client.write_all(b"hello").await.unwrap();
        assert_eq!(read_some(&server, &mut buf).await.unwrap(), 5);
        buf.clear();
        assert!(buf.capacity() > 0);
        // Nothing more has arrived: it waits, holding no room meanwhile.
        let waited = tokio::time::timeout(Duration::from_millis(50), read_some(&server, &mut buf));
        assert!(waited.await.is_err());
        assert_eq!(buf.capacity(), 0);
        // What is left of a frame begun stays while it waits for the rest.
        client.write_all(b"x").await.unwrap();
        assert_eq!(read_some(&server, &mut buf).await.unwrap(), 1);
        let waited = tokio::time::timeout(Duration::from_millis(50), read_some(&server, &mut buf));
        assert!(waited.await.is_err());
        assert_eq!(buf, b"x");
        // And what arrives meanwhile is read at once.
        client.write_all(b"yz").await.unwrap();
        assert_eq!(read_some(&server, &mut buf).await.unwrap(), 2);
        assert_eq!(buf, b"xyz");
    }

    #[test]
    fn notices_are_told_apart_without_parsing_the_frame() {
        assert!(is_notice(r#"{"type":"typing","room":"rust"}"#));
        assert!(is_notice(r#"{"to":"bob","x":[1,{"y":2}],"type":"typing"}"#));
        assert!(is_notice(r#"{"type":"activity","away":true}"#));
        assert!(!is_notice(
            r#"{"type":"room_message","room":"typing","body":"typing"}"#
        ));
        assert!(!is_notice(
            r#"{"type":"private_message","to":"bob","body":"activity"}"#
        ));
        assert!(!is_notice(r#"{"type":"ping"}"#));
        assert!(!is_notice("not json"));
    }

    #[test]
    fn the_req_of_a_frame_is_read_without_parsing_the_frame() {
        assert_eq!(
            scan_req(r#"{"type":"room_message","room":"x","body":"a\"b","req":"m\u00e9"}"#),
            Some("m\u{e9}".to_owned())
        );
        assert_eq!(
            scan_req(r#"{"type":"nope","req":"r1","x":[1,{"y":2}]}"#),
            Some("r1".into())
        );
        assert_eq!(scan_req(r#"{"type":"ping"}"#), None);
        assert_eq!(scan_req(r#"{"req":7}"#), None);
        assert_eq!(scan_req("not json"), None);
        let long = "r".repeat(MAX_REQ_CHARS + 1);
        assert_eq!(scan_req(&format!(r#"{{"req":"{long}"}}"#)), None);
    }
}
