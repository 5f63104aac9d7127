//! The export archive: a zip file holding the files the user uploaded and still has, under
//! `attachments/<id>/<name>`, and `messages.json` (`shared::api::ExportArchive`): every
//! message they wrote (oldest first, in rooms and in private conversations, deleted ones left
//! out) and the list of those files.
//!
//! Written on a blocking thread into an unnamed temporary file, from the store page by page
//! and from the attachment storage one file at a time, so that memory stays bounded by a page
//! or one upload whatever the user wrote; the file is then streamed.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::sync::Arc;

use shared::api::{ExportedAttachment, ExportedMessage};
use shared::UserName;
use tokio::runtime::Handle;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::attachments::{BlobError, Blobs};
use crate::message::{Destination, Message};
use crate::store::{Store, StoreError};

/// Messages read from the store at a time.
const PAGE: u32 = 1_000;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("reading the messages: {0}")]
    Store(#[from] StoreError),
    #[error("reading an attachment: {0}")]
    Blob(#[from] BlobError),
    #[error("writing the archive: {0}")]
    Io(#[from] io::Error),
    #[error("writing the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the archive's writer stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

/// A written archive: the file, rewound, and its length in bytes.
pub struct Archive {
    pub file: File,
    pub len: u64,
}

/// Where the store and the attachment storage are, for the writer's thread.
pub struct Sources {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn Blobs>,
}

/// One message as `messages.json` lists it.
fn entry(message: &Message) -> ExportedMessage {
    let (room, to) = match &message.to {
        Destination::Room(room) => (Some(room.to_string()), None),
        Destination::User(user) => (None, Some(user.to_string())),
    };
    ExportedMessage {
        id: message.id,
        room,
        to,
        at: message.at,
        body: message.body.clone(),
        reply_to: message.details.reply.as_ref().map(|quote| quote.id),
        edited_at: message.details.edited_at,
    }
}

/// Writes `name`'s archive as of `now` (ms since the Unix epoch).
pub async fn write(sources: Sources, name: UserName, now: u64) -> Result<Archive, ArchiveError> {
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || write_blocking(&handle, &sources, &name, now)).await?
}

fn write_blocking(
    handle: &Handle,
    sources: &Sources,
    name: &UserName,
    now: u64,
) -> Result<Archive, ArchiveError> {
    let mut zip = ZipWriter::new(BufWriter::new(tempfile::tempfile()?));
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);

    // The files first, so that messages.json lists only those whose bytes were found.
    let mut files = Vec::new();
    for record in handle.block_on(sources.store.attachments_of(name))? {
        let attachment = record.attachment;
        let Some(bytes) = handle.block_on(sources.blobs.get(&attachment.id))? else {
            tracing::warn!(user = %name, attachment = %attachment.id, "export: the file's bytes are missing");
            continue;
        };
        let path = format!("attachments/{}/{}", attachment.id, attachment.name);
        // Pictures and archives are compressed already: stored as they are.
        let method = if attachment.content_type.starts_with("text/")
            || attachment.content_type == "application/json"
        {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        zip.start_file(path.as_str(), deflated.compression_method(method))?;
        zip.write_all(&bytes)?;
        files.push(ExportedAttachment {
            attachment,
            message: record.message_id,
            path,
        });
    }

    zip.start_file("messages.json", deflated)?;
    write!(
        zip,
        "{{\"name\":{},\"exported_at\":{now},\"messages\":[",
        serde_json::to_string(name.as_str()).map_err(io::Error::from)?
    )?;
    let mut after = 0;
    let mut first = true;
    loop {
        let page = handle.block_on(sources.store.authored(name, after, PAGE))?;
        for message in &page {
            if !first {
                zip.write_all(b",\n")?;
            }
            first = false;
            serde_json::to_writer(&mut zip, &entry(message)).map_err(io::Error::from)?;
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.id,
            _ => break,
        }
    }
    zip.write_all(b"],\n\"attachments\":")?;
    serde_json::to_writer(&mut zip, &files).map_err(io::Error::from)?;
    zip.write_all(b"}\n")?;
    let mut file = zip.finish()?.into_inner().map_err(|err| err.into_error())?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Archive { file, len })
}
