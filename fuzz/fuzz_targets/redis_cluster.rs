//! What the sharded and streams Redis adapters read from Redis: RESP replies of the
//! sharded subscriber (any split of the bytes reads the same replies; bounded nesting
//! and sizes), socket.io-adapter cluster messages (JSON or MessagePack, round trip), and
//! stream entries (fields `uid`, `nsp`, `type`, `data` as JSON or base64 MessagePack).
//! Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_redis::fuzzing::{cluster_message, resp_replies, stream_entry};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else { return };
    let _ = resp_replies(rest, cut as usize);
    let _ = cluster_message(rest);
    // Fields from the input: `type` is its first byte as a decimal, `data` the rest.
    let fields = [
        ("uid", b"u".to_vec()),
        ("nsp", b"/".to_vec()),
        ("type", (cut % 16).to_string().into_bytes()),
        ("data", rest.to_vec()),
    ];
    let _ = stream_entry(&fields);
});
