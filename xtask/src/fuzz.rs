//! `cargo xtask fuzz [seconds]`: runs each cargo-fuzz target of `fuzz/` for a bounded time
//! (default 60 s; `cargo xtask test` gives each 15 s). A crash fails the task, and libFuzzer
//! leaves the input in `fuzz/artifacts/<target>/`.
//!
//! The fuzz crate depends only on `wire`, `shared` and tungstenite, and builds with the
//! nightly toolchain (sanitizers) into `~/.cache/chat-xtask/fuzz-target`, outside the clone,
//! so a fresh clone (CI) reuses the build. New inputs go to `~/.cache/chat-xtask/fuzz-corpus`;
//! the committed seeds in `fuzz/corpus/<target>/` are read, never written.

use std::fs;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::project::{cache_dir, Project};
use crate::tools::{self, FUZZ_TOOLCHAIN};

/// The targets, in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &["decoder", "differential", "handshake", "client_frame"];

/// Seconds per target when none are given.
pub const DEFAULT_SECONDS: u64 = 60;

/// Builds the targets, then runs each for `seconds`.
pub fn run(project: &Project, seconds: u64) -> Result<()> {
    tools::ensure_fuzzing(project)?;
    let target_dir = cache_dir().join("fuzz-target");
    let cargo_fuzz = || {
        Cmd::new("cargo")
            .arg(format!("+{FUZZ_TOOLCHAIN}"))
            .arg("fuzz")
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(project.root())
    };
    cargo_fuzz().arg("build").run()?;
    for target in TARGETS {
        let found = cache_dir().join("fuzz-corpus").join(target);
        fs::create_dir_all(&found)
            .map_err(|e| Error::new(format!("creating {}: {e}", found.display())))?;
        let seeds = project.root().join("fuzz").join("corpus").join(target);
        cargo_fuzz()
            .args(["run", target])
            .arg(&found)
            .arg(&seeds)
            .args([
                "--".to_owned(),
                format!("-max_total_time={seconds}"),
                "-print_final_stats=1".to_owned(),
            ])
            .run()
            .map_err(|e| e.context(format!("fuzz target `{target}`")))?;
    }
    Ok(())
}

/// The seconds argument of `cargo xtask fuzz`.
pub fn seconds(arg: Option<&str>) -> Result<u64> {
    match arg {
        None => Ok(DEFAULT_SECONDS),
        Some(text) => {
            text.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                Error::new(format!("`fuzz` takes a number of seconds, got `{text}`"))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_a_source_and_seeds() {
        let root = Project::locate().root().join("fuzz");
        for target in TARGETS {
            assert!(root
                .join("fuzz_targets")
                .join(format!("{target}.rs"))
                .is_file());
            let seeds = fs::read_dir(root.join("corpus").join(target))
                .unwrap()
                .count();
            assert!(seeds > 0, "{target} has no seeds");
        }
    }

    #[test]
    fn seconds_are_positive_numbers() {
        assert_eq!(seconds(None).unwrap(), DEFAULT_SECONDS);
        assert_eq!(seconds(Some("15")).unwrap(), 15);
        assert!(seconds(Some("0")).is_err());
        assert!(seconds(Some("soon")).is_err());
    }
}
