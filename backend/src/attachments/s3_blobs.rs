//! [`S3Blobs`]: uploads as objects of one bucket of an S3-compatible store (AWS S3, MinIO,
//! Ceph, …), through the `object_store` crate (request signing, retries). Credentials come
//! from the usual `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`; `--s3-endpoint` names a
//! store other than AWS (path-style requests, plain `http://` allowed for a local one).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload, RetryConfig};

use super::blobs::{check_key, BlobError, Blobs};

/// One bucket of an S3-compatible store.
#[derive(Debug)]
pub struct S3Blobs {
    /// The client, bound to the bucket.
    store: AmazonS3,
}

/// Where an [`S3Blobs`] keeps its objects, and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The store's address; `None`: AWS's own for the region.
    pub endpoint: Option<String>,
    /// Read from the environment when `None` (`AWS_ACCESS_KEY_ID`, …).
    pub access_key: Option<(String, String)>,
}

impl S3Blobs {
    /// A client for the bucket (no request is made until it is used).
    pub fn new(config: &S3Config) -> Result<Self, BlobError> {
        // A few quick retries: a request that fails for long fails the upload (or the
        // download) rather than holding it for the crate's default three minutes.
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(15),
            ..RetryConfig::default()
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_retry(retry);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some((id, secret)) = &config.access_key {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        Ok(Self {
            store: builder.build()?,
        })
    }

    fn path(key: &str) -> Result<Path, BlobError> {
        check_key(key)?;
        Ok(Path::from(key))
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&Self::path(key)?, PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError> {
        match self.store.get(&Self::path(key)?).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
