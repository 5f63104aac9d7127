//! A load-generator process (`bench worker`): holds its share of the client connections and
//! does what the coordinator says on stdin, answering on stdout (see [`crate::wire`]).
//!
//! Single-threaded on purpose: the worker is pinned to one core, so a current-thread runtime
//! with a `LocalSet` spends nothing on synchronisation; client tasks share the [`Worker`]'s
//! books through `RefCell`s. Receivers record each message's latency in the histogram of the
//! phase its tag names, so late arrivals are counted where they belong.
//!
//! - [`client`]: opening one client and the task that serves it;
//! - [`http`]: claiming a name over HTTP.

pub mod client;
mod http;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::{spawn_local, LocalSet};
use tokio::time::{interval, timeout, MissedTickBehavior};

use self::client::Outgoing;
use crate::frames::{self, now_us};
use crate::proc;
use crate::wire::{histogram, user_name, Command, Event, Hist, MsgKind, PhaseReport, Target};

/// Longest time opening one client may take before it counts as failed.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);

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
}

#[derive(Default)]
struct Books {
    /// Per phase tag: what has arrived.
    phases: HashMap<u32, Phase>,
    /// Whether tags are broadcast ids to track (capacity) instead of phases.
    tracking: bool,
    /// Broadcasts not yet seen by every local client.
    pending: HashMap<u64, Pending>,
    /// Broadcasts sent from here: their sender does not receive them.
    own: HashSet<u64>,
    errors: u64,
    first_error: Option<String>,
    /// Ended connections by close code.
    closed: BTreeMap<u16, u64>,
    /// Clients open now.
    live: usize,
}

struct Phase {
    received: u64,
    latency: Histogram<u64>,
    last_recv_us: u64,
    acks: u64,
    ack_latency: Histogram<u64>,
    last_ack_us: u64,
}

impl Default for Phase {
    fn default() -> Self {
        Self {
            received: 0,
            latency: histogram(),
            last_recv_us: 0,
            acks: 0,
            ack_latency: histogram(),
            last_ack_us: 0,
        }
    }
}

#[derive(Default)]
struct Pending {
    count: usize,
    send_us: u64,
    last_us: u64,
}

/// What a [`Command::Connect`] asks for.
struct Opening {
    target: Target,
    first: usize,
    count: usize,
    concurrency: usize,
    join_own_room: bool,
    register: bool,
    tabs: usize,
}

/// What one [`Command::Connect`] has achieved so far.
struct Tally {
    opened: usize,
    failed: usize,
    first_error: Option<String>,
    setup: Histogram<u64>,
}

impl Tally {
    fn fail(&mut self, index: usize, clients: usize, error: &anyhow::Error) {
        self.failed += clients;
        self.first_error
            .get_or_insert_with(|| format!("client {index}: {error:#}"));
    }
}

fn latency(now: u64, sent: u64) -> u64 {
    now.saturating_sub(sent)
        .clamp(1, crate::wire::MAX_LATENCY_US)
}

impl Worker {
    fn new(events: mpsc::UnboundedSender<Event>) -> Self {
        Self {
            events,
            clients: RefCell::new(Vec::new()),
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
        }
    }

    async fn connect(self: Rc<Self>, opening: Opening) {
        let started = Instant::now();
        let opening = Rc::new(opening);
        let next = Rc::new(std::cell::Cell::new(opening.first));
        let tally = Rc::new(RefCell::new(Tally {
            opened: 0,
            failed: 0,
            first_error: None,
            setup: histogram(),
        }));
        let lanes: Vec<_> = (0..opening.concurrency.clamp(1, opening.count.max(1)))
            .map(|_| {
                let (worker, next, tally) = (self.clone(), next.clone(), tally.clone());
                spawn_local(worker.lane(opening.clone(), next, tally))
            })
            .collect();
        for lane in lanes {
            let _ = lane.await;
        }
        let tally = tally.borrow();
        self.emit(Event::Connected {
            opened: tally.opened,
            failed: tally.failed,
            first_error: tally.first_error.clone(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            setup: Hist::from_histogram(&tally.setup),
        });
    }

    /// One lane of a [`Command::Connect`]: takes the next user not yet taken, signs in and
    /// opens each of the user's tabs, until none is left.
    async fn lane(
        self: Rc<Self>,
        opening: Rc<Opening>,
        next: Rc<std::cell::Cell<usize>>,
        tally: Rc<RefCell<Tally>>,
    ) {
        let end = opening.first + opening.count;
        let mut http = http::Http::new(opening.target.addr);
        loop {
            let first = next.get();
            if first >= end {
                return;
            }
            let tabs_end = (first + opening.tabs).min(end);
            next.set(tabs_end);
            let user = first / opening.tabs;
            let t0 = Instant::now();
            let token = match timeout(
                OPEN_TIMEOUT,
                client::claim(&opening.target, user, &mut http),
            )
            .await
            {
                Ok(Ok(token)) => token,
                Ok(Err(e)) => {
                    tally.borrow_mut().fail(first, tabs_end - first, &e);
                    continue;
                }
                Err(_) => {
                    let e = anyhow::anyhow!("claiming a name took over {OPEN_TIMEOUT:?}");
                    tally.borrow_mut().fail(first, tabs_end - first, &e);
                    continue;
                }
            };
            for index in first..tabs_end {
                let t = if index == first { t0 } else { Instant::now() };
                let opened = timeout(
                    OPEN_TIMEOUT,
                    client::open(
                        &opening.target,
                        index,
                        user,
                        token.as_deref(),
                        opening.join_own_room,
                        opening.register,
                    ),
                )
                .await
                .map_err(|_| anyhow::anyhow!("opening took over {OPEN_TIMEOUT:?}"))
                .and_then(|r| r);
                let mut tally = tally.borrow_mut();
                match opened {
                    Ok(ws) => {
                        let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(0);
                        let _ = tally.setup.record(us.clamp(1, crate::wire::MAX_LATENCY_US));
                        tally.opened += 1;
                        self.adopt(index, ws);
                    }
                    Err(e) => tally.fail(index, 1, &e),
                }
            }
        }
    }

    /// Starts serving an opened client.
    fn adopt(self: &Rc<Self>, index: usize, ws: client::Ws) {
        let (tx, rx) = mpsc::unbounded_channel();
        self.clients.borrow_mut().push(Handle { index, tx });
        self.books.borrow_mut().live += 1;
        spawn_local(client::serve(ws, rx, self.clone()));
    }

    async fn pace(
        self: Rc<Self>,
        phase: u32,
        rate: f64,
        duration: Duration,
        senders: Option<usize>,
        msg: MsgKind,
        total_clients: usize,
    ) {
        let handles: Vec<Handle> = {
            let clients = self.clients.borrow();
            let n = senders.unwrap_or(clients.len()).min(clients.len());
            clients[..n].to_vec()
        };
        let tag = u64::from(phase);
        let room: Rc<str> = match &msg {
            MsgKind::Room { room } => room.as_str().into(),
            _ => "".into(),
        };
        let own_rooms: Vec<Rc<str>> = handles
            .iter()
            .map(|h| format!("r{}", h.index).into())
            .collect();
        let mut random = XorShift::new(u64::from(phase) * 7919 + 1);
        let cpu_before = proc::self_cpu();
        let started = Instant::now();
        let mut ticks = interval(Duration::from_millis(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut sent: u64 = 0;
        if !handles.is_empty() {
            loop {
                ticks.tick().await;
                let elapsed = started.elapsed();
                let done = elapsed >= duration;
                // The last tick rounds, so that a slow pace (a fraction of a message per
                // step on this worker) still sends what it should in all.
                let scheduled = elapsed.min(duration).as_secs_f64() * rate;
                let due = if done {
                    scheduled.round() as u64
                } else {
                    scheduled as u64
                };
                while sent < due {
                    let at = usize::try_from(sent).unwrap_or(0) % handles.len();
                    let sender = &handles[at];
                    let outgoing = match &msg {
                        MsgKind::Room { .. } => Outgoing::Room {
                            room: room.clone(),
                            tag,
                        },
                        MsgKind::Private => {
                            let others = total_clients.max(2) - 1;
                            let mut to =
                                usize::try_from(random.next() % others as u64).unwrap_or(0);
                            if to >= sender.index {
                                to += 1;
                            }
                            Outgoing::Private {
                                to: user_name(to).into(),
                                tag,
                            }
                        }
                        MsgKind::PrivateContacts { per_user } => Outgoing::Private {
                            to: user_name(contact(
                                sender.index,
                                total_clients,
                                *per_user,
                                random.next(),
                            ))
                            .into(),
                            tag,
                        },
                        MsgKind::OwnRoomAcked => Outgoing::AckedRoom {
                            room: own_rooms[at].clone(),
                            tag,
                            seq: sent,
                        },
                    };
                    let _ = sender.tx.send(outgoing);
                    sent += 1;
                }
                if done {
                    break;
                }
            }
        }
        let cpu = proc::self_cpu().saturating_sub(cpu_before);
        self.emit(Event::Paced {
            phase,
            sent,
            cpu_ms: cpu.as_secs_f64() * 1e3,
            wall_ms: started.elapsed().as_secs_f64() * 1e3,
        });
    }

    fn broadcast(&self, id: u64, sender: usize, room: String) {
        let handle = self.clients.borrow().get(sender).cloned();
        let Some(handle) = handle else {
            self.emit(Event::Failed {
                message: format!("no client at position {sender}"),
            });
            return;
        };
        let now = now_us();
        let alone = {
            let mut books = self.books.borrow_mut();
            books.own.insert(id);
            books.live <= 1
        };
        let _ = handle.tx.send(Outgoing::Room {
            room: room.into(),
            tag: id,
        });
        if alone {
            self.emit(Event::Done {
                id,
                send_us: now,
                last_us: now,
            });
        }
    }

    /// Books one frame from the server.
    pub fn on_frame(&self, text: &str) {
        match frames::frame_type(text) {
            Some("room_message" | "private_message") => {
                if let Some((tag, sent)) = frames::stamp(text, frames::BODY) {
                    self.delivered(tag, sent, now_us());
                }
            }
            Some("ack") => {
                if let Some((tag, sent)) = frames::stamp(text, frames::REQ) {
                    let now = now_us();
                    let mut books = self.books.borrow_mut();
                    let phase = books.phases.entry(phase_of(tag)).or_default();
                    phase.acks += 1;
                    phase.last_ack_us = phase.last_ack_us.max(now);
                    let _ = phase.ack_latency.record(latency(now, sent));
                }
            }
            Some("error") => {
                let mut books = self.books.borrow_mut();
                books.errors += 1;
                if books.first_error.is_none() {
                    books.first_error = Some(text.chars().take(300).collect());
                }
            }
            _ => {}
        }
    }

    fn delivered(&self, tag: u64, sent: u64, now: u64) {
        let mut books = self.books.borrow_mut();
        if books.tracking {
            let expected = books.live - usize::from(books.own.contains(&tag));
            let pending = books.pending.entry(tag).or_default();
            pending.count += 1;
            pending.send_us = sent;
            pending.last_us = pending.last_us.max(now);
            if pending.count >= expected {
                let (send_us, last_us) = (pending.send_us, pending.last_us);
                books.pending.remove(&tag);
                books.own.remove(&tag);
                drop(books);
                self.emit(Event::Done {
                    id: tag,
                    send_us,
                    last_us,
                });
            }
            return;
        }
        let phase = books.phases.entry(phase_of(tag)).or_default();
        phase.received += 1;
        phase.last_recv_us = phase.last_recv_us.max(now);
        let _ = phase.latency.record(latency(now, sent));
    }

    /// Books a client whose connection ended, with its close code (0: none).
    pub fn on_gone(&self, code: u16) {
        let mut books = self.books.borrow_mut();
        books.live = books.live.saturating_sub(1);
        *books.closed.entry(code).or_default() += 1;
    }

    fn collect(&self, phase: u32) -> PhaseReport {
        let mut books = self.books.borrow_mut();
        let seen = books.phases.remove(&phase).unwrap_or_default();
        PhaseReport {
            phase,
            received: seen.received,
            latency: Hist::from_histogram(&seen.latency),
            last_recv_us: seen.last_recv_us,
            acks: seen.acks,
            ack_latency: Hist::from_histogram(&seen.ack_latency),
            last_ack_us: seen.last_ack_us,
            errors: books.errors,
            first_error: books.first_error.clone(),
            closed: books.closed.iter().map(|(k, v)| (*k, *v)).collect(),
            live: books.live,
        }
    }
}

fn phase_of(tag: u64) -> u32 {
    u32::try_from(tag).unwrap_or(u32::MAX)
}

/// The contact of client `index` (of `total`) that `draw` (a random number) picks among its
/// `per_user` nearest: `index ± d`, wrapping, for `d` in `1..=per_user / 2`.
fn contact(index: usize, total: usize, per_user: usize, draw: u64) -> usize {
    let total = total.max(2);
    let half = (per_user / 2).clamp(1, total - 1);
    let pick = usize::try_from(draw % (2 * half) as u64).unwrap_or(0);
    let distance = pick / 2 + 1;
    if pick % 2 == 0 {
        (index + distance) % total
    } else {
        (index + total - distance) % total
    }
}

/// A small, fast pseudo-random generator (xorshift64*), enough to pick recipients.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Everyone `index` can draw as a contact.
    fn contacts(index: usize, total: usize, per_user: usize) -> BTreeSet<usize> {
        (0..1000)
            .map(|draw| contact(index, total, per_user, draw))
            .collect()
    }

    #[test]
    fn contacts_are_the_nearest_others_and_mutual() {
        let (total, per_user) = (1000, 10);
        assert_eq!(
            contacts(0, total, per_user),
            BTreeSet::from([1, 2, 3, 4, 5, 995, 996, 997, 998, 999])
        );
        let mut conversations = BTreeSet::new();
        for i in 0..total {
            let mine = contacts(i, total, per_user);
            assert_eq!(mine.len(), per_user, "client {i}");
            assert!(!mine.contains(&i), "client {i} writes to itself");
            for &j in &mine {
                assert!(contacts(j, total, per_user).contains(&i), "{i} -> {j}");
                conversations.insert((i.min(j), i.max(j)));
            }
        }
        assert_eq!(conversations.len(), total * per_user / 2);
    }

    #[test]
    fn few_clients_still_write_to_someone_else() {
        for total in 2..6 {
            for i in 0..total {
                let mine = contacts(i, total, 10);
                assert!(
                    !mine.is_empty() && !mine.contains(&i),
                    "{i} of {total}: {mine:?}"
                );
            }
        }
    }
}
