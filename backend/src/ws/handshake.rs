//! The WebSocket handshake (RFC 6455, HTTP/1.1), done here rather than by axum's
//! `WebSocketUpgrade`, so that a connection gets back the plain `TcpStream` under the upgrade.
//!
//! Why: the connection task then reads and writes the socket itself (this module's parent
//! has the format): it writes frames that were encoded once for all their recipients straight from
//! their shared buffers, several in one `writev`, and an idle connection holds no read or write
//! buffer at all. A WebSocket library would copy every frame into a per-connection buffer that
//! stays allocated for the connection's life.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};
use tokio::net::TcpStream;

/// A valid WebSocket upgrade request: the extractor for `GET /ws`.
pub struct Upgrade {
    /// Resolves to the raw stream once the `101` response has gone out.
    on_upgrade: OnUpgrade,
    /// `Sec-WebSocket-Key`, which the `101` answers.
    key: HeaderValue,
}

/// Why a request is not a WebSocket upgrade. Answered like axum's own rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeRejection {
    /// Not a `GET`.
    MethodNotGet,
    /// A header of the handshake is missing or wrong.
    BadHeader(&'static str),
    /// The connection cannot be upgraded (not HTTP/1.1, or already taken).
    NotUpgradable,
}

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        match self {
            Self::MethodNotGet => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Request method must be `GET`",
            )
                .into_response(),
            Self::BadHeader(what) => (StatusCode::BAD_REQUEST, what).into_response(),
            Self::NotUpgradable => (
                StatusCode::UPGRADE_REQUIRED,
                "WebSocket request couldn't be upgraded since no upgrade state was present",
            )
                .into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.version != Version::HTTP_11 {
            return Err(UpgradeRejection::NotUpgradable);
        }
        if parts.method != Method::GET {
            return Err(UpgradeRejection::MethodNotGet);
        }
        let headers = &parts.headers;
        if !header_has_token(headers, header::CONNECTION, "upgrade") {
            return Err(UpgradeRejection::BadHeader(
                "Connection header did not include 'upgrade'",
            ));
        }
        if !header_is(headers, header::UPGRADE, "websocket") {
            return Err(UpgradeRejection::BadHeader(
                "`Upgrade` header did not include 'websocket'",
            ));
        }
        if !header_is(headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(UpgradeRejection::BadHeader(
                "`Sec-WebSocket-Version` header did not include '13'",
            ));
        }
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or(UpgradeRejection::BadHeader(
                "`Sec-WebSocket-Key` header missing",
            ))?
            .clone();
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeRejection::NotUpgradable)?;
        Ok(Self { on_upgrade, key })
    }
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and, once the upgrade is through, runs `callback` on
    /// the connection's socket in a task of its own.
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        let task = async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    tracing::debug!(error = %e, "WebSocket upgrade failed");
                    return;
                }
            };
            // The server's accept loop serves every connection as a `TokioIo<TcpStream>`.
            match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => {
                    // Copied out (it is usually empty) and dropped before the connection runs:
                    // the `Bytes` keeps the HTTP server's whole read buffer allocated.
                    let read_ahead = parts.read_buf.to_vec();
                    drop(parts.read_buf);
                    let socket = Socket {
                        stream: parts.io.into_inner(),
                        read_ahead,
                    };
                    callback(socket).await;
                }
                Err(_) => tracing::error!("an upgraded connection is not a TCP stream"),
            }
        };
        log_task_size(&task);
        tokio::spawn(task);
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (
                    header::SEC_WEBSOCKET_ACCEPT,
                    accept_key(self.key.as_bytes()),
                ),
            ],
        )
            .into_response()
    }
}

/// An upgraded connection: its TCP stream, and whatever the client sent after its request
/// that the HTTP server had already read.
pub struct Socket {
    pub stream: TcpStream,
    pub read_ahead: Vec<u8>,
}

/// Logs, once, the size of a connection task's future. It stays allocated for as long as the
/// connection lives, so it counts in the memory of every idle connection; see
/// `Connection::serve` for how it is kept small.
fn log_task_size(task: &impl Future) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::debug!(
            bytes = std::mem::size_of_val(task),
            "size of a connection task's future"
        );
    });
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455, section 4.2.2).
fn accept_key(key: &[u8]) -> HeaderValue {
    let mut sha1 = Sha1::default();
    sha1.update(key);
    sha1.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    let accept = base64::engine::general_purpose::STANDARD.encode(sha1.finalize());
    HeaderValue::from_str(&accept).expect("base64 is a valid header value")
}

/// Whether header `name` equals `value`, ignoring ASCII case.
fn header_is(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers
        .get(name)
        .is_some_and(|h| h.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
}

/// Whether the comma-separated header `name` holds the token `value`, ignoring ASCII case.
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers.get_all(name).iter().any(|h| {
        h.as_bytes()
            .split(|b| *b == b',')
            .any(|token| token.trim_ascii().eq_ignore_ascii_case(value.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_the_rfc_example() {
        // RFC 6455, section 1.3.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn connection_tokens_are_matched_one_by_one() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(header_has_token(&h, header::CONNECTION, "upgrade"));
        h.insert(header::CONNECTION, HeaderValue::from_static("upgraded"));
        assert!(!header_has_token(&h, header::CONNECTION, "upgrade"));
    }
}
