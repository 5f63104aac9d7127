//! One simulated chat client: how it connects ([`open`]) and the task that then reads
//! everything the server sends and writes what the pacer hands it ([`serve`]).
//!
//! Client sockets are bound to a source address in 127.0.0.0/8 chosen by the client's index
//! (1,000 clients per address), so tens of thousands of connections never run out of
//! ephemeral ports. The WebSocket read buffer is small: tungstenite zero-fills it on every read,
//! and with its 128 KiB default that alone would make the load generator the bottleneck.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::http::Http;
use super::Worker;
use crate::frames;
use crate::wire::{user_name, Protocol, Target};

/// The client side of one connection.
pub type Ws = WebSocketStream<TcpStream>;

/// Bytes tungstenite reads at once (and zero-fills first).
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Bytes gathered before a write; a flush writes whatever is gathered.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;
/// Clients that share one source address.
pub const CLIENTS_PER_SOURCE: usize = 1000;
/// Longest wait for one step of opening a client (handshake, welcome, join).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// One thing for a client to send; the text is made when it is sent, with the time then.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Room { room: Rc<str>, tag: u64 },
    Private { to: Rc<str>, tag: u64 },
    AckedRoom { room: Rc<str>, tag: u64, seq: u64 },
}

impl Outgoing {
    fn render(&self, now: u64) -> String {
        match self {
            Self::Room { room, tag } => frames::room_message(room, *tag, now),
            Self::Private { to, tag } => frames::private_message(to, *tag, now),
            Self::AckedRoom { room, tag, seq } => frames::acked_room_message(room, *tag, now, *seq),
        }
    }
}

/// The source address of client `index`: 127.0.0.2 for the first thousand, then .3, ...
pub fn source_ip(index: usize) -> IpAddr {
    let n = index / CLIENTS_PER_SOURCE;
    let third = u8::try_from(n / 250).unwrap_or(u8::MAX);
    let fourth = u8::try_from(2 + n % 250).unwrap_or(u8::MAX);
    IpAddr::V4(Ipv4Addr::new(127, 0, third, fourth))
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
}

/// Claims user `user`'s name (our protocol) and returns the session token; `None` for the raw
/// protocol, which has no sign-in.
pub async fn claim(target: &Target, user: usize, http: &mut Http) -> Result<Option<String>> {
    match target.protocol {
        Protocol::Chat => Ok(Some(http.claim(&user_name(user)).await?)),
        Protocol::Raw => Ok(None),
    }
}

/// Opens client `index` of user `user`: for our protocol upgrades with the `token` and waits
/// for `welcome` (then joins `r<index>` when asked); for the raw protocol upgrades and, when
/// asked, registers the user with `online`.
pub async fn open(
    target: &Target,
    index: usize,
    user: usize,
    token: Option<&str>,
    join_own_room: bool,
    register: bool,
) -> Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::new(source_ip(index), 0))
        .with_context(|| format!("binding to {}", source_ip(index)))?;
    let tcp = timeout(STEP_TIMEOUT, socket.connect(target.addr))
        .await
        .context("TCP connect timed out")??;
    tcp.set_nodelay(true)?;
    let path = match target.protocol {
        Protocol::Chat => "/ws",
        Protocol::Raw => "/",
    };
    let mut request = format!("ws://{}{path}", target.addr).into_client_request()?;
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
    }
    let (mut ws, _) = timeout(
        STEP_TIMEOUT,
        tokio_tungstenite::client_async_with_config(request, tcp, Some(config())),
    )
    .await
    .context("WebSocket handshake timed out")??;
    match target.protocol {
        Protocol::Chat => {
            let first = next_text(&mut ws).await?;
            if frames::frame_type(&first) != Some("welcome") {
                bail!("the first frame is not a welcome: {first:.200}");
            }
            if join_own_room {
                let room = format!("r{index}");
                ws.send(Message::text(frames::join(&room))).await?;
                loop {
                    let text = next_text(&mut ws).await?;
                    match frames::frame_type(&text) {
                        Some("room_joined") if text.contains(&format!(r#""room":"{room}""#)) => {
                            break
                        }
                        Some("error") => bail!("joining {room}: {text:.200}"),
                        _ => {}
                    }
                }
            }
        }
        Protocol::Raw => {
            if register {
                ws.send(Message::text(frames::online(&user_name(user))))
                    .await?;
            }
        }
    }
    Ok(ws)
}

/// The next text frame, within [`STEP_TIMEOUT`].
async fn next_text(ws: &mut Ws) -> Result<String> {
    loop {
        let message = timeout(STEP_TIMEOUT, ws.next())
            .await
            .context("no frame from the server in time")?
            .context("the server closed the connection")??;
        match message {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(frame) => bail!("the server closed the connection: {frame:?}"),
            _ => {}
        }
    }
}

/// Runs client `ws` until the server ends it: every frame read goes to the worker's books,
/// and whatever arrives on `outgoing` is sent (all that is waiting, then one flush).
pub async fn serve(
    mut ws: Ws,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    worker: Rc<Worker>,
) {
    let mut code = 0;
    loop {
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => worker.on_frame(text.as_str()),
                Some(Ok(Message::Binary(bytes))) => {
                    if let Ok(text) = std::str::from_utf8(&bytes) {
                        worker.on_frame(text);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    code = frame.map_or(0, |f| u16::from(f.code));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            next = outgoing.recv() => {
                let Some(first) = next else { break };
                if send_all(&mut ws, first, &mut outgoing).await.is_err() {
                    break;
                }
            }
        }
    }
    worker.on_gone(code);
}

async fn send_all(
    ws: &mut Ws,
    first: Outgoing,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    ws.feed(Message::text(first.render(frames::now_us())))
        .await?;
    while let Ok(next) = outgoing.try_recv() {
        ws.feed(Message::text(next.render(frames::now_us())))
            .await?;
    }
    ws.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_clients_per_source_address() {
        assert_eq!(source_ip(0), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(source_ip(999), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(source_ip(1000), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)));
        assert_eq!(source_ip(250_000), IpAddr::V4(Ipv4Addr::new(127, 0, 1, 2)));
    }
}
