//! Running the server: accept TCP connections and serve HTTP/1.1 on each (hyper, with
//! upgrades) until the shutdown future resolves; then stop accepting, let HTTP requests in
//! progress finish, close every WebSocket with 1001 and wait for the connection tasks, then
//! stop the background tasks (the journal finishes what it holds) and wait for them, each step
//! within the configured grace period.
//!
//! The accept loop is ours rather than `axum::serve` so that an upgraded connection can be
//! taken back as the plain `TcpStream` it is ([`crate::ws::Upgrade`]): `axum::serve` wraps every
//! stream in a private type of `hyper-util`'s.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Extension;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::routes::{app, AppState};

/// A client must send its request head within this time.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long accepting pauses after an error such as running out of file descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = state.shutdown.clone();
    let sockets = state.connections.clone();
    let tasks = state.tasks.clone();
    let grace = state.config.shutdown_grace();
    let router = app(state);
    let http = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // Small frames go out at once: without this, Nagle's algorithm and delayed ACKs hold
        // a chat message back for up to 40 ms.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        // Handlers that need the client's address (sign-in limits) read it as `ConnectInfo`.
        let service = TowerToHyperService::new(router.clone().layer(Extension(ConnectInfo(peer))));
        let token = token.clone();
        http.spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = token.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down");
    drop(listener);
    token.cancel();
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
