//! `cargo xtask run`: install, build the frontend, then serve it with the release backend.
//!
//! The server runs from the root with `--static-dir dist --data-dir data`, so the SQLite
//! database lives in `<root>/data`; arguments after `--` are passed on to `chat-server`. The
//! xtask process is replaced by `cargo run` (which in turn becomes the server), so Ctrl-C goes
//! straight to the server and it shuts down gracefully.

use std::ffi::OsString;

use crate::dist;
use crate::error::Result;
use crate::project::Project;
use crate::tools::{self, Purpose};

/// Sets up, builds, and runs the server with `server_args` appended; returns only on failure.
pub fn run(project: &Project, server_args: &[OsString]) -> Result<()> {
    tools::setup(project, Purpose::Build)?;
    dist::build(project)?;
    // Only the server knows where it listens (`--port 0`, `PORT`, `BIND`): it logs the
    // address and the URL to open once it is bound.
    println!(
        "xtask: starting chat-server with its data in {}; open the url of its \"listening\" \
         line (Ctrl-C stops it)",
        project.data_dir().display()
    );
    let err = project
        .cargo()
        .args([
            "run",
            "--release",
            "-p",
            "backend",
            "--bin",
            "chat-server",
            "--",
        ])
        .args(["--static-dir", "dist", "--data-dir", "data"])
        .args(server_args)
        .exec();
    Err(err.context("running the server"))
}
