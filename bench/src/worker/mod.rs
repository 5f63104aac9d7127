//! A load-generator process (`bench worker`): holds its share of the client connections and
//! does what the coordinator says on stdin, answering on stdout (see [`crate::wire`]).
//!
//! Single-threaded on purpose: the worker is pinned to one core, so a current-thread runtime
//! with a `LocalSet` spends nothing on synchronisation; client tasks share the [`Worker`]'s
//! books through `RefCell`s. Receivers record each message's latency in the histogram of the
//! phase its tag names, so late arrivals are counted where they belong.
//!
//! - [`client`]: opening one client and the task that serves it;
//! - [`http`]: claiming a name over HTTP;
//! - [`connect`]: opening the clients a coordinator asks for, a few at once;
//! - [`send`]: sending at a pace, and tracked broadcasts;
//! - [`books`]: what has been received, and the report of a phase.

mod books;
pub mod client;
mod connect;
pub mod http;
mod send;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::{spawn_local, LocalSet};

use self::books::Books;
use self::client::Outgoing;
use self::connect::Opening;
use crate::wire::{Command, Event};

/// Runs a worker until its stdin closes.
pub fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    LocalSet::new().block_on(&runtime, run())
}

async fn run() -> Result<()> {
    let (events, to_stdout) = mpsc::unbounded_channel();
    spawn_local(write_events(to_stdout));
    let worker = Rc::new(Worker::new(events));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let command: Command = serde_json::from_str(&line).context("reading a command")?;
        worker.clone().handle(command);
    }
    Ok(())
}

async fn write_events(mut events: mpsc::UnboundedReceiver<Event>) {
    let mut stdout = tokio::io::stdout();
    while let Some(event) = events.recv().await {
        let mut line = serde_json::to_string(&event).expect("events serialize");
        line.push('\n');
        if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
            return;
        }
    }
}

/// The worker's clients and its books.
pub struct Worker {
    /// Events for the coordinator.
    events: mpsc::UnboundedSender<Event>,
    /// Every client opened, in the order they opened.
    clients: RefCell<Vec<Handle>>,
    /// The clients dropped by [`Command::Drop`], until they reconnect.
    dropped: RefCell<Vec<Comeback>>,
    /// What has been received.
    books: RefCell<Books>,
}

/// How the worker reaches one client task.
#[derive(Clone)]
struct Handle {
    /// The client's global index (its name is `u<index>`).
    index: usize,
    /// Messages for it to send.
    tx: mpsc::UnboundedSender<Outgoing>,
    /// How it comes back after a [`Command::Drop`].
    comeback: Comeback,
}

/// What a client needs to open its connection again: its index, its user and its session
/// token (our protocol).
#[derive(Clone)]
pub(super) struct Comeback {
    pub(super) index: usize,
    pub(super) user: usize,
    pub(super) token: Option<Rc<str>>,
}

impl Worker {
    fn new(events: mpsc::UnboundedSender<Event>) -> Self {
        Self {
            events,
            clients: RefCell::new(Vec::new()),
            dropped: RefCell::new(Vec::new()),
            books: RefCell::new(Books::default()),
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn handle(self: Rc<Self>, command: Command) {
        match command {
            Command::Connect {
                target,
                first,
                count,
                concurrency,
                join_own_room,
                register,
                tabs,
            } => {
                let opening = Opening {
                    target,
                    first,
                    count,
                    concurrency,
                    join_own_room,
                    register,
                    tabs: tabs.max(1),
                };
                spawn_local(self.connect(opening));
            }
            Command::Pace {
                phase,
                rate,
                duration_ms,
                senders,
                msg,
                total_clients,
            } => {
                spawn_local(self.pace(
                    phase,
                    rate,
                    Duration::from_millis(duration_ms),
                    senders,
                    msg,
                    total_clients,
                ));
            }
            Command::Track { enabled } => {
                let mut books = self.books.borrow_mut();
                books.tracking = enabled;
                books.pending.clear();
                books.own.clear();
            }
            Command::Broadcast { id, sender, room } => self.broadcast(id, sender, room),
            Command::Peek { phase } => {
                let received = self
                    .books
                    .borrow()
                    .phases
                    .get(&phase)
                    .map_or(0, |p| p.received + p.acks);
                self.emit(Event::Peeked { phase, received });
            }
            Command::Collect { phase } => {
                let report = self.collect(phase);
                self.emit(Event::Collected(Box::new(report)));
            }
            Command::Drop => {
                spawn_local(self.drop_all());
            }
            Command::Reconnect {
                target,
                concurrency,
            } => {
                spawn_local(self.reconnect(target, concurrency));
            }
        }
    }

    /// Starts serving an opened client.
    fn adopt(self: &Rc<Self>, comeback: Comeback, ws: client::Ws) {
        let (tx, rx) = mpsc::unbounded_channel();
        self.clients.borrow_mut().push(Handle {
            index: comeback.index,
            tx,
            comeback,
        });
        self.books.borrow_mut().live += 1;
        spawn_local(client::serve(ws, rx, self.clone()));
    }
}
