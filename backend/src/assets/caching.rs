//! What a browser may keep of the client's files, and for how long: the middleware
//! [`caching`] around `ServeDir`.
//!
//! - A file whose name carries Trunk's content hash ([`is_hashed`]: `frontend-<hash>.js`,
//!   `frontend-<hash>_bg.wasm`, `style-<hash>.css`) never changes under that name:
//!   `Cache-Control: public, max-age=31536000, immutable`.
//! - Everything else (`index.html`, the SPA fallback's `index.html` for any other path,
//!   `boot.js`, `start.js`, the favicons) may change with a new build: `no-cache`, so the
//!   browser asks every time, and a `304 Not Modified` answers when it has it already.
//! - `ETag` from [`Etags`] (one per representation: the brotli, gzip and plain bodies differ);
//!   `If-None-Match` is answered here with 304. As RFC 9110 says, `If-Modified-Since` is
//!   ignored when `If-None-Match` is present (`ServeDir` answers `If-Modified-Since` alone).
//! - `Vary: Accept-Encoding`, as the body depends on it (precompressed copies).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::etags::Etags;

/// For the files named by their content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the files that keep their name from one build to the next.
pub const REVALIDATE: &str = "no-cache";

/// Marks an answer as the SPA fallback: `index.html`, whatever path was asked for.
#[derive(Clone, Copy, Debug)]
pub struct SpaFallback;

/// The file the client's directory holds that `index.html` is.
const INDEX: &str = "index.html";

/// Middleware around the client's files: `Cache-Control`, `Vary`, `ETag`, and 304 for an
/// `If-None-Match` that names the current tag.
pub async fn caching(
    State(etags): State<Arc<Etags>>,
    mut request: Request,
    next: Next,
) -> Response {
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    if if_none_match.is_some() {
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let fallback = response.extensions().get::<SpaFallback>().is_some();
    let file = if fallback {
        Some(INDEX.to_owned())
    } else {
        file_of(&path)
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let immutable = !fallback && file.as_deref().is_some_and(is_hashed);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable { IMMUTABLE } else { REVALIDATE }),
    );
    if status != StatusCode::OK || !(method == Method::GET || method == Method::HEAD) {
        return response;
    }
    let Some(tag) = file.and_then(|file| tag_of(&etags, &file, headers)) else {
        return response;
    };
    headers.insert(header::ETAG, tag.clone());
    if if_none_match.is_some_and(|wanted| matches(&wanted, &tag)) {
        return not_modified(headers);
    }
    response
}

/// The tag of the representation `headers` describe: `file`, or its copy for the answer's
/// `Content-Encoding`.
fn tag_of(etags: &Etags, file: &str, headers: &HeaderMap) -> Option<HeaderValue> {
    let suffix = match headers.get(header::CONTENT_ENCODING) {
        None => "",
        Some(encoding) if encoding == "br" => ".br",
        Some(encoding) if encoding == "gzip" => ".gz",
        Some(_) => return None,
    };
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|len| len.to_str().ok()?.parse().ok());
    let last_modified = headers
        .get(header::LAST_MODIFIED)
        .and_then(|date| date.to_str().ok());
    etags
        .tag(&format!("{file}{suffix}"), content_length, last_modified)
        .cloned()
}

/// The file a request's path names, relative to the client's directory, as `ServeDir` finds
/// it (a directory's `index.html`); `None` for a path this table does not try to follow
/// (percent-escapes, `..`, backslashes): such an answer gets no tag.
fn file_of(path: &str) -> Option<String> {
    let relative = path.strip_prefix('/')?;
    if relative.contains(['%', '\\'])
        || relative
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
    {
        return None;
    }
    if relative.is_empty() || relative.ends_with('/') {
        Some(format!("{relative}{INDEX}"))
    } else {
        Some(relative.to_owned())
    }
}

/// Whether a file's name carries a content hash, as Trunk names what it builds in release:
/// `<name>-<hash>.<ext>`, or `<name>-<hash>_bg.wasm` for wasm-bindgen's WebAssembly, the
/// hash being a 64-bit number in lowercase hexadecimal without leading zeros (up to 16
/// digits: `frontend-46e5b6120fcc386.js` has 15); 8 digits at least are asked for.
pub fn is_hashed(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(base, hash)| {
        !base.is_empty()
            && (8..=32).contains(&hash.len())
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether an `If-None-Match` value names `tag` (the weak comparison RFC 9110 asks for: a
/// `W/` prefix is ignored), or is `*`. The attachments' downloads ask it too.
pub(crate) fn matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(wanted) = if_none_match.to_str() else {
        return false;
    };
    let Ok(tag) = tag.to_str() else {
        return false;
    };
    wanted.trim() == "*"
        || wanted
            .split(',')
            .map(|candidate| candidate.trim())
            .any(|candidate| candidate.strip_prefix("W/").unwrap_or(candidate) == tag)
}

/// `304 Not Modified` with the headers a 200 would have had that a cache updates from.
fn not_modified(headers: &HeaderMap) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [
        header::ETAG,
        header::CACHE_CONTROL,
        header::VARY,
        header::LAST_MODIFIED,
        header::CONTENT_LOCATION,
        header::EXPIRES,
    ] {
        if let Some(value) = headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_names_are_hashed_and_the_others_not() {
        for hashed in [
            "frontend-4f3c2a1b0e9d8c7b.js",
            "frontend-4f3c2a1b0e9d8c7b_bg.wasm",
            "frontend-46e5b6120fcc386.js",
            "style-0123456789abcdef.css",
            "style-0123456789abcdef.css.br",
            "snippets/x-0123456789abcdef/inline0-0123456789abcdef.js",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for plain in [
            "index.html",
            "boot.js",
            "start.js",
            "favicon.svg",
            "favicon-unread.svg",
            "frontend_bg.wasm",
            "style-0123.css",
            "style-0123456789ABCDEF.css",
            "-0123456789abcdef.js",
            "snippets/x-0123456789abcdef/inline0.js",
        ] {
            assert!(!is_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn paths_to_files() {
        assert_eq!(file_of("/").as_deref(), Some("index.html"));
        assert_eq!(file_of("/boot.js").as_deref(), Some("boot.js"));
        assert_eq!(
            file_of("/snippets/").as_deref(),
            Some("snippets/index.html")
        );
        assert_eq!(file_of("/a/../index.html"), None);
        assert_eq!(file_of("/caf%C3%A9.js"), None);
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = HeaderValue::from_static("\"abc\"");
        let check = |wanted: &'static str| matches(&HeaderValue::from_static(wanted), &tag);
        assert!(check("\"abc\""));
        assert!(check("W/\"abc\""));
        assert!(check("\"x\", \"abc\""));
        assert!(check("*"));
        assert!(!check("\"abcd\""));
        assert!(!check("abc"));
        assert!(!check(""));
    }
}
