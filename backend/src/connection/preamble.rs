//! The preamble: the welcome first, then, for a client that resumes (`after` in its URL),
//! the messages it missed (the newest `--max-replay`, after a `replay_cut` naming the rest),
//! straight from the store, before anything queued is written.

use std::io;

use shared::ServerFrame;
use tokio::net::TcpStream;

use super::writer::write_frames;
use super::Connection;
use crate::store::StoreError;
use crate::ws::{encode, Frame};

impl Connection {
    /// Sends the welcome, then, for a resuming client, the newest `--max-replay` messages in
    /// its conversations with an id in `(after, up_to]`, oldest first; when there were more,
    /// a `replay_cut` between the two names the ids left out.
    pub(super) async fn preamble(
        &self,
        stream: &TcpStream,
        welcome: Frame,
        up_to: u64,
    ) -> Result<(), PreambleError> {
        write_frames(stream, vec![welcome]).await?;
        let Some(after) = self.after else {
            return Ok(());
        };
        let missed = self
            .store
            .missed(&self.session.name, after, up_to, self.config.max_replay)
            .await?;
        let cut = missed.cut.map(|cut| {
            encode(&ServerFrame::ReplayCut {
                after: cut.after,
                before: cut.before,
            })
        });
        let frames: Vec<Frame> = cut
            .into_iter()
            .chain(missed.messages.iter().map(|m| encode(&m.frame())))
            .collect();
        if !frames.is_empty() {
            write_frames(stream, frames).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum PreambleError {
    #[error(transparent)]
    Socket(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}
