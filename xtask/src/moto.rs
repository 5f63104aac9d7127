//! moto, a local S3-compatible server (PyPI's `moto[server]`, its `moto_server` command), for
//! the tests of the S3 attachment storage (`backend/tests/storage.rs`, the cluster's
//! attachment test). It goes into a virtualenv outside the clone,
//! `~/.cache/chat-xtask/moto-<version>`, made once; `testkit::s3` looks for it there.

use std::fs;
use std::path::PathBuf;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::project::cache_dir;

/// The release, pinned (`testkit/src/s3.rs` names it too).
const VERSION: &str = "5.2.6";

/// `moto_server` from the cached virtualenv, made (and filled from PyPI) when missing.
pub fn ensure() -> Result<PathBuf> {
    let venv = cache_dir().join(format!("moto-{VERSION}"));
    let server = venv.join("bin").join("moto_server");
    let python = venv.join("bin").join("python");
    let installed = |python: &PathBuf| {
        Cmd::new(python)
            .args(["-c", "import moto, flask; print(moto.__version__)"])
            .read()
            .is_some_and(|shown| shown.trim() == VERSION)
    };
    if server.exists() && installed(&python) {
        return Ok(server);
    }
    println!(
        "xtask: installing moto[server]=={VERSION} (a local S3 server, from PyPI) into {}",
        venv.display()
    );
    let _ = fs::remove_dir_all(&venv);
    Cmd::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .run()
        .map_err(|e| e.context("moto is installed with Python 3's venv and pip"))?;
    Cmd::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", &format!("moto[server]=={VERSION}")])
        .run()?;
    if server.exists() && installed(&python) {
        Ok(server)
    } else {
        Err(Error::new(format!(
            "installed moto[server]=={VERSION}, but {} is missing or not that version",
            server.display()
        )))
    }
}
