//! `chat-server healthcheck`: the container's health check, without curl in the image.
//!
//! One `GET /healthz` (or `/readyz` with `--ready`) over HTTP/1.1 on a plain TCP connection to the address the server
//! listens on (loopback when it listens on every interface), all within a timeout. Healthy
//! means the status line says 200; anything else (nothing listening, a hang, another status)
//! is an [`Unhealthy`] that names what happened, and the process exits 1.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// At most this much of the answer is read: the status line comes first, and `/healthz`'s
/// whole answer is a few hundred bytes.
const READ_AT_MOST: u64 = 64 * 1024;

/// Why the server is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error("no answer from {addr} within {timeout:?}")]
    Timeout { addr: SocketAddr, timeout: Duration },
    #[error("cannot reach {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr} answered {status:?} to GET {path}")]
    Status {
        addr: SocketAddr,
        path: &'static str,
        status: String,
    },
}

/// Where to probe a server that listens on `listen`: the same address, with an unspecified
/// one (`0.0.0.0`, `[::]`) replaced by loopback of its family.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `GET path` at `addr`; `Ok` when the answer's status is 200, all within `timeout`.
pub async fn probe(
    addr: SocketAddr,
    path: &'static str,
    timeout: Duration,
) -> Result<(), Unhealthy> {
    match tokio::time::timeout(timeout, exchange(addr, path)).await {
        Ok(Ok(status)) if status.split(' ').nth(1) == Some("200") => Ok(()),
        Ok(Ok(status)) => Err(Unhealthy::Status { addr, path, status }),
        Ok(Err(source)) => Err(Unhealthy::Io { addr, source }),
        Err(_) => Err(Unhealthy::Timeout { addr, timeout }),
    }
}

/// Sends the request and returns the answer's status line.
async fn exchange(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: chat-server-healthcheck\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.take(READ_AT_MOST).read_to_end(&mut answer).await?;
    let head = String::from_utf8_lossy(&answer);
    Ok(head
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_address_is_probed_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(target(v4), "127.0.0.1:8080".parse().unwrap());
        let v6: SocketAddr = "[::]:9000".parse().unwrap();
        assert_eq!(target(v6), "[::1]:9000".parse().unwrap());
        let given: SocketAddr = "10.1.2.3:7000".parse().unwrap();
        assert_eq!(target(given), given);
    }

    #[tokio::test]
    async fn a_status_other_than_200_is_unhealthy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        match probe(addr, "/healthz", Duration::from_secs(5)).await {
            Err(Unhealthy::Status { status, .. }) => {
                assert_eq!(status, "HTTP/1.1 503 Service Unavailable")
            }
            other => panic!("expected a bad status, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepted by the kernel's backlog, never read or answered.
        let started = std::time::Instant::now();
        let result = probe(addr, "/healthz", Duration::from_millis(300)).await;
        assert!(
            matches!(result, Err(Unhealthy::Timeout { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
