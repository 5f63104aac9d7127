//! What a conversation shows: messages and small system lines, in order, and how consecutive
//! messages from one sender are grouped for display.
//!
//! Every line gets a client-side sequence number when it is added; it never changes, so the
//! view can key its list by it while a message goes from pending to confirmed.

use shared::changes::MessageDetails;

/// Milliseconds since the Unix epoch (the server's `at`, or the browser's `Date.now()`).
pub type Millis = u64;

/// Two messages from the same sender this far apart start a new group.
pub const GROUP_GAP_MS: Millis = 5 * 60 * 1000;

/// Where one of our own messages is on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not on the wire yet, with request id `req`: waiting for its turn (the sends before it,
    /// the rate budget) or, with `for_link`, for the connection. Not a failure.
    Queued { req: String, for_link: bool },
    /// Sent with request id `req` at `sent_at`; no `ack` yet.
    Pending { req: String, sent_at: Millis },
    /// The server accepted it (ours, acknowledged) or it came from the server.
    Confirmed,
    /// No `ack` came in time, or the server refused it; `reason` says which, truly.
    /// `req` is the message's request id, its idempotency key: every attempt uses it.
    /// `resend`: it failed for want of an answer, so it goes out again by itself after the
    /// next `welcome` (a refusal by the server does not).
    Failed {
        reason: String,
        req: String,
        resend: bool,
    },
}

impl Delivery {
    /// The request id of a message not yet confirmed.
    pub fn req(&self) -> Option<&str> {
        match self {
            Self::Queued { req, .. } | Self::Pending { req, .. } | Self::Failed { req, .. } => {
                Some(req)
            }
            Self::Confirmed => None,
        }
    }
}

/// A chat message in a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The server's id, once known (from the frame, or from our `ack`).
    pub id: Option<u64>,
    /// The sender's name as the server wrote it.
    pub from: String,
    pub body: String,
    /// The server's time once known; until then the time we sent it.
    pub at: Millis,
    /// Sent by the signed-in user (from this tab or another one).
    pub own: bool,
    /// A room message from someone else that mentions the signed-in user (`@name`, by
    /// `shared::mentions`): highlighted, and counted apart.
    pub mentions_me: bool,
    pub delivery: Delivery,
    /// What it became since it was sent (edited, a tombstone, reactions) and what it answers.
    pub details: MessageDetails,
    /// Counts the changes to [`Self::details`] and the body, so that its row is drawn again.
    pub rev: u32,
}

/// One line of a conversation. Nearly every line is a message: boxing it would cost an
/// allocation per message to save space on the few system lines.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Message(Message),
    /// "bob joined", "bob went offline": small text, not from anyone.
    System {
        text: String,
    },
}

/// A line and its stable sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub seq: u64,
    /// For system lines, when it happened; for messages, see [`Message::at`].
    pub at: Millis,
    pub kind: LineKind,
}

impl Line {
    pub fn message(&self) -> Option<&Message> {
        match &self.kind {
            LineKind::Message(message) => Some(message),
            LineKind::System { .. } => None,
        }
    }

    pub fn message_mut(&mut self) -> Option<&mut Message> {
        match &mut self.kind {
            LineKind::Message(message) => Some(message),
            LineKind::System { .. } => None,
        }
    }
}

/// How a message row looks, as far as the state decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// On its way: sent, or waiting for its turn ("Sending…").
    Pending,
    /// Waiting for the connection ("Waiting for connection"): not a failure.
    Waiting,
    Confirmed,
    Failed,
}

impl Status {
    /// What the row says while the message is not confirmed or failed.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Self::Pending => Some("Sending…"),
            Self::Waiting => Some("Waiting for connection"),
            Self::Confirmed | Self::Failed => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Waiting => "waiting",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }
}

impl From<&Delivery> for Status {
    fn from(delivery: &Delivery) -> Self {
        match delivery {
            Delivery::Queued { for_link: true, .. } => Self::Waiting,
            Delivery::Queued { .. } | Delivery::Pending { .. } => Self::Pending,
            Delivery::Confirmed => Self::Confirmed,
            Delivery::Failed { .. } => Self::Failed,
        }
    }
}

/// One row ready to render: everything the view needs, nothing it must work out. Nearly
/// every row is a message (as for [`LineKind`]): boxing it would cost an allocation per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    System {
        seq: u64,
        text: String,
        at: Millis,
    },
    Message {
        seq: u64,
        /// The server's id, once known.
        id: Option<u64>,
        from: String,
        body: String,
        at: Millis,
        own: bool,
        /// It mentions the signed-in user: highlighted.
        mentions_me: bool,
        status: Status,
        /// Why a failed message failed.
        reason: Option<String>,
        /// The first message of a group: shows the sender's name.
        starts_group: bool,
        /// Reply, edit, tombstone, reactions (boxed: rows stay small enough to move around
        /// in lists).
        details: Box<MessageDetails>,
        /// See [`Message::rev`].
        rev: u32,
        /// From someone we block: drawn collapsed.
        blocked: bool,
    },
}

impl Row {
    /// A key that changes whenever the row must be drawn again, and only then.
    pub fn key(&self) -> String {
        match self {
            Self::System { seq, .. } => format!("s{seq}"),
            Self::Message {
                seq,
                status,
                starts_group,
                at,
                rev,
                blocked,
                ..
            } => format!(
                "m{seq}-{}-{}-{at}-{rev}-{}",
                status.as_str(),
                u8::from(*starts_group),
                u8::from(*blocked)
            ),
        }
    }

    pub fn seq(&self) -> u64 {
        match self {
            Self::System { seq, .. } | Self::Message { seq, .. } => *seq,
        }
    }
}

/// Turns lines into rows, marking where a new group of messages begins: at the first message,
/// after a system line, when the sender changes, or after a pause of [`GROUP_GAP_MS`].
pub fn rows(lines: &[Line]) -> Vec<Row> {
    let mut out = Vec::with_capacity(lines.len());
    let mut previous: Option<&Message> = None;
    for line in lines {
        match &line.kind {
            LineKind::System { text } => {
                previous = None;
                out.push(Row::System {
                    seq: line.seq,
                    text: text.clone(),
                    at: line.at,
                });
            }
            LineKind::Message(message) => {
                let starts_group = previous.is_none_or(|prev| {
                    !prev.from.eq_ignore_ascii_case(&message.from)
                        || message.at.saturating_sub(prev.at) > GROUP_GAP_MS
                });
                previous = Some(message);
                out.push(Row::Message {
                    seq: line.seq,
                    id: message.id,
                    from: message.from.clone(),
                    body: message.body.clone(),
                    at: message.at,
                    own: message.own,
                    mentions_me: message.mentions_me,
                    status: Status::from(&message.delivery),
                    reason: match &message.delivery {
                        Delivery::Failed { reason, .. } => Some(reason.clone()),
                        _ => None,
                    },
                    starts_group,
                    details: Box::new(message.details.clone()),
                    rev: message.rev,
                    blocked: false,
                });
            }
        }
    }
    out
}

/// "14:05": hours and minutes, zero-padded.
pub fn clock_text(hours: u32, minutes: u32) -> String {
    format!("{hours:02}:{minutes:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64, from: &str, at: Millis) -> Line {
        Line {
            seq,
            at,
            kind: LineKind::Message(Message {
                id: Some(seq),
                from: from.into(),
                body: format!("m{seq}"),
                at,
                own: false,
                mentions_me: false,
                delivery: Delivery::Confirmed,
                details: MessageDetails::default(),
                rev: 0,
            }),
        }
    }

    fn starts(rows: &[Row]) -> Vec<bool> {
        rows.iter()
            .filter_map(|r| match r {
                Row::Message { starts_group, .. } => Some(*starts_group),
                Row::System { .. } => None,
            })
            .collect()
    }

    #[test]
    fn consecutive_messages_from_one_sender_form_a_group() {
        let lines = [
            msg(1, "alice", 1_000),
            msg(2, "Alice", 2_000),
            msg(3, "bob", 3_000),
            msg(4, "alice", 4_000),
            msg(5, "alice", 5_000),
        ];
        assert_eq!(starts(&rows(&lines)), [true, false, true, true, false]);
    }

    #[test]
    fn a_pause_or_a_system_line_starts_a_new_group() {
        let lines = [
            msg(1, "alice", 0),
            msg(2, "alice", GROUP_GAP_MS + 1),
            Line {
                seq: 3,
                at: GROUP_GAP_MS + 2,
                kind: LineKind::System {
                    text: "bob joined".into(),
                },
            },
            msg(4, "alice", GROUP_GAP_MS + 3),
        ];
        let rows = rows(&lines);
        assert_eq!(starts(&rows), [true, true, true]);
        assert!(matches!(&rows[2], Row::System { text, .. } if text == "bob joined"));
    }

    #[test]
    fn row_keys_change_with_the_delivery_status() {
        let mut line = msg(7, "me", 10);
        if let Some(m) = line.message_mut() {
            m.delivery = Delivery::Pending {
                req: "r1".into(),
                sent_at: 10,
            };
        }
        let pending = rows(std::slice::from_ref(&line))[0].key();
        if let Some(m) = line.message_mut() {
            m.delivery = Delivery::Confirmed;
        }
        let confirmed = rows(std::slice::from_ref(&line))[0].key();
        assert_ne!(pending, confirmed);
        assert!(pending.starts_with("m7-pending"));
        assert_eq!(rows(&[line])[0].seq(), 7);
    }

    #[test]
    fn failed_rows_carry_their_reason() {
        let mut line = msg(1, "me", 0);
        if let Some(m) = line.message_mut() {
            m.delivery = Delivery::Failed {
                reason: "No answer".into(),
                req: "r1".into(),
                resend: true,
            };
        }
        match &rows(&[line])[0] {
            Row::Message { status, reason, .. } => {
                assert_eq!(*status, Status::Failed);
                assert_eq!(reason.as_deref(), Some("No answer"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn waiting_for_the_connection_is_not_a_failure() {
        let mut line = msg(1, "me", 0);
        let status = |line: &Line| match &rows(std::slice::from_ref(line))[0] {
            Row::Message { status, reason, .. } => (*status, reason.clone()),
            other => panic!("unexpected {other:?}"),
        };
        if let Some(m) = line.message_mut() {
            m.delivery = Delivery::Queued {
                req: "r1".into(),
                for_link: true,
            };
        }
        assert_eq!(status(&line), (Status::Waiting, None));
        assert_eq!(Status::Waiting.label(), Some("Waiting for connection"));
        if let Some(m) = line.message_mut() {
            m.delivery = Delivery::Queued {
                req: "r1".into(),
                for_link: false,
            };
        }
        assert_eq!(status(&line), (Status::Pending, None));
        assert_eq!(Status::Pending.label(), Some("Sending…"));
        assert_eq!(Status::Failed.label(), None);
    }

    #[test]
    fn clock_text_pads() {
        assert_eq!(clock_text(9, 5), "09:05");
        assert_eq!(clock_text(23, 59), "23:59");
    }
}
