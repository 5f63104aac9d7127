//! `ClientFrame` parsing on arbitrary text: never a panic, and whatever parses serializes to
//! JSON that parses back to the same frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::ClientFrame;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = serde_json::from_str::<ClientFrame>(text) {
        let _ = frame.req();
        let json = serde_json::to_string(&frame).expect("a parsed frame serializes");
        let again: ClientFrame = serde_json::from_str(&json).expect("its JSON parses");
        assert_eq!(frame, again);
    }
});
