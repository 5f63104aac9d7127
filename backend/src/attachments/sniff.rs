//! What a file is, from its first bytes (magic numbers), never from the name or the
//! `Content-Type` a client sends: a page that says "image/png" for an HTML file gets
//! `text/html`, served as a download in a sandbox. Text is told apart last: markup that a
//! browser would run (HTML, SVG, XML) before plain UTF-8 text.

/// The media type of `bytes`: a picture, a document or archive format we know, HTML, SVG,
/// XML, plain text, or `application/octet-stream`.
pub fn content_type(bytes: &[u8]) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"OggS", "audio/ogg"),
        (b"ID3", "audio/mpeg"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
        (b"BM", "image/bmp"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" {
        match &bytes[8..12] {
            b"WEBP" => return "image/webp",
            b"WAVE" => return "audio/wav",
            _ => {}
        }
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return "video/mp4";
    }
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return kind;
    }
    text_type(bytes)
}

/// Markup or plain text, for bytes no magic number named.
fn text_type(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(1024)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut at the 1024th byte is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return "application/octet-stream",
    };
    if text.contains('\0') {
        return "application/octet-stream";
    }
    let lower = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    // What browsers sniff as HTML (the WHATWG MIME sniffing standard's tags), and SVG, which
    // may come after an XML declaration, a doctype or comments.
    const HTML: &[&str] = &[
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<script",
        "<iframe",
        "<h1",
        "<div",
        "<font",
        "<table",
        "<a",
        "<style",
        "<title",
        "<b",
        "<br",
        "<p",
        "<!--",
    ];
    if lower.contains("<svg") {
        return "image/svg+xml";
    }
    if HTML.iter().any(|tag| lower.starts_with(tag)) || lower.contains("<script") {
        return "text/html";
    }
    if lower.starts_with("<?xml") {
        return "application/xml";
    }
    "text/plain"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_name_the_formats() {
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
        assert_eq!(content_type(b"GIF89a\x01\0"), "image/gif");
        assert_eq!(content_type(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type(b"PK\x03\x04\x14\0"), "application/zip");
        assert_eq!(content_type(b"\0\0\0\x18ftypmp42"), "video/mp4");
        assert_eq!(
            content_type(b"\x00\x01\x02\xfe\xff"),
            "application/octet-stream"
        );
    }

    #[test]
    fn markup_is_found_whatever_it_claims_to_be() {
        assert_eq!(content_type(b"<!DOCTYPE html><p>hi"), "text/html");
        assert_eq!(content_type(b"\xef\xbb\xbf  <html>"), "text/html");
        assert_eq!(
            content_type(b"hello <script>alert(1)</script>"),
            "text/html"
        );
        assert_eq!(
            content_type(
                b"<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
            ),
            "image/svg+xml"
        );
        assert_eq!(content_type(b"<SVG onload=alert(1)>"), "image/svg+xml");
        assert_eq!(
            content_type(b"<?xml version=\"1.0\"?><note/>"),
            "application/xml"
        );
        assert_eq!(content_type("plain text, é".as_bytes()), "text/plain");
        assert_eq!(content_type(b""), "text/plain");
    }

    #[test]
    fn a_character_cut_at_the_sniffed_length_is_still_text() {
        let mut text = "a".repeat(1023).into_bytes();
        text.extend_from_slice("é".as_bytes());
        assert_eq!(content_type(&text), "text/plain");
    }
}
