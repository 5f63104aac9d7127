//! What the worker's clients send: messages paced at a rate for a phase (to the room, to random
//! users, to contacts, or acknowledged to their own rooms), and single tracked broadcasts.

use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::time::{interval, MissedTickBehavior};

use super::client::Outgoing;
use super::{Handle, Worker};
use crate::frames::now_us;
use crate::proc;
use crate::wire::{user_name, Event, MsgKind};

impl Worker {
    /// Sends `rate` messages per second for `duration` from the first `senders` clients (all
    /// of them by default), then says how many it sent and the CPU time that took.
    pub(super) async fn pace(
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

    /// Sends one tracked broadcast from client `sender` (capacity).
    pub(super) fn broadcast(&self, id: u64, sender: usize, room: String) {
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
