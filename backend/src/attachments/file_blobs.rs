//! [`FileBlobs`]: uploads as files in one directory (`attachments/` in the data directory by
//! default). A value is written to a temporary file, synced, then renamed over its key, so a
//! reader never sees half a file and a crash leaves at worst a stray temporary file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use super::blobs::{check_key, BlobError, Blobs};

/// A directory of files named by their keys.
#[derive(Debug, Clone)]
pub struct FileBlobs {
    /// Where the files are; created when opened.
    dir: PathBuf,
}

impl FileBlobs {
    /// The store in `dir`, created if missing.
    pub async fn open(dir: &Path) -> Result<Self, BlobError> {
        tokio::fs::create_dir_all(dir).await?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        check_key(key)?;
        Ok(self.dir.join(key))
    }
}

#[async_trait]
impl Blobs for FileBlobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        let path = self.path(key)?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
        let temporary = self.dir.join(format!(
            ".{key}.{}.tmp",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let mut file = tokio::fs::File::create(&temporary).await?;
        let written = async {
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        Ok(written?)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
