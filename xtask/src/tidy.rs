//! Tidiness checks on the xtask's own sources, run by `cargo test` (after rust-analyzer's tidy).
//!
//! Every module opens with a `//!` doc saying what it is for, and no line ends in whitespace.
//! The checks cover `xtask/src` only; the other crates keep their own conventions.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("the source directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn every_module_has_a_doc_and_no_trailing_whitespace() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    assert!(files.len() > 1, "no sources found in {}", src.display());
    let mut problems = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("sources are UTF-8");
        if !text.starts_with("//! ") {
            problems.push(format!(
                "{}: does not start with a `//!` doc",
                file.display()
            ));
        }
        for (index, line) in text.lines().enumerate() {
            if line.ends_with([' ', '\t']) {
                problems.push(format!(
                    "{}:{}: trailing whitespace",
                    file.display(),
                    index + 1
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "untidy sources:\n{}",
        problems.join("\n")
    );
}
