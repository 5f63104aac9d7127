//! Files carried by messages: an [`Attachment`] is what a message frame says of one (its id,
//! name, type and size), uploaded first over HTTP (`POST /api/attachments`), then named by id
//! in a `room_message` or `private_message`. The rules both sides share are here: how many a
//! message may carry, how a file's name is cleaned, which types a browser may show inline.

use serde::{Deserialize, Serialize};

/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest file name kept, in characters; a longer one is cut.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// The types shown inline (and given a thumbnail): pictures a browser decodes without running
/// anything. SVG is not one of them: it may hold script, so it is served as a download.
pub const INLINE_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// One file on a message, as message frames carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Names the file: `GET /api/attachments/{id}` serves it.
    pub id: String,
    /// The file's name, as the uploader's client gave it (cleaned, see [`clean_file_name`]).
    pub name: String,
    /// Its media type, found by the server from the file's first bytes (never the client's
    /// word): `image/png`, `application/pdf`, … or `application/octet-stream`.
    #[serde(rename = "type")]
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Attachment {
    /// Whether it is a picture shown inline, with a thumbnail (see [`INLINE_IMAGE_TYPES`]).
    pub fn is_inline_image(&self) -> bool {
        is_inline_image(&self.content_type)
    }
}

/// Whether files of `content_type` are shown inline.
pub fn is_inline_image(content_type: &str) -> bool {
    INLINE_IMAGE_TYPES.contains(&content_type)
}

/// A file name as stored and shown: its last path component (after `/` or `\`), without
/// control characters, trimmed, at most [`MAX_FILE_NAME_CHARS`] characters; `file` when
/// nothing is left.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

/// A size for people: `512 B`, `1.5 KB`, `2.3 MB` (powers of 1024, one decimal, rounded
/// down). Integer arithmetic only: float formatting would weigh on the browser's build.
pub fn format_size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let (unit, name) = if bytes < 1 << 20 {
        (1u64 << 10, "KB")
    } else if bytes < 1 << 30 {
        (1 << 20, "MB")
    } else {
        (1 << 30, "GB")
    };
    let tenths = bytes.saturating_mul(10) / unit;
    format!("{}.{} {name}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_paths_and_control_characters() {
        assert_eq!(clean_file_name("photo.png"), "photo.png");
        assert_eq!(clean_file_name("C:\\Users\\me\\cat.jpg"), "cat.jpg");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_file_name("  "), "file");
        assert_eq!(clean_file_name("dir/"), "file");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(
            clean_file_name(&"x".repeat(500)).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(format_size(3 * 1024 * 1024 * 1024), "3.0 GB");
    }

    #[test]
    fn svg_and_html_are_never_inline() {
        assert!(is_inline_image("image/png"));
        assert!(!is_inline_image("image/svg+xml"));
        assert!(!is_inline_image("text/html"));
    }

    #[test]
    fn the_type_is_called_type_on_the_wire() {
        let a = Attachment {
            id: "x".into(),
            name: "a.png".into(),
            content_type: "image/png".into(),
            size: 3,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["type"], "image/png");
        assert_eq!(serde_json::from_value::<Attachment>(json).unwrap(), a);
    }
}
