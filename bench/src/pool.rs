//! The coordinator's side of the workers: spawning them (this binary, `bench worker`, pinned
//! to the load-generator core), spreading clients over them, and merging what they report.
//!
//! Clients get global indexes in the order they are opened; each [`Pool::connect`] hands every
//! worker a contiguous slice so that the workers stay balanced. Every worker loads one server:
//! the same one for all ([`Pool::spawn`]), or, for several nodes, worker `w` the node
//! `w mod nodes` ([`Pool::spawn_spread`]).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command as Process};
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::wire::{histogram, Command, Event, MsgKind, Target};

/// Longest wait for a worker to answer a command that does not open connections.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a batch of connections to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(900);

/// The workers of one scenario.
pub struct Pool {
    workers: Vec<WorkerProc>,
    /// Events of every worker, tagged with the worker's position.
    events: mpsc::UnboundedReceiver<(usize, Event)>,
}

struct WorkerProc {
    /// The server its clients connect to.
    target: Target,
    /// Killed when the pool is dropped.
    _child: Child,
    stdin: ChildStdin,
    /// Clients opened on it.
    clients: usize,
}

/// Which clients send during a [`Pool::pace`].
#[derive(Debug, Clone, Copy)]
pub enum Senders {
    /// The first `n` clients of the first worker.
    First(usize),
    /// `n` clients in all, spread over the workers (worker `w` has `n / workers` of them, one
    /// more when `w < n mod workers`), each sending its share of the rate.
    Spread(usize),
    /// Every client, the rate shared out by the workers' sizes.
    All,
}

/// The outcome of a [`Pool::connect`].
#[derive(Debug)]
pub struct Opened {
    pub opened: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// Wall time of the slowest worker.
    pub elapsed: Duration,
    /// Time to open one client.
    pub setup: Histogram<u64>,
}

/// The outcome of a [`Pool::pace`].
#[derive(Debug, Clone, Copy)]
pub struct Paced {
    pub sent: u64,
    /// CPU the workers used while sending, and the wall time it took.
    pub cpu: Duration,
    pub wall: Duration,
}

/// Everything the workers saw of one phase.
#[derive(Debug)]
pub struct Collected {
    pub received: u64,
    pub latency: Histogram<u64>,
    pub last_recv_us: u64,
    pub acks: u64,
    pub ack_latency: Histogram<u64>,
    pub last_ack_us: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Ended connections by close code, so far.
    pub closed: BTreeMap<u16, u64>,
    pub live: usize,
}

impl Collected {
    pub fn closed_total(&self) -> u64 {
        self.closed.values().sum()
    }
}

impl Pool {
    /// Starts `count` workers pinned to `core`, all loading `target`.
    pub async fn spawn(count: usize, core: usize, target: Target) -> Result<Self> {
        Self::spawn_spread(count, core, &[target]).await
    }

    /// Starts `count` workers pinned to `core`; worker `w` loads `targets[w % targets.len()]`.
    pub async fn spawn_spread(count: usize, core: usize, targets: &[Target]) -> Result<Self> {
        if targets.is_empty() {
            bail!("no server to load");
        }
        let exe = std::env::current_exe().context("locating this binary")?;
        let (tx, events) = mpsc::unbounded_channel();
        let mut workers = Vec::with_capacity(count);
        for position in 0..count {
            let mut child = Process::new("taskset")
                .arg("-c")
                .arg(core.to_string())
                .arg(&exe)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .context("starting a worker")?;
            let stdin = child.stdin.take().context("worker stdin")?;
            let stdout = child.stdout.take().context("worker stdout")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let event = serde_json::from_str(&line).unwrap_or_else(|e| Event::Failed {
                        message: format!("unreadable event {line:.200}: {e}"),
                    });
                    if tx.send((position, event)).is_err() {
                        return;
                    }
                }
                let _ = tx.send((
                    position,
                    Event::Failed {
                        message: "the worker exited".to_owned(),
                    },
                ));
            });
            workers.push(WorkerProc {
                target: targets[position % targets.len()],
                _child: child,
                stdin,
                clients: 0,
            });
        }
        Ok(Self { workers, events })
    }

    /// Clients opened so far, on all workers.
    pub fn clients(&self) -> usize {
        self.workers.iter().map(|w| w.clients).sum()
    }

    /// Clients opened so far on worker `w`.
    pub fn clients_on(&self, w: usize) -> usize {
        self.workers[w].clients
    }

    pub fn len(&self) -> usize {
        self.workers.len()
    }

    async fn send(&mut self, w: usize, command: &Command) -> Result<()> {
        let mut line = serde_json::to_string(command)?;
        line.push('\n');
        self.workers[w]
            .stdin
            .write_all(line.as_bytes())
            .await
            .context("writing to a worker")?;
        self.workers[w].stdin.flush().await?;
        Ok(())
    }

    /// The next event of any worker, within `wait`. A worker's failure is an error.
    pub async fn event(&mut self, wait: Duration) -> Result<Option<(usize, Event)>> {
        match timeout(wait, self.events.recv()).await {
            Err(_) => Ok(None),
            Ok(None) => bail!("every worker is gone"),
            Ok(Some((w, Event::Failed { message }))) => bail!("worker {w}: {message}"),
            Ok(Some(event)) => Ok(Some(event)),
        }
    }

    /// Waits until each worker in `from` has sent an event that `pick` accepts; other events
    /// are dropped.
    async fn answers<T>(
        &mut self,
        from: &[usize],
        wait: Duration,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<Vec<T>> {
        let mut answers: Vec<Option<T>> = (0..self.workers.len()).map(|_| None).collect();
        let deadline = tokio::time::Instant::now() + wait;
        while from.iter().any(|w| answers[*w].is_none()) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some((w, event)) = self.event(left).await? else {
                bail!("no answer from the workers within {wait:?}");
            };
            if let Some(answer) = pick(event) {
                answers[w] = Some(answer);
            }
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// Opens `count` more clients, `concurrency` at a time in total, spread so that the
    /// workers stay balanced. With `tabs` > 1 every `tabs` clients are one user's connections
    /// (`count` and the clients so far should be multiples of `tabs`).
    pub async fn connect(
        &mut self,
        count: usize,
        concurrency: usize,
        join_own_room: bool,
        register: bool,
        tabs: usize,
    ) -> Result<Opened> {
        let n = self.workers.len();
        let tabs = tabs.max(1);
        let total = self.clients() + count;
        let share = total.div_ceil(n).next_multiple_of(tabs);
        let mut first = self.clients();
        let mut left = count;
        let mut involved = Vec::new();
        let lanes = concurrency.div_ceil(n).max(1);
        for w in 0..n {
            let take = share.saturating_sub(self.workers[w].clients).min(left);
            if take == 0 {
                continue;
            }
            let command = Command::Connect {
                target: self.workers[w].target,
                first,
                count: take,
                concurrency: lanes,
                join_own_room,
                register,
                tabs,
            };
            self.send(w, &command).await?;
            involved.push(w);
            first += take;
            left -= take;
        }
        self.opened(&involved).await
    }

    /// Waits for the `Connected` answer of each worker of `involved`, counts their clients
    /// and merges the answers: the slowest worker's time, every worker's setup latencies.
    async fn opened(&mut self, involved: &[usize]) -> Result<Opened> {
        let answers = self
            .answers(involved, CONNECT_TIMEOUT, |e| match e {
                Event::Connected {
                    opened,
                    failed,
                    first_error,
                    elapsed_ms,
                    setup,
                } => Some((opened, failed, first_error, elapsed_ms, setup)),
                _ => None,
            })
            .await?;
        let mut outcome = Opened {
            opened: 0,
            failed: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            setup: histogram(),
        };
        for (w, (opened, failed, first_error, elapsed_ms, setup)) in involved.iter().zip(answers) {
            self.workers[*w].clients += opened;
            outcome.opened += opened;
            outcome.failed += failed;
            if outcome.first_error.is_none() {
                outcome.first_error = first_error;
            }
            outcome.elapsed = outcome
                .elapsed
                .max(Duration::from_secs_f64(elapsed_ms / 1e3));
            setup.add_to(&mut outcome.setup);
        }
        Ok(outcome)
    }

    /// Drops every client's connection at once, on every worker (see [`Command::Drop`]);
    /// returns how many were dropped once all are gone.
    pub async fn drop_all(&mut self) -> Result<usize> {
        let all: Vec<usize> = (0..self.workers.len()).collect();
        for w in &all {
            self.send(*w, &Command::Drop).await?;
        }
        let answers = self
            .answers(&all, ANSWER_TIMEOUT, |e| match e {
                Event::Dropped { count } => Some(count),
                _ => None,
            })
            .await?;
        for worker in &mut self.workers {
            worker.clients = 0;
        }
        Ok(answers.iter().sum())
    }

    /// Opens every dropped client again with its session token, all workers at once, each
    /// `concurrency` at a time (see [`Command::Reconnect`]). `elapsed` is the slowest
    /// worker's time from its command to its last welcome.
    pub async fn reconnect(&mut self, concurrency: usize) -> Result<Opened> {
        let all: Vec<usize> = (0..self.workers.len()).collect();
        for w in &all {
            let command = Command::Reconnect {
                target: self.workers[*w].target,
                concurrency,
            };
            self.send(*w, &command).await?;
        }
        self.opened(&all).await
    }

    /// Sends `rate` messages per second in total for `duration`, tagged `phase`.
    pub async fn pace(
        &mut self,
        phase: u32,
        rate: f64,
        duration: Duration,
        senders: Senders,
        msg: MsgKind,
    ) -> Result<Paced> {
        let total = self.clients();
        let mut involved = Vec::new();
        for w in 0..self.workers.len() {
            let (worker_rate, worker_senders) = match senders {
                Senders::First(k) if w == 0 => (rate, Some(k)),
                Senders::First(_) => continue,
                Senders::Spread(k) => {
                    let n = self.workers.len();
                    let mine = k / n + usize::from(w < k % n);
                    if mine == 0 {
                        continue;
                    }
                    (rate * mine as f64 / k as f64, Some(mine))
                }
                Senders::All => (
                    rate * self.workers[w].clients as f64 / total.max(1) as f64,
                    None,
                ),
            };
            if self.workers[w].clients == 0 {
                continue;
            }
            let command = Command::Pace {
                phase,
                rate: worker_rate,
                duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
                senders: worker_senders,
                msg: msg.clone(),
                total_clients: total,
            };
            self.send(w, &command).await?;
            involved.push(w);
        }
        let answers = self
            .answers(&involved, duration + ANSWER_TIMEOUT, |e| match e {
                Event::Paced {
                    sent,
                    cpu_ms,
                    wall_ms,
                    phase: p,
                } if p == phase => Some((sent, cpu_ms, wall_ms)),
                _ => None,
            })
            .await?;
        let mut paced = Paced {
            sent: 0,
            cpu: Duration::ZERO,
            wall: Duration::ZERO,
        };
        for (sent, cpu_ms, wall_ms) in answers {
            paced.sent += sent;
            paced.cpu += Duration::from_secs_f64(cpu_ms / 1e3);
            paced.wall = paced.wall.max(Duration::from_secs_f64(wall_ms / 1e3));
        }
        Ok(paced)
    }

    /// How many messages of `phase` have arrived so far, on all workers.
    pub async fn peek(&mut self, phase: u32) -> Result<u64> {
        let all: Vec<usize> = (0..self.workers.len()).collect();
        for w in &all {
            self.send(*w, &Command::Peek { phase }).await?;
        }
        let answers = self
            .answers(&all, ANSWER_TIMEOUT, |e| match e {
                Event::Peeked { phase: p, received } if p == phase => Some(received),
                _ => None,
            })
            .await?;
        Ok(answers.iter().sum())
    }

    /// Waits until `expected` messages of `phase` have arrived or `limit` has passed.
    pub async fn drain(&mut self, phase: u32, expected: u64, limit: Duration) -> Result<u64> {
        let started = tokio::time::Instant::now();
        loop {
            let received = self.peek(phase).await?;
            if received >= expected || started.elapsed() >= limit {
                return Ok(received);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything about `phase`, merged over the workers; they forget it.
    pub async fn collect(&mut self, phase: u32) -> Result<Collected> {
        let all: Vec<usize> = (0..self.workers.len()).collect();
        for w in &all {
            self.send(*w, &Command::Collect { phase }).await?;
        }
        let reports = self
            .answers(&all, ANSWER_TIMEOUT, |e| match e {
                Event::Collected(report) if report.phase == phase => Some(report),
                _ => None,
            })
            .await?;
        let mut merged = Collected {
            received: 0,
            latency: histogram(),
            last_recv_us: 0,
            acks: 0,
            ack_latency: histogram(),
            last_ack_us: 0,
            errors: 0,
            first_error: None,
            closed: BTreeMap::new(),
            live: 0,
        };
        for report in reports {
            merged.received += report.received;
            report.latency.add_to(&mut merged.latency);
            merged.last_recv_us = merged.last_recv_us.max(report.last_recv_us);
            merged.acks += report.acks;
            merged.last_ack_us = merged.last_ack_us.max(report.last_ack_us);
            report.ack_latency.add_to(&mut merged.ack_latency);
            merged.errors += report.errors;
            if merged.first_error.is_none() {
                merged.first_error = report.first_error;
            }
            for (code, n) in report.closed {
                *merged.closed.entry(code).or_default() += n;
            }
            merged.live += report.live;
        }
        Ok(merged)
    }

    /// Turns broadcast tracking on or off on every worker.
    pub async fn track(&mut self, enabled: bool) -> Result<()> {
        for w in 0..self.workers.len() {
            self.send(w, &Command::Track { enabled }).await?;
        }
        Ok(())
    }

    /// Sends broadcast `id` from the client at position `sender` of worker `w`.
    pub async fn broadcast(&mut self, w: usize, sender: usize, id: u64, room: &str) -> Result<()> {
        self.send(
            w,
            &Command::Broadcast {
                id,
                sender,
                room: room.to_owned(),
            },
        )
        .await
    }
}
