//! The preamble: the welcome first (with `blocked`, the user's block list, when they block
//! anyone), then, for a client that resumes (`after` in its URL),
//! the messages it missed (read, with the block list, before anything is written) (the newest `--max-replay`, after a `replay_cut` naming the rest),
//! straight from the store, before anything queued is written. It writes through the
//! connection's [`Outgoing`](super::outgoing::Outgoing), a bounded chunk at a time, so that a
//! close that cuts it short still finds the write position (and finishes the frame begun
//! before its close frame).

use shared::ServerFrame;
use tokio::sync::OwnedSemaphorePermit;

use super::outgoing::WriteError;
use super::writer::Out;
use super::Connection;
use crate::store::StoreError;
use crate::ws::{encode, Frame};

/// Encoded bytes of the replay written at a time: what the preamble holds beside the page.
const CHUNK_BYTES: usize = 256 * 1024;

impl Connection {
    /// Sends the welcome, then, for a resuming client, the newest `--max-replay` messages in
    /// its conversations with an id in `(after, up_to]`, oldest first; when there were more,
    /// a `replay_cut` between the two names the ids left out. Everything is read from the
    /// store first, in this connection's `turn` (see [`Openings`](super::Openings)), which is
    /// given back before the first byte is written.
    pub(super) async fn preamble(
        &self,
        out: &mut Out<'_>,
        welcome: Frame,
        up_to: u64,
        turn: OwnedSemaphorePermit,
    ) -> Result<(), PreambleError> {
        // Whom the user blocks, read after the connection joined the hub: a change since
        // reaches its queue, which is written after this.
        let blocked = self.store.blocked_by(&self.session.name).await?;
        let missed = match self.after {
            Some(after) => Some(
                self.store
                    .missed(&self.session.name, after, up_to, self.config.max_replay)
                    .await?,
            ),
            None => None,
        };
        drop(turn);
        out.push(welcome);
        if !blocked.is_empty() {
            out.push(encode(&ServerFrame::Blocked {
                users: blocked.iter().map(ToString::to_string).collect(),
                req: None,
            }));
        }
        out.flush().await?;
        let Some(missed) = missed else {
            return Ok(());
        };
        if let Some(cut) = missed.cut {
            out.push(encode(&ServerFrame::ReplayCut {
                after: cut.after,
                before: cut.before,
            }));
        }
        let mut chunk = Vec::new();
        let mut bytes = 0;
        for message in &missed.messages {
            let frame = encode(&message.frame());
            bytes += frame.as_bytes().len();
            chunk.push(frame);
            if bytes >= CHUNK_BYTES {
                out.extend(std::mem::take(&mut chunk));
                bytes = 0;
                out.flush().await?;
            }
        }
        out.extend(chunk);
        out.flush().await?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum PreambleError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
