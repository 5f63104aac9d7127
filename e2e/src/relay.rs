//! A TCP relay between a client and a server that a test can cut and restore, to see what the
//! client does when its connection drops (a train goes into a tunnel, Wi-Fi changes).
//!
//! [`Relay::start`] listens on a free loopback port and forwards every connection, byte for byte,
//! to the backend. [`Relay::cut`] closes every live relayed connection and refuses new ones
//! (accepted, then closed at once) until [`Relay::restore`]. Being plain TCP, it forwards HTTP
//! unchanged, `Host` header included, and WebSocket upgrades with it.
//!
//! Self-contained (Tokio only), so that it can move into a shared test crate as it is.

use std::io;
use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A relay to one backend address. Dropping it closes everything it relays.
pub struct Relay {
    /// Where clients connect.
    addr: SocketAddr,
    /// `true` while cut; every relayed connection watches it and ends when it turns `true`.
    cut: watch::Sender<bool>,
    /// The accept loop; stopped on drop.
    accept: JoinHandle<()>,
}

impl Relay {
    /// Listens on `127.0.0.1` on a free port and relays every connection to `backend`.
    /// Must be called within a Tokio runtime.
    pub async fn start(backend: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (cut, _) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, backend, cut.clone()));
        Ok(Self { addr, cut, accept })
    }

    /// The address clients should connect to instead of the backend.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for a browser.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every live relayed connection and refuses new ones until [`Relay::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut.send_replace(true);
    }
}

async fn accept_loop(listener: TcpListener, backend: SocketAddr, cut: watch::Sender<bool>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, say: give it a moment rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let mut watch = cut.subscribe();
        if *watch.borrow_and_update() {
            // Refused: closed as soon as it is accepted.
            drop(client);
            continue;
        }
        tokio::spawn(async move {
            tokio::select! {
                () = relay(client, backend) => {}
                // Dropping both streams (the other branch) closes both sides.
                _ = watch.wait_for(|cut| *cut) => {}
            }
        });
    }
}

/// Copies both ways until either side is done; a backend that cannot be reached closes the
/// client's connection.
async fn relay(mut client: TcpStream, backend: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(backend).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let _ = copy_bidirectional(&mut client, &mut server).await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A backend that echoes what it reads.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    /// Sends a line and reads it back; `None` when the connection is closed.
    async fn echo(stream: &mut TcpStream, text: &str) -> Option<String> {
        stream.write_all(text.as_bytes()).await.ok()?;
        let mut buf = vec![0; text.len()];
        stream.read_exact(&mut buf).await.ok()?;
        String::from_utf8(buf).ok()
    }

    #[tokio::test]
    async fn relays_until_cut_refuses_while_cut_and_relays_again_after_restore() {
        let relay = Relay::start(echo_server().await).await.unwrap();
        let mut before = TcpStream::connect(relay.addr()).await.unwrap();
        assert_eq!(echo(&mut before, "hello").await.as_deref(), Some("hello"));

        relay.cut();
        let mut rest = Vec::new();
        let end = before.read_to_end(&mut rest).await;
        assert!(matches!(end, Ok(0) | Err(_)), "closed: {end:?}");
        let mut during = TcpStream::connect(relay.addr()).await.unwrap();
        assert_eq!(echo(&mut during, "anyone?").await, None);

        relay.restore();
        let mut after = TcpStream::connect(relay.addr()).await.unwrap();
        assert_eq!(echo(&mut after, "back").await.as_deref(), Some("back"));
    }
}
