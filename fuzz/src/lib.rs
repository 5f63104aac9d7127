//! What the fuzz targets share: running the `wire` decoder over a byte stream cut into chunks
//! the way the connection's reader does (append what arrived, decode every complete frame,
//! keep the rest), and reading a target's input.

use wire::{Decoder, Incoming, WireError};

/// The most bytes a frame header takes: 2, 8 of extended length, 4 of mask.
pub const MAX_HEADER: usize = 14;

/// How a stream of client bytes ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The input ran out (possibly inside a frame).
    NeedMore,
    /// The client sent a close frame; nothing after it is read.
    Closed,
    /// The bytes were refused with this error.
    Refused(WireError),
}

/// What the decoder made of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub messages: Vec<Incoming>,
    pub end: End,
}

/// Decodes `bytes` arriving in chunks that end at `cuts` (positions, in any order), with
/// messages of at most `max_message` bytes. Panics if the bytes kept between chunks (an
/// incomplete frame) could exceed one frame header and `max_message`.
pub fn decode_in_chunks(bytes: &[u8], cuts: &[usize], max_message: usize) -> Outcome {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.push(bytes.len());
    cuts.sort_unstable();
    let mut decoder = Decoder::new(max_message);
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    let mut from = 0;
    for cut in cuts {
        buf.extend_from_slice(&bytes[from..cut]);
        from = cut;
        let mut used = 0;
        loop {
            match decoder.decode(&buf[used..]) {
                Ok(Some((size, incoming))) => {
                    assert!(size > 0, "a frame of no bytes");
                    used += size;
                    match incoming {
                        Some(close @ Incoming::Close(_)) => {
                            messages.push(close);
                            return Outcome {
                                messages,
                                end: End::Closed,
                            };
                        }
                        Some(message) => messages.push(message),
                        None => {}
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        messages,
                        end: End::Refused(e),
                    }
                }
            }
        }
        buf.drain(..used);
        assert!(
            buf.len() < MAX_HEADER + max_message,
            "{} bytes kept for an incomplete frame with a limit of {max_message}",
            buf.len()
        );
    }
    Outcome {
        messages,
        end: End::NeedMore,
    }
}

/// A fuzz input read as: one byte for the message limit (125 + 16 × byte, so 125..=4205),
/// one for the number of cuts (at most 16), two bytes per cut, then the stream.
pub struct Input<'a> {
    pub max_message: usize,
    pub cuts: Vec<usize>,
    pub bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let (&limit, rest) = data.split_first()?;
        let (&count, rest) = rest.split_first()?;
        let count = usize::from(count % 17);
        let cut_bytes = rest.get(..count * 2)?;
        let cuts = cut_bytes
            .chunks_exact(2)
            .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])))
            .collect();
        Some(Self {
            max_message: 125 + 16 * usize::from(limit),
            cuts,
            bytes: &rest[count * 2..],
        })
    }
}
