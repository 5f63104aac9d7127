//! A client of the chat in the container, over the published port: plain HTTP/1.1 requests on
//! `std`'s `TcpStream`, and the protocol's WebSocket through tungstenite, every wait bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

use crate::error::{Error, Result};

/// How long one request or one expected frame may take.
const WITHIN: Duration = Duration::from_secs(10);

/// An HTTP answer: the status, the header lines and the body.
pub struct Answer {
    pub status: u16,
    /// The head after the status line, as sent.
    pub headers: String,
    pub body: String,
}

impl Answer {
    /// The value of the header `name` (any case), if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// One request on a fresh connection (`Connection: close`), the answer read to its end.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
    request_with(addr, method, path, body, &[])
}

/// [`request`] with further request headers.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Result<Answer> {
    let fail = |e: std::io::Error| Error::new(format!("{method} {path} at {addr}: {e}"));
    let mut stream = TcpStream::connect_timeout(&addr, WITHIN).map_err(fail)?;
    stream.set_read_timeout(Some(WITHIN)).map_err(fail)?;
    stream.set_write_timeout(Some(WITHIN)).map_err(fail)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let extra: String = headers
        .iter()
        .map(|(key, value)| format!("{key}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(fail)?;
    stream.write_all(body.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    parse_answer(&raw).ok_or_else(|| {
        Error::new(format!(
            "{method} {path} at {addr}: not an HTTP answer: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        ))
    })
}

/// Splits a whole HTTP/1.1 answer into status and body (a chunked body is put together).
fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Some(Answer {
        status,
        headers: headers.to_owned(),
        body,
    })
}

/// The data of a chunked body.
fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size + 2..)?;
    }
}

/// Polls `GET path` until it answers 200, for at most `within`; how long it took.
pub fn wait_for_200(addr: SocketAddr, path: &str, within: Duration) -> Result<Duration> {
    let started = Instant::now();
    let mut last = String::from("no attempt");
    while started.elapsed() < within {
        match request(addr, "GET", path, None) {
            Ok(answer) if answer.status == 200 => return Ok(started.elapsed()),
            Ok(answer) => last = format!("status {}: {}", answer.status, answer.body),
            Err(err) => last = err.to_string(),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(Error::new(format!(
        "GET {path} did not answer 200 within {within:?} (last: {last})"
    )))
}

/// `POST /api/session`: claims `name` and returns the session's token.
pub fn claim(addr: SocketAddr, name: &str) -> Result<String> {
    let answer = request(addr, "POST", "/api/session", Some(&json!({ "name": name })))?;
    if answer.status != 201 {
        return Err(Error::new(format!(
            "POST /api/session for {name}: expected 201, got {}: {}",
            answer.status, answer.body
        )));
    }
    let body: Value = serde_json::from_str(&answer.body).map_err(|e| {
        Error::new(format!(
            "POST /api/session: not JSON ({e}): {}",
            answer.body
        ))
    })?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::new(format!("POST /api/session: no token in {}", answer.body)))
}

/// A WebSocket of the protocol, signed in.
pub struct Socket {
    /// The connection, reads bounded by [`WITHIN`].
    ws: WebSocket<TcpStream>,
    /// Whose it is, for messages.
    name: String,
}

impl Socket {
    /// Opens `/ws?token=…` and reads up to the `welcome`.
    pub fn open(addr: SocketAddr, name: &str, token: &str) -> Result<Self> {
        let fail = |e: &dyn std::fmt::Display| Error::new(format!("{name}'s WebSocket: {e}"));
        let stream = TcpStream::connect_timeout(&addr, WITHIN).map_err(|e| fail(&e))?;
        stream
            .set_read_timeout(Some(WITHIN))
            .map_err(|e| fail(&e))?;
        let url = format!("ws://{addr}/ws?token={token}");
        let (ws, _) = tungstenite::client(url.as_str(), stream).map_err(|e| fail(&e))?;
        let mut socket = Socket {
            ws,
            name: name.to_owned(),
        };
        socket.recv_until("welcome", |frame| frame["type"] == "welcome")?;
        Ok(socket)
    }

    /// Sends one client frame.
    pub fn send(&mut self, frame: &Value) -> Result<()> {
        self.ws
            .send(Message::text(frame.to_string()))
            .map_err(|e| Error::new(format!("{} sending {frame}: {e}", self.name)))
    }

    /// Reads frames until one satisfies `wanted`, within [`WITHIN`]; an `error` frame fails.
    pub fn recv_until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Result<Value> {
        let started = Instant::now();
        while started.elapsed() < WITHIN {
            let message = self
                .ws
                .read()
                .map_err(|e| Error::new(format!("{} waiting for {what}: {e}", self.name)))?;
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Value = serde_json::from_str(text.as_str()).map_err(|e| {
                Error::new(format!("{}: a frame that is not JSON ({e})", self.name))
            })?;
            if wanted(&frame) {
                return Ok(frame);
            }
            if frame["type"] == "error" {
                return Err(Error::new(format!(
                    "{} waiting for {what} got {frame}",
                    self.name
                )));
            }
        }
        Err(Error::new(format!(
            "{} did not get {what} within {WITHIN:?}",
            self.name
        )))
    }

    /// Reads until the server closes the connection; the close code it sent, if any.
    pub fn until_closed(&mut self) -> Result<Option<CloseCode>> {
        loop {
            match self.ws.read() {
                Ok(Message::Close(frame)) => return Ok(frame.map(|f| f.code)),
                Ok(_) => continue,
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(None)
                }
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Err(Error::new(format!(
                        "{}: the server did not close the WebSocket within {WITHIN:?}",
                        self.name
                    )))
                }
                Err(_) => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_plain_and_chunked() {
        let plain = parse_answer(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (201, "{}"));
        let chunked = parse_answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (200, "{\"a\":1}"));
        assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
        assert_eq!(chunked.header("content-length"), None);
        assert!(parse_answer(b"garbage").is_none());
    }
}
