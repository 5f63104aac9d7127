//! Where things are: the repository root, the build outputs, and the tool search path.
//!
//! The root is the parent of the `xtask/` crate, found from `CARGO_MANIFEST_DIR`, so the xtask
//! works from any current directory. Tools the xtask installs live in two places: cargo-installed
//! binaries in `~/.cargo/bin` and the npm-installed `wasm-opt` in `<root>/.tools` (gitignored).
//! [`Project::tool_path`] puts both in front of `PATH`, `.tools` first, so an older system
//! `wasm-opt` (Debian ships binaryen 108) can never be picked by Trunk.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::cmd::Cmd;
use crate::error::{Error, Result};

/// How the tool search path is shown in echoed commands (the real value is long).
const TOOL_PATH_SHOWN: &str = "$ROOT/.tools/node_modules/.bin:~/.cargo/bin:$PATH";

/// The workspace the xtask belongs to.
pub struct Project {
    /// The workspace root: holds the root `Cargo.toml`, `Trunk.toml` and `index.html`.
    root: PathBuf,
}

impl Project {
    /// The workspace containing this xtask.
    pub fn locate() -> Self {
        // Cargo sets the variable when it runs us; the compile-time value is the fallback for
        // running the binary directly.
        let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(manifest_dir);
        Project { root }
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Trunk's output directory, served by the backend.
    pub fn dist_dir(&self) -> PathBuf {
        self.root.join("dist")
    }

    /// Where `cargo xtask run` keeps the SQLite database.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The project-local npm prefix holding binaryen (`wasm-opt`).
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join(".tools")
    }

    /// Executables installed by npm into [`Project::tools_dir`].
    pub fn tools_bin(&self) -> PathBuf {
        self.tools_dir().join("node_modules").join(".bin")
    }

    /// `PATH` for running Trunk and probing tools: `.tools` first, `~/.cargo/bin` next, then
    /// the inherited `PATH`.
    pub fn tool_path(&self) -> Result<OsString> {
        let inherited = env::var_os("PATH").unwrap_or_default();
        let dirs = [self.tools_bin(), cargo_bin_dir()]
            .into_iter()
            .chain(env::split_paths(&inherited));
        env::join_paths(dirs)
            .map_err(|err| Error::new(format!("cannot build the tool search path: {err}")))
    }

    /// A command for `program` that runs in the root with [`Project::tool_path`] as `PATH`.
    ///
    /// The program is resolved in the tool path as well, not just passed it.
    pub fn tool(&self, program: &str) -> Result<Cmd> {
        let path = self.tool_path()?;
        let resolved = find_in(&path, program).unwrap_or_else(|| PathBuf::from(program));
        Ok(Cmd::new(resolved)
            .current_dir(&self.root)
            .env_shown_as("PATH", path, TOOL_PATH_SHOWN))
    }

    /// A `cargo` command (the same cargo that runs the xtask) in the root.
    pub fn cargo(&self) -> Cmd {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        Cmd::new_shown_as(cargo, "cargo").current_dir(&self.root)
    }

    /// The Cargo target directory, as Cargo itself reports it (honours `CARGO_TARGET_DIR` and
    /// `build.target-dir`).
    pub fn target_dir(&self) -> Result<PathBuf> {
        let cmd = self
            .cargo()
            .args(["metadata", "--format-version", "1", "--no-deps"]);
        let shown = cmd.display();
        let json = cmd
            .read()
            .ok_or_else(|| Error::new(format!("`{shown}` failed")))?;
        json_string_field(&json, "target_directory")
            .map(PathBuf::from)
            .ok_or_else(|| Error::new(format!("no target_directory in the output of `{shown}`")))
    }
}

/// `$CARGO_HOME/bin`, by default `~/.cargo/bin`: where `cargo install` puts binaries.
pub fn cargo_bin_dir() -> PathBuf {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    cargo_home.join("bin")
}

/// Where the xtask keeps what outlives a clone (the Autobahn virtualenv, the fuzz builds):
/// `$XDG_CACHE_HOME/chat-xtask`, by default `~/.cache/chat-xtask`.
pub fn cache_dir() -> PathBuf {
    env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("chat-xtask")
}

/// The 64-bit FNV-1a hash of `bytes`: names a cache entry after its inputs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The first executable file called `program` in the directories of `path`.
fn find_in(path: &OsStr, program: &str) -> Option<PathBuf> {
    env::split_paths(path)
        .map(|dir| dir.join(format!("{program}{}", env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
}

/// The value of the first string field `"name": "..."` in a JSON text (enough for
/// `cargo metadata`, whose top-level `target_directory` is what we need; no JSON dependency).
pub fn json_string_field(json: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let after_key = &json[json.find(&key)? + key.len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let mut chars = value.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_holds_the_workspace_manifest() {
        let project = Project::locate();
        let manifest = std::fs::read_to_string(project.root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn tool_path_puts_project_tools_first_then_cargo_bin() {
        let project = Project::locate();
        let path = project.tool_path().unwrap();
        let dirs: Vec<PathBuf> = env::split_paths(&path).collect();
        assert_eq!(dirs[0], project.tools_bin());
        assert_eq!(dirs[1], cargo_bin_dir());
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn json_string_field_reads_escaped_strings() {
        let json = r#"{"packages":[],"target_directory" : "/a \"b\"\\c\u00e9","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some("/a \"b\"\\cé")
        );
        assert_eq!(json_string_field(json, "missing"), None);
        assert_eq!(json_string_field(json, "version"), None);
    }
}
