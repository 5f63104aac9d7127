//! The decoder on arbitrary bytes cut at arbitrary points: it never panics, never keeps more
//! than one frame header and one message of bytes for an incomplete frame, and reaches the
//! same messages and the same end however the bytes are cut (all at once, at the fuzzer's
//! cuts, or one byte at a time).

#![no_main]

use chat_fuzz::{decode_in_chunks, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let whole = decode_in_chunks(input.bytes, &[], input.max_message);
    let cut = decode_in_chunks(input.bytes, &input.cuts, input.max_message);
    assert_eq!(whole, cut, "cut at {:?}", input.cuts);
    if input.bytes.len() <= 512 {
        let every: Vec<usize> = (0..input.bytes.len()).collect();
        let bytewise = decode_in_chunks(input.bytes, &every, input.max_message);
        assert_eq!(whole, bytewise, "byte by byte");
    }
});
