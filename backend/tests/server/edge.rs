//! The server's edge under hostile clients: connections that wait before their upgrade
//! (half-open, slowloris, idle keep-alive, trickled bodies) and running out of file
//! descriptors; and under honest crowds: handshakes past the cap on waiting connections. The descriptor tests run the real binary under `prlimit --nofile=256:256`.

use std::time::{Duration, Instant};

use testkit::{spawn_app_with, ServerOptions, Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chat_server;
use crate::http_contract::{exchange, parse, upgrade_request};

/// The open-file limit the descriptor tests give the server.
const NOFILE: &str = "--nofile=256:256";

/// `chat_server` under `prlimit --nofile=256:256`.
fn under_low_nofile(storage: &Storage) -> ServerOptions {
    chat_server(storage).command_prefix(["prlimit", NOFILE])
}

/// Resolves when the server closes `stream` (EOF or reset); the bytes it sent before.
async fn closed_by_server(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A socket that opened a request and never finished its head (slowloris).
async fn half_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("a partial head");
    stream
}

#[tokio::test]
async fn a_real_user_gets_in_past_500_half_open_sockets() {
    let storage = Storage::from_env().await;
    // A long header timeout: only the cap can make room here.
    let server = under_low_nofile(&storage)
        .args(["--header-timeout-secs", "60"])
        .start()
        .await;
    let mut sockets = Vec::new();
    for _ in 0..500 {
        sockets.push(half_open(server.addr).await);
    }

    let started = Instant::now();
    let user = async {
        let token = server.claim("alice").await;
        let mut alice = server.connect(&token).await;
        alice.sync().await;
    };
    tokio::time::timeout(Duration::from_secs(5), user)
        .await
        .expect("a real user signs in and connects within 5 s despite 500 half-open sockets");
    eprintln!(
        "with 500 half-open sockets under nofile 256 a user signed in and connected in {:?}",
        started.elapsed()
    );
    assert_eq!(server.status_of("/healthz").await, Some(200));
    drop(sockets);
}

#[tokio::test]
async fn idle_and_unfinished_connections_are_closed_after_the_header_timeout() {
    let app = spawn_app_with(|config| config.header_timeout_secs = 1).await;
    let mut silent = TcpStream::connect(app.addr).await.expect("connect");
    let mut slowloris = half_open(app.addr).await;
    let mut keep_alive = TcpStream::connect(app.addr).await.expect("connect");
    keep_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("a whole request");
    let mut buf = [0u8; 1024];
    let n = keep_alive.read(&mut buf).await.expect("the answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);

    let started = Instant::now();
    let all_closed = async {
        closed_by_server(&mut silent).await;
        closed_by_server(&mut slowloris).await;
        closed_by_server(&mut keep_alive).await;
    };
    tokio::time::timeout(Duration::from_secs(5), all_closed)
        .await
        .expect("the idle connections are closed within 5 s with a 1 s header timeout");
    eprintln!(
        "silent, slowloris and idle keep-alive closed {:?} after start",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_trickled_body_is_answered_408_within_the_deadline() {
    let app = spawn_app_with(|config| {
        config.body_timeout_secs = 1;
        config.header_timeout_secs = 30;
    })
    .await;
    let stream = TcpStream::connect(app.addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let body = br#"{"name": "trickle-trickle-trickle-trickle"}"#;
    write
        .write_all(
            format!(
                "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("the head");
    // One byte every 250 ms: the whole body would take 11 s.
    let trickle = tokio::spawn(async move {
        for byte in body {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let started = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let answered = async {
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = read.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed without an answer");
            raw.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), answered)
        .await
        .expect("an answer within 5 s with a 1 s body deadline");
    let elapsed = started.elapsed();
    trickle.abort();
    let answer = parse(&raw);
    eprintln!(
        "a trickled body was answered {} after {elapsed:?}",
        answer.status
    );
    assert_eq!(answer.status, 408, "{}", answer.head);
}

/// Opens a WebSocket with a raw handshake; the status and, when refused, the body.
async fn open_websocket(addr: std::net::SocketAddr, token: &str) -> (u16, TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(upgrade_request(&format!("/ws?token={token}")).as_bytes())
        .await
        .expect("the handshake");
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream
            .read(&mut buf)
            .await
            .expect("read the handshake's answer");
        assert!(n > 0, "closed without an answer");
        raw.extend_from_slice(&buf[..n]);
    }
    let answer = parse(&raw);
    if answer.status != 101 {
        // The refusal's body, to its end.
        let mut rest = answer.body.clone();
        let length = answer
            .head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            })
            .unwrap_or(0);
        while rest.len() < length {
            let n = stream.read(&mut buf).await.expect("read the body");
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&buf[..n]);
        }
        return (answer.status, stream, rest);
    }
    (answer.status, stream, Vec::new())
}

#[tokio::test]
async fn websockets_beyond_what_descriptors_allow_get_503_and_healthz_still_answers() {
    let storage = Storage::from_env().await;
    let server = under_low_nofile(&storage).capture_output().start().await;
    // Several users, so that a per-user connection cap does not refuse them first.
    let mut tokens = Vec::new();
    for i in 0..16 {
        tokens.push(server.claim(&format!("fd{i}")).await);
    }
    let mut open = Vec::new();
    let mut refusal = None;
    for attempt in 0..256 {
        let token = &tokens[attempt / 16];
        let opened =
            tokio::time::timeout(Duration::from_secs(5), open_websocket(server.addr, token))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "WebSocket {attempt} got no answer within 5 s (after {} open)",
                        open.len()
                    )
                });
        match opened {
            (101, stream, _) => open.push(stream),
            (status, _, body) => {
                refusal = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refusal.expect("a refusal before 256 WebSockets");
    let error: shared::api::ApiError = serde_json::from_slice(&body).expect("an ApiError");
    eprintln!(
        "under nofile 256: {} WebSockets open, then {status} {}",
        open.len(),
        error.code.as_str()
    );
    assert_eq!(status, 503);
    assert_eq!(error.code, shared::ErrorCode::ServerFull);
    assert!(open.len() >= 64, "only {} WebSockets fit", open.len());

    // The server still answers: its health, and a new user's sign-in.
    let answer = exchange(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    server.claim("late").await;
    let log = server.log_text();
    assert!(
        log.contains("open-file limit"),
        "the limit is logged:\n{log}"
    );
}

/// What a raw WebSocket handshake came to: the status, and whether a `welcome` followed a
/// 101; `None` when the server closed the connection without an answer.
async fn handshake_and_welcome(addr: std::net::SocketAddr, token: &str) -> Option<(u16, bool)> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(upgrade_request(&format!("/ws?token={token}")).as_bytes())
        .await
        .ok()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let status = parse(&raw).status;
            if status != 101 {
                return Some((status, false));
            }
            // The welcome is the first frame: its JSON names its type near the start.
            let welcome = br#""type":"welcome""#;
            if raw[end..].windows(welcome.len()).any(|w| w == welcome) {
                return Some((101, true));
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let answered = raw.windows(4).any(|w| w == b"\r\n\r\n");
                return answered.then(|| (parse(&raw).status, false));
            }
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_crowd_of_honest_handshakes_past_the_cap_all_complete() {
    const CROWD: usize = 64;
    let app = spawn_app_with(|config| {
        // A cap far below the crowd: most handshakes wait in the listen backlog.
        config.max_http_connections = 4;
        config.max_connections_per_user = CROWD as u32;
    })
    .await;
    let token = app.claim("crowd").await;

    let crowd = (0..CROWD).map(|_| handshake_and_welcome(app.addr, &token));
    let outcomes = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all(crowd),
    )
    .await
    .expect("every handshake of the crowd is answered within 60 s");
    let welcomed = outcomes.iter().filter(|o| **o == Some((101, true))).count();
    let closed = outcomes.iter().filter(|o| o.is_none()).count();
    assert_eq!(
        (welcomed, closed),
        (CROWD, 0),
        "{CROWD} handshakes at once past a cap of 4: {welcomed} welcomed, {closed} closed \
         without an answer; outcomes: {outcomes:?}"
    );
}
