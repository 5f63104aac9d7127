//! The container engine: docker or podman, whichever is installed, driven through its CLI.
//!
//! Both take the same commands for what the check needs (`build`, `run`, `exec`, `stop`,
//! `start`, `inspect`, `volume`), with two differences handled here: podman builds OCI images
//! unless told `--format docker`, and the OCI format has no `HEALTHCHECK`; and podman runs a
//! health check on demand (`podman healthcheck run`), where docker only runs it on its timer.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::Cmd;
use crate::error::{Error, Result};

/// Which CLI drives the containers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Docker,
    Podman,
}

/// A container engine found on this machine.
pub struct Engine {
    /// Which one it is.
    kind: Kind,
}

impl Engine {
    /// `CONTAINER_ENGINE` (`docker` or `podman`) if set; else docker when its daemon answers,
    /// else podman when installed.
    pub fn detect() -> Result<Self> {
        let chosen = match std::env::var("CONTAINER_ENGINE").ok().as_deref() {
            Some("docker") => Some(Kind::Docker),
            Some("podman") => Some(Kind::Podman),
            Some(other) => {
                return Err(Error::new(format!(
                    "CONTAINER_ENGINE={other:?}: expected `docker` or `podman`"
                )))
            }
            None => None,
        };
        let kind = match chosen {
            Some(kind) => kind,
            None if Cmd::new("docker").args(["info"]).read().is_some() => Kind::Docker,
            None if Cmd::new("podman").arg("--version").read().is_some() => Kind::Podman,
            None => {
                return Err(Error::new(
                    "neither docker (with a running daemon) nor podman is installed; \
                     on Debian: `apt-get install podman`",
                ))
            }
        };
        Ok(Engine { kind })
    }

    /// Which engine this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The program's name.
    pub fn program(&self) -> &'static str {
        match self.kind {
            Kind::Docker => "docker",
            Kind::Podman => "podman",
        }
    }

    /// A command of this engine.
    pub fn cmd(&self) -> Cmd {
        Cmd::new(self.program())
    }

    /// The engine's version line, for the report.
    pub fn version(&self) -> String {
        self.cmd()
            .arg("--version")
            .read()
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|| self.program().to_owned())
    }

    /// Builds `context`'s Dockerfile as `tag`, with these build arguments.
    pub fn build(&self, context: &Path, tag: &str, build_args: &[(&str, &str)]) -> Result<()> {
        let mut cmd = self.cmd().arg("build");
        if self.kind == Kind::Podman {
            // The OCI format would drop HEALTHCHECK (and SHELL).
            cmd = cmd.args(["--format", "docker"]);
        }
        for (key, value) in build_args {
            cmd = cmd.args(["--build-arg", &format!("{key}={value}")]);
        }
        cmd.args(["-t", tag]).arg(context).run()
    }

    /// Runs `args` of the engine quietly; the trimmed output, or an error with it.
    pub fn output(&self, args: &[&str]) -> Result<String> {
        let output = Command::new(self.program())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::new(format!("could not start `{}`: {e}", self.program())))?;
        let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            Err(Error::new(format!(
                "`{} {}` failed ({}): {}{}",
                self.program(),
                args.join(" "),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }

    /// A field of `inspect`, as a Go template (`{{.Config.User}}`).
    pub fn inspect(&self, object: &str, template: &str) -> Result<String> {
        self.output(&["inspect", "--format", template, object])
    }

    /// Runs the image's health check once, now, and says whether it passed: `podman
    /// healthcheck run`; docker has no such command, so there the check's own command runs
    /// through `exec`, as docker's timer would run it.
    pub fn run_healthcheck(&self, container: &str, command: &[&str]) -> Result<bool> {
        let mut args = match self.kind {
            Kind::Podman => vec!["healthcheck", "run", container],
            Kind::Docker => vec!["exec", container],
        };
        if self.kind == Kind::Docker {
            args.extend_from_slice(command);
        }
        let status = Command::new(self.program())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| Error::new(format!("could not start `{}`: {e}", self.program())))?;
        Ok(status.success())
    }

    /// `stop` with this grace period, timed: SIGTERM, then SIGKILL when the period ends.
    pub fn stop(&self, container: &str, grace: Duration) -> Result<Duration> {
        let started = Instant::now();
        self.output(&["stop", "-t", &grace.as_secs().to_string(), container])?;
        Ok(started.elapsed())
    }
}
