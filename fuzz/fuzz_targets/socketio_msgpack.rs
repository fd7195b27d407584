//! The msgpack parser (`socket.io-msgpack-parser`'s packets, `Parser::Msgpack`): every input
//! is one binary Engine.IO message. Never panics; a decoded packet encodes again (with
//! `Parser::encode`, and `encode_event`/`encode_ack` for events and acks) into one binary
//! frame that decodes to the same packet. Text is always refused by this decoder.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sio_core::engine::Frame;
use sio_core::proto::{Decoded, DecoderLimits, Packet, PacketType, Parser};
use sio_core::Value;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut decoder = Parser::Msgpack.decoder(DecoderLimits::default());
    assert!(decoder.text(common::utf8_prefix(data)).is_err(), "msgpack packets are never text");
    if let Ok(Decoded::Packet(p)) = decoder.binary(Bytes::copy_from_slice(data)) {
        check_round_trip(&p);
    }
});

fn check_round_trip(p: &Packet) {
    let data = (p.data != Value::Null).then_some(&p.data);
    let frames = Parser::Msgpack.encode(p.kind, &p.nsp, p.id, data);
    match (p.kind, p.data.as_array()) {
        (PacketType::Event, Some(items)) => {
            if let Some(Value::String(name)) = items.first() {
                assert_eq!(Parser::Msgpack.encode_event(&p.nsp, p.id, name, &items[1..]), frames, "encode_event vs encode");
            }
        }
        (PacketType::Ack, Some(items)) => {
            if let Some(id) = p.id {
                assert_eq!(Parser::Msgpack.encode_ack(&p.nsp, id, items), frames, "encode_ack vs encode");
            }
        }
        _ => {}
    }
    let [Frame::Binary(bytes)] = frames.as_slice() else {
        panic!("a msgpack packet is one binary frame: {frames:?}");
    };
    let mut decoder = Parser::Msgpack.decoder(DecoderLimits::default());
    let Ok(Decoded::Packet(q)) = decoder.binary(bytes.clone()) else {
        panic!("re-encoded {p:?} does not decode");
    };
    assert_eq!((q.kind, &q.nsp, q.id), (p.kind, &p.nsp, p.id), "{p:?}");
    assert!(common::same_value(&q.data, &p.data), "{p:?}\n  decoded again: {:?}", q.data);
}
