//! The files cookie: the session's token in an `HttpOnly` cookie that the browser sends only
//! to `/api/attachments`, so that an `<img src>` or a link to a file carries no token in its
//! address (which would land in the address bar, the history and any copied link).
//!
//! Set by `POST /api/session` and `GET /api/session` (a browser that was signed in already
//! gets it when its page starts), cleared by `DELETE /api/session`, and read only by the
//! attachment downloads. It is the session's token, checked as a Bearer token is: a session
//! signed out, revoked, expired or disabled makes it useless at once.

use std::net::SocketAddr;

use axum::http::{header, HeaderMap, HeaderValue};

use crate::cidr::{canonical, Cidr};
use crate::identity::Token;

/// The cookie's name.
pub const NAME: &str = "chat_files";
/// The only path it is sent to (and its subpaths).
pub const PATH: &str = "/api/attachments";

/// `Set-Cookie` that gives the browser `token`, for as long as the browser runs (no
/// `Max-Age`: the page asks for it again each time it starts). `Secure` when the request came
/// over HTTPS ([`over_https`]).
pub fn set(token: &Token, secure: bool) -> HeaderValue {
    header_value(token.expose(), "", secure)
}

/// `Set-Cookie` that makes the browser forget it.
pub fn clear(secure: bool) -> HeaderValue {
    header_value("", "; Max-Age=0", secure)
}

fn header_value(value: &str, lifetime: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{NAME}={value}; Path={PATH}{lifetime}; HttpOnly; SameSite=Strict{secure}");
    // A token is URL-safe base64, and only a token the server made is ever set.
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static(""))
}

/// The token of the cookie, if the request carries it.
pub fn read(headers: &HeaderMap) -> Option<Token> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == NAME && !value.is_empty())
        .map(|(_, value)| Token::new(value))
}

/// Whether the browser reached us over HTTPS. The server itself speaks plain HTTP, so only a
/// proxy in `trusted` (`--trusted-proxies`) can say so, by `X-Forwarded-Proto: https` (its
/// first entry: the scheme the outermost proxy was reached by).
pub fn over_https(peer: SocketAddr, headers: &HeaderMap, trusted: &[Cidr]) -> bool {
    let peer = canonical(peer.ip());
    trusted.iter().any(|net| net.contains(peer))
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_set_and_cleared_with_its_attributes() {
        let token = Token::new("abc-_1");
        assert_eq!(
            set(&token, false),
            "chat_files=abc-_1; Path=/api/attachments; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            set(&token, true),
            "chat_files=abc-_1; Path=/api/attachments; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            clear(false),
            "chat_files=; Path=/api/attachments; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn the_token_is_read_from_among_other_cookies() {
        let mut headers = HeaderMap::new();
        assert_eq!(read(&headers), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; chat_files="));
        assert_eq!(read(&headers), None, "an empty cookie is none");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; chat_files=tok; b=2"),
        );
        assert_eq!(read(&headers), Some(Token::new("tok")));
        headers.insert(header::COOKIE, HeaderValue::from_static("xchat_files=tok"));
        assert_eq!(read(&headers), None);
    }

    #[test]
    fn only_a_trusted_proxy_says_https() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        assert!(!over_https(proxy, &headers, &trusted));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_https(proxy, &headers, &trusted));
        assert!(!over_https(stranger, &headers, &trusted));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http, https"));
        assert!(!over_https(proxy, &headers, &trusted));
    }
}
