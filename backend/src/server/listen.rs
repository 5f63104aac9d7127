//! [`bind`]: the listening socket, with a listen backlog as deep as the system allows. The
//! backlog is where connections wait while the server holds as many waiting for their
//! upgrade as it may ([`Waiting`](super::waiting::Waiting)): tokio's and the standard
//! library's `bind` ask for 128, which a crowd reconnecting at once overflows, and a client
//! whose connection the kernel drops retries only after a second or more.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// The backlog asked for when `net.core.somaxconn` cannot be read: Linux's default since 5.4.
const FALLBACK_BACKLOG: u32 = 4096;

/// Where Linux says how deep a listen backlog may be; a deeper one is cut to it.
const SOMAXCONN: &str = "/proc/sys/net/core/somaxconn";

/// Binds `addr` (with `SO_REUSEADDR`, as tokio's `bind` does) and listens with the deepest
/// backlog the system allows ([`backlog`]).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let backlog = backlog();
    tracing::debug!(backlog, "listen backlog");
    socket.listen(backlog)
}

/// `net.core.somaxconn`, the deepest listen backlog the system allows, or
/// [`FALLBACK_BACKLOG`] where it cannot be read.
pub fn backlog() -> u32 {
    std::fs::read_to_string(SOMAXCONN)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .map_or(FALLBACK_BACKLOG, |n| n.min(i32::MAX as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn it_listens_with_at_least_the_default_backlog_and_accepts() {
        assert!(backlog() >= 128, "{}", backlog());
        let listener = bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let addr = listener.local_addr().unwrap();
        let (_client, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        accepted.expect("accepted");
    }
}
