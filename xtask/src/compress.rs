//! Precompressed copies of the built client: beside every text-like file of `dist/` (the
//! WebAssembly, the JavaScript, the stylesheet, `index.html`, the icons) a brotli copy
//! (`<name>.br`, quality 11, a 16 MiB window) and a gzip copy (`<name>.gz`, level 9, no name
//! or time in its header), each kept only when it is smaller than the file itself.
//!
//! The server sends them as they are (`ServeDir::precompressed_br().precompressed_gzip()` in
//! `backend/src/assets/`), with `Content-Encoding` chosen from the browser's `Accept-Encoding`,
//! so a page load costs no compression work and gets the best ratio there is. The build runs
//! it right after Trunk (`dist.rs`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The extensions of the files worth compressing: text and WebAssembly. Pictures in formats
/// that are compressed already (PNG, WebP, fonts) are not in it.
const TEXT_LIKE: &[&str] = &[
    "wasm", "js", "mjs", "css", "html", "svg", "json", "txt", "map", "xml", "ico",
];

/// One precompressed encoding: the suffix of its copies and how to make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// Both, in the order the copies are made.
    pub const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The suffix added to the file's name: what `ServeDir` looks for.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        }
    }

    /// `data`, compressed at this encoding's best setting.
    pub fn compress(self, data: &[u8]) -> Result<Vec<u8>> {
        let failed = |err: std::io::Error| Error::new(format!("{self:?} failed: {err}"));
        match self {
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 24,
                    size_hint: data.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(data.len() / 3);
                brotli::BrotliCompress(&mut &data[..], &mut out, &params).map_err(failed)?;
                Ok(out)
            }
            Encoding::Gzip => {
                // `GzBuilder` writes neither a file name nor a time: the same input gives the
                // same bytes, as an HTTP body should.
                let mut encoder = flate2::GzBuilder::new().write(
                    Vec::with_capacity(data.len() / 3),
                    flate2::Compression::best(),
                );
                encoder.write_all(data).map_err(failed)?;
                encoder.finish().map_err(failed)
            }
        }
    }
}

/// What [`precompress`] did with one file.
#[derive(Debug)]
pub struct Outcome {
    /// The file, relative to `dist/`.
    pub name: String,
    /// Its size.
    pub raw: u64,
    /// The size of each copy kept, by encoding; `None` where the copy was not smaller.
    pub copies: Vec<(Encoding, Option<u64>)>,
}

/// Writes the brotli and gzip copies of every text-like file under `dist` (sub-folders
/// included), replacing copies of an earlier build, and removing a copy that would not be
/// smaller than its file. Returns what it did, file by file, sorted by name.
pub fn precompress(dist: &Path) -> Result<Vec<Outcome>> {
    let mut files = Vec::new();
    collect(dist, &mut files)?;
    files.sort();
    // The files are independent: one thread each, as the wasm alone takes seconds at
    // brotli's best quality.
    std::thread::scope(|scope| {
        let jobs: Vec<_> = files
            .iter()
            .map(|path| scope.spawn(move || precompress_file(dist, path)))
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .unwrap_or_else(|_| Err(Error::new("a compression thread panicked")))
            })
            .collect()
    })
}

/// The text-like files under `dir`, not the compressed copies themselves.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir)
        .map_err(|err| Error::new(format!("cannot list {}: {err}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|err| Error::new(format!("cannot list {}: {err}", dir.display())))?
            .path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if is_text_like(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// Whether a file is worth compressing, by its extension.
fn is_text_like(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| TEXT_LIKE.contains(&ext))
}

fn precompress_file(dist: &Path, path: &Path) -> Result<Outcome> {
    let shown = path.display();
    let data = fs::read(path).map_err(|err| Error::new(format!("cannot read {shown}: {err}")))?;
    let mut copies = Vec::new();
    for encoding in Encoding::ALL {
        let mut name = path.as_os_str().to_owned();
        name.push(".");
        name.push(encoding.suffix());
        let copy = PathBuf::from(name);
        let compressed = encoding
            .compress(&data)
            .map_err(|err| err.context(format!("compressing {shown}")))?;
        if compressed.len() < data.len() {
            fs::write(&copy, &compressed)
                .map_err(|err| Error::new(format!("cannot write {}: {err}", copy.display())))?;
            copies.push((encoding, Some(compressed.len() as u64)));
        } else {
            match fs::remove_file(&copy) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(Error::new(format!(
                        "cannot remove {}: {err}",
                        copy.display()
                    )))
                }
            }
            copies.push((encoding, None));
        }
    }
    Ok(Outcome {
        name: path
            .strip_prefix(dist)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned(),
        raw: data.len() as u64,
        copies,
    })
}

/// Prints one line per file: its size and its copies'.
pub fn report(outcomes: &[Outcome]) {
    for outcome in outcomes {
        let copies: Vec<String> = outcome
            .copies
            .iter()
            .map(|(encoding, size)| match size {
                Some(size) => format!("{size:>9} B .{}", encoding.suffix()),
                None => format!("{:>9}   .{} (not smaller: none)", "-", encoding.suffix()),
            })
            .collect();
        println!(
            "xtask: {:>9} B raw, {}  {}",
            outcome.raw,
            copies.join(", "),
            outcome.name
        );
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn both_encodings_give_back_the_input() {
        let text = "fn main() { println!(\"hello\"); }\n".repeat(200);
        let br = Encoding::Brotli.compress(text.as_bytes()).unwrap();
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text.as_bytes());
        assert!(br.len() < text.len() / 10, "{} B", br.len());

        let gz = Encoding::Gzip.compress(text.as_bytes()).unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text.as_bytes());
        // No name and no time in the header: the same bytes every build.
        assert_eq!(gz, Encoding::Gzip.compress(text.as_bytes()).unwrap());
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "the header's time is zero");
    }

    #[test]
    fn copies_only_where_they_are_smaller() {
        let dist = tempdir();
        fs::create_dir(dist.join("snippets")).unwrap();
        let big = "body { color: red; }\n".repeat(100);
        fs::write(dist.join("style-0123456789abcdef.css"), &big).unwrap();
        fs::write(
            dist.join("snippets/inline0.js"),
            "export const a = 1, b = 2, c = 3;",
        )
        .unwrap();
        fs::write(dist.join("tiny.svg"), "<svg/>").unwrap();
        fs::write(dist.join("picture.png"), [0u8; 4096]).unwrap();
        // A copy left by an earlier build, no longer worth keeping.
        fs::write(dist.join("tiny.svg.gz"), "stale").unwrap();

        let outcomes = precompress(&dist).unwrap();
        let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "snippets/inline0.js",
                "style-0123456789abcdef.css",
                "tiny.svg"
            ]
        );
        assert!(dist.join("style-0123456789abcdef.css.br").is_file());
        assert!(dist.join("style-0123456789abcdef.css.gz").is_file());
        assert!(!dist.join("tiny.svg.br").exists(), "not smaller, not kept");
        assert!(!dist.join("tiny.svg.gz").exists(), "the stale copy is gone");
        assert!(!dist.join("picture.png.br").exists(), "not text-like");
        let css = &outcomes[1];
        assert_eq!(css.raw, big.len() as u64);
        for (_, size) in &css.copies {
            assert!(size.is_some_and(|size| size < css.raw));
        }
        // Running again (as every build does) keeps the same result and compresses no copy.
        let again = precompress(&dist).unwrap();
        assert_eq!(again.len(), 3);
        fs::remove_dir_all(&dist).unwrap();
    }

    /// A fresh directory under the system's temporary one.
    fn tempdir() -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("xtask-compress-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
