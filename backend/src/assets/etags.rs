//! `Etags`: a strong entity tag for every file of the client's directory, the precompressed
//! copies included (each representation has its own), computed once when the server starts.
//!
//! A tag is the file's SHA-256, cut to 144 bits, so it changes exactly when the bytes do
//! (modification times do not: a container image or a reproducible build may give every file
//! the same one). Each tag is kept with the size and modification time the file had when it
//! was read; a file changed since (a rebuild of `dist/` under a running server) no longer
//! matches them and gets no tag at all, so a tag is never stale: the answer then falls back
//! to `Last-Modified`.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use axum::http::HeaderValue;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A file's tag and what the file looked like when it was computed.
#[derive(Debug)]
struct Entry {
    /// `"…"`: the quoted tag, ready for the `ETag` header.
    tag: HeaderValue,
    /// The file's size then, to compare with the answer's `Content-Length`.
    len: u64,
    /// The file's modification time then, formatted as `Last-Modified` is.
    last_modified: Option<String>,
}

/// The tags of the files under one directory, by path relative to it (`/` separated).
#[derive(Debug, Default)]
pub struct Etags {
    files: HashMap<String, Entry>,
}

impl Etags {
    /// Reads and hashes every file under `dir` (a few megabytes: the client and its
    /// compressed copies). A missing or unreadable directory gives an empty table, as the
    /// server then serves no client; an unreadable file gets no tag.
    pub fn scan(dir: &Path) -> Self {
        let mut etags = Self::default();
        etags.scan_into(dir, "");
        etags
    }

    fn scan_into(&mut self, dir: &Path, prefix: &str) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let path = entry.path();
            let relative = format!("{prefix}{name}");
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                self.scan_into(&path, &format!("{relative}/"));
            } else if let Ok(bytes) = fs::read(&path) {
                let digest = Sha256::digest(&bytes);
                let tag = format!(
                    "\"{}\"",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18])
                );
                let Ok(tag) = HeaderValue::from_str(&tag) else {
                    continue;
                };
                self.files.insert(
                    relative,
                    Entry {
                        tag,
                        len: bytes.len() as u64,
                        last_modified: meta.modified().ok().map(http_date),
                    },
                );
            }
        }
    }

    /// The tag of `file` (relative to the directory), provided the answer that sends it has
    /// this `Content-Length` and `Last-Modified`: that the file is still what was hashed.
    pub fn tag(
        &self,
        file: &str,
        content_length: Option<u64>,
        last_modified: Option<&str>,
    ) -> Option<&HeaderValue> {
        let entry = self.files.get(file)?;
        let same = content_length == Some(entry.len)
            && last_modified.is_some()
            && entry.last_modified.as_deref() == last_modified;
        same.then_some(&entry.tag)
    }

    /// How many files have a tag.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file has a tag (no client is served).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A time as HTTP writes it (`Sun, 06 Nov 1994 08:49:37 GMT`), as `ServeDir`'s
/// `Last-Modified` has it.
fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_per_file_and_none_once_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("snippets")).unwrap();
        fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        fs::write(dir.path().join("index.html.br"), "not really brotli").unwrap();
        fs::write(dir.path().join("snippets/a.js"), "export {}").unwrap();
        let etags = Etags::scan(dir.path());
        assert_eq!(etags.len(), 3);

        let meta = fs::metadata(dir.path().join("index.html")).unwrap();
        let date = http_date(meta.modified().unwrap());
        let tag = etags.tag("index.html", Some(15), Some(&date)).unwrap();
        let text = tag.to_str().unwrap();
        assert!(
            text.starts_with('"') && text.ends_with('"') && text.len() == 26,
            "{text}"
        );
        let br = etags
            .tag("index.html.br", Some(17), Some(&date))
            .expect("the copy has its own tag");
        assert_ne!(tag, br, "each representation has its own tag");
        assert!(etags.tag("snippets/a.js", Some(9), Some(&date)).is_some());

        // Not the file that was hashed (another size, another time): no tag.
        assert!(etags.tag("index.html", Some(16), Some(&date)).is_none());
        assert!(etags
            .tag(
                "index.html",
                Some(15),
                Some("Thu, 01 Jan 1970 00:00:00 GMT")
            )
            .is_none());
        assert!(etags.tag("index.html", Some(15), None).is_none());
        assert!(etags.tag("other.html", Some(15), Some(&date)).is_none());
    }

    #[test]
    fn the_same_bytes_the_same_tag() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        fs::write(one.path().join("a.js"), "same").unwrap();
        fs::write(two.path().join("a.js"), "same").unwrap();
        let tag = |dir: &Path| {
            let meta = fs::metadata(dir.join("a.js")).unwrap();
            Etags::scan(dir)
                .tag("a.js", Some(4), Some(&http_date(meta.modified().unwrap())))
                .cloned()
        };
        assert_eq!(tag(one.path()), tag(two.path()));
        assert!(Etags::scan(&one.path().join("missing")).is_empty());
    }
}
