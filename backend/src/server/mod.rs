//! Running the server: accept TCP connections and serve HTTP/1.1 on each (hyper, with
//! upgrades) until the shutdown future resolves; then stop accepting, let HTTP requests in
//! progress finish, close every WebSocket with 1001 and wait for the connection tasks, then
//! stop the background tasks (the journal finishes what it holds) and wait for them, each step
//! within the configured grace period.
//!
//! The accept loop is ours rather than `axum::serve` so that an upgraded connection can be
//! taken back as the plain `TcpStream` it is ([`crate::ws::Upgrade`]): `axum::serve` wraps every
//! stream in a private type of `hyper-util`'s. Its parts:
//!
//! - [`listen`]: `bind`, the listening socket with the deepest backlog the system allows.
//! - [`accept`]: `Acceptor`, accepts, each once there is room, that survive running out of
//!   file descriptors.
//! - [`waiting`]: `Waiting`, the connections before their upgrade, capped
//!   (`--max-http-connections`): at the cap the server stops accepting (new connections wait
//!   in the listen backlog) and closes only a connection that has kept it waiting for its
//!   bytes past a short grace, never a handshake in progress.
//! - [`http`]: one HTTP connection: the head within `--header-timeout-secs`, the peer's
//!   address on every request (`ConnectInfo<SocketAddr>`).
//! - [`body`]: a request's body within `--body-timeout-secs` (else 408).
//! - [`fds`]: the open-file limit raised at start and the caps fitted to it.

pub mod accept;
pub mod body;
pub mod fds;
pub mod http;
pub mod listen;
pub mod waiting;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::middleware;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::routes::{app, AppState};
use accept::Acceptor;
use waiting::Waiting;

/// The URL a browser on this machine opens to reach a server listening on `addr` (the
/// listener's real address, so a port of 0 has become the one the system chose): an
/// unspecified address (`0.0.0.0`, `::`) is reached through loopback.
pub fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = state.shutdown.clone();
    let hub = state.hub.clone();
    let sockets = state.connections.clone();
    let tasks = state.tasks.clone();
    let config = state.config.clone();
    let grace = config.shutdown_grace();
    let header_timeout = config.header_timeout();
    let limits = body::BodyLimits {
        deadline: config.body_timeout(),
        upload_deadline: config.upload_timeout(),
        upload_bytes: config.max_upload_bytes,
    };
    let router = app(state).layer(middleware::from_fn_with_state(
        limits,
        body::within_deadline,
    ));
    let waiting = Waiting::new(config.max_http_connections, header_timeout);
    let mut acceptor = Acceptor::new(listener);
    let http = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = acceptor.accept(&waiting) => accepted,
        };
        // Small frames go out at once: without this, Nagle's algorithm and delayed ACKs hold
        // a chat message back for up to 40 ms.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let ticket = waiting.admit();
        http.spawn(http::serve(
            stream,
            peer,
            router.clone(),
            ticket,
            header_timeout,
            token.clone(),
        ));
    }
    tracing::info!("shutting down");
    drop(acceptor);
    token.cancel();
    // The WebSockets in the hub are closed with 1001 through their close switches (see
    // `Hub::close_all`); those not in it yet heed the token.
    hub.close_all(shared::close::GOING_AWAY);
    http.close();
    if tokio::time::timeout(grace, http.wait()).await.is_err() {
        tracing::warn!("HTTP connections still open after the grace period");
    }
    sockets.close();
    if tokio::time::timeout(grace, sockets.wait()).await.is_err() {
        tracing::warn!("WebSocket connections still open after the grace period");
    }
    // Last: the connections that could still submit messages or need deliveries are gone.
    tasks.shutdown(grace).await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_url_reaches_an_unspecified_address_through_loopback() {
        let url = |addr: &str| local_url(addr.parse().expect("an address"));
        assert_eq!(url("0.0.0.0:9000"), "http://127.0.0.1:9000/");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/");
        assert_eq!(url("127.0.0.2:41234"), "http://127.0.0.2:41234/");
        assert_eq!(url("[::1]:8080"), "http://[::1]:8080/");
        assert_eq!(url("192.0.2.7:80"), "http://192.0.2.7:80/");
    }
}
