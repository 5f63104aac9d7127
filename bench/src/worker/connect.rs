//! Opening the clients of a [`Command::Connect`](crate::wire::Command::Connect): a few lanes at
//! once, each taking the next user not yet taken, claiming its name and opening each of its
//! tabs; the tally goes back to the coordinator as one [`Event::Connected`]. Also dropping
//! every client at once ([`Command::Drop`](crate::wire::Command::Drop)) and opening them again
//! with their tokens ([`Command::Reconnect`](crate::wire::Command::Reconnect)): a reconnect
//! storm.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::task::spawn_local;
use tokio::time::timeout;

use super::{client, http, Comeback, Worker};
use crate::wire::{histogram, Event, Hist, Target, MAX_LATENCY_US};

/// How often a drop checks whether every dropped client is gone.
const GONE_POLL: Duration = Duration::from_millis(10);

/// Longest time opening one client may take before it counts as failed.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);

/// What a [`Command::Connect`](crate::wire::Command::Connect) asks for.
pub(super) struct Opening {
    pub(super) target: Target,
    pub(super) first: usize,
    pub(super) count: usize,
    pub(super) concurrency: usize,
    pub(super) join_own_room: bool,
    pub(super) register: bool,
    pub(super) tabs: usize,
}

/// What one [`Command::Connect`](crate::wire::Command::Connect) has achieved so far.
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

impl Worker {
    /// Opens the clients `opening` asks for, then says how many opened and how fast.
    pub(super) async fn connect(self: Rc<Self>, opening: Opening) {
        let started = Instant::now();
        let opening = Rc::new(opening);
        let next = Rc::new(Cell::new(opening.first));
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

    /// Drops every client at once, keeping how each comes back; says how many once all are
    /// gone.
    pub(super) async fn drop_all(self: Rc<Self>) {
        let handles = std::mem::take(&mut *self.clients.borrow_mut());
        let count = handles.len();
        self.dropped
            .borrow_mut()
            .extend(handles.into_iter().map(|h| h.comeback));
        // Each client's task ends when its sender is dropped (above), dropping its socket.
        while self.books.borrow().live > 0 {
            tokio::time::sleep(GONE_POLL).await;
        }
        self.emit(Event::Dropped { count });
    }

    /// Opens every dropped client again with its token, `concurrency` at a time (each done at
    /// its welcome, as the web client asks for nothing more until its user does), then says
    /// how many opened and how fast.
    pub(super) async fn reconnect(self: Rc<Self>, target: Target, concurrency: usize) {
        let started = Instant::now();
        let left = Rc::new(RefCell::new(std::mem::take(
            &mut *self.dropped.borrow_mut(),
        )));
        let tally = Rc::new(RefCell::new(Tally {
            opened: 0,
            failed: 0,
            first_error: None,
            setup: histogram(),
        }));
        let lanes: Vec<_> = (0..concurrency.clamp(1, left.borrow().len().max(1)))
            .map(|_| {
                let (worker, left, tally) = (self.clone(), left.clone(), tally.clone());
                spawn_local(async move {
                    loop {
                        let Some(comeback) = left.borrow_mut().pop() else {
                            return;
                        };
                        let t = Instant::now();
                        let opened = timeout(
                            OPEN_TIMEOUT,
                            client::open(
                                &target,
                                comeback.index,
                                comeback.user,
                                comeback.token.as_deref(),
                                false,
                                false,
                            ),
                        )
                        .await
                        .map_err(|_| anyhow::anyhow!("opening took over {OPEN_TIMEOUT:?}"))
                        .and_then(|r| r);
                        let mut tally = tally.borrow_mut();
                        match opened {
                            Ok(ws) => {
                                let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(0);
                                let _ = tally.setup.record(us.clamp(1, MAX_LATENCY_US));
                                tally.opened += 1;
                                worker.adopt(comeback, ws);
                            }
                            Err(e) => tally.fail(comeback.index, 1, &e),
                        }
                    }
                })
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

    /// One lane of a [`Command::Connect`](crate::wire::Command::Connect): takes the next user not yet taken, signs in and
    /// opens each of the user's tabs, until none is left.
    async fn lane(
        self: Rc<Self>,
        opening: Rc<Opening>,
        next: Rc<Cell<usize>>,
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
                Ok(Ok(token)) => token.map(Rc::<str>::from),
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
                        let _ = tally.setup.record(us.clamp(1, MAX_LATENCY_US));
                        tally.opened += 1;
                        let comeback = Comeback {
                            index,
                            user,
                            token: token.clone(),
                        };
                        self.adopt(comeback, ws);
                    }
                    Err(e) => tally.fail(index, 1, &e),
                }
            }
        }
    }
}
