//! The WebSocket to the server: one connection at a time, opened again with back-off when it
//! drops, until the page signs out or the server ends the session (close code 4001).
//!
//! [`Socket`] is the handle components get from context to send frames; [`run`] is the task
//! that owns the connection and feeds every [`ServerFrame`] to [`ChatState::apply`]. Each
//! attempt asks to resume after the newest message id the page holds, so the server replays
//! what was missed; the state sends unacknowledged messages again after `welcome`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::channel::mpsc::{self, UnboundedSender};
use futures::{stream, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::{IntervalStream, TimeoutFuture};
use leptos::prelude::*;
use shared::{close, ClientFrame, ServerFrame};

use crate::backoff::Backoff;
use crate::state::{ChatState, Link};
use crate::timeline::Millis;
use crate::{browser, notifier};

/// How often the connection task looks whether one of our messages may go out (they are
/// paced: see [`ChatState::next_send`]).
const PUMP_EVERY_MS: u32 = 100;
/// How often the connection task looks at the clock.
const CHECK_EVERY_MS: u32 = 5_000;
/// After this long without a frame from the server, ask with a `ping`.
const PING_AFTER_MS: Millis = 25_000;
/// After this long without a frame, the connection is taken for dead and replaced.
const DEAD_AFTER_MS: Millis = 50_000;
/// A connection that has not said `welcome` by then is given up.
const WELCOME_TIMEOUT_MS: Millis = 10_000;
/// A connection that lasted this long resets the back-off.
const STABLE_AFTER_MS: Millis = 5_000;

enum Outgoing {
    Text(String),
    Close,
}

/// The handle to the current connection, shared through context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Socket {
    /// Frames for the open connection; `None` while there is none.
    outgoing: StoredValue<Option<UnboundedSender<Outgoing>>>,
    /// Cuts the wait before the next attempt short ("retry now", or the network came back).
    wake: StoredValue<Option<UnboundedSender<()>>>,
}

impl Socket {
    pub fn new() -> Self {
        Self {
            outgoing: StoredValue::new(None),
            wake: StoredValue::new(None),
        }
    }

    /// Sends a frame on the open connection; `false` when there is none.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        let Ok(text) = serde_json::to_string(frame) else {
            return false;
        };
        self.outgoing
            .try_with_value(|tx| {
                tx.as_ref()
                    .is_some_and(|tx| tx.unbounded_send(Outgoing::Text(text)).is_ok())
            })
            .unwrap_or(false)
    }

    /// Tries to connect now instead of waiting out the back-off.
    pub fn wake(&self) {
        self.wake.try_with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(());
            }
        });
    }

    /// Sends what the state says is due now: the open conversation's first history page,
    /// its read marker (see [`ChatState::due`]), `activity` when the page went away or came
    /// back ([`ChatState::activity`]).
    pub fn send_due(&self, state: RwSignal<ChatState>) {
        let now = browser::now_ms();
        let visible = browser::page_visible();
        let frames = state
            .try_maybe_update(|s| {
                let unread = s.total_unread();
                let mut frames = s.due(now, visible);
                frames.extend(s.activity(visible, now));
                (!frames.is_empty() || s.total_unread() != unread, frames)
            })
            .unwrap_or_default();
        for frame in frames {
            if !self.send(&frame) {
                state.update(|s| s.send_failed(&frame));
            }
        }
    }

    /// Closes the connection (the task then notices it should stop).
    pub fn close(&self) {
        self.outgoing.try_with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(Outgoing::Close);
            }
        });
    }

    fn set_outgoing(&self, tx: Option<UnboundedSender<Outgoing>>) {
        self.outgoing.try_set_value(tx);
    }
}

impl Default for Socket {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the connection task ended for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The server closed with 4001: the session was signed out.
    SessionEnded,
    /// The server no longer accepts the token.
    TokenRejected,
    /// An administrator disabled the account (closed with 4003, or the token answered
    /// `account_disabled`).
    Disabled,
}

/// How one connection went.
#[derive(Debug, Default)]
struct Outcome {
    /// How long it was up after `welcome`, if it got that far.
    welcomed_for: Option<Millis>,
    /// The close code, if the browser reported one.
    close_code: Option<u16>,
}

/// Keeps a connection open until `stop` is set or the session ends; then calls `ended`
/// (not when stopped).
pub async fn run(
    token: String,
    state: RwSignal<ChatState>,
    socket: Socket,
    stop: Arc<AtomicBool>,
    ended: impl Fn(Ended) + 'static,
) {
    let mut backoff = Backoff::default();
    let (wake_tx, mut wake_rx) = mpsc::unbounded::<()>();
    socket.wake.try_set_value(Some(wake_tx));
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let _ = state.try_update(|s| s.set_link(Link::Connecting));
        // Resume after the newest message this page holds (nothing on its first connection).
        let Some(after) = state.try_with_untracked(ChatState::resume_after) else {
            return;
        };
        let url = browser::ws_url(&token, after);
        let outcome = connect_once(&url, state, socket, &stop).await;
        socket.set_outgoing(None);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if let Some(code) = outcome
            .close_code
            .filter(|code| !close::should_reconnect(*code))
        {
            ended(if code == close::ACCOUNT_DISABLED {
                Ended::Disabled
            } else {
                Ended::SessionEnded
            });
            return;
        }
        if state.try_update(|s| s.connection_lost()).is_none() {
            return;
        }
        match outcome.welcomed_for {
            Some(up) if up >= STABLE_AFTER_MS => backoff.reset(),
            Some(_) => {}
            None => {
                // Browsers hide why an upgrade failed; ask whether the token is the problem.
                if let Err(failure) = crate::api::check_session(&token).await {
                    let gone = if failure.is_disabled() {
                        Ended::Disabled
                    } else {
                        Ended::TokenRejected
                    };
                    if failure.is_unauthorized() || gone == Ended::Disabled {
                        if !stop.load(Ordering::Relaxed) {
                            ended(gone);
                        }
                        return;
                    }
                }
            }
        }
        let delay = backoff.next_delay_ms(browser::random());
        let retry_at = browser::now_ms() + Millis::from(delay);
        let link = if browser::is_online() {
            Link::Reconnecting { retry_at }
        } else {
            Link::Offline { retry_at }
        };
        if state.try_update(|s| s.set_link(link)).is_none() {
            return;
        }
        let sleep = Box::pin(TimeoutFuture::new(delay));
        futures::future::select(sleep, wake_rx.next()).await;
        while wake_rx.try_recv().is_ok() {}
    }
}

enum Event {
    In(Result<Message, WebSocketError>),
    Closed,
    Out(Outgoing),
    Check,
    Pump,
}

async fn connect_once(
    url: &str,
    state: RwSignal<ChatState>,
    socket: Socket,
    stop: &AtomicBool,
) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(ws) = WebSocket::open(url) else {
        return outcome;
    };
    let (tx, rx) = mpsc::unbounded::<Outgoing>();
    socket.set_outgoing(Some(tx));
    let (mut sink, incoming) = ws.split();
    let incoming = incoming
        .map(Event::In)
        .chain(stream::once(futures::future::ready(Event::Closed)));
    let checks = IntervalStream::new(CHECK_EVERY_MS).map(|()| Event::Check);
    let pumps = IntervalStream::new(PUMP_EVERY_MS).map(|()| Event::Pump);
    // If the handle's sender is gone, the page that owned it is gone too: stop.
    let outgoing = rx
        .map(Event::Out)
        .chain(stream::once(futures::future::ready(Event::Closed)));
    let mut events = stream::select(
        incoming,
        stream::select(outgoing, stream::select(checks, pumps)),
    );

    let opened_at = browser::now_ms();
    let mut last_heard = opened_at;
    let mut welcomed_at: Option<Millis> = None;
    while let Some(event) = events.next().await {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let now = browser::now_ms();
        match event {
            Event::In(Ok(Message::Text(text))) => {
                last_heard = now;
                let frame = match serde_json::from_str::<ServerFrame>(&text) {
                    Ok(frame) => frame,
                    Err(error) => {
                        leptos::logging::warn!("ignoring a frame I do not understand: {error}");
                        continue;
                    }
                };
                if matches!(frame, ServerFrame::Welcome { .. }) {
                    welcomed_at = Some(now);
                }
                let visible = browser::page_visible();
                let Some((replies, alert)) = state.try_update(|s| {
                    let alert = s.alert(&frame, visible);
                    let mut replies = s.apply(frame, now);
                    replies.extend(s.due(now, visible));
                    replies.extend(s.activity(visible, now));
                    (replies, alert)
                }) else {
                    break;
                };
                if let Some(alert) = alert {
                    notifier::show(alert, move |key| {
                        let _ = state.try_update(|s| s.activate(&key));
                        socket.send_due(state);
                    });
                }
                for reply in replies {
                    if let Ok(text) = serde_json::to_string(&reply) {
                        let _ = sink.send(Message::Text(text)).await;
                    }
                }
            }
            Event::In(Ok(Message::Bytes(_))) => last_heard = now,
            Event::In(Err(WebSocketError::ConnectionClose(event))) => {
                outcome.close_code = Some(event.code);
            }
            Event::In(Err(_)) => {}
            Event::Closed | Event::Out(Outgoing::Close) => break,
            Event::Out(Outgoing::Text(text)) => {
                let _ = sink.send(Message::Text(text)).await;
            }
            Event::Pump => {
                let next = state
                    .try_maybe_update(|s| {
                        let frame = s.has_queued().then(|| s.next_send(now)).flatten();
                        (frame.is_some(), frame)
                    })
                    .flatten();
                if let Some(text) = next.and_then(|f| serde_json::to_string(&f).ok()) {
                    let _ = sink.send(Message::Text(text)).await;
                }
            }
            Event::Check => {
                let quiet = now.saturating_sub(last_heard);
                if welcomed_at.is_none() && now.saturating_sub(opened_at) > WELCOME_TIMEOUT_MS {
                    break;
                }
                if quiet > DEAD_AFTER_MS {
                    break;
                }
                if quiet > PING_AFTER_MS {
                    if let Ok(text) = serde_json::to_string(&ClientFrame::Ping { req: None }) {
                        let _ = sink.send(Message::Text(text)).await;
                    }
                }
            }
        }
    }
    outcome.welcomed_for = welcomed_at.map(|at| browser::now_ms().saturating_sub(at));
    // Dropping both halves closes the socket if it is still open.
    outcome
}
