//! The network between a client and a server, or a server and its database: [`Relay`] (a
//! TCP relay to one backend that a test can cut and restore) and [`Balancer`] (round robin
//! over several backends, as a load balancer in front of the nodes).
//!
//! Both relay bytes both ways, whatever they carry: HTTP, WebSocket, the PostgreSQL protocol.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::Endpoint;

/// A free port on loopback (bound, then released).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// A TCP relay to one backend that a test can cut (every relayed connection closes at once,
/// new ones are accepted and closed) and restore: a network failure between a browser and the
/// server, or between a node and its database.
pub struct Relay {
    endpoint: Endpoint,
    /// Whether new connections are relayed.
    open: Arc<AtomicBool>,
    /// Bumped by every cut; each relayed connection ends when it changes.
    cuts: watch::Sender<u64>,
    /// The accept loop.
    task: JoinHandle<()>,
}

impl Deref for Relay {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Relay {
    /// Relays a free port of loopback to `backend`.
    pub async fn start(backend: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let task = {
            let open = open.clone();
            let cuts = cuts.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        continue;
                    }
                    let _ = inbound.set_nodelay(true);
                    let mut cut = cuts.subscribe();
                    tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(backend).await {
                            let _ = outbound.set_nodelay(true);
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = cut.changed() => {}
                            }
                        }
                    });
                }
            })
        };
        Self {
            endpoint: Endpoint::new(addr),
            open,
            cuts,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`: where a browser reaches the backend through the relay.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.endpoint.addr)
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// A round-robin TCP balancer, as a load balancer in front of the nodes does it: the n-th
/// connection goes to backend n mod len.
pub struct Balancer {
    endpoint: Endpoint,
    /// The accept loop.
    task: JoinHandle<()>,
}

impl Deref for Balancer {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Balancer {
    pub async fn start(backends: Vec<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let backends = Arc::new(backends);
        let task = tokio::spawn(async move {
            let mut next = 0usize;
            while let Ok((mut inbound, _)) = listener.accept().await {
                let backend = backends[next % backends.len()];
                next += 1;
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            endpoint: Endpoint::new(addr),
            task,
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
