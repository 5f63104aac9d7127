//! Claiming names: `POST /api/session` over a kept-alive HTTP/1.1 connection.
//!
//! A dozen lines of HTTP instead of an HTTP client crate: the load generator signs in thousands
//! of users, one request after another on each lane's connection, and reads nothing but the
//! status, `Content-Length` and the JSON body.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use shared::api::{SessionRequest, SessionResponse};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One kept-alive connection to the server's HTTP API.
pub struct Http {
    /// The server.
    addr: SocketAddr,
    /// The open connection, if any; reopened after an error.
    conn: Option<BufReader<TcpStream>>,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, conn: None }
    }

    /// Claims `name` and returns the session token.
    pub async fn claim(&mut self, name: &str) -> Result<String> {
        self.sign_in(name, None).await
    }

    /// Claims `name`, or signs in to it, with `password` if any; returns the session token.
    pub async fn sign_in(&mut self, name: &str, password: Option<&str>) -> Result<String> {
        let body = serde_json::to_string(&SessionRequest {
            name: name.to_owned(),
            password: password.map(str::to_owned),
        })?;
        let request = format!(
            "POST /api/session HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        // A kept-alive connection may have been closed by the server: retry once on a new one.
        let (status, body) = match self.exchange(&request).await {
            Ok(answer) => answer,
            Err(_) => {
                self.conn = None;
                self.exchange(&request).await?
            }
        };
        if status != 200 && status != 201 {
            bail!(
                "POST /api/session answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let session: SessionResponse =
            serde_json::from_slice(&body).context("reading the session response")?;
        session.token.context("no token in the session response")
    }

    async fn exchange(&mut self, request: &str) -> Result<(u16, Vec<u8>)> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected above");
        conn.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        conn.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0;
        let mut close = false;
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                bail!("connection closed in the headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().context("bad Content-Length")?;
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).await?;
        if close {
            self.conn = None;
        }
        Ok((status, body))
    }
}
