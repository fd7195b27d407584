//! `engine::payload::decode` on arbitrary text (a long-polling body: packets joined by
//! `\x1e`, binary ones as `b` + base64): never panics, and what it decodes encodes back
//! to a body that decodes to the same packets (text records with data byte-exact).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_core::engine::{payload, Frame, Packet};

mod common;

fuzz_target!(|data: &[u8]| {
    let body = common::utf8_prefix(data);
    let Ok(packets) = payload::decode(body) else {
        return;
    };
    let parts: Vec<&str> = body.split(payload::SEPARATOR).collect();
    assert_eq!(packets.len(), parts.len());
    let frames: Vec<Frame> = packets.iter().map(Packet::encode).collect();
    for ((packet, frame), part) in packets.iter().zip(&frames).zip(&parts) {
        if matches!(packet, Packet::Open(_) | Packet::Ping(_) | Packet::Pong(_) | Packet::Message(_)) {
            assert_eq!(frame, &Frame::Text((*part).into()));
        }
    }
    let encoded = payload::encode(&frames);
    let expected_len: usize = frames.iter().map(|f| f.polling_len()).sum::<usize>() + frames.len() - 1;
    assert_eq!(encoded.len(), expected_len, "polling_len disagrees with encode");
    let encoded = std::str::from_utf8(&encoded).expect("a payload is UTF-8");
    assert_eq!(payload::decode(encoded).as_ref(), Ok(&packets), "{body:?} -> {encoded:?}");
});
