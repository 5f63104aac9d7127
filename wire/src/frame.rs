//! [`WireFrame`]: a frame as the server writes it, header and payload in one buffer. Server
//! frames are never masked, so the bytes are the same for every recipient.

use crate::{opcode, MAX_CONTROL_PAYLOAD};

/// The longest header the server writes: 2 bytes plus a 64-bit length.
const MAX_HEADER: usize = 10;

/// A complete frame as the server writes it: header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// `MAX_HEADER` bytes of room for the header, then the payload; the header is written
    /// right-aligned into that room, so the frame is `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
}

impl WireFrame {
    /// A text frame holding `value` serialized as JSON, written straight after its header.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&[0; MAX_HEADER]);
        serde_json::to_writer(&mut buf, value)?;
        Ok(Self::finish(buf, opcode::TEXT))
    }

    /// A text frame holding `text`.
    pub fn text(text: &str) -> Self {
        Self::with_payload(opcode::TEXT, text.as_bytes())
    }

    /// A binary frame holding `bytes` (the chat never sends one; the echo server does).
    pub fn binary(bytes: &[u8]) -> Self {
        Self::with_payload(opcode::BINARY, bytes)
    }

    /// A ping with no payload.
    pub fn ping() -> Self {
        Self::with_payload(opcode::PING, &[])
    }

    /// The answer to a ping: the same payload back.
    pub fn pong(payload: &[u8]) -> Self {
        Self::with_payload(opcode::PONG, payload)
    }

    /// A close frame with `code` and a short `reason` (at most 123 bytes are kept).
    pub fn close(code: u16, reason: &str) -> Self {
        let mut payload = code.to_be_bytes().to_vec();
        let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        payload.extend_from_slice(&reason.as_bytes()[..end]);
        Self::with_payload(opcode::CLOSE, &payload)
    }

    /// A close frame with no code: the answer to a client's close that gave none.
    pub fn close_empty() -> Self {
        Self::with_payload(opcode::CLOSE, &[])
    }

    fn with_payload(op: u8, payload: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(MAX_HEADER + payload.len());
        buf.extend_from_slice(&[0; MAX_HEADER]);
        buf.extend_from_slice(payload);
        Self::finish(buf, op)
    }

    /// Writes the header for the payload after the first `MAX_HEADER` bytes of `buf`.
    fn finish(mut buf: Vec<u8>, op: u8) -> Self {
        let len = buf.len() - MAX_HEADER;
        let mut header = [0u8; MAX_HEADER];
        header[0] = 0x80 | op;
        let header_len = if len < 126 {
            header[1] = len as u8;
            2
        } else if let Ok(len) = u16::try_from(len) {
            header[1] = 126;
            header[2..4].copy_from_slice(&len.to_be_bytes());
            4
        } else {
            header[1] = 127;
            header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        let start = MAX_HEADER - header_len;
        buf[start..MAX_HEADER].copy_from_slice(&header[..header_len]);
        Self { buf, start }
    }

    /// The frame's bytes, header included: what goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The payload alone.
    pub fn payload(&self) -> &[u8] {
        &self.buf[MAX_HEADER..]
    }

    /// The payload as text (lossy for a frame that is not text).
    pub fn text_payload(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.payload())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_frames_have_the_shortest_header_for_their_length() {
        // RFC 6455, 5.7: a single-frame unmasked text message "Hello".
        assert_eq!(
            WireFrame::text("Hello").as_bytes(),
            [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
        let medium = WireFrame::text(&"a".repeat(300));
        assert_eq!(medium.as_bytes()[..4], [0x81, 126, 0x01, 0x2c]);
        assert_eq!(medium.as_bytes().len(), 304);
        let large = WireFrame::text(&"a".repeat(70_000));
        assert_eq!(large.as_bytes()[..2], [0x81, 127]);
        assert_eq!(large.as_bytes()[2..10], 70_000u64.to_be_bytes());
        assert_eq!(large.payload().len(), 70_000);
        assert_eq!(WireFrame::ping().as_bytes(), [0x89, 0x00]);
        assert_eq!(WireFrame::binary(&[0, 1]).as_bytes(), [0x82, 0x02, 0, 1]);
        assert_eq!(WireFrame::pong(b"ab").as_bytes(), [0x8A, 0x02, b'a', b'b']);
    }

    #[test]
    fn json_frames_hold_the_serialized_value() {
        let frame = WireFrame::json(&serde_json::json!({"type": "pong"})).unwrap();
        assert_eq!(frame.text_payload(), r#"{"type":"pong"}"#);
        assert_eq!(frame.as_bytes()[..2], [0x81, 15]);
    }

    #[test]
    fn close_frames_carry_the_code_and_a_reason_cut_at_a_char_boundary() {
        let frame = WireFrame::close(1001, "server shutting down");
        assert_eq!(frame.as_bytes()[..4], [0x88, 22, 0x03, 0xE9]);
        let long = WireFrame::close(1000, &"é".repeat(100));
        assert!(long.payload().len() <= MAX_CONTROL_PAYLOAD);
        assert!(std::str::from_utf8(&long.payload()[2..]).is_ok());
        assert_eq!(WireFrame::close_empty().as_bytes(), [0x88, 0]);
    }
}
