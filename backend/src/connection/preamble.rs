//! The preamble: the welcome first (with `blocked`, the user's block list, when they block
//! anyone), then, for a client that resumes (`after` in its URL),
//! the messages it missed (read, with the block list, before anything is written) (the newest `--max-replay`, after a `replay_cut` naming the rest),
//! straight from the store, before anything queued is written. It writes through the
//! connection's [`Outgoing`](super::outgoing::Outgoing), a bounded chunk at a time, so that a
//! close that cuts it short still finds the write position (and finishes the frame begun
//! before its close frame).

use shared::{close, ServerFrame, UserName};
use tokio::sync::OwnedSemaphorePermit;

use super::outgoing::WriteError;
use super::writer::Out;
use super::Connection;
use crate::store::{Replay, Standing, StoreError};
use crate::ws::{encode, Frame};

/// Encoded bytes of the replay written at a time: what the preamble holds beside the page.
const CHUNK_BYTES: usize = 256 * 1024;

impl Connection {
    /// Sends the welcome, then, for a resuming client, the newest `--max-replay` messages in
    /// its conversations with an id in `(after, up_to]`, oldest first; when there were more,
    /// a `replay_cut` between the two names the ids left out. Everything is read from the
    /// store first, in this connection's `turn` (see [`Openings`](super::Openings)), which is
    /// given back before the first byte is written. `vouched`: whom the user blocks, when
    /// the standing read before joining still holds (see [`Hub::standing_holds`]).
    ///
    /// [`Hub::standing_holds`]: crate::hub::Hub::standing_holds
    pub(super) async fn preamble(
        &self,
        out: &mut Out<'_>,
        welcome: Frame,
        up_to: u64,
        vouched: Option<Vec<UserName>>,
        turn: OwnedSemaphorePermit,
    ) -> Result<(), PreambleError> {
        // Whether the session still stands and whom the user blocks, read after the
        // connection joined the hub unless the read before joining holds: a sign-out, a
        // disabling or a block since reaches it through the hub. One that came between the
        // token's check and the joining closed nothing of it, so it is told here, before a
        // byte of the welcome. What a resuming client missed is read with it, on the same
        // connection of the store's.
        let replay = self.after.map(|after| Replay {
            after,
            up_to,
            limit: self.config.max_replay,
        });
        let (blocked, missed) = match (vouched, replay) {
            (Some(blocked), None) => (blocked, None),
            (_, replay) => {
                let (opening, missed) = self
                    .store
                    .joined(&self.session.id, &self.session.name, replay)
                    .await?;
                match opening.standing {
                    Standing::Active => {}
                    Standing::Ended => return Err(PreambleError::Ended(close::SESSION_ENDED)),
                    Standing::Disabled => {
                        return Err(PreambleError::Ended(close::ACCOUNT_DISABLED))
                    }
                }
                (opening.blocked, missed)
            }
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
    /// The session ended, or its account was disabled, before the connection joined the hub:
    /// closed with this code.
    #[error("the session no longer stands (close {0})")]
    Ended(u16),
}
