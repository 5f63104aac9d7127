//! `cargo xtask bench [--smoke] [<bench options>]`: the benchmark of the chat server against
//! the classic Node.js `ws` servers (issue #5).
//!
//! Runs the `bench` crate in release (`cargo run --release -p bench -- <options>`). That
//! builds the release `chat-server`, installs the peers' pinned `ws` (`npm ci` in
//! `bench/peers/`) when missing, runs every scenario against both servers with the server
//! pinned to core 0 and the load generator to core 1, and rewrites the results part of
//! `docs/benchmarks.md` with its plots in `docs/bench/`. `--smoke` is the quick check CI can
//! afford (tiny sizes, under a minute, no figures written), run from a debug build so that it
//! costs no release build. Every option is the `bench` binary's own: `cargo xtask bench --help`
//! lists them.

use std::ffi::OsString;

use crate::error::Result;
use crate::project::Project;

/// Runs the benchmark with `args` passed on to it: in release, except a smoke run, whose
/// figures mean nothing and which reuses the debug `chat-server` that `cargo xtask test` builds.
pub fn run(project: &Project, args: &[OsString]) -> Result<()> {
    let smoke = args.iter().any(|a| a == "--smoke");
    let profile: &[&str] = if smoke { &[] } else { &["--release"] };
    project
        .cargo()
        .arg("run")
        .args(profile)
        .args(["-p", "bench", "--"])
        .args(args)
        .run()
}
