//! Who is asking: the client's address (the peer's, or behind a trusted proxy the one its
//! `X-Forwarded-For` names) and its `User-Agent`.

use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap};

use crate::cidr::{canonical, Cidr};
use crate::identity::Client;

/// The client of a request that came from `peer`. Only a peer in `trusted` is believed about
/// `X-Forwarded-For`; then the address is the rightmost one in it that is not a trusted proxy
/// itself (each proxy appends the address it saw, so entries left of an untrusted one are
/// whatever the client wrote).
pub fn client(peer: SocketAddr, headers: &HeaderMap, trusted: &[Cidr]) -> Client {
    Client {
        address: address(canonical(peer.ip()), headers, trusted),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|ua| ua.to_str().ok())
            .map(str::to_owned),
    }
}

fn address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>() else {
            // Not an address: nothing left of it can be believed.
            break;
        };
        client = canonical(ip);
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers.insert(header::USER_AGENT, HeaderValue::from_static("curl/8"));
        headers
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let c = client(peer("203.0.113.9"), &with_xff(&["198.51.100.1"]), &[]);
        assert_eq!(c.address.to_string(), "203.0.113.9");
        assert_eq!(c.user_agent.as_deref(), Some("curl/8"));
        let proxies = ["10.0.0.0/8".parse().unwrap()];
        let c = client(peer("203.0.113.9"), &with_xff(&["198.51.100.1"]), &proxies);
        assert_eq!(c.address.to_string(), "203.0.113.9");
    }

    #[test]
    fn a_trusted_proxy_names_the_rightmost_untrusted_address() {
        let proxies = ["10.0.0.0/8".parse().unwrap()];
        // The client wrote a fake first entry; nginx appended the real one; another proxy of
        // ours appended its own.
        let headers = with_xff(&["6.6.6.6, 198.51.100.1", "10.0.0.2"]);
        let c = client(peer("10.0.0.3"), &headers, &proxies);
        assert_eq!(c.address.to_string(), "198.51.100.1");
        // No header: the proxy itself.
        let c = client(peer("10.0.0.3"), &HeaderMap::new(), &proxies);
        assert_eq!(c.address.to_string(), "10.0.0.3");
        // Garbage stops the walk at the last address believed.
        let c = client(
            peer("10.0.0.3"),
            &with_xff(&["1.2.3.4, junk, 10.0.0.9"]),
            &proxies,
        );
        assert_eq!(c.address.to_string(), "10.0.0.9");
    }
}
