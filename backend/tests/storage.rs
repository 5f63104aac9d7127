//! The attachment storage's contract (`attachments::Blobs`), run alike on its two
//! implementations: a directory (`FileBlobs`) and an S3-compatible bucket (`S3Blobs`, against
//! moto's local server, which `cargo xtask setup` installs).

use std::sync::Arc;

use backend::attachments::{BlobError, Blobs, FileBlobs, S3Blobs, S3Config};
use bytes::Bytes;
use testkit::s3::{ACCESS_KEY, REGION};
use testkit::MotoServer;

const ID: &str = "0123456789abcdef0123456789abcdef";

async fn contract(blobs: Arc<dyn Blobs>) {
    assert_eq!(blobs.get(ID).await.unwrap(), None, "nothing at first");
    blobs.put(ID, Bytes::from_static(b"first")).await.unwrap();
    assert_eq!(blobs.get(ID).await.unwrap().as_deref(), Some(&b"first"[..]));
    // Replaced whole.
    blobs.put(ID, Bytes::from_static(b"2nd")).await.unwrap();
    assert_eq!(blobs.get(ID).await.unwrap().as_deref(), Some(&b"2nd"[..]));
    // A thumbnail beside it is another value.
    let thumb = backend::attachments::thumbnail_key(ID);
    let big = Bytes::from(vec![0xa5u8; 3 * 1024 * 1024]);
    blobs.put(&thumb, big.clone()).await.unwrap();
    assert_eq!(blobs.get(&thumb).await.unwrap(), Some(big));
    blobs.delete(ID).await.unwrap();
    assert_eq!(blobs.get(ID).await.unwrap(), None);
    assert!(
        blobs.get(&thumb).await.unwrap().is_some(),
        "only the one deleted"
    );
    // Deleting what is absent is no error.
    blobs.delete(ID).await.unwrap();
    blobs.delete(&thumb).await.unwrap();
    // Keys that are paths never reach the disk or the bucket.
    for bad in ["../chat.db", "a/b", "", "x.png"] {
        assert!(matches!(
            blobs.put(bad, Bytes::from_static(b"x")).await,
            Err(BlobError::BadKey(_))
        ));
        assert!(matches!(blobs.get(bad).await, Err(BlobError::BadKey(_))));
    }
}

#[tokio::test]
async fn the_file_store_keeps_values_under_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("attachments");
    let blobs = FileBlobs::open(&root).await.unwrap();
    contract(Arc::new(blobs.clone())).await;
    blobs.put(ID, Bytes::from_static(b"kept")).await.unwrap();
    // One file per key, no temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, [ID]);
    assert!(!dir.path().join("chat.db").exists());
}

#[tokio::test]
async fn the_s3_store_keeps_values_under_their_keys() {
    let moto = MotoServer::start().await;
    let blobs = S3Blobs::new(&S3Config {
        bucket: moto.bucket.clone(),
        region: REGION.to_owned(),
        endpoint: Some(moto.endpoint.clone()),
        access_key: Some((ACCESS_KEY.0.to_owned(), ACCESS_KEY.1.to_owned())),
    })
    .unwrap();
    contract(Arc::new(blobs)).await;
    assert_eq!(
        moto.keys().await,
        Vec::<String>::new(),
        "the bucket is empty again"
    );
}

#[tokio::test]
async fn an_unreachable_s3_store_is_an_error_not_an_absence() {
    let closed = testkit::free_addr();
    let blobs = S3Blobs::new(&S3Config {
        bucket: "nowhere".to_owned(),
        region: REGION.to_owned(),
        endpoint: Some(format!("http://{closed}")),
        access_key: Some((ACCESS_KEY.0.to_owned(), ACCESS_KEY.1.to_owned())),
    })
    .unwrap();
    assert!(matches!(
        blobs.get(ID).await,
        Err(BlobError::ObjectStore(_))
    ));
}
