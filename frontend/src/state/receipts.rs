//! Read receipts: where the others of each conversation have read up to (their read markers,
//! from the server's `receipts` frames, asked for once per connection when a conversation is
//! open and kept up live), and which of our messages shows "Seen": the last of ours that
//! someone's marker has reached.

use std::collections::BTreeMap;

use shared::{ClientFrame, Target};

use super::{ChatState, ConvKey, Conversation};

/// Who has seen one of our messages: shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The line it is shown under (its `seq`).
    pub seq: u64,
    /// The readers whose marker reached it, in name order.
    pub names: Vec<String>,
}

impl Conversation {
    /// The readers whose marker is at `id` or past it: they have seen message `id`.
    pub fn seen_by(&self, id: u64) -> Vec<String> {
        self.readers
            .iter()
            .filter(|(_, up_to)| **up_to >= id)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Our last message that someone has seen, and who.
    pub fn receipt(&self) -> Option<Receipt> {
        if self.readers.is_empty() {
            return None;
        }
        self.lines.iter().rev().find_map(|line| {
            let id = line.message().filter(|m| m.own)?.id?;
            let names = self.seen_by(id);
            (!names.is_empty()).then_some(Receipt {
                seq: line.seq,
                names,
            })
        })
    }
}

impl ChatState {
    /// The server's `receipts`: readers' markers, asked for or live. Markers only move forward,
    /// so the larger of what is held and what comes stands; we are never a reader of our own.
    pub(super) fn receipts_arrived(&mut self, target: &Target, readers: BTreeMap<String, u64>) {
        let me = self.me_key();
        let Some(conv) = self.convs.get_mut(&ConvKey::of(target)) else {
            return;
        };
        for (name, up_to) in readers {
            if name.to_lowercase() == me {
                continue;
            }
            if conv.readers.get(&name).is_none_or(|held| *held < up_to) {
                conv.readers.insert(name, up_to);
            }
        }
    }

    /// Asks where the others of conversation `key` stand, once per connection, once it is
    /// loaded and holds a message of ours the server stored (receipts are about those only;
    /// and the server knows the conversation, so it answers rather than refuses).
    pub(super) fn receipts_request(&mut self, key: &ConvKey) -> Option<ClientFrame> {
        let conv = self.convs.get_mut(key)?;
        let ours = conv
            .lines
            .iter()
            .any(|l| l.message().is_some_and(|m| m.own && m.id.is_some()));
        if conv.receipts_asked || !conv.loaded || !ours || (conv.is_room() && !conv.joined) {
            return None;
        }
        conv.receipts_asked = true;
        Some(ClientFrame::Receipts {
            target: conv.target(),
            req: None,
        })
    }

    /// Who has seen our last seen message in conversation `key`.
    pub fn receipt(&self, key: &ConvKey) -> Option<Receipt> {
        self.convs.get(key)?.receipt()
    }
}
