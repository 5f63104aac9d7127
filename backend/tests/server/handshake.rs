//! The opening handshake over real HTTP (RFC 6455, 4.2): what is refused, with which status.
//! Requests are written by hand on a TCP socket, since a WebSocket client library would
//! never send the malformed ones.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use testkit::spawn_app;

/// The RFC's sample key and its accept value (RFC 6455, 1.3).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A response's status and headers (names lower-cased).
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `GET /ws?token=…` with exactly `headers` (each a full `Name: value` line) and
/// reads the response's head.
async fn upgrade(addr: std::net::SocketAddr, token: &str, headers: &[String]) -> Head {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("GET /ws?token={token} HTTP/1.1\r\n");
    for line in headers {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte).await.expect("read");
        assert_eq!(read, 1, "connection closed in the response head: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("a status line")[9..12]
        .parse()
        .expect("a status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Head { status, headers }
}

/// The headers of a valid upgrade, with `key` as `Sec-WebSocket-Key` and `version`.
fn headers(host: bool, version: &str, key: &str) -> Vec<String> {
    let mut lines = vec![
        "Connection: Upgrade".to_owned(),
        "Upgrade: websocket".to_owned(),
        format!("Sec-WebSocket-Version: {version}"),
        format!("Sec-WebSocket-Key: {key}"),
    ];
    if host {
        lines.insert(0, "Host: localhost".to_owned());
    }
    lines
}

#[tokio::test]
async fn a_valid_handshake_is_answered_101_with_the_accept_key() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    let head = upgrade(app.addr, &token, &headers(true, "13", KEY)).await;
    assert_eq!(head.status, 101);
    assert_eq!(head.header("sec-websocket-accept"), Some(ACCEPT));
}

#[tokio::test]
async fn a_key_that_is_not_sixteen_bytes_of_base64_is_refused_400() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![0x5a; n]);
    for key in ["abc".to_owned(), String::new(), b64(15), b64(32), b64(17)] {
        let head = upgrade(app.addr, &token, &headers(true, "13", &key)).await;
        assert_eq!(head.status, 400, "key {key:?}");
    }
    // Sixteen bytes other than the RFC's sample are accepted.
    let head = upgrade(app.addr, &token, &headers(true, "13", &b64(16))).await;
    assert_eq!(head.status, 101);
}

#[tokio::test]
async fn a_request_without_host_is_refused_400() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    let head = upgrade(app.addr, &token, &headers(false, "13", KEY)).await;
    assert_eq!(head.status, 400);
}

#[tokio::test]
async fn another_version_is_answered_426_naming_version_13() {
    let app = spawn_app().await;
    let token = app.claim("alice").await;
    for version in ["8", "12", "14"] {
        let head = upgrade(app.addr, &token, &headers(true, version, KEY)).await;
        assert_eq!(head.status, 426, "version {version}");
        assert_eq!(
            head.header("sec-websocket-version"),
            Some("13"),
            "version {version}"
        );
    }
}
