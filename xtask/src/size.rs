//! The client's size budget: what a browser downloads to start the chat, every `.wasm` and
//! `.js` file Trunk wrote into `dist/` (the application's WebAssembly, its wasm-bindgen glue and
//! `boot.js`), must weigh at most [`BUDGET_BYTES`] gzipped.
//!
//! Each file is compressed with `gzip -9 -n` (the name is left out of the header, as an HTTP
//! `Content-Encoding: gzip` body has none) and the sizes are added. The stylesheet is not
//! counted. `cargo xtask test` checks the budget right after building the frontend, and
//! `cargo xtask size` shows the figures of the last build.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::project::Project;

/// The most the client may weigh, in gzipped bytes: 300 KB for issue #23's client, raised to
/// 340 KB for issue #24's (search, export, attachments, rooms, moderation, blocking, the
/// administrator); docs/benchmarks.md, "Client size", says why.
pub const BUDGET_BYTES: u64 = 340_000;

/// One file of the client and its sizes.
struct Measured {
    /// The file name inside `dist/`.
    name: String,
    /// Bytes on disk.
    raw: u64,
    /// Bytes after `gzip -9 -n`.
    gzipped: u64,
}

/// Measures the built client and fails if it is over [`BUDGET_BYTES`], printing the figures.
pub fn check(project: &Project) -> Result<()> {
    let dist = project.dist_dir();
    let files = client_files(&dist)?;
    if files.is_empty() {
        return Err(Error::new(format!(
            "no .wasm or .js file in {}: build the frontend first (`cargo xtask dist`)",
            dist.display()
        )));
    }
    let mut measured = Vec::with_capacity(files.len());
    for path in files {
        measured.push(measure(&path)?);
    }
    for file in &measured {
        println!(
            "xtask: {:>9} B gzipped ({:>9} B raw)  {}",
            file.gzipped, file.raw, file.name
        );
    }
    let total: u64 = measured.iter().map(|file| file.gzipped).sum();
    let raw: u64 = measured.iter().map(|file| file.raw).sum();
    println!(
        "xtask: {total:>9} B gzipped ({raw:>9} B raw)  the client, of a budget of {BUDGET_BYTES} B"
    );
    verdict(total)
}

/// Whether `total` gzipped bytes fit the budget; the error says by how much they do not.
fn verdict(total: u64) -> Result<()> {
    if total <= BUDGET_BYTES {
        Ok(())
    } else {
        Err(Error::new(format!(
            "the client weighs {total} B gzipped, {} B over its budget of {BUDGET_BYTES} B \
             (see \"Client size\" in docs/benchmarks.md for what made it smaller before)",
            total - BUDGET_BYTES
        )))
    }
}

/// The `.wasm` and `.js` files directly in `dist`, sorted by name.
fn client_files(dist: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dist)
        .map_err(|err| Error::new(format!("cannot list {}: {err}", dist.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| Error::new(format!("cannot list {}: {err}", dist.display())))?
            .path();
        if path.is_file() && counts(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether a file of `dist/` is part of what the budget covers.
fn counts(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "wasm" || ext == "js")
}

/// The raw and `gzip -9 -n` sizes of one file.
fn measure(path: &Path) -> Result<Measured> {
    let shown = path.display();
    let raw = fs::metadata(path)
        .map_err(|err| Error::new(format!("cannot read {shown}: {err}")))?
        .len();
    let input =
        File::open(path).map_err(|err| Error::new(format!("cannot read {shown}: {err}")))?;
    let output = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| Error::new(format!("could not start `gzip` for {shown}: {err}")))?;
    if !output.status.success() {
        return Err(Error::new(format!(
            "`gzip -9 -n -c < {shown}` failed ({})",
            output.status
        )));
    }
    Ok(Measured {
        name: path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        raw,
        gzipped: output.stdout.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_inclusive() {
        assert!(verdict(BUDGET_BYTES).is_ok());
        let err = verdict(BUDGET_BYTES + 7).unwrap_err().to_string();
        assert!(err.contains("7 B over"), "{err}");
    }

    #[test]
    fn only_wasm_and_javascript_count() {
        assert!(counts(Path::new("dist/frontend-0123_bg.wasm")));
        assert!(counts(Path::new("dist/frontend-0123.js")));
        assert!(counts(Path::new("dist/boot.js")));
        assert!(!counts(Path::new("dist/style-0123.css")));
        assert!(!counts(Path::new("dist/index.html")));
    }
}
