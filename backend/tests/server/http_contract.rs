//! The HTTP contract, exact: every error answer is an `ApiError` body, a malformed `after` is
//! the client's mistake (400, not 401), and `/readyz` says when the store refuses writes.

use std::time::Duration;

use serde_json::Value;
use shared::api::ApiError;
use shared::ErrorCode;
use testkit::{spawn_app, Engine};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer read off the wire: the status, the header block, the body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as an `ApiError`, failing the test when it is not one (or not JSON).
    pub fn api_error(&self) -> ApiError {
        let head = self.head.to_ascii_lowercase();
        assert!(
            head.contains("content-type: application/json"),
            "a {} answer without a JSON body:\n{}{}",
            self.status,
            self.head,
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not an ApiError ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends `request` (a whole HTTP/1.1 request, `Connection: close`) and reads the answer to
/// its end.
pub async fn exchange(addr: std::net::SocketAddr, request: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers and closes within 10 s")
        .expect("read the answer");
    parse(&raw)
}

/// Splits a raw answer into status, head and body (which must not be chunked).
pub fn parse(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    Answer {
        status,
        head,
        body: raw[end + 4..].to_vec(),
    }
}

/// A WebSocket handshake request for `target`.
pub fn upgrade_request(target: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

#[tokio::test]
async fn every_error_answer_is_an_api_error() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    let cases = [
        // axum's own 405 had an empty body.
        (
            "PUT /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_owned(),
            405,
            ErrorCode::MethodNotAllowed,
        ),
        (
            "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_owned(),
            405,
            ErrorCode::MethodNotAllowed,
        ),
        // The handshake's refusal was `text/plain`.
        (
            format!("GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            400,
            ErrorCode::BadRequest,
        ),
        // An unknown API path was the web client's index (or an empty 404 without one).
        (
            "GET /api/nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
            404,
            ErrorCode::NotFound,
        ),
        (
            "DELETE /api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
            404,
            ErrorCode::NotFound,
        ),
    ];
    for (request, status, code) in cases {
        let answer = exchange(app.addr, &request).await;
        let line = request.lines().next().unwrap_or_default();
        assert_eq!(answer.status, status, "{line}");
        let error = answer.api_error();
        assert_eq!(error.code, code, "{line}: {}", error.message);
        assert!(!error.message.is_empty(), "{line}");
    }
    // A 405 still says which methods the path takes.
    let answer = exchange(
        app.addr,
        "PUT /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        answer.head.to_ascii_lowercase().contains("allow:"),
        "{}",
        answer.head
    );
}

#[tokio::test]
async fn a_malformed_after_is_a_bad_request_not_a_dead_token() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    for after in ["-1", "1e400", "18446744073709551616", "abc", "1.5"] {
        let answer = exchange(
            app.addr,
            // `close`, so that the refused handshake's connection ends with its answer.
            &upgrade_request(&format!("/ws?token={token}&after={after}"))
                .replace("Connection: Upgrade", "Connection: Upgrade, close"),
        )
        .await;
        assert_eq!(answer.status, 400, "after={after}");
        let error = answer.api_error();
        assert_eq!(error.code, ErrorCode::BadRequest, "after={after}");
    }
    // The token is alive, and a well-formed `after` at the top of the range connects.
    let mut client = app.connect_after(&token, u64::MAX).await;
    client.sync().await;
}

/// Holds the store's write lock from a connection of its own until dropped (rolled back):
/// the store still answers reads, but every write waits and then fails.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(app: &testkit::TestApp) -> Self {
        use sqlx::Connection;
        match app.engine() {
            Engine::Sqlite => {
                let path = app.state.config.data_dir.join("chat.db");
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                        .await
                        .expect("open chat.db");
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut conn)
                    .await
                    .expect("the write lock");
                Self::Sqlite(conn)
            }
            Engine::Postgres => {
                let url = app.state.config.database_url.clone().expect("a URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query("BEGIN")
                    .execute(&mut conn)
                    .await
                    .expect("begin");
                sqlx::query("LOCK TABLE sequences IN EXCLUSIVE MODE")
                    .execute(&mut conn)
                    .await
                    .expect("the table lock");
                Self::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut conn) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut conn)
                    .await
                    .expect("rollback");
            }
            Self::Postgres(mut conn) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut conn)
                    .await
                    .expect("rollback");
            }
        }
    }
}

#[tokio::test]
async fn readyz_fails_while_the_store_refuses_writes() {
    let app = spawn_app().await;
    app.wait_ready(Duration::from_secs(10)).await;

    let lock = WriteLock::take(&app).await;
    let started = std::time::Instant::now();
    let response = app
        .http()
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("GET /readyz");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    eprintln!(
        "readyz while writes are refused: {status} {body} after {:?}",
        started.elapsed()
    );
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["store"], "refuses_writes");

    lock.release().await;
    app.wait_ready(Duration::from_secs(10)).await;
}
