//! Which close codes a peer may put in its close frame (RFC 6455, sections 7.4.1 and 7.4.2,
//! and the IANA registry): the server refuses any other with 1002.

/// Whether `code` may appear in a close frame a peer sends: 1000–1003, 1007–1014 (1012
/// service restart, 1013 try again later, which this server sends itself, 1014 bad gateway),
/// and 3000–4999 (registered and private use). 1004–1006 and 1015 are reserved and never
/// sent on the wire; everything below 1000 or from 5000 on is undefined.
pub fn is_valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_a_peer_may_send() {
        let valid: Vec<u16> = (0..=u16::MAX).filter(|c| is_valid(*c)).collect();
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1014)
            .chain(3000..=4999)
            .collect();
        assert_eq!(valid, expected);
        // The server's own codes are all valid from a peer too.
        for code in [1000, 1001, 1002, 1007, 1008, 1009, 1011, 1013, 4001] {
            assert!(is_valid(code), "{code}");
        }
    }
}
