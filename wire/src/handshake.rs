//! The opening handshake's rules that need no HTTP server (RFC 6455, section 4.2.1): which
//! request headers make a valid upgrade, and the `Sec-WebSocket-Accept` that answers one.
//! The backend reads the headers out of its HTTP request into [`Request`], asks [`check`],
//! and turns a [`Refusal`] into its HTTP answer.

use base64::Engine;
use sha1::{Digest, Sha1};

/// The only protocol version this server speaks; sent back with a 426 for any other.
pub const VERSION: &str = "13";

/// The bytes a `Sec-WebSocket-Key` decodes to.
pub const KEY_BYTES: usize = 16;

/// The handshake's headers, as the HTTP server received them (`None`: absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// `Host`.
    pub host: Option<&'a [u8]>,
    /// Whether some `Connection` header holds the token `upgrade` (see [`has_token`]).
    pub connection_upgrade: bool,
    /// `Upgrade`.
    pub upgrade: Option<&'a [u8]>,
    /// `Sec-WebSocket-Version`.
    pub version: Option<&'a [u8]>,
    /// `Sec-WebSocket-Key`.
    pub key: Option<&'a [u8]>,
}

/// Why a request is not a valid upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No `Host` header (RFC 6455, 4.2.1, item 2; RFC 9112, 3.2): 400.
    #[error("`Host` header missing")]
    NoHost,
    /// No `Connection: upgrade`: 400.
    #[error("`Connection` header did not include 'upgrade'")]
    NoConnectionUpgrade,
    /// No `Upgrade: websocket`: 400.
    #[error("`Upgrade` header did not include 'websocket'")]
    NoUpgradeWebsocket,
    /// `Sec-WebSocket-Version` missing or not 13: 426 with `Sec-WebSocket-Version: 13`
    /// (RFC 6455, 4.2.2 and 4.4).
    #[error("`Sec-WebSocket-Version` must be 13")]
    UnsupportedVersion,
    /// `Sec-WebSocket-Key` missing: 400.
    #[error("`Sec-WebSocket-Key` header missing")]
    NoKey,
    /// `Sec-WebSocket-Key` is not 16 bytes in base64 (RFC 6455, 4.2.1, item 5): 400.
    #[error("`Sec-WebSocket-Key` is not 16 bytes in base64")]
    BadKey,
}

/// Checks the headers of an upgrade request, in the order a client would fix them; on
/// success, the value of `Sec-WebSocket-Accept`.
pub fn check(request: &Request<'_>) -> Result<String, Refusal> {
    if request.host.is_none() {
        return Err(Refusal::NoHost);
    }
    if !request.connection_upgrade {
        return Err(Refusal::NoConnectionUpgrade);
    }
    if !request
        .upgrade
        .is_some_and(|u| u.eq_ignore_ascii_case(b"websocket"))
    {
        return Err(Refusal::NoUpgradeWebsocket);
    }
    if request.version != Some(VERSION.as_bytes()) {
        return Err(Refusal::UnsupportedVersion);
    }
    let key = request.key.ok_or(Refusal::NoKey)?;
    if !is_valid_key(key) {
        return Err(Refusal::BadKey);
    }
    Ok(accept_key(key))
}

/// Whether `key` is the base64 (with padding) of exactly [`KEY_BYTES`] bytes.
pub fn is_valid_key(key: &[u8]) -> bool {
    // 16 bytes are 24 characters of base64; checking the length first bounds the decoding.
    key.len() == 24
        && base64::engine::general_purpose::STANDARD
            .decode(key)
            .is_ok_and(|bytes| bytes.len() == KEY_BYTES)
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455, section 4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::default();
    sha1.update(key);
    sha1.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// Whether a comma-separated header value holds the token `token`, ignoring ASCII case.
pub fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"dGhlIHNhbXBsZSBub25jZQ==";

    fn valid() -> Request<'static> {
        Request {
            host: Some(b"example.com"),
            connection_upgrade: true,
            upgrade: Some(b"WebSocket"),
            version: Some(b"13"),
            key: Some(KEY),
        }
    }

    #[test]
    fn accept_key_matches_the_rfc_example() {
        // RFC 6455, section 1.3.
        assert_eq!(accept_key(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            check(&valid()),
            Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_owned())
        );
    }

    #[test]
    fn keys_must_be_sixteen_bytes_of_base64() {
        let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
        for bad in [
            String::new(),
            "abc".to_owned(),
            b64(15),
            b64(17),
            b64(32),
            // 24 characters, but not base64.
            "!!!!!!!!!!!!!!!!!!!!!!==".to_owned(),
            // 16 bytes without the padding.
            b64(16).trim_end_matches('=').to_owned(),
        ] {
            assert!(!is_valid_key(bad.as_bytes()), "{bad:?}");
            let request = Request {
                key: Some(bad.as_bytes()),
                ..valid()
            };
            assert_eq!(check(&request), Err(Refusal::BadKey), "{bad:?}");
        }
        assert!(is_valid_key(b64(16).as_bytes()));
    }

    #[test]
    fn each_missing_or_wrong_header_is_named() {
        let cases = [
            (
                Request {
                    host: None,
                    ..valid()
                },
                Refusal::NoHost,
            ),
            (
                Request {
                    connection_upgrade: false,
                    ..valid()
                },
                Refusal::NoConnectionUpgrade,
            ),
            (
                Request {
                    upgrade: Some(b"h2c"),
                    ..valid()
                },
                Refusal::NoUpgradeWebsocket,
            ),
            (
                Request {
                    version: Some(b"8"),
                    ..valid()
                },
                Refusal::UnsupportedVersion,
            ),
            (
                Request {
                    version: None,
                    ..valid()
                },
                Refusal::UnsupportedVersion,
            ),
            (
                Request {
                    key: None,
                    ..valid()
                },
                Refusal::NoKey,
            ),
        ];
        for (request, refusal) in cases {
            assert_eq!(check(&request), Err(refusal), "{request:?}");
        }
    }

    #[test]
    fn connection_tokens_are_matched_one_by_one() {
        assert!(has_token(b"keep-alive, Upgrade", "upgrade"));
        assert!(!has_token(b"upgraded", "upgrade"));
    }
}
