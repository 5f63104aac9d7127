//! Our sends: a message shows at once as pending, is confirmed by its `ack`, fails after
//! [`ACK_TIMEOUT_MS`], a lost connection or a refusal, and goes out again (by hand, or by
//! itself after the next `welcome`) with the request id it always had, so the server stores
//! it once.

use std::collections::HashMap;

use shared::ClientFrame;

use super::composer::{check_body, BodyProblem};
use super::{ChatState, ConvKey};
use crate::timeline::{Delivery, Line, LineKind, Message, Millis};

/// A send without `ack` after this long is shown as failed.
pub const ACK_TIMEOUT_MS: Millis = 10_000;

/// What a send that could not reach the server says; it goes out again by itself.
const NOT_CONNECTED: &str = "Not connected: it is sent once the connection is back.";

/// Our sends waiting for an `ack` on this connection. The messages themselves, with their
/// [`Delivery`], are lines of their conversations; this finds the conversation by request id.
#[derive(Debug, Clone, Default)]
pub(super) struct Outbox {
    /// Request id -> conversation.
    pending: HashMap<String, ConvKey>,
}

impl Outbox {
    pub(super) fn waiting(&self, req: &str) -> bool {
        self.pending.contains_key(req)
    }

    /// Forgets the sends to a conversation that is no longer held.
    pub(super) fn forget(&mut self, key: &ConvKey) {
        self.pending.retain(|_, k| k != key);
    }
}

impl ChatState {
    /// Whether the composer of a conversation can send now, and if not, why. Private
    /// messages to someone offline are stored for them, so only the connection and room
    /// membership matter.
    pub fn send_blocker(&self, key: &ConvKey) -> Option<String> {
        if !self.is_connected() {
            return Some("Not connected: messages can be sent once the connection is back.".into());
        }
        match key {
            ConvKey::Room(room) => match self.conversation(key) {
                Some(c) if c.joined => None,
                _ => Some(format!("Joining #{room}…")),
            },
            ConvKey::Direct(_) => None,
        }
    }

    /// Sends `body` to a conversation: the message appears at once as pending (or as failed
    /// when there is no connection; it then goes out after the next `welcome`). Returns the
    /// frame to send. The request id chosen here stays with the message for every retry.
    pub fn send(
        &mut self,
        key: &ConvKey,
        body: &str,
        now: Millis,
    ) -> Result<Option<ClientFrame>, BodyProblem> {
        check_body(body)?;
        let body = body.trim_end_matches(['\n', '\r']).to_owned();
        let req = self.reqs.take();
        let blocker = self.send_blocker(key);
        let connected = self.is_connected();
        let seq = self.convs.take_seq();
        let me = self.me.clone();
        let conv = self.convs.entry(key, key.name());
        let delivery = match &blocker {
            Some(reason) => Delivery::Failed {
                reason: if connected {
                    reason.clone()
                } else {
                    NOT_CONNECTED.to_owned()
                },
                req: req.clone(),
                resend: !connected,
            },
            None => Delivery::Pending {
                req: req.clone(),
                sent_at: now,
            },
        };
        conv.place(Line {
            seq,
            at: now,
            kind: LineKind::Message(Message {
                id: None,
                from: me,
                body: body.clone(),
                at: now,
                own: true,
                delivery,
            }),
        });
        conv.trim();
        if blocker.is_some() {
            return Ok(None);
        }
        self.outbox.pending.insert(req.clone(), key.clone());
        Ok(Some(self.frame_for(key, body, req)))
    }

    /// Sends a failed message again, with the request id it always had, so the server stores
    /// it once even if an earlier attempt got through. Returns the frame, or `None` when it
    /// cannot go now.
    pub fn retry(&mut self, key: &ConvKey, seq: u64, now: Millis) -> Option<ClientFrame> {
        if let Some(reason) = self.send_blocker(key) {
            self.notify(reason, now);
            return None;
        }
        let conv = self.convs.get_mut(key)?;
        let line = conv.lines.iter_mut().find(|l| l.seq == seq)?;
        let message = line.message_mut()?;
        let Delivery::Failed { req, .. } = &message.delivery else {
            return None;
        };
        let req = req.clone();
        message.delivery = Delivery::Pending {
            req: req.clone(),
            sent_at: now,
        };
        let body = message.body.clone();
        self.outbox.pending.insert(req.clone(), key.clone());
        Some(self.frame_for(key, body, req))
    }

    /// The frame could not be handed to the connection at all: a send fails (it goes out
    /// again after the next `welcome`), a history request is forgotten.
    pub fn send_failed(&mut self, frame: &ClientFrame) {
        let Some(req) = frame.req() else {
            return;
        };
        self.fail(req, NOT_CONNECTED, true);
        self.history_lost(req);
    }

    /// Our sends that failed for want of a connection or an answer go out again, with the
    /// request ids they had: one the server already stored is acknowledged, not stored twice.
    pub(super) fn resend(&mut self, now: Millis) -> Vec<ClientFrame> {
        let mut again = Vec::new();
        for conv in self.convs.iter_mut() {
            for message in conv.lines.iter_mut().filter_map(Line::message_mut) {
                if let Delivery::Failed {
                    req, resend: true, ..
                } = &message.delivery
                {
                    let req = req.clone();
                    message.delivery = Delivery::Pending {
                        req: req.clone(),
                        sent_at: now,
                    };
                    again.push((conv.key.clone(), req, message.body.clone()));
                }
            }
        }
        again
            .into_iter()
            .map(|(key, req, body)| {
                self.outbox.pending.insert(req.clone(), key.clone());
                self.frame_for(&key, body, req)
            })
            .collect()
    }

    /// The server's `ack`: our send is stored under `id`. It takes its place by that id.
    pub(super) fn acked(&mut self, req: &str, id: u64, at: Millis) {
        // Usually the send is pending; after a timeout it may already show as failed, and a
        // late ack means it did get through after all.
        self.outbox.pending.remove(req);
        self.resume.reached(id);
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

    /// The connection closed: every send still waiting has failed for now; it goes out again
    /// after the next `welcome`.
    pub(super) fn fail_waiting(&mut self) {
        let reqs: Vec<String> = self.outbox.pending.keys().cloned().collect();
        for req in reqs {
            self.fail(
                &req,
                "Connection lost: it is sent again once the connection is back.",
                true,
            );
        }
    }

    /// Sends without `ack` after [`ACK_TIMEOUT_MS`] fail (and go out again after the next
    /// `welcome`). Returns whether any did.
    pub(super) fn time_out_sends(&mut self, now: Millis) -> bool {
        let overdue: Vec<String> = self
            .convs
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter_map(|l| match l.message().map(|m| &m.delivery) {
                Some(Delivery::Pending { req, sent_at }) if sent_at + ACK_TIMEOUT_MS <= now => {
                    Some(req.clone())
                }
                _ => None,
            })
            .collect();
        let changed = !overdue.is_empty();
        for req in overdue {
            self.fail(&req, "No answer from the server.", true);
        }
        changed
    }

    /// A send still waiting failed: it shows as failed with `reason`; `resend` says whether
    /// it goes out again by itself after the next `welcome`.
    pub(super) fn fail(&mut self, req: &str, reason: &str, resend: bool) {
        let Some(key) = self.outbox.pending.remove(req) else {
            return;
        };
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let found = conv.lines.iter_mut().rev().find_map(|l| {
            l.message_mut()
                .filter(|m| matches!(&m.delivery, Delivery::Pending { req: r, .. } if r == req))
        });
        if let Some(message) = found {
            message.delivery = Delivery::Failed {
                reason: reason.to_owned(),
                req: req.to_owned(),
                resend,
            };
        }
    }

    fn frame_for(&self, key: &ConvKey, body: String, req: String) -> ClientFrame {
        match key {
            ConvKey::Room(room) => ClientFrame::RoomMessage {
                room: room.clone(),
                body,
                req: Some(req),
            },
            ConvKey::Direct(_) => ClientFrame::PrivateMessage {
                to: self
                    .conversation(key)
                    .map_or_else(|| key.name().to_owned(), |c| c.title.clone()),
                body,
                req: Some(req),
            },
        }
    }
}
