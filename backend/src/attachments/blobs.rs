//! [`Blobs`]: where the bytes of uploads and thumbnails live, behind one small trait with two
//! implementations: a directory ([`super::FileBlobs`], the default, under the data directory)
//! and an S3-compatible object store ([`super::S3Blobs`]). Keys are the attachments' ids
//! (32 hex digits) and `<id>.thumb`: plain names, never paths a client chose.

use async_trait::async_trait;
use bytes::Bytes;

/// A failure of the storage (the disk, the object store): logged, answered `internal`.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("attachment storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("not a storage key: {0:?}")]
    BadKey(String),
}

/// Stores bytes under keys. Whole values: uploads are bounded by `--max-upload-bytes`.
#[async_trait]
pub trait Blobs: Send + Sync + std::fmt::Debug + 'static {
    /// Stores `bytes` under `key`, replacing what was there; durable when it returns.
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError>;
    /// The bytes under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError>;
    /// Removes `key`; a key already absent is no error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

/// Whether `key` is one this server makes: an id (hex digits) with an optional `.thumb`.
/// Anything else (a `/`, `..`) is refused before it reaches a path or a URL.
pub fn check_key(key: &str) -> Result<(), BlobError> {
    let id = key.strip_suffix(".thumb").unwrap_or(key);
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(BlobError::BadKey(key.to_owned()))
    }
}

/// The key of an attachment's thumbnail.
pub fn thumbnail_key(id: &str) -> String {
    format!("{id}.thumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_and_their_thumbnails_are_keys() {
        assert!(check_key("0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_key("0123abcd.thumb").is_ok());
        for bad in [
            "",
            ".thumb",
            "../etc/passwd",
            "a/b",
            "abc.png",
            "ABCX",
            "a\0",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }
}
