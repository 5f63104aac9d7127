//! One HTTP connection, from its accept to its end or its upgrade: hyper's HTTP/1.1 with the
//! request head due within `--header-timeout-secs` (also between keep-alive requests), closed
//! when [`Waiting`](super::waiting::Waiting) needs its place or on shutdown. Its stream is
//! [`Watched`], so that `Waiting` hears when the server waits on the client's bytes. Every request
//! carries the peer's address as axum's `ConnectInfo<SocketAddr>` extension, so handlers
//! extract it with `ConnectInfo(addr): ConnectInfo<SocketAddr>`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

use super::waiting::Ticket;
use crate::ws::Watched;

/// Serves HTTP on `stream` until the client is done, the connection is upgraded (the upgrade
/// then owns the socket), its place is taken (`ticket` evicted), or `shutdown`.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    ticket: Ticket,
    header_timeout: Duration,
    shutdown: CancellationToken,
) {
    let tracker = ticket.tracker();
    let stream = Watched::new(stream, ticket.tracker());
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        // Busy until the answer's body is sent in full: a long download is not idle.
        let busy = tracker.busy();
        let mut router = router.clone();
        async move {
            let response: Response<Body> = match router.call(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(body.map_err(move |e| {
                    let _held = &busy;
                    e
                }))
            }))
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = ticket.evicted() => {
            tracing::debug!(%peer, "HTTP connection closed to make room");
            return;
        }
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
    }
}
