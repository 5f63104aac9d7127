//! [`Decoder`]: parses the frames a client sends (always masked), joins fragmented messages,
//! checks sizes, UTF-8 and the protocol's rules, and says which close code a violation earns.

use shared::close;

use crate::{close_code, opcode, MAX_CONTROL_PAYLOAD};

/// A complete message or control frame from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A text message (all its fragments), valid UTF-8.
    Text(String),
    /// A binary message (all its fragments).
    Binary(Vec<u8>),
    /// A ping, with the payload its pong must carry.
    Ping(Vec<u8>),
    Pong,
    /// The client is closing, with its close code if it gave one.
    Close(Option<u16>),
}

/// Why a client's bytes are refused; each ends the connection with [`WireError::close_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    #[error("message larger than the limit")]
    TooBig,
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
}

impl WireError {
    /// The close code the server answers with.
    pub fn close_code(self) -> u16 {
        match self {
            Self::Protocol(_) => close::PROTOCOL_ERROR,
            Self::TooBig => close::MESSAGE_TOO_BIG,
            Self::InvalidUtf8 => close::INVALID_PAYLOAD,
        }
    }
}

/// Parses a client's frames, one at a time, out of whatever bytes have arrived.
#[derive(Debug)]
pub struct Decoder {
    /// The largest message (all fragments together) accepted.
    max_message: usize,
    /// A fragmented message still arriving: whether it is text, and its bytes so far.
    partial: Option<(bool, Vec<u8>)>,
}

impl Decoder {
    pub fn new(max_message: usize) -> Self {
        Self {
            max_message,
            partial: None,
        }
    }

    /// Parses the frame at the start of `buf`. Returns `Ok(None)` when more bytes are needed,
    /// else how many bytes the frame took and the message it completed, if any (a fragment
    /// that does not end its message completes nothing).
    ///
    /// A frame too large for the limit is refused as soon as its header says so, before its
    /// payload arrives.
    pub fn decode(&mut self, buf: &[u8]) -> Result<Option<(usize, Option<Incoming>)>, WireError> {
        let [first, second, ..] = *buf else {
            return Ok(None);
        };
        let fin = first & 0x80 != 0;
        if first & 0x70 != 0 {
            return Err(WireError::Protocol("reserved bits set"));
        }
        let op = first & 0x0F;
        // Checked at the header, so an unknown opcode is refused before its payload arrives.
        if !matches!(
            op,
            opcode::CONTINUATION
                | opcode::TEXT
                | opcode::BINARY
                | opcode::CLOSE
                | opcode::PING
                | opcode::PONG
        ) {
            return Err(WireError::Protocol("unknown opcode"));
        }
        if second & 0x80 == 0 {
            return Err(WireError::Protocol("client frame not masked"));
        }
        let (len, mut at) = match second & 0x7F {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(b);
                    // RFC 6455, 5.2: "the most significant bit MUST be 0".
                    if bytes[0] & 0x80 != 0 {
                        return Err(WireError::Protocol("64-bit length with its top bit set"));
                    }
                    (u64::from_be_bytes(bytes), 10)
                }
                None => return Ok(None),
            },
            len => (u64::from(len), 2),
        };
        let len = usize::try_from(len).map_err(|_| WireError::TooBig)?;
        if op & 0x08 != 0 {
            // A control frame.
            if !fin {
                return Err(WireError::Protocol("fragmented control frame"));
            }
            if len > MAX_CONTROL_PAYLOAD {
                return Err(WireError::Protocol("control frame too long"));
            }
        } else {
            let so_far = self.partial.as_ref().map_or(0, |(_, bytes)| bytes.len());
            if so_far.saturating_add(len) > self.max_message {
                return Err(WireError::TooBig);
            }
        }
        let Some(mask) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        // Checked: with a limit near `usize::MAX`, `at + len` could wrap around.
        let used = at.checked_add(len).ok_or(WireError::TooBig)?;
        let Some(masked) = buf.get(at..used) else {
            return Ok(None);
        };
        let unmasked = || masked.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m);
        let payload = || -> Vec<u8> { unmasked().collect() };
        let incoming = match op {
            opcode::TEXT | opcode::BINARY => {
                if self.partial.is_some() {
                    return Err(WireError::Protocol("new message inside a fragmented one"));
                }
                let text = op == opcode::TEXT;
                if fin {
                    Some(complete(text, payload())?)
                } else {
                    self.partial = Some((text, payload()));
                    None
                }
            }
            opcode::CONTINUATION => {
                let Some((text, bytes)) = self.partial.as_mut() else {
                    return Err(WireError::Protocol("continuation with nothing to continue"));
                };
                let text = *text;
                bytes.extend(unmasked());
                if fin {
                    let (_, bytes) = self.partial.take().unwrap_or_default();
                    Some(complete(text, bytes)?)
                } else {
                    None
                }
            }
            opcode::PING => Some(Incoming::Ping(payload())),
            opcode::PONG => Some(Incoming::Pong),
            opcode::CLOSE => Some(close_frame(&payload())?),
            _ => return Err(WireError::Protocol("unknown opcode")),
        };
        Ok(Some((used, incoming)))
    }
}

/// A whole data message.
fn complete(text: bool, bytes: Vec<u8>) -> Result<Incoming, WireError> {
    if !text {
        return Ok(Incoming::Binary(bytes));
    }
    String::from_utf8(bytes)
        .map(Incoming::Text)
        .map_err(|_| WireError::InvalidUtf8)
}

/// A client's close frame: empty, or a valid code and a UTF-8 reason (RFC 6455, 5.5.1, 7.4).
fn close_frame(payload: &[u8]) -> Result<Incoming, WireError> {
    match payload {
        [] => Ok(Incoming::Close(None)),
        [_] => Err(WireError::Protocol("close frame with a 1-byte payload")),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !close_code::is_valid(code) {
                return Err(WireError::Protocol("invalid close code"));
            }
            std::str::from_utf8(reason).map_err(|_| WireError::InvalidUtf8)?;
            Ok(Incoming::Close(Some(code)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// A masked client frame.
    fn client(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![if fin { 0x80 } else { 0 } | op];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len @ 126..=65535 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        out
    }

    fn decode_all(decoder: &mut Decoder, mut buf: &[u8]) -> Result<Vec<Incoming>, WireError> {
        let mut out = Vec::new();
        while let Some((used, incoming)) = decoder.decode(buf)? {
            out.extend(incoming);
            buf = &buf[used..];
        }
        assert!(buf.is_empty(), "{} bytes left over", buf.len());
        Ok(out)
    }

    #[test]
    fn masked_frames_of_every_length_form_decode() {
        let mut decoder = Decoder::new(100_000);
        for len in [0, 1, 125, 126, 65_535, 65_536] {
            let text = "x".repeat(len);
            let got = decode_all(&mut decoder, &client(true, opcode::TEXT, text.as_bytes()));
            assert_eq!(got, Ok(vec![Incoming::Text(text)]), "length {len}");
        }
    }

    #[test]
    fn partial_input_asks_for_more_at_every_cut() {
        let bytes = client(true, opcode::TEXT, "héllo wörld".repeat(20).as_bytes());
        for cut in 0..bytes.len() {
            let mut decoder = Decoder::new(1_000);
            assert_eq!(decoder.decode(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
        let mut decoder = Decoder::new(1_000);
        let (used, _) = decoder.decode(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
    }

    #[test]
    fn fragments_are_joined_and_control_frames_may_come_between_them() {
        let mut decoder = Decoder::new(1_000);
        let mut bytes = client(false, opcode::TEXT, "hel".as_bytes());
        bytes.extend(client(true, opcode::PING, b"p"));
        bytes.extend(client(false, opcode::CONTINUATION, "lo ".as_bytes()));
        // A UTF-8 character split across fragments.
        bytes.extend(client(false, opcode::CONTINUATION, &"é".as_bytes()[..1]));
        bytes.extend(client(true, opcode::CONTINUATION, &"é".as_bytes()[1..]));
        bytes.extend(client(true, opcode::BINARY, b"\x00\x01"));
        bytes.extend(client(true, opcode::PONG, b""));
        bytes.extend(client(true, opcode::CLOSE, &[0x03, 0xE8, b'o', b'k']));
        assert_eq!(
            decode_all(&mut decoder, &bytes),
            Ok(vec![
                Incoming::Ping(b"p".to_vec()),
                Incoming::Text("hello é".to_owned()),
                Incoming::Binary(vec![0, 1]),
                Incoming::Pong,
                Incoming::Close(Some(1000)),
            ])
        );
        assert_eq!(
            decode_all(&mut decoder, &client(true, opcode::CLOSE, b"")),
            Ok(vec![Incoming::Close(None)])
        );
    }

    #[test]
    fn violations_earn_their_close_codes() {
        let cases: Vec<(Vec<u8>, u16)> = vec![
            // Unmasked.
            (vec![0x81, 0x01, b'a'], close::PROTOCOL_ERROR),
            // RSV1 set (no extension was negotiated).
            (
                {
                    let mut b = client(true, opcode::TEXT, b"a");
                    b[0] |= 0x40;
                    b
                },
                close::PROTOCOL_ERROR,
            ),
            (client(true, 0x3, b"a"), close::PROTOCOL_ERROR),
            (client(true, 0xB, b"a"), close::PROTOCOL_ERROR),
            (client(false, opcode::PING, b"a"), close::PROTOCOL_ERROR),
            (client(true, opcode::PING, &[0; 126]), close::PROTOCOL_ERROR),
            (
                client(true, opcode::CONTINUATION, b"a"),
                close::PROTOCOL_ERROR,
            ),
            (
                [
                    client(false, opcode::TEXT, b"a"),
                    client(true, opcode::TEXT, b"b"),
                ]
                .concat(),
                close::PROTOCOL_ERROR,
            ),
            (client(true, opcode::CLOSE, &[0x03]), close::PROTOCOL_ERROR),
            (
                client(true, opcode::CLOSE, &[0x03, 0xED]),
                close::PROTOCOL_ERROR,
            ),
            (
                client(true, opcode::CLOSE, &[0x03, 0xE8, 0xFF]),
                close::INVALID_PAYLOAD,
            ),
            (
                client(true, opcode::TEXT, &[0xC3, 0x28]),
                close::INVALID_PAYLOAD,
            ),
            (
                client(true, opcode::TEXT, &[b'a'; 101]),
                close::MESSAGE_TOO_BIG,
            ),
            (
                [
                    client(false, opcode::TEXT, &[b'a'; 60]),
                    client(true, opcode::CONTINUATION, &[b'a'; 41]),
                ]
                .concat(),
                close::MESSAGE_TOO_BIG,
            ),
        ];
        for (i, (bytes, code)) in cases.into_iter().enumerate() {
            let mut decoder = Decoder::new(100);
            let got = decode_all(&mut decoder, &bytes).map_err(WireError::close_code);
            assert_eq!(got, Err(code), "case {i}");
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header_alone() {
        let bytes = client(true, opcode::TEXT, &[b'a'; 5_000]);
        let mut decoder = Decoder::new(1_000);
        assert_eq!(decoder.decode(&bytes[..4]), Err(WireError::TooBig));
        let mut huge = vec![0x81, 0x80 | 127];
        huge.extend_from_slice(&(u64::MAX >> 1).to_be_bytes());
        assert_eq!(Decoder::new(1_000).decode(&huge), Err(WireError::TooBig));
    }

    /// The header of a masked text frame with a 64-bit `len`, and its mask.
    fn header64(len: u64) -> Vec<u8> {
        let mut bytes = vec![0x81, 0x80 | 127];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&MASK);
        bytes
    }

    #[test]
    fn a_64_bit_length_with_its_top_bit_set_is_a_protocol_error() {
        // RFC 6455, 5.2: the most significant bit must be 0. It used to be refused as too big
        // (1009), as if the length were meant.
        for len in [1u64 << 63, u64::MAX, (1 << 63) | 5] {
            let got = Decoder::new(1_000).decode(&header64(len));
            assert!(
                matches!(got, Err(WireError::Protocol(_))),
                "{len:#x}: {got:?}"
            );
            assert_eq!(
                got.map_err(WireError::close_code),
                Err(close::PROTOCOL_ERROR)
            );
        }
    }

    #[test]
    fn a_limit_near_usize_max_cannot_overflow_the_frame_end() {
        // With no effective limit, a length near `usize::MAX` used to overflow `at + len`
        // (a panic in debug builds, a wrapped-around slice in release ones).
        let mut decoder = Decoder::new(usize::MAX);
        assert!(matches!(
            decoder.decode(&header64(u64::MAX)),
            Err(WireError::Protocol(_))
        ));
        // The largest valid length only asks for more bytes.
        assert_eq!(
            Decoder::new(usize::MAX).decode(&header64(u64::MAX >> 1)),
            Ok(None)
        );
    }

    #[test]
    fn peers_may_close_with_every_code_the_server_itself_sends() {
        // 1012 (restart), 1013 (try again later: the server sends it) and 1014 (bad gateway)
        // used to be refused with 1002.
        for code in [
            1000u16, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4001, 4999,
        ] {
            let mut decoder = Decoder::new(100);
            let bytes = client(true, opcode::CLOSE, &code.to_be_bytes());
            assert_eq!(
                decode_all(&mut decoder, &bytes),
                Ok(vec![Incoming::Close(Some(code))]),
                "{code}"
            );
        }
        for code in [
            0u16,
            999,
            1004,
            1005,
            1006,
            1015,
            1016,
            2999,
            5000,
            u16::MAX,
        ] {
            let mut decoder = Decoder::new(100);
            let bytes = client(true, opcode::CLOSE, &code.to_be_bytes());
            let got = decode_all(&mut decoder, &bytes).map_err(WireError::close_code);
            assert_eq!(got, Err(close::PROTOCOL_ERROR), "{code}");
        }
    }

    #[test]
    fn an_unknown_opcode_is_refused_from_its_header_alone() {
        let mut bytes = client(true, 0x3, &[b'a'; 50]);
        bytes.truncate(2);
        assert!(matches!(
            Decoder::new(1_000).decode(&bytes),
            Err(WireError::Protocol(_))
        ));
    }
}
