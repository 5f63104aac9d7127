//! Files on messages. An upload (`POST /api/attachments`, [`http`]) is checked (size, the
//! uploader's quota), its type found from its bytes ([`sniff`]), a picture given a thumbnail
//! made within bounds ([`thumbnail`]); its bytes go to the storage ([`Blobs`]: a directory,
//! [`FileBlobs`], or an S3-compatible bucket, [`S3Blobs`]) and its record to the store. A
//! message then names it by id (`commands`: only the uploader's, only unsent ones), the
//! storing transaction links it, and message frames carry it. It is served only to those who
//! may read its message ([`Attachments::find`]), with headers that keep any markup in it from
//! running in our origin; a deleted message's files are removed by the [`sweeper`], and so
//! are uploads never sent within [`UNSENT_TTL`].
//!
//! [`Attachments`] is the subsystem's face: what the HTTP handlers, the sweeper and (for an
//! export of a user's data) anyone else calls.

mod blobs;
mod file_blobs;
pub mod http;
mod s3_blobs;
pub mod sniff;
pub mod sweeper;
pub mod thumbnail;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use shared::{Attachment, UserName};

pub use blobs::{check_key, thumbnail_key, BlobError, Blobs};
pub use file_blobs::FileBlobs;
pub use s3_blobs::{S3Blobs, S3Config};
use thumbnail::ThumbnailError;

use crate::clock::now_ms;
use crate::config::Config;
use crate::store::{AttachmentRecord, Store, StoreError};

/// How long an upload may wait to be sent on a message before the sweeper removes it.
pub const UNSENT_TTL: Duration = Duration::from_secs(24 * 3600);

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is empty")]
    Empty,
    #[error("a file may be at most {max} bytes")]
    TooLarge { max: u64 },
    #[error("this upload would take your files past your quota of {quota} bytes")]
    OverQuota { quota: u64 },
    #[error(transparent)]
    Picture(#[from] ThumbnailError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a file could not be served (beyond "not found", which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A file, or its thumbnail, that its viewer may read.
#[derive(Debug, Clone)]
pub struct Readable {
    /// Where its bytes are in the storage; they never change under it.
    pub key: String,
    /// Its media type; `None` for a thumbnail, whose type its bytes say.
    content_type: Option<String>,
    /// The name it is saved under.
    name: String,
    /// Whether a browser may show it in place.
    inline: bool,
}

/// A file, or its thumbnail, to serve.
#[derive(Debug, Clone)]
pub struct Served {
    pub bytes: Bytes,
    /// Its media type.
    pub content_type: String,
    /// The name it is saved under.
    pub name: String,
    /// Whether a browser may show it in place: a picture it decodes without running anything.
    pub inline: bool,
}

/// The attachment subsystem: the records in the store, the bytes in the storage. Cheap to
/// clone.
#[derive(Clone)]
pub struct Attachments {
    store: Arc<dyn Store>,
    blobs: Arc<dyn Blobs>,
    /// `--max-upload-bytes`.
    max_upload: u64,
    /// `--upload-quota-bytes`.
    quota: u64,
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachments")
            .field("store", &self.store.engine())
            .field("blobs", &self.blobs)
            .field("max_upload", &self.max_upload)
            .field("quota", &self.quota)
            .finish()
    }
}

impl Attachments {
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn Blobs>, max_upload: u64, quota: u64) -> Self {
        Self {
            store,
            blobs,
            max_upload,
            quota,
        }
    }

    /// The storage the configuration names: `--s3-bucket`, else `--attachments-dir` (default
    /// `attachments` in `--data-dir`).
    pub async fn open_blobs(config: &Config) -> Result<Arc<dyn Blobs>, BlobError> {
        if let Some(bucket) = &config.s3_bucket {
            let s3 = S3Config {
                bucket: bucket.clone(),
                region: config.s3_region.clone(),
                endpoint: config.s3_endpoint.clone(),
                access_key: None,
            };
            return Ok(Arc::new(S3Blobs::new(&s3)?));
        }
        let dir = config
            .attachments_dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("attachments"));
        Ok(Arc::new(FileBlobs::open(&dir).await?))
    }

    /// The storage itself (for tests and tools).
    pub fn blobs(&self) -> &Arc<dyn Blobs> {
        &self.blobs
    }

    /// Stores an upload of `uploader`'s named `name` (cleaned): its type from its bytes, a
    /// thumbnail for a picture, its record within their quota.
    pub async fn upload(
        &self,
        uploader: &UserName,
        name: &str,
        bytes: Bytes,
    ) -> Result<Attachment, UploadError> {
        if bytes.is_empty() {
            return Err(UploadError::Empty);
        }
        let size = bytes.len() as u64;
        if size > self.max_upload {
            return Err(UploadError::TooLarge {
                max: self.max_upload,
            });
        }
        let content_type = sniff::content_type(&bytes);
        let thumbnail = match thumbnail::format_of(content_type) {
            Some(format) => Some(thumbnail::make(bytes.clone(), format).await?),
            None => None,
        };
        let record = AttachmentRecord {
            attachment: Attachment {
                id: new_id(),
                name: shared::attachments::clean_file_name(name),
                content_type: content_type.to_owned(),
                size,
            },
            uploader: uploader.clone(),
            former: false,
            thumbnail: thumbnail.is_some(),
            created_at: now_ms(),
            message_id: None,
            conversation: None,
        };
        // The record first, with the quota checked as it is inserted: a refusal costs no
        // write to the storage. Should the bytes fail to go, the record goes too.
        if !self.store.add_attachment(&record, self.quota).await? {
            return Err(UploadError::OverQuota { quota: self.quota });
        }
        let id = record.attachment.id.clone();
        let stored = async {
            if let Some((small, _)) = thumbnail {
                self.blobs
                    .put(&thumbnail_key(&id), Bytes::from(small))
                    .await?;
            }
            self.blobs.put(&id, bytes).await
        }
        .await;
        if let Err(e) = stored {
            let _ = self.blobs.delete(&thumbnail_key(&id)).await;
            self.store
                .forget_attachments(std::slice::from_ref(&id))
                .await?;
            return Err(e.into());
        }
        tracing::debug!(%id, size, content_type, user = %uploader, "attachment stored");
        Ok(record.attachment)
    }

    /// Attachment `id` (or its thumbnail) for `viewer`, if they may read it; `None` alike
    /// for one that does not exist and one that is not theirs to read. Its bytes are not
    /// fetched yet ([`Attachments::fetch`]): a browser that has them already is answered
    /// without.
    pub async fn find(
        &self,
        viewer: &UserName,
        id: &str,
        thumbnail: bool,
    ) -> Result<Option<Readable>, ReadError> {
        if check_key(id).is_err() || id.contains('.') {
            return Ok(None);
        }
        let Some(record) = self.store.attachment(id).await? else {
            return Ok(None);
        };
        if !self.store.may_read_attachment(viewer, &record).await? {
            return Ok(None);
        }
        let a = record.attachment;
        let inline = a.is_inline_image();
        if thumbnail && record.thumbnail {
            return Ok(Some(Readable {
                key: thumbnail_key(id),
                content_type: None,
                name: a.name,
                inline: true,
            }));
        }
        // Without a thumbnail of its own, a picture (GIF, WebP) is its own; other files
        // have none.
        if thumbnail && !inline {
            return Ok(None);
        }
        Ok(Some(Readable {
            key: a.id,
            content_type: Some(a.content_type),
            name: a.name,
            inline,
        }))
    }

    /// The bytes of a file [`Attachments::find`] found; `None` when the storage no longer
    /// has them (the message was just deleted).
    pub async fn fetch(&self, file: Readable) -> Result<Option<Served>, ReadError> {
        let Some(bytes) = self.blobs.get(&file.key).await? else {
            return Ok(None);
        };
        Ok(Some(Served {
            content_type: file
                .content_type
                .unwrap_or_else(|| sniff::content_type(&bytes).to_owned()),
            bytes,
            name: file.name,
            inline: file.inline,
        }))
    }
}

/// A new attachment id: 128 random bits in hex.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
