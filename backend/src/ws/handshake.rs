//! The WebSocket handshake (RFC 6455, HTTP/1.1), done here rather than by axum's
//! `WebSocketUpgrade`, so that a connection gets back the plain `TcpStream` under the upgrade.
//!
//! Why: the connection task then reads and writes the socket itself (this module's parent
//! has the format): it writes frames that were encoded once for all their recipients straight from
//! their shared buffers, several in one `writev`, and an idle connection holds no read or write
//! buffer at all. A WebSocket library would copy every frame into a per-connection buffer that
//! stays allocated for the connection's life.

use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use wire::handshake::{self, Refusal};

use super::Watched;

/// A valid WebSocket upgrade request: the extractor for `GET /ws`.
pub struct Upgrade {
    /// Resolves to the raw stream once the `101` response has gone out.
    on_upgrade: OnUpgrade,
    /// `Sec-WebSocket-Accept`: the answer to the request's `Sec-WebSocket-Key`.
    accept: HeaderValue,
}

/// Why a request is not a WebSocket upgrade. Answered like axum's own rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeRejection {
    /// Not a `GET`.
    MethodNotGet,
    /// A header of the handshake is missing or wrong (`wire::handshake::check`).
    BadHeader(Refusal),
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
            // RFC 6455, 4.4: 426 naming the versions the server speaks.
            Self::BadHeader(refusal @ Refusal::UnsupportedVersion) => (
                StatusCode::UPGRADE_REQUIRED,
                [(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static(handshake::VERSION),
                )],
                refusal.to_string(),
            )
                .into_response(),
            Self::BadHeader(refusal) => {
                (StatusCode::BAD_REQUEST, refusal.to_string()).into_response()
            }
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
        let value = |name| headers.get(name).map(HeaderValue::as_bytes);
        let request = handshake::Request {
            host: value(header::HOST),
            connection_upgrade: headers
                .get_all(header::CONNECTION)
                .iter()
                .any(|h| handshake::has_token(h.as_bytes(), "upgrade")),
            upgrade: value(header::UPGRADE),
            version: value(header::SEC_WEBSOCKET_VERSION),
            key: value(header::SEC_WEBSOCKET_KEY),
        };
        let accept = handshake::check(&request).map_err(UpgradeRejection::BadHeader)?;
        let accept = HeaderValue::from_str(&accept).expect("base64 is a valid header value");
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeRejection::NotUpgradable)?;
        Ok(Self { on_upgrade, accept })
    }
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and, once the upgrade is through, runs `callback` on
    /// the connection's socket in a task of its own.
    ///
    /// Two tasks, one after the other: the first waits for the upgrade, then spawns the
    /// second with `callback`'s future alone. In one task, the future would keep room for
    /// `callback`'s captures (the whole connection, a few hundred bytes) for as long as the
    /// connection lives, beside the future that took them over.
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
            // The server's accept loop serves every connection as a `TokioIo<Watched>`; a
            // plain `TokioIo<TcpStream>` (the echo example's) is taken too. The read-ahead is
            // copied out (it is usually empty) and dropped before the connection runs: the
            // `Bytes` keeps the HTTP server's whole read buffer allocated.
            let socket = match upgraded.downcast::<TokioIo<Watched>>() {
                Ok(parts) => Socket {
                    read_ahead: parts.read_buf.to_vec(),
                    stream: Arc::new(parts.io.into_inner().into_stream()),
                },
                Err(upgraded) => match upgraded.downcast::<TokioIo<TcpStream>>() {
                    Ok(parts) => Socket {
                        read_ahead: parts.read_buf.to_vec(),
                        stream: Arc::new(parts.io.into_inner()),
                    },
                    Err(_) => {
                        tracing::error!("an upgraded connection is not a TCP stream");
                        return;
                    }
                },
            };
            let serve = callback(socket);
            log_task_size(&serve);
            tokio::spawn(serve);
        };
        tokio::spawn(task);
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, self.accept),
            ],
        )
            .into_response()
    }
}

/// An upgraded connection: its TCP stream, and whatever the client sent after its request
/// that the HTTP server had already read. The stream is shared, so that the connection can
/// lend it to its queue, whose flusher writes in an idle writer's place; whoever ends the connection holds it alone
/// again by then (`Arc::get_mut`).
pub struct Socket {
    pub stream: Arc<TcpStream>,
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
