//! An echo WebSocket server for the Autobahn testsuite (`cargo xtask autobahn`): every text or
//! binary message comes back as it was sent. It runs the chat's own handshake
//! (`backend::ws::Upgrade`), decoder, writer and close path (`backend::connection::echo`),
//! with messages of up to 16 MiB for the testsuite's section 9.
//!
//! `cargo run -p backend --example echo -- [address]` (default `127.0.0.1:9001`); prints
//! `listening on <address>` once it accepts connections.

use std::io::Write;

use axum::routing::get;
use axum::Router;
use backend::connection::echo::echo;
use backend::ws::Upgrade;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// The largest message echoed: Autobahn's case 9.1.6 sends 16 MiB.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let app = Router::new().route(
        "/",
        get(|ws: Upgrade| async move { ws.on_upgrade(|socket| echo(socket, MAX_MESSAGE)) }),
    );
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}
