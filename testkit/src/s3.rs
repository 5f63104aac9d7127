//! [`MotoServer`]: a local S3-compatible server (moto's `moto_server`, from PyPI) for the
//! tests of the S3 attachment storage, one process per test on a free port, with a bucket of
//! its own. `cargo xtask setup` (and `test`) installs it into a virtualenv under
//! `~/.cache/chat-xtask` and tells the tests where it is with `CHAT_MOTO_SERVER`; the same
//! place is looked in when that is unset.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::net::free_addr;

/// The moto release `cargo xtask` installs (`xtask/src/moto.rs` names it too).
pub const MOTO_VERSION: &str = "5.2.6";
/// The access key the server and the tests use (moto takes any).
pub const ACCESS_KEY: (&str, &str) = ("testing", "testing");
/// The region.
pub const REGION: &str = "us-east-1";

/// A running `moto_server` with one bucket; killed when dropped.
pub struct MotoServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
}

/// Where `moto_server` is: `CHAT_MOTO_SERVER`, else xtask's virtualenv.
pub fn moto_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CHAT_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache
        .join("chat-xtask")
        .join(format!("moto-{MOTO_VERSION}"))
        .join("bin")
        .join("moto_server")
}

impl MotoServer {
    /// Starts one and makes a bucket; panics, saying how to install it, when it is missing.
    pub async fn start() -> Self {
        let binary = moto_binary();
        assert!(
            binary.exists(),
            "{} not found: `cargo xtask setup` installs moto (the local S3 server the \
             attachment storage is tested against), or set CHAT_MOTO_SERVER",
            binary.display()
        );
        let addr = free_addr();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://{addr}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(&endpoint).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A server per test: the port alone keeps buckets apart.
        let bucket = format!("chat-test-{}", addr.port());
        let made = http
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .expect("PUT bucket");
        assert!(
            made.status().is_success(),
            "making the bucket: {}",
            made.status()
        );
        Self {
            child,
            endpoint,
            bucket,
        }
    }

    /// The flags and environment that point a `chat-server` at this bucket.
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("S3_BUCKET", self.bucket.clone()),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.0.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", ACCESS_KEY.1.to_owned()),
        ]
    }

    /// The objects in the bucket (their keys), read with a plain `ListObjectsV2`.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .await
            .expect("list the bucket")
            .text()
            .await
            .expect("a listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
