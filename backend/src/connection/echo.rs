//! [`echo`]: a WebSocket that sends back every message it gets, text or binary, built from the
//! chat connection's own pieces (the `wire` decoder, [`Outgoing`] for every write and the
//! close at a frame boundary, the close path's `finish`), so that the Autobahn testsuite (`cargo xtask autobahn`, served by
//! `backend/examples/echo.rs`) tests exactly the code the chat runs. Not used by the chat.

use std::sync::Arc;
use std::time::Duration;

use crate::ws::{Decoder, Incoming, Socket, WireFrame};

use super::outgoing::Outgoing;
use super::reader::read_some;
use super::writer::{close_frame, finish};

/// How long a write may make no progress before the echo gives up on the client.
const WRITE_DEADLINE: Duration = Duration::from_secs(60);

/// Echoes messages and answers pings until the client closes (the close is answered with the
/// client's code) or breaks the protocol (closed with the code the violation earns).
pub async fn echo(socket: Socket, max_message: usize) {
    let Socket {
        mut stream,
        read_ahead,
    } = socket;
    let mut buf = read_ahead;
    let mut decoder = Decoder::new(max_message);
    let mut out = Outgoing::new(&*stream, WRITE_DEADLINE);
    let last = loop {
        let mut used = 0;
        let mut answers = Vec::new();
        let mut last = None;
        loop {
            match decoder.decode(&buf[used..]) {
                Ok(Some((size, incoming))) => {
                    used += size;
                    match incoming {
                        Some(Incoming::Text(text)) => answers.push(WireFrame::text(&text)),
                        Some(Incoming::Binary(bytes)) => answers.push(WireFrame::binary(&bytes)),
                        Some(Incoming::Ping(payload)) => answers.push(WireFrame::pong(&payload)),
                        Some(Incoming::Pong) | None => {}
                        Some(Incoming::Close(code)) => {
                            last = Some(code.map_or_else(WireFrame::close_empty, |code| {
                                WireFrame::close(code, "")
                            }));
                            break;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "refusing the client's bytes");
                    last = Some(close_frame(e.close_code()));
                    break;
                }
            }
        }
        buf.drain(..used);
        if !answers.is_empty() {
            out.extend(answers.into_iter().map(Arc::new).collect());
            if out.flush().await.is_err() {
                return;
            }
        }
        if last.is_some() {
            break last;
        }
        match read_some(&stream, &mut buf).await {
            Ok(0) | Err(_) => break None,
            Ok(_) => {}
        }
    };
    if let Some(close) = last {
        if out.close(close).await.is_err() {
            return;
        }
    }
    drop(out);
    if let Some(stream) = Arc::get_mut(&mut stream) {
        finish(stream).await;
    }
}
