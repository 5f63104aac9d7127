//! The security headers every answer carries ([`security_headers`], the outermost layer of
//! the router): a `Content-Security-Policy` under which the web client runs with
//! nothing to spare, `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
//!
//! The policy ([`content_security_policy`]) allows only what the client does:
//! - scripts from this origin (`boot.js`, `start.js` and wasm-bindgen's glue, all files: the
//!   page has no inline script, no `on…` attribute, no `eval`), and compiling WebAssembly
//!   (`'wasm-unsafe-eval'`, which allows `WebAssembly.instantiate*` and nothing of JavaScript);
//! - stylesheets from this origin, no inline style (`style-src 'self'`, said although
//!   `default-src` implies it): the client sets colours through the CSSOM
//!   (`style.setProperty`), which a policy does not govern, never through a `style` attribute;
//!   pictures (the favicons, no `data:` address) from this origin by `default-src`;
//! - connections to this origin: `fetch` to `/api` and the WebSocket to `/ws`. Browsers that
//!   implement CSP level 3 let `'self'` cover `ws:` and `wss:` of the page's own host (current
//!   Chromium and Firefox do); older ones (Safari before 15.4) do not, so the WebSocket's
//!   origin is also named: `ws://` and `wss://` with the `Host` the request came to, the one
//!   the page's address has and the WebSocket is opened to (`frontend/src/browser.rs`
//!   `ws_url`). Both schemes, as the server cannot tell whether a proxy in front ends TLS; a
//!   browser never opens `ws:` from an `https:` page anyway. A `Host` that is not a plain
//!   host name or address with a port is not copied into the header: `'self'` alone then.
//! - no plugins (`object-src 'none'`), no `<base>` (`base-uri 'none'`), no framing by any page
//!   (`frame-ancestors 'none'`, against click-jacking), and no form sent anywhere
//!   (`form-action 'none'`: every form of the client is handled by its code).

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy's directives before `connect-src`'s WebSocket origins.
const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'none'; connect-src 'self'";

/// The `Content-Security-Policy` for an answer to a request sent to `host` (its `Host`
/// header): [`POLICY`], with the WebSocket's `ws://host` and `wss://host` when `host` is a
/// well-formed authority.
pub fn content_security_policy(host: Option<&str>) -> String {
    match host.filter(|host| is_authority(host)) {
        Some(host) => format!("{POLICY} ws://{host} wss://{host}"),
        None => POLICY.to_owned(),
    }
}

/// Whether `host` is a host name, an IPv4 address or a bracketed IPv6 address, with an
/// optional port: the characters a policy's host source may hold, and none that could end
/// the directive (`;`, `,`, a space) or add a source.
fn is_authority(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !host.starts_with([':', '.', '-'])
}

/// Middleware: adds the security headers to every answer (the client's files, the API, the
/// errors, the WebSocket's refusals), replacing none that a handler set.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    add(response.headers_mut(), host.as_deref());
    response
}

/// The headers themselves, for an answer to a request sent to `host`.
fn add(headers: &mut HeaderMap, host: Option<&str>) {
    let policy = HeaderValue::from_str(&content_security_policy(host))
        .unwrap_or_else(|_| HeaderValue::from_static(POLICY));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(policy);
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_origin_follows_the_host() {
        let policy = content_security_policy(Some("chat.example:8443"));
        assert!(
            policy.ends_with("connect-src 'self' ws://chat.example:8443 wss://chat.example:8443"),
            "{policy}"
        );
        let policy = content_security_policy(Some("[::1]:8080"));
        assert!(
            policy.ends_with("ws://[::1]:8080 wss://[::1]:8080"),
            "{policy}"
        );
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }

    #[test]
    fn a_strange_host_adds_nothing() {
        for host in [
            "",
            "evil.example; script-src *",
            "a b",
            "*",
            "evil.example,https:",
            ":8080",
            "x'",
        ] {
            assert_eq!(content_security_policy(Some(host)), POLICY, "{host:?}");
        }
        assert_eq!(content_security_policy(None), POLICY);
    }

    #[test]
    fn headers_a_handler_set_are_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        add(&mut headers, Some("localhost"));
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .ends_with("ws://localhost wss://localhost"));
    }
}
