//! `cargo xtask container [--base IMAGE] [--builder IMAGE]`: builds the `Dockerfile` with
//! docker or podman and checks that the image really runs, as an operator would use it.
//!
//! The checks, in order, each printed as it passes (the first failure stops the run):
//!
//! 1. the image builds (the bases replaced by `--base` and `--builder` when given: build
//!    images cannot be pulled where no registry is reachable) and runs as `10001:10001`;
//! 2. a container with a named volume on `/app/data` answers `GET /healthz`, and `GET /`
//!    with the web client's brotli copy;
//! 3. two users claim names (`POST /api/session`) and one's message reaches the other over
//!    the WebSocket;
//! 4. the image's health check (`chat-server healthcheck`) passes, and fails against a port
//!    nothing listens on;
//! 5. `stop` (SIGTERM to the server, which is PID 1) ends it within the grace period, exit
//!    status 0, and the open WebSocket gets close code 1001;
//! 6. a new container on the same volume still has the message in the room's history, and
//!    the session token still works.
//!
//! The container and the volume are removed at the end, passed or failed. Not part of
//! `cargo xtask test`: it needs a container engine and minutes of building.
//!
//! - [`engine`]: docker or podman, and the commands the check uses;
//! - [`probe`]: HTTP and WebSocket from the host to the published port.

mod engine;
mod probe;

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use serde_json::json;
use tungstenite::protocol::frame::coding::CloseCode;

use crate::error::{Error, Result};
use crate::project::Project;
use engine::{Engine, Kind};
use probe::Socket;

/// The tag the checked image gets.
const TAG: &str = "localhost/chat-xtask:check";
/// The user the image must run as.
const USER: &str = "10001:10001";
/// The grace period of `stop` (docker's and podman's default).
const GRACE: Duration = Duration::from_secs(10);
/// How long a fresh container may take to answer `/healthz`.
const START_WITHIN: Duration = Duration::from_secs(60);
/// The image's health check, as the Dockerfile's `HEALTHCHECK` runs it.
const HEALTHCHECK: &[&str] = &["/usr/local/bin/chat-server", "healthcheck"];

/// The options of the task.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    /// `--base`: the runtime stage's base image (`RUNTIME_IMAGE`).
    base: Option<String>,
    /// `--builder`: the build stage's base image (`BUILDER_IMAGE`).
    builder: Option<String>,
}

/// Parses `--base IMAGE` and `--builder IMAGE` (also as `--base=IMAGE`).
fn parse(args: &[OsString]) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            "--base" => &mut options.base,
            "--builder" => &mut options.builder,
            _ => {
                return Err(Error::new(format!(
                    "`container` takes --base IMAGE and --builder IMAGE, got `{arg}`"
                )))
            }
        };
        let value = inline
            .or_else(|| args.next())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::new(format!("`{flag}` needs an image name")))?;
        *slot = Some(value);
    }
    Ok(options)
}

/// Runs every check; see the module's documentation.
pub fn run(project: &Project, args: &[OsString]) -> Result<()> {
    let options = parse(args)?;
    let engine = Engine::detect()?;
    println!("xtask: container check with {}", engine.version());
    let started = Instant::now();

    // 1. Build.
    let mut build_args = Vec::new();
    if let Some(base) = &options.base {
        build_args.push(("RUNTIME_IMAGE", base.as_str()));
    }
    if let Some(builder) = &options.builder {
        build_args.push(("BUILDER_IMAGE", builder.as_str()));
    }
    let build_started = Instant::now();
    engine.build(project.root(), TAG, &build_args)?;
    let size: u64 = engine.inspect(TAG, "{{.Size}}")?.parse().unwrap_or(0);
    passed(&format!(
        "build: {TAG} from runtime base {}, builder {}, in {:.0} s; image {:.1} MB",
        options.base.as_deref().unwrap_or("(the Dockerfile's)"),
        options.builder.as_deref().unwrap_or("(the Dockerfile's)"),
        build_started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    ));
    let user = engine.inspect(TAG, "{{.Config.User}}")?;
    if user != USER {
        return Err(Error::new(format!(
            "the image runs as {user:?}, not {USER}"
        )));
    }
    passed(&format!("user: the image runs as {user}"));

    // 2. Start.
    let scratch = Scratch::new(&engine)?;
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    scratch.start(port)?;
    let took = probe::wait_for_200(addr, "/healthz", START_WITHIN)
        .map_err(|e| Error::new(format!("{e}\n{}", scratch.logs())))?;
    let health = probe::request(addr, "GET", "/healthz", None)?;
    passed(&format!(
        "start: /healthz answered 200 after {:.1} s: {}",
        took.as_secs_f64(),
        health.body.trim()
    ));

    // The web client, as built by `cargo xtask dist`: precompressed copies included.
    let page = probe::request_with(addr, "GET", "/", None, &[("Accept-Encoding", "br")])?;
    let encoding = page.header("content-encoding").unwrap_or("none");
    if page.status != 200 || encoding != "br" {
        return Err(Error::new(format!(
            "GET / with Accept-Encoding: br answered {} with Content-Encoding {encoding}: \
             the image lacks the built client or its brotli copies",
            page.status
        )));
    }
    passed("web client: GET / answered 200 with its brotli copy (Content-Encoding: br)");

    // 3. Sign-in and a message.
    let ada_token = probe::claim(addr, "ada")?;
    let bob_token = probe::claim(addr, "bob")?;
    passed("sign-in: POST /api/session answered 201 with a token for ada and for bob");
    let mut ada = Socket::open(addr, "ada", &ada_token)?;
    let mut bob = Socket::open(addr, "bob", &bob_token)?;
    let body = "kept on the volume";
    ada.send(&json!({"type": "room_message", "room": "lobby", "body": body, "req": "box-1"}))?;
    let ack = ada.recv_until("the ack", |f| f["type"] == "ack" && f["req"] == "box-1")?;
    let id = ack["id"].as_u64().unwrap_or(0);
    bob.recv_until("ada's message", |f| {
        f["type"] == "room_message" && f["id"] == id && f["from"] == "ada" && f["body"] == body
    })?;
    passed(&format!(
        "WebSocket: ada's message (id {id}) was acknowledged and reached bob"
    ));
    drop(ada);

    // 4. The health check.
    if !engine.run_healthcheck(&scratch.container, HEALTHCHECK)? {
        return Err(Error::new(format!(
            "the image's health check failed on a running server\n{}",
            scratch.logs()
        )));
    }
    let unreachable = engine.output(&[
        "exec",
        &scratch.container,
        HEALTHCHECK[0],
        "--port",
        "1",
        "healthcheck",
    ]);
    if unreachable.is_ok() {
        return Err(Error::new(
            "`chat-server --port 1 healthcheck` succeeded with nothing listening on port 1",
        ));
    }
    passed(&format!(
        "health check: {} passes; `chat-server --port 1 healthcheck` fails",
        match engine.kind() {
            Kind::Podman => "`podman healthcheck run`",
            Kind::Docker => "`docker exec … chat-server healthcheck`",
        }
    ));

    // 5. Stop.
    let stopped_in = engine.stop(&scratch.container, GRACE)?;
    let status = engine.inspect(&scratch.container, "{{.State.ExitCode}}")?;
    let close = bob.until_closed()?;
    if stopped_in >= GRACE || status != "0" {
        return Err(Error::new(format!(
            "stop took {stopped_in:?} (grace {GRACE:?}) and exited {status}: SIGTERM was not \
             handled\n{}",
            scratch.logs()
        )));
    }
    if close != Some(CloseCode::Away) {
        return Err(Error::new(format!(
            "bob's WebSocket was closed with {close:?} on SIGTERM, not 1001"
        )));
    }
    passed(&format!(
        "stop: SIGTERM, exit status 0 after {:.1} s (grace {} s); bob's WebSocket got 1001",
        stopped_in.as_secs_f64(),
        GRACE.as_secs()
    ));

    // 6. A new container on the same volume.
    engine.output(&["rm", &scratch.container])?;
    scratch.start(port)?;
    probe::wait_for_200(addr, "/healthz", START_WITHIN)
        .map_err(|e| Error::new(format!("{e}\n{}", scratch.logs())))?;
    let mut ada = Socket::open(addr, "ada", &ada_token)?;
    ada.send(&json!({"type": "history", "room": "lobby", "req": "box-h"}))?;
    let page = ada.recv_until("lobby's history", |f| {
        f["type"] == "history" && f["req"] == "box-h"
    })?;
    let kept = page["messages"].as_array().is_some_and(|messages| {
        messages
            .iter()
            .any(|m| m["id"] == id && m["body"] == body && m["from"] == "ada")
    });
    if !kept {
        return Err(Error::new(format!(
            "after the restart, lobby's history lacks message {id}: {page}"
        )));
    }
    passed(&format!(
        "restart: a new container on the same volume took ada's token and has message {id} in \
         lobby's history"
    ));
    engine.stop(&scratch.container, GRACE)?;
    drop(scratch);
    println!(
        "\nxtask: the container passed every check in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prints a check that passed.
fn passed(what: &str) {
    println!("ok: {what}");
}

/// A port of loopback that nothing listens on now.
fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| Error::new(format!("no free port on loopback: {e}")))
}

/// The container and volume of one check, removed when dropped.
struct Scratch<'a> {
    /// Runs them.
    engine: &'a Engine,
    /// The container's name.
    container: String,
    /// The named volume on `/app/data`.
    volume: String,
}

impl<'a> Scratch<'a> {
    /// Names unique to this run; the volume is created.
    fn new(engine: &'a Engine) -> Result<Self> {
        let id = std::process::id();
        let scratch = Scratch {
            engine,
            container: format!("chat-xtask-check-{id}"),
            volume: format!("chat-xtask-data-{id}"),
        };
        engine.output(&["volume", "create", &scratch.volume])?;
        Ok(scratch)
    }

    /// Runs the image detached, published on `127.0.0.1:port`, the volume on `/app/data`.
    fn start(&self, port: u16) -> Result<()> {
        self.engine.output(&[
            "run",
            "--detach",
            "--name",
            &self.container,
            "--publish",
            &format!("127.0.0.1:{port}:8080"),
            "--volume",
            &format!("{}:/app/data", self.volume),
            TAG,
        ])?;
        Ok(())
    }

    /// The container's log, for an error.
    fn logs(&self) -> String {
        let logs = std::process::Command::new(self.engine.program())
            .args(["logs", &self.container])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr)
            })
            .unwrap_or_default();
        format!("the container's log:\n{logs}")
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let _ = self.engine.output(&["rm", "--force", &self.container]);
        let _ = self
            .engine
            .output(&["volume", "rm", "--force", &self.volume]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_name_the_bases() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let both = parse(&os(&["--base", "localhost/bookworm", "--builder=b:1"])).unwrap();
        assert_eq!(both.base.as_deref(), Some("localhost/bookworm"));
        assert_eq!(both.builder.as_deref(), Some("b:1"));
        assert!(parse(&os(&["--base"])).is_err());
        assert!(parse(&os(&["--base="])).is_err());
        assert!(parse(&os(&["--frobnicate"])).is_err());
    }
}
