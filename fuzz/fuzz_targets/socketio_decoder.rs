//! `proto::Decoder` fed a sequence of text and binary messages, as one connection would
//! receive them, so that binary packets are reassembled (placeholders, attachments).
//!
//! Input format: messages separated by the byte 0xFF (never part of UTF-8 text); a
//! message starting with 0xFE is binary (the bytes after it), any other is text (its
//! longest valid UTF-8 prefix: the Socket.IO packet, without the Engine.IO `4`).
//! Example: `51-["a",{"_placeholder":true,"num":0}]` 0xFF 0xFE `\x01\x02`.
//!
//! Never panics, whatever the order (the decoders keep their state across errors, which
//! is more than a server does: it closes the session on the first error). Two decoders
//! read the same messages: one with the default limits (10 attachments, bytes unbounded)
//! and one with tight ones (3 attachments, 16 bytes); until their results first differ
//! (the tight one refusing), a packet of the tight one is the default one's packet too.
//! Each decoded packet is encoded again with `proto::packet::encode*` and must decode,
//! through the Engine.IO message packet and a fresh decoder, to the same packet;
//! `encode_event` and `encode_ack` must write the same frames as `encode`.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sio_core::engine::{Frame, Packet as EnginePacket};
use sio_core::proto::packet::{encode_ack, encode_event};
use sio_core::proto::{encode, Decoded, Decoder, DecoderLimits, Packet, PacketType, ParseError};
use sio_core::Value;

mod common;

const TIGHT: DecoderLimits = DecoderLimits { max_attachments: 3, max_attachment_bytes: 16 };
const UNBOUNDED: DecoderLimits = DecoderLimits { max_attachments: usize::MAX, max_attachment_bytes: usize::MAX };

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::default();
    let mut tight = Decoder::new(TIGHT);
    let mut in_step = true;
    for msg in data.split(|&b| b == 0xFF) {
        let feed = |d: &mut Decoder| match msg.split_first() {
            Some((0xFE, bin)) => d.binary(Bytes::copy_from_slice(bin)),
            _ => d.text(common::utf8_prefix(msg)),
        };
        let result = feed(&mut decoder);
        let tight_result = feed(&mut tight);
        if let Ok(Decoded::Packet(p)) = &result {
            check_round_trip(p);
        }
        if in_step && result != tight_result {
            assert_eq!(tight_result, Err(ParseError::AttachmentsTooLarge), "tight limits, default gave {result:?}");
            in_step = false;
        }
    }
});

fn check_round_trip(p: &Packet) {
    let has_binary = p.data.has_binary();
    let (plain, binary) = match p.kind {
        PacketType::Event | PacketType::BinaryEvent => (PacketType::Event, PacketType::BinaryEvent),
        PacketType::Ack | PacketType::BinaryAck => (PacketType::Ack, PacketType::BinaryAck),
        other => {
            assert!(!has_binary, "only binary packet types carry buffers: {p:?}");
            (other, other)
        }
    };
    // Data is `Null` only when the packet had none (no type accepts a JSON null).
    let data = (p.data != Value::Null).then_some(&p.data);
    let frames = encode(plain, &p.nsp, p.id, data);
    assert_eq!(frames.len(), 1 + count_buffers(&p.data));

    match (plain, p.data.as_array()) {
        (PacketType::Event, Some(items)) => {
            if let Some(Value::String(name)) = items.first() {
                assert_eq!(encode_event(&p.nsp, p.id, name, &items[1..]), frames, "encode_event vs encode");
            }
        }
        (PacketType::Ack, Some(items)) => {
            if let Some(id) = p.id {
                assert_eq!(encode_ack(&p.nsp, id, items), frames, "encode_ack vs encode");
            }
        }
        _ => {}
    }

    // Unbounded: a packet may use one attachment in several places, and then it is
    // encoded with one attachment per place.
    let mut decoder = Decoder::new(UNBOUNDED);
    let mut out = None;
    let last = frames.len() - 1;
    for (i, frame) in frames.into_iter().enumerate() {
        let r = match &frame {
            Frame::Text(t) => match EnginePacket::decode(t.as_str()) {
                Ok(EnginePacket::Message(m)) => decoder.text(m),
                other => panic!("an encoded packet is an Engine.IO message, got {other:?}"),
            },
            Frame::Binary(b) => decoder.binary(b.clone()),
        };
        match r {
            Ok(Decoded::Pending) if i < last => {}
            Ok(Decoded::Packet(q)) if i == last => out = Some(q),
            other => panic!("re-encoded {p:?}: frame {i}/{last} gave {other:?}"),
        }
    }
    let q = out.expect("last frame completes the packet");
    let kind = if has_binary { binary } else { plain };
    assert_eq!((q.kind, &q.nsp, q.id), (kind, &p.nsp, p.id), "{p:?}");
    assert!(common::same_value(&q.data, &p.data), "{p:?}\n  decoded again: {:?}", q.data);
}

fn count_buffers(v: &Value) -> usize {
    match v {
        Value::Binary(_) => 1,
        Value::Array(a) => a.iter().map(count_buffers).sum(),
        Value::Object(o) => o.values().map(count_buffers).sum(),
        _ => 0,
    }
}
