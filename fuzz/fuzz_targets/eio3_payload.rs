//! Engine.IO 3 polling bodies (`engine::eio3`, socket.io-client 2.x under `allow_eio3`): the
//! same bytes as a text body (`<len>:<packet>` records, lengths in UTF-16 units) and as an
//! `application/octet-stream` body (binary records). Never panics; what decodes encodes back,
//! in both response forms, to a body that decodes to the same packets.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sio_core::engine::{eio3, Frame, Packet};

mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(packets) = eio3::decode_text(common::utf8_prefix(data)) {
        round_trip(&packets);
    }
    let body = Bytes::copy_from_slice(data);
    if let Ok(packets) = eio3::decode_binary(&body) {
        round_trip(&packets);
    }
});

fn round_trip(packets: &[Packet<'_>]) {
    let frames: Vec<Frame> = packets.iter().map(Packet::encode).collect();
    for binary_ok in [false, true] {
        let (body, binary) = eio3::encode_payload(&frames, binary_ok);
        assert!(binary_ok || !binary, "a client without binary support got binary records");
        let again = if binary {
            eio3::decode_binary(&body)
        } else {
            eio3::decode_text(std::str::from_utf8(&body).expect("a text payload is UTF-8"))
        };
        assert_eq!(again.as_deref(), Ok(packets), "binary_ok={binary_ok}: {body:?}");
    }
}
