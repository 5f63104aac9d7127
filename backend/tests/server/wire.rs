//! What the server sends over HTTP, header by header: the client's files precompressed (the
//! build's `.br` and `.gz` copies, by `Accept-Encoding`, with their own length), cached for a
//! year when their names are hashed and revalidated otherwise, with an `ETag` per
//! representation and 304 for `If-None-Match`; `index.html` for any other path but the API's;
//! the API's large answers compressed on the fly, small ones and the WebSocket not; and the
//! security headers on every answer.

use std::io::{Read, Write};
use std::path::Path;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use testkit::{spawn_app_with, TestApp};

const WASM: &str = "frontend-0123456789abcdef_bg.wasm";
const GLUE: &str = "frontend-0123456789abcdef.js";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A client directory as `cargo xtask dist` leaves it: `index.html`, the hashed glue and
/// WebAssembly with their brotli and gzip copies, `boot.js` with none.
struct Dist {
    dir: tempfile::TempDir,
    index: Vec<u8>,
    wasm: Vec<u8>,
}

impl Dist {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let index = format!(
            "<!doctype html><html><head><title>Chat</title>{}</head><body></body></html>",
            "<link rel=\"preload\" href=\"/x.css\">".repeat(40)
        )
        .into_bytes();
        let wasm: Vec<u8> = (0..40_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let glue = "export function f() { return 1; }\n"
            .repeat(100)
            .into_bytes();
        for (name, bytes) in [("index.html", &index), (WASM, &wasm), (GLUE, &glue)] {
            write(dir.path(), name, bytes);
            write(dir.path(), &format!("{name}.br"), &brotli(bytes));
            write(dir.path(), &format!("{name}.gz"), &gzip(bytes));
        }
        write(dir.path(), "boot.js", b"(function () {})();");
        Self { dir, index, wasm }
    }

    fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).expect("a file of the client")
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write a file of the client");
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = ::brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    writer.write_all(bytes).unwrap();
    drop(writer);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ::brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("a brotli body");
    out
}

fn ungzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

async fn serve(dist: &Dist) -> TestApp {
    let dir = dist.dir.path().to_path_buf();
    spawn_app_with(move |config| config.static_dir = dir).await
}

/// An answer: status, headers, the body as sent (reqwest here decompresses nothing).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("a text header"))
    }
}

async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("an answer");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("a body").to_vec(),
    }
}

async fn get(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> Answer {
    let mut request = app.http().get(app.url(path));
    if let Some(encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    send(request).await
}

/// Opens a WebSocket with `token`, offering every compression, and returns the head of the
/// server's answer (the socket then stays open: read up to the head's end only).
async fn upgrade_head(app: &TestApp, token: &str) -> String {
    let addr = app.url("").trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let request = format!(
        "GET /ws?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAccept-Encoding: br, gzip\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("an answer within 10 s")
            .expect("read");
        assert_eq!(
            read,
            1,
            "the head ended early: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test]
async fn the_client_goes_precompressed_by_accept_encoding_with_its_length() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    for (offered, encoding) in [
        (Some("br, gzip, deflate"), Some("br")),
        (Some("gzip, deflate, br;q=0.5"), Some("gzip")),
        (Some("gzip"), Some("gzip")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("identity"), None),
        (None, None),
    ] {
        let answer = get(&app, &format!("/{WASM}"), offered).await;
        assert_eq!(answer.status, 200, "{offered:?}");
        assert_eq!(
            answer.header(header::CONTENT_ENCODING),
            encoding,
            "{offered:?}"
        );
        assert_eq!(answer.header(header::VARY), Some("accept-encoding"));
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            Some("application/wasm"),
            "the type of the file, not of its copy"
        );
        let length: usize = answer
            .header(header::CONTENT_LENGTH)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, answer.body.len(), "{offered:?}");
        let (sent, plain) = match encoding {
            Some("br") => (dist.file(&format!("{WASM}.br")), unbrotli(&answer.body)),
            Some("gzip") => (dist.file(&format!("{WASM}.gz")), ungzip(&answer.body)),
            _ => (dist.wasm.clone(), answer.body.clone()),
        };
        assert_eq!(answer.body, sent, "{offered:?}: the build's copy as it is");
        assert_eq!(plain, dist.wasm, "{offered:?}");
        if encoding.is_some() {
            assert!(length < dist.wasm.len() / 2, "{offered:?}: {length} B");
        }
    }

    // A file the build left without copies goes as it is, whatever is offered.
    let answer = get(&app, "/boot.js", Some("br, gzip")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header(header::CONTENT_ENCODING), None);
    assert_eq!(answer.body, b"(function () {})();");

    // HEAD: the same headers, the copy's length, no body.
    let head = send(
        app.http()
            .head(app.url(&format!("/{WASM}")))
            .header(header::ACCEPT_ENCODING, "br"),
    )
    .await;
    assert_eq!(head.header(header::CONTENT_ENCODING), Some("br"));
    assert_eq!(
        head.header(header::CONTENT_LENGTH).unwrap(),
        dist.file(&format!("{WASM}.br")).len().to_string()
    );
    assert!(head.body.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn hashed_files_are_kept_a_year_and_the_others_revalidated() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    for (path, cache_control) in [
        (format!("/{WASM}"), IMMUTABLE),
        (format!("/{GLUE}"), IMMUTABLE),
        ("/".to_owned(), "no-cache"),
        ("/index.html".to_owned(), "no-cache"),
        ("/boot.js".to_owned(), "no-cache"),
        // The SPA fallback: index.html, whatever the path looks like.
        ("/room/lobby".to_owned(), "no-cache"),
        ("/frontend-fedcba9876543210.js".to_owned(), "no-cache"),
    ] {
        for offered in [Some("br, gzip"), None] {
            let answer = get(&app, &path, offered).await;
            assert_eq!(answer.status, 200, "{path}");
            assert_eq!(
                answer.header(header::CACHE_CONTROL),
                Some(cache_control),
                "{path} {offered:?}"
            );
            assert_eq!(
                answer.header(header::VARY),
                Some("accept-encoding"),
                "{path}"
            );
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn an_etag_per_representation_and_304_for_if_none_match() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    let tag_of = |answer: &Answer| {
        let tag = answer.header(header::ETAG).expect("an ETag").to_owned();
        assert!(
            tag.starts_with('"') && tag.ends_with('"'),
            "a strong tag: {tag}"
        );
        tag
    };
    let plain = get(&app, "/", None).await;
    let br = get(&app, "/", Some("br")).await;
    let gz = get(&app, "/", Some("gzip")).await;
    let (plain_tag, br_tag, gz_tag) = (tag_of(&plain), tag_of(&br), tag_of(&gz));
    assert_eq!(plain.body, dist.index);
    assert_ne!(plain_tag, br_tag);
    assert_ne!(br_tag, gz_tag);
    assert_ne!(plain_tag, gz_tag);
    // The same file, the same tag, by any path that reaches it (the SPA fallback too).
    assert_eq!(tag_of(&get(&app, "/index.html", Some("br")).await), br_tag);
    assert_eq!(tag_of(&get(&app, "/with/bob", Some("br")).await), br_tag);

    let revalidate = |path: &str, offered: &str, tag: &str| {
        app.http()
            .get(app.url(path))
            .header(header::ACCEPT_ENCODING, offered.to_owned())
            .header(header::IF_NONE_MATCH, tag.to_owned())
    };
    for (path, offered, tag) in [
        ("/", "br", br_tag.clone()),
        ("/", "br", format!("W/{br_tag}")),
        ("/", "gzip", format!("\"other\", {gz_tag}")),
        ("/room/lobby", "br", br_tag.clone()),
        ("/", "identity", plain_tag.clone()),
    ] {
        let answer = send(revalidate(path, offered, &tag)).await;
        assert_eq!(answer.status, 304, "{path} {offered} {tag}");
        assert!(answer.body.is_empty());
        assert_eq!(answer.header(header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(answer.header(header::VARY), Some("accept-encoding"));
        assert!(answer.header(header::ETAG).is_some());
        assert!(answer.header(header::CONTENT_SECURITY_POLICY).is_some());
    }
    // A hashed file's 304 says it is immutable.
    let wasm = get(&app, &format!("/{WASM}"), Some("br")).await;
    let answer = send(revalidate(&format!("/{WASM}"), "br", &tag_of(&wasm))).await;
    assert_eq!(answer.status, 304);
    assert_eq!(answer.header(header::CACHE_CONTROL), Some(IMMUTABLE));

    // Another representation's tag, or an old one, is not a match: the whole body, with the
    // tag it has now, even though If-Modified-Since alone would have said "not modified".
    for (offered, tag) in [("br", gz_tag.as_str()), ("gzip", "\"old\"")] {
        let answer = send(
            revalidate("/", offered, tag)
                .header(header::IF_MODIFIED_SINCE, "Fri, 31 Dec 2100 23:59:59 GMT"),
        )
        .await;
        assert_eq!(answer.status, 200, "{offered} {tag}");
        assert!(!answer.body.is_empty());
        assert_ne!(answer.header(header::ETAG), Some(tag));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_changed_since_the_start_gets_no_stale_tag() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    let before = get(&app, "/boot.js", None).await;
    assert!(before.header(header::ETAG).is_some());
    // A rebuild under the running server: another size.
    write(
        dist.dir.path(),
        "boot.js",
        b"(function () { 'a new build'; })();",
    );
    let after = get(&app, "/boot.js", None).await;
    assert_eq!(after.body, b"(function () { 'a new build'; })();");
    assert_eq!(
        after.header(header::ETAG),
        None,
        "no tag rather than a stale one"
    );
    let tag = before.header(header::ETAG).unwrap().to_owned();
    let answer = send(
        app.http()
            .get(app.url("/boot.js"))
            .header(header::IF_NONE_MATCH, tag),
    )
    .await;
    assert_eq!(
        answer.status, 200,
        "the old tag does not match the new file"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_spa_fallback_serves_the_page_and_the_api_stays_json() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    for path in ["/with/bob", "/room/lobby", "/nothing.js"] {
        let answer = get(&app, path, None).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            Some("text/html"),
            "{path}"
        );
        assert_eq!(answer.body, dist.index, "{path}");
    }
    for path in ["/api", "/api/nothing", "/api/session/nothing"] {
        let answer = get(&app, path, Some("br, gzip")).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            Some("application/json"),
            "{path}"
        );
        assert_eq!(
            answer.header(header::CACHE_CONTROL),
            Some("no-store"),
            "{path}"
        );
        let body: Value = serde_json::from_slice(&answer.body).expect("JSON, uncompressed");
        assert_eq!(body["code"], "not_found", "{path}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn every_answer_has_the_security_headers() {
    let dist = Dist::new();
    let app = serve(&dist).await;
    let host = app.url("").trim_start_matches("http://").to_owned();
    let answers = [
        get(&app, "/", Some("br")).await,
        get(&app, "/room/lobby", None).await,
        get(&app, &format!("/{WASM}"), Some("gzip")).await,
        get(&app, "/healthz", None).await,
        get(&app, "/api/nothing", None).await,
        get(&app, "/ws", None).await,
        send(
            app.http()
                .post(app.url("/api/session"))
                .json(&json!({"name": "dana"})),
        )
        .await,
        send(app.http().delete(app.url("/index.html"))).await,
    ];
    for answer in &answers {
        let policy = answer
            .header(header::CONTENT_SECURITY_POLICY)
            .unwrap_or_else(|| panic!("a {} without a policy", answer.status));
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            &format!("connect-src 'self' ws://{host} wss://{host}"),
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(
            answer.header(header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        assert_eq!(answer.header(header::REFERRER_POLICY), Some("no-referrer"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_apis_large_answers_are_compressed_and_small_ones_not() {
    let app = spawn_app_with(|_| {}).await;
    // A session list of a few kilobytes: one account signed in four times from a browser
    // with a long User-Agent.
    let agent = "Mozilla/5.0 (X11; Linux x86_64) ".repeat(8);
    let post = |body: Value| {
        app.http()
            .post(app.url("/api/session"))
            .header(header::USER_AGENT, agent.clone())
            .json(&body)
    };
    let claimed: Value =
        serde_json::from_slice(&send(post(json!({"name": "dana"}))).await.body).unwrap();
    let token = claimed["token"].as_str().expect("a token").to_owned();
    let set = send(
        app.http()
            .put(app.url("/api/session/password"))
            .bearer_auth(&token)
            .json(&json!({"password": "long enough"})),
    )
    .await;
    assert!(set.status.is_success(), "{}", set.status);
    for _ in 0..3 {
        let answer = send(post(json!({"name": "dana", "password": "long enough"}))).await;
        assert!(answer.status.is_success(), "{}", answer.status);
    }
    let list = |offered: &str| {
        app.http()
            .get(app.url("/api/sessions"))
            .bearer_auth(&token)
            .header(header::ACCEPT_ENCODING, offered.to_owned())
    };
    let plain = send(list("identity")).await;
    assert_eq!(plain.header(header::CONTENT_ENCODING), None);
    assert!(plain.body.len() > 1024, "{} B", plain.body.len());
    let sessions: Value = serde_json::from_slice(&plain.body).unwrap();
    for (offered, encoding) in [("br", "br"), ("gzip", "gzip"), ("gzip, br", "br")] {
        let answer = send(list(offered)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header(header::CONTENT_ENCODING),
            Some(encoding),
            "{offered}"
        );
        assert!(answer
            .header(header::VARY)
            .is_some_and(|vary| vary.to_ascii_lowercase().contains("accept-encoding")));
        assert_eq!(answer.header(header::CACHE_CONTROL), Some("no-store"));
        let body = if encoding == "br" {
            unbrotli(&answer.body)
        } else {
            ungzip(&answer.body)
        };
        assert!(
            answer.body.len() < body.len() / 2,
            "{offered}: {} B",
            answer.body.len()
        );
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), sessions);
    }

    // A small answer goes as it is.
    let health = get(&app, "/healthz", Some("br, gzip")).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header(header::CONTENT_ENCODING), None);
    let _: Value = serde_json::from_slice(&health.body).expect("plain JSON");

    // The WebSocket upgrade is untouched by compression, whatever the client offers.
    let head = upgrade_head(&app, &token).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("content-encoding"),
        "{head}"
    );
    app.shutdown().await;
}
