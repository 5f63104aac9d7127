//! Our sends. A message shows at once and waits its turn: messages go out one at a time, in
//! the order they were written, each after the previous one was answered, and no faster than
//! the [`Pacer`] allows. So a send refused `rate_limited` (or `unavailable`) is simply sent
//! again after a back-off, with the request id it always had, and nothing written after it
//! can overtake it. While the connection is down, messages wait for it (not a failure) and go
//! out after the next `welcome`. A message shows as failed only when it truly failed: the
//! server refused it (with its reason), it was refused for its rate too often in a row, or no
//! answer came within [`ACK_TIMEOUT_MS`] (it then goes out again after the next `welcome`).

use shared::changes::MessageDetails;
use shared::{ClientFrame, ErrorCode};

use super::changes::OwnChange;
use super::composer::{check_body, BodyProblem};
use super::pacer::Pacer;
use super::{ChatState, ConvKey};
use crate::sorted::SortedMap;
use crate::timeline::{Delivery, Line, LineKind, Message, Millis};

/// A send without `ack` after this long is shown as failed.
pub const ACK_TIMEOUT_MS: Millis = 10_000;

/// After this many `rate_limited` answers in a row, a send shows as failed.
pub const MAX_RATE_REFUSALS: u32 = 10;

/// Our sends not confirmed yet: those waiting their turn, and the one on the wire. The
/// messages themselves, with their [`Delivery`], are lines of their conversations.
#[derive(Debug, Clone, Default)]
pub(super) struct Outbox {
    /// Waiting to go out, by line sequence number (the order they were written): request id
    /// and conversation. Our changes (edits, deletions, reactions) wait here too.
    pub(super) queued: SortedMap<u64, (String, ConvKey)>,
    /// Our changes not yet acknowledged (queued, on the wire, or waiting for a reconnect after
    /// no answer came).
    pub(super) changes: Vec<OwnChange>,
    /// The one send on the wire, waiting for its `ack` or `error`.
    in_flight: Option<InFlight>,
    /// How fast sends may go.
    pacer: Pacer,
}

/// The send on the wire.
#[derive(Debug, Clone)]
struct InFlight {
    req: String,
    key: ConvKey,
    seq: u64,
    sent_at: Millis,
}

impl Outbox {
    /// Whether `req` is our send on the wire.
    pub(super) fn waiting(&self, req: &str) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.req == req)
    }

    /// Forgets the sends to a conversation that is no longer held.
    pub(super) fn forget(&mut self, key: &ConvKey) {
        self.queued.retain(|_, (_, k)| k != key);
        self.changes.retain(|c| &c.key != key);
        if self.in_flight.as_ref().is_some_and(|f| &f.key == key) {
            self.in_flight = None;
        }
    }

    /// The server's budget, from `welcome.limits`.
    pub(super) fn set_limits(&mut self, rate_per_sec: u32, burst: u32) {
        self.pacer.set_limits(rate_per_sec, burst);
    }

    /// Our change with line number `seq`, if it is one.
    fn change(&self, seq: u64) -> Option<&OwnChange> {
        self.changes.iter().find(|c| c.seq == seq)
    }
}

/// What a refused send says: the true reason, in words.
pub(super) fn refusal_text(code: ErrorCode, message: &str) -> String {
    let why = match code {
        ErrorCode::BodyTooLong => "Too long".to_owned(),
        ErrorCode::EmptyBody => "Empty".to_owned(),
        ErrorCode::NotMember => "You are not a member of this room".to_owned(),
        ErrorCode::RateLimited => "Rate limited: sent too fast, too often".to_owned(),
        _ if message.trim().is_empty() => code.as_str().replace('_', " "),
        _ => return message.to_owned(),
    };
    if message.trim().is_empty() {
        format!("{why}.")
    } else {
        format!("{why} ({message}).")
    }
}

impl ChatState {
    /// Whether the composer of a conversation can send now, and if not, why. Private
    /// messages to someone offline are stored for them, so only the connection and room
    /// membership matter.
    pub fn send_blocker(&self, key: &ConvKey) -> Option<String> {
        if !self.is_connected() {
            return Some(
                "Not connected: what you send waits and goes out once the connection is back."
                    .into(),
            );
        }
        match key {
            ConvKey::Room(room) => match self.conversation(key) {
                Some(c) if c.joined => None,
                _ => Some(format!("Joining #{room}…")),
            },
            ConvKey::Direct(_) => None,
        }
    }

    /// Sends `body` to a conversation: the message appears at once, on its way or waiting
    /// for its turn or the connection. Returns the frame to send now, if it may go now. The
    /// request id chosen here stays with the message for every attempt.
    pub fn send(
        &mut self,
        key: &ConvKey,
        body: &str,
        now: Millis,
    ) -> Result<Option<ClientFrame>, BodyProblem> {
        self.send_files(key, body, Vec::new(), now)
    }

    /// [`Self::send`] with files uploaded already: with one or more, the body may be empty.
    pub fn send_files(
        &mut self,
        key: &ConvKey,
        body: &str,
        attachments: Vec<shared::Attachment>,
        now: Millis,
    ) -> Result<Option<ClientFrame>, BodyProblem> {
        if attachments.is_empty() || !body.trim().is_empty() {
            check_body(body)?;
        }
        let body = body.trim_end_matches(['\n', '\r']).to_owned();
        let req = self.reqs.take();
        let connected = self.is_connected();
        // Connected, but not (yet) in the room: that is a true refusal.
        let refused = self.send_blocker(key).filter(|_| connected);
        let seq = self.convs.take_seq();
        let me = self.me.clone();
        let reply = self.reply_quote(key);
        if reply.is_some() {
            self.replying = None;
        }
        let conv = self.convs.entry(key, key.name());
        let delivery = match &refused {
            Some(reason) => Delivery::Failed {
                reason: reason.clone(),
                req: req.clone(),
                resend: false,
            },
            None => Delivery::Queued {
                req: req.clone(),
                for_link: !connected,
            },
        };
        conv.place(Line {
            seq,
            at: now,
            kind: LineKind::Message(Message {
                id: None,
                from: me,
                body,
                at: now,
                own: true,
                mentions_me: false,
                delivery,
                details: MessageDetails {
                    reply,
                    attachments,
                    ..MessageDetails::default()
                },
                rev: 0,
            }),
        });
        conv.trim();
        if refused.is_some() {
            return Ok(None);
        }
        self.outbox.queued.insert(seq, (req, key.clone()));
        Ok(self.next_send(now))
    }

    /// Sends a failed message again, in its place among those waiting, with the request id
    /// it always had, so the server stores it once even if an earlier attempt got through.
    /// Returns the frame to send now, if it may go now.
    pub fn retry(&mut self, key: &ConvKey, seq: u64, now: Millis) -> Option<ClientFrame> {
        // The person asked: the refusals so far do not count against this attempt.
        self.outbox.pacer.accepted();
        self.requeue_failed(key, seq);
        self.next_send(now)
    }

    /// Every failed message goes out again, in the order they were written ("Retry all").
    pub fn retry_all(&mut self, now: Millis) -> Option<ClientFrame> {
        let failed: Vec<(ConvKey, u64)> = self
            .convs
            .iter()
            .flat_map(|c| {
                c.lines
                    .iter()
                    .filter(|l| {
                        l.message()
                            .is_some_and(|m| matches!(m.delivery, Delivery::Failed { .. }))
                    })
                    .map(|l| (c.key.clone(), l.seq))
            })
            .collect();
        self.outbox.pacer.accepted();
        for (key, seq) in failed {
            self.requeue_failed(&key, seq);
        }
        self.next_send(now)
    }

    /// How many of our messages show as failed, in every conversation.
    pub fn failed_count(&self) -> usize {
        self.convs
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter(|l| {
                l.message()
                    .is_some_and(|m| matches!(m.delivery, Delivery::Failed { .. }))
            })
            .count()
    }

    /// The next of our messages to send, if one may go now: connected, nothing on the wire,
    /// and the pacer allows it. It shows as on its way from now.
    pub fn next_send(&mut self, now: Millis) -> Option<ClientFrame> {
        if !self.is_connected() || self.outbox.in_flight.is_some() {
            return None;
        }
        while let Some((&seq, _)) = self.outbox.queued.first_key_value() {
            if !self.outbox.pacer.ready(now) {
                return None;
            }
            let (req, key) = self.outbox.queued.remove(&seq)?;
            let frame = if let Some(change) = self.outbox.change(seq) {
                change.frame()
            } else {
                let Some(message) = self.own_message(&key, seq) else {
                    continue;
                };
                message.delivery = Delivery::Pending {
                    req: req.clone(),
                    sent_at: now,
                };
                let body = message.body.clone();
                let reply_to = message.details.reply.as_ref().map(|q| q.id);
                let files = message.details.attachments.iter();
                let files = files.map(|a| a.id.clone()).collect();
                self.frame_for(&key, body, reply_to, files, req.clone())
            };
            self.outbox.pacer.spend(now);
            self.outbox.in_flight = Some(InFlight {
                req,
                key,
                seq,
                sent_at: now,
            });
            return Some(frame);
        }
        None
    }

    /// Whether any of our messages waits to go out (the connection's pump asks often).
    pub fn has_queued(&self) -> bool {
        !self.outbox.queued.is_empty()
    }

    /// The frame could not be handed to the connection at all: a send waits for the next
    /// connection, a history request is forgotten.
    pub fn send_failed(&mut self, frame: &ClientFrame) {
        let Some(req) = frame.req() else {
            return;
        };
        if self.outbox.waiting(req) {
            self.back_in_line(true);
        }
        self.history_lost(req);
    }

    /// After a `welcome`: everything waiting for the connection, and what had no answer, goes
    /// out in the order it was written, with the request ids it had (one the server already
    /// stored is acknowledged, not stored twice). Returns the first frame to send.
    pub(super) fn resend(&mut self, now: Millis) -> Option<ClientFrame> {
        let mut again = Vec::new();
        for conv in self.convs.iter_mut() {
            for line in &mut conv.lines {
                let seq = line.seq;
                let Some(message) = line.message_mut() else {
                    continue;
                };
                let req = match &message.delivery {
                    Delivery::Queued { req, .. }
                    | Delivery::Failed {
                        req, resend: true, ..
                    } => req.clone(),
                    _ => continue,
                };
                message.delivery = Delivery::Queued {
                    req: req.clone(),
                    for_link: false,
                };
                again.push((seq, req, conv.key.clone()));
            }
        }
        for (seq, req, key) in again {
            self.outbox.queued.insert(seq, (req, key));
        }
        for change in &self.outbox.changes {
            let waiting = (change.req.clone(), change.key.clone());
            self.outbox.queued.insert(change.seq, waiting);
        }
        self.next_send(now)
    }

    /// The server's `ack`: our send is stored under `id`. It takes its place by that id.
    pub(super) fn acked(&mut self, req: &str, id: u64, at: Millis) {
        if self.outbox.waiting(req) {
            self.outbox.in_flight = None;
            self.outbox.pacer.accepted();
        }
        self.outbox.queued.retain(|_, (r, _)| r != req);
        self.resume.reached(id);
        if let Some(i) = self.outbox.changes.iter().position(|c| c.req == req) {
            let own = self.outbox.changes.remove(i);
            self.apply_change(&own.key, own.id, own.change, at);
            return;
        }
        let found = self.convs.iter_mut().find_map(|conv| {
            conv.lines
                .iter()
                .position(|l| l.message().is_some_and(|m| m.delivery.req() == Some(req)))
                .map(|l| (conv, l))
        });
        let Some((conv, l)) = found else {
            return;
        };
        conv.last_id = conv.last_id.max(id);
        let mut line = conv.lines.remove(l);
        if conv.has_id(id) {
            // It reached us already (replayed after a reconnect): keep that copy only.
            return;
        }
        if let Some(message) = line.message_mut() {
            message.id = Some(id);
            message.at = at;
            message.delivery = Delivery::Confirmed;
        }
        line.at = at;
        conv.place(line);
    }

    /// The server refused our send on the wire. For its rate (or because it could not store
    /// it just then) it goes out again after a back-off, before anything written after it;
    /// otherwise it has failed, for the reason the server gave. Returns whether it failed
    /// (worth a notice).
    pub(super) fn send_refused(
        &mut self,
        req: &str,
        code: ErrorCode,
        message: &str,
        now: Millis,
    ) -> bool {
        if !self.outbox.waiting(req) {
            return false;
        }
        if matches!(code, ErrorCode::RateLimited | ErrorCode::Unavailable) {
            let refusals = self.outbox.pacer.refused(now);
            if code == ErrorCode::Unavailable || refusals < MAX_RATE_REFUSALS {
                self.back_in_line(false);
                return false;
            }
        }
        self.fail_in_flight(&refusal_text(code, message), false);
        true
    }

    /// The connection closed: what was on the wire, and everything waiting, waits for the
    /// next connection (not a failure); it goes out after the next `welcome`.
    pub(super) fn fail_waiting(&mut self) {
        self.back_in_line(true);
        let waiting: Vec<(u64, ConvKey)> = self
            .outbox
            .queued
            .iter()
            .map(|(seq, (_, key))| (*seq, key.clone()))
            .collect();
        for (seq, key) in waiting {
            if let Some(message) = self.own_message(&key, seq) {
                if let Delivery::Queued { for_link, .. } = &mut message.delivery {
                    *for_link = true;
                }
            }
        }
    }

    /// A send on the wire without `ack` after [`ACK_TIMEOUT_MS`] fails ("no answer"; it goes
    /// out again after the next `welcome`). Returns whether it did.
    pub(super) fn time_out_sends(&mut self, now: Millis) -> bool {
        let Some(flight) = self.outbox.in_flight.clone() else {
            return false;
        };
        let overdue = flight.sent_at + ACK_TIMEOUT_MS <= now;
        if overdue {
            self.fail_in_flight(
                "No answer from the server: it is sent again after reconnecting.",
                true,
            );
        }
        overdue
    }

    /// The send on the wire goes back to the head of the line, waiting for the connection
    /// (`for_link`) or for its turn.
    fn back_in_line(&mut self, for_link: bool) {
        let Some(flight) = self.outbox.in_flight.take() else {
            return;
        };
        if let Some(message) = self.own_message(&flight.key, flight.seq) {
            message.delivery = Delivery::Queued {
                req: flight.req.clone(),
                for_link,
            };
        } else if self.outbox.change(flight.seq).is_none() {
            return;
        }
        self.outbox
            .queued
            .insert(flight.seq, (flight.req, flight.key));
    }

    /// The send on the wire failed: it shows as failed with `reason`; `resend` says whether
    /// it goes out again by itself after the next `welcome`. A change refused is dropped.
    fn fail_in_flight(&mut self, reason: &str, resend: bool) {
        let Some(flight) = self.outbox.in_flight.take() else {
            return;
        };
        if !resend {
            self.outbox.changes.retain(|c| c.seq != flight.seq);
        }
        if let Some(message) = self.own_message(&flight.key, flight.seq) {
            message.delivery = Delivery::Failed {
                reason: reason.to_owned(),
                req: flight.req,
                resend,
            };
        }
    }

    /// A failed message waits its turn again.
    fn requeue_failed(&mut self, key: &ConvKey, seq: u64) {
        let for_link = !self.is_connected();
        let Some(message) = self.own_message(key, seq) else {
            return;
        };
        let Delivery::Failed { req, .. } = &message.delivery else {
            return;
        };
        let req = req.clone();
        message.delivery = Delivery::Queued {
            req: req.clone(),
            for_link,
        };
        self.outbox.queued.insert(seq, (req, key.clone()));
    }

    /// Our message at line `seq` of a conversation.
    fn own_message(&mut self, key: &ConvKey, seq: u64) -> Option<&mut Message> {
        self.convs
            .get_mut(key)?
            .lines
            .iter_mut()
            .find(|l| l.seq == seq)?
            .message_mut()
    }

    fn frame_for(
        &self,
        key: &ConvKey,
        body: String,
        reply_to: Option<u64>,
        attachments: Vec<String>,
        req: String,
    ) -> ClientFrame {
        match key {
            ConvKey::Room(room) => ClientFrame::RoomMessage {
                room: room.clone(),
                body,
                reply_to,
                attachments,
                req: Some(req),
            },
            ConvKey::Direct(_) => ClientFrame::PrivateMessage {
                to: self
                    .conversation(key)
                    .map_or_else(|| key.name().to_owned(), |c| c.title.clone()),
                body,
                reply_to,
                attachments,
                req: Some(req),
            },
        }
    }
}
