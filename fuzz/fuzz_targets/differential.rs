//! Our decoder against tungstenite's on the same client bytes (tungstenite as a server, with
//! the same limit for a frame and a message): the same messages, in order, and the same end,
//! refused with the same close code class, closed or still waiting for bytes.
//!
//! Where RFC 6455 leaves room, the two may differ, and only in these ways:
//! - tungstenite refuses invalid UTF-8 as soon as a fragment shows it (fail fast), ours once
//!   the message is complete: when tungstenite refuses with 1007, ours has the same messages
//!   so far, and may have read more;
//! - ours refuses a frame too large for the message limit, unmasked or with an unknown
//!   opcode from its header, tungstenite once it has read the frame: then tungstenite may
//!   still be waiting, and must refuse the frame once the payload is there (for a frame
//!   with two faults, possibly for the other one);
//! - a 64-bit length with its top bit set is a protocol error for ours (1002), a size error
//!   for tungstenite (1009);
//! - tungstenite answers a close frame with a code a peer may not send by closing with 1002,
//!   and reports it as a close frame with 1002; ours refuses it (1002);
//! - tungstenite does so for close code 1014 (bad gateway, registered with IANA) too; ours
//!   accepts it.

#![no_main]

use std::io::{self, Cursor, Read, Write};

use chat_fuzz::{decode_in_chunks, End, Input, Outcome};
use libfuzzer_sys::fuzz_target;
use tungstenite::error::{Error, ProtocolError};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::Message;
use wire::{Incoming, WireError};

/// The client's bytes to read; what the server writes (pongs, its close) is dropped.
struct Mock(Cursor<Vec<u8>>);

impl Read for Mock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Mock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How tungstenite ends, as a close code (None: waiting for bytes, Some(1000): closed).
#[derive(Debug, PartialEq, Eq)]
enum TheirEnd {
    NeedMore,
    Closed,
    Refused(u16),
}

fn tungstenite(bytes: &[u8], max: usize) -> (Vec<Incoming>, TheirEnd) {
    let config = WebSocketConfig::default()
        .max_frame_size(Some(max))
        .max_message_size(Some(max));
    let mut ws = WebSocket::from_raw_socket(
        Mock(Cursor::new(bytes.to_vec())),
        Role::Server,
        Some(config),
    );
    let mut messages = Vec::new();
    loop {
        let message = match ws.read() {
            Ok(message) => message,
            Err(Error::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => {
                return (messages, TheirEnd::NeedMore)
            }
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return (messages, TheirEnd::NeedMore)
            }
            Err(Error::Capacity(_)) => return (messages, TheirEnd::Refused(1009)),
            Err(Error::Utf8(_)) => return (messages, TheirEnd::Refused(1007)),
            Err(Error::Protocol(_)) => return (messages, TheirEnd::Refused(1002)),
            Err(e) => panic!("unexpected error from tungstenite: {e:?}"),
        };
        messages.push(match message {
            Message::Text(text) => Incoming::Text(text.as_str().to_owned()),
            Message::Binary(bytes) => Incoming::Binary(bytes.to_vec()),
            Message::Ping(payload) => Incoming::Ping(payload.to_vec()),
            Message::Pong(_) => Incoming::Pong,
            Message::Close(frame) => {
                messages.push(Incoming::Close(frame.map(|f| u16::from(f.code))));
                return (messages, TheirEnd::Closed);
            }
            Message::Frame(_) => unreachable!("raw frames are never read"),
        });
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let max = input.max_message;
    let Outcome { messages, end } = decode_in_chunks(input.bytes, &[], max);
    let (theirs, their_end) = tungstenite(input.bytes, max);
    let ours_end = match &end {
        End::NeedMore => TheirEnd::NeedMore,
        End::Closed => TheirEnd::Closed,
        End::Refused(e) => TheirEnd::Refused(e.close_code()),
    };
    if ours_end == their_end && messages == theirs {
        return;
    }
    let is_prefix = |short: &[Incoming], long: &[Incoming]| long.starts_with(short);
    let allowed = match (&end, &their_end) {
        // Fail fast on UTF-8.
        (_, TheirEnd::Refused(1007)) => is_prefix(&theirs, &messages),
        // Ours refuses some frames from their header (too big, unmasked, unknown opcode),
        // tungstenite once it has read their payload: given the payload (zeros), it refuses
        // them too, in the same class.
        (End::Refused(e), TheirEnd::NeedMore) => {
            let mut padded = input.bytes.to_vec();
            padded.resize(padded.len() + max + 32, 0);
            let (then, then_end) = tungstenite(&padded, max);
            messages == theirs
                && then.starts_with(&messages)
                // A frame with two faults (a reserved bit or a new message inside a
                // fragmented one, and a size over the limit, say) may be refused for either:
                // the RFC sets no order.
                && matches!(then_end, TheirEnd::Refused(code)
                    if code == e.close_code() || matches!(code, 1002 | 1009))
        }
        // The top bit of a 64-bit length (1002 here, a size for tungstenite), or a frame with
        // two faults, a protocol one and its size, refused for either.
        (End::Refused(WireError::Protocol(_)), TheirEnd::Refused(1009))
        | (End::Refused(WireError::TooBig), TheirEnd::Refused(1002)) => messages == theirs,
        // A close code a peer may not send: tungstenite reports its own 1002.
        (End::Refused(WireError::Protocol(why)), TheirEnd::Closed) => {
            why.contains("close code")
                && theirs.last() == Some(&Incoming::Close(Some(1002)))
                && theirs[..theirs.len() - 1] == messages
        }
        // Close code 1014.
        (End::Closed, TheirEnd::Closed) => {
            messages.last() == Some(&Incoming::Close(Some(1014)))
                && theirs.last() == Some(&Incoming::Close(Some(1002)))
                && theirs[..theirs.len() - 1] == messages[..messages.len() - 1]
        }
        _ => false,
    };
    assert!(
        allowed,
        "ours: {messages:?} then {end:?}; tungstenite: {theirs:?} then {their_end:?}"
    );
});
