//! The handshake's header rules on arbitrary header values: never a panic, and a request is
//! accepted only with a `Host`, `Upgrade: websocket`, version 13 and a key of 16 bytes in
//! base64, whose accept value is 28 characters of base64.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::handshake::{self, Request};

/// Reads `data` as a byte whose low five bits say which headers are present, then up to
/// five header values separated by `0xFF` bytes.
fn fields(data: &[u8]) -> [Option<&[u8]>; 5] {
    let mut out = [None; 5];
    let Some((&present, rest)) = data.split_first() else {
        return out;
    };
    for (i, (slot, field)) in out.iter_mut().zip(rest.split(|b| *b == 0xFF)).enumerate() {
        *slot = (present & (1 << i) != 0).then_some(field);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [host, connection, upgrade, version, key] = fields(data);
    let request = Request {
        host,
        connection_upgrade: connection.is_some_and(|c| handshake::has_token(c, "upgrade")),
        upgrade,
        version,
        key,
    };
    match handshake::check(&request) {
        Ok(accept) => {
            assert!(host.is_some());
            assert!(upgrade.is_some_and(|u| u.eq_ignore_ascii_case(b"websocket")));
            assert_eq!(version, Some(&b"13"[..]));
            let key = key.expect("a key");
            assert!(handshake::is_valid_key(key));
            assert_eq!(key.len(), 24);
            assert_eq!(accept.len(), 28);
            assert_eq!(accept, handshake::accept_key(key));
        }
        Err(_) => {
            if let Some(key) = key {
                // Whatever else is wrong, key validation itself never panics.
                let _ = handshake::is_valid_key(key);
            }
        }
    }
});
