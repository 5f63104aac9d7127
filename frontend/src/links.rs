//! Web addresses in message bodies: [`address_at`] finds the `http`/`https` address starting at
//! a position (the markdown parser's inline pass uses it), [`split`] cuts a whole body into
//! plain text and links. The view renders them as text nodes and `<a>` elements (never as
//! HTML). Nothing else becomes a link: no `javascript:`, `data:` or other scheme, no address
//! without its scheme.
//!
//! Linear time: an address is scanned once, its trailing punctuation and unmatched brackets
//! are trimmed with running counts, and a scheme not followed by a letter or digit is refused
//! before anything is scanned.

/// A piece of a message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Shown as typed.
    Text(String),
    /// An `http://` or `https://` address, shown as a link to itself.
    Link(String),
}

const SCHEMES: [&str; 2] = ["https://", "http://"];

/// Characters that end an address (besides whitespace and control characters): they are
/// never part of one as people write them in text, and `<>"` would look like markup.
fn ends_address(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
}

/// Punctuation that ends a sentence rather than the address when it comes last.
fn trailing(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_')
}

/// The length in bytes of the address at the start of `rest` (which starts with a scheme of
/// `scheme_len` bytes), without trailing punctuation or an unmatched closing bracket; `None`
/// when the host does not begin with a letter or digit ("http://" alone or "http://." is
/// text).
fn address_len(rest: &str, scheme_len: usize) -> Option<usize> {
    // Checked first, so a refused scheme costs nothing more; a letter or digit is never
    // trimmed, so the address is at least the scheme and this character.
    let host = rest[scheme_len..].chars().next()?;
    if !host.is_alphanumeric() {
        return None;
    }
    let mut end = rest.len();
    let (mut opened, mut closed) = ([0usize; 2], [0usize; 2]);
    for (i, c) in rest.char_indices() {
        crate::steps::step();
        if ends_address(c) {
            end = i;
            break;
        }
        match c {
            '(' => opened[0] += 1,
            '[' => opened[1] += 1,
            ')' => closed[0] += 1,
            ']' => closed[1] += 1,
            _ => {}
        }
    }
    while let Some(last) = rest[..end].chars().next_back() {
        crate::steps::step();
        let bracket = match last {
            ')' => Some(0),
            ']' => Some(1),
            _ => None,
        };
        let unmatched = bracket.is_some_and(|b| closed[b] > opened[b]);
        if !(trailing(last) || unmatched) {
            break;
        }
        if let Some(b) = bracket {
            closed[b] -= 1;
        }
        end -= last.len_utf8();
    }
    Some(end)
}

/// Whether a scheme starting at `at` begins a word (not `xhttp://`).
fn at_word_start(body: &str, at: usize) -> bool {
    body[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != ':')
}

/// The scheme at byte `at`, if one starts there (case-insensitively).
fn scheme_at(body: &str, at: usize) -> Option<usize> {
    let rest = body.as_bytes().get(at..)?;
    SCHEMES
        .iter()
        .find(|scheme| {
            rest.len() >= scheme.len()
                && rest[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        })
        .map(|scheme| scheme.len())
}

/// The length in bytes of the `http`/`https` address that starts at byte `at` of `text`, if
/// one does: its scheme (in any case) begins a word and a letter or digit follows it.
pub fn address_at(text: &str, at: usize) -> Option<usize> {
    let scheme = scheme_at(text, at)?;
    if !at_word_start(text, at) {
        return None;
    }
    address_len(&text[at..], scheme)
}

/// Cuts `body` into text and links, in order; adjacent text is one piece, and joining the
/// pieces gives `body` back.
pub fn split(body: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text_from = 0;
    let mut at = 0;
    while at < body.len() {
        match address_at(body, at) {
            Some(len) => {
                if text_from < at {
                    pieces.push(Piece::Text(body[text_from..at].to_owned()));
                }
                pieces.push(Piece::Link(body[at..at + len].to_owned()));
                at += len;
                text_from = at;
            }
            None => {
                at += body[at..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if text_from < body.len() {
        pieces.push(Piece::Text(body[text_from..].to_owned()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    fn link(s: &str) -> Piece {
        Piece::Link(s.into())
    }

    #[test]
    fn plain_text_stays_text() {
        assert_eq!(split("hello there"), [text("hello there")]);
        assert_eq!(split(""), Vec::<Piece>::new());
    }

    #[test]
    fn http_and_https_addresses_become_links() {
        assert_eq!(
            split("see https://example.com/a?b=1#c now"),
            [
                text("see "),
                link("https://example.com/a?b=1#c"),
                text(" now")
            ]
        );
        assert_eq!(split("http://x.org"), [link("http://x.org")]);
        assert_eq!(split("HTTPS://EXAMPLE.COM"), [link("HTTPS://EXAMPLE.COM")]);
        assert_eq!(
            split("two: http://a.io and https://b.io"),
            [
                text("two: "),
                link("http://a.io"),
                text(" and "),
                link("https://b.io")
            ]
        );
    }

    #[test]
    fn other_schemes_never_become_links() {
        for body in [
            "javascript:alert(1)",
            "click javascript://example.com/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://example.com/file",
            "www.example.com",
            "mailto:bob@example.com",
            "vbscript:msgbox",
        ] {
            assert!(
                split(body).iter().all(|p| matches!(p, Piece::Text(_))),
                "{body} made a link"
            );
        }
        // A scheme inside a word is not the start of an address.
        assert_eq!(split("xhttp://a.io"), [text("xhttp://a.io")]);
        assert_eq!(
            split("javascript:http://a.io"),
            [text("javascript:http://a.io")]
        );
    }

    #[test]
    fn markup_ends_an_address_and_stays_text() {
        assert_eq!(
            split("<script>alert(1)</script>https://evil.example/<b>x</b>"),
            [
                text("<script>alert(1)</script>"),
                link("https://evil.example/"),
                text("<b>x</b>"),
            ]
        );
        assert_eq!(
            split("https://a.io/\"onmouseover=\"alert(1)"),
            [link("https://a.io/"), text("\"onmouseover=\"alert(1)")]
        );
    }

    #[test]
    fn sentence_punctuation_and_brackets_stay_outside() {
        assert_eq!(
            split("Look at https://example.com."),
            [text("Look at "), link("https://example.com"), text(".")]
        );
        assert_eq!(
            split("(see https://example.com/x)"),
            [text("(see "), link("https://example.com/x"), text(")")]
        );
        assert_eq!(
            split("https://en.wikipedia.org/wiki/Rust_(programming_language)!"),
            [
                link("https://en.wikipedia.org/wiki/Rust_(programming_language)"),
                text("!")
            ]
        );
    }

    #[test]
    fn work_is_linear_in_the_body() {
        for body in [
            format!("https://a.io/{}", ")".repeat(20_000)),
            format!("https://a.io/{}", "(".repeat(20_000)),
            "http://.".repeat(2_500),
            "https://a".repeat(2_500),
        ] {
            let (_, steps) = crate::steps::count(|| split(&body));
            assert!(
                steps <= 3 * body.len() as u64,
                "{steps} steps for {}",
                body.len()
            );
        }
        assert_eq!(
            split(&format!("https://a.io/x{}", ")".repeat(3))),
            [link("https://a.io/x"), text(")))")]
        );
        assert_eq!(
            split("https://a.io/(x))."),
            [link("https://a.io/(x)"), text(").")]
        );
    }

    #[test]
    fn a_bare_scheme_is_text() {
        assert_eq!(split("http:// nothing"), [text("http:// nothing")]);
        assert_eq!(split("https://."), [text("https://.")]);
    }

    #[test]
    fn non_ascii_text_around_links_is_kept() {
        let body = "مرحبا https://example.com/é שלום";
        assert_eq!(
            split(body),
            [text("مرحبا "), link("https://example.com/é"), text(" שלום")]
        );
        let joined: String = split(body)
            .into_iter()
            .map(|p| match p {
                Piece::Text(s) | Piece::Link(s) => s,
            })
            .collect();
        assert_eq!(joined, body);
    }
}
