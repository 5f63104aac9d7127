//! The preamble: the welcome first, then, for a client that resumes (`after` in its URL),
//! every message it missed, straight from the store, before anything queued is written.

use std::io;

use tokio::net::TcpStream;

use super::writer::write_frames;
use super::Connection;
use crate::store::StoreError;
use crate::ws::{encode, Frame};

/// Missed messages read from the store at a time when a client resumes.
const BACKLOG_PAGE: u32 = 500;

impl Connection {
    /// Sends the welcome, then, for a resuming client, every message in its conversations
    /// with an id in `(after, up_to]`, oldest first.
    pub(super) async fn preamble(
        &self,
        stream: &TcpStream,
        welcome: Frame,
        up_to: u64,
    ) -> Result<(), PreambleError> {
        write_frames(stream, vec![welcome]).await?;
        let Some(mut after) = self.after else {
            return Ok(());
        };
        while after < up_to {
            let page = self
                .store
                .missed(&self.session.name, after, up_to, BACKLOG_PAGE)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.id;
            let frames: Vec<Frame> = page.iter().map(|m| encode(&m.frame())).collect();
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
