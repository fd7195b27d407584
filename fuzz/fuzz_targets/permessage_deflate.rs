//! permessage-deflate (RFC 7692): the server's choice among a client's offers, the client's
//! reading of a server's answer, and the stream under tungstenite that parses frame headers
//! and inflates compressed messages from any bytes a peer sends. Never panics; what a
//! message inflates to stays bounded by the limit (plus one chunk and the frame headers).
//!
//! Input: a first line (the `Sec-WebSocket-Extensions` offer), then the bytes after the 101.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_core::fuzzing::permessage_deflate_server;

mod common;

const LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let offer = common::utf8_prefix(&data[..split]);
    let rest = data.get(split + 1..).unwrap_or_default();
    let out = permessage_deflate_server(offer, rest, LIMIT);
    // Uncompressed frames pass as they are; inflated ones at most LIMIT per message, each
    // in frames of at most 16 KiB plus a header, over at most rest.len() compressed messages.
    assert!(out <= rest.len() * 2 + (LIMIT + 16 * 1024 * 2) * (1 + rest.len() / 2), "{out} bytes from {}", rest.len());
});
