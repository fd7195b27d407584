//! `engine::Packet::decode` on arbitrary text: never panics, and a decoded packet
//! encodes to a frame that decodes to the same packet (byte-exact for the types whose
//! data the packet keeps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_core::engine::{Frame, Packet};

mod common;

fuzz_target!(|data: &[u8]| {
    let text = common::utf8_prefix(data);
    let Ok(packet) = Packet::decode(text) else {
        return;
    };
    assert!(!matches!(packet, Packet::Binary(_)), "text never decodes to binary");
    let frame = packet.encode();
    assert_eq!(frame.kind(), text.chars().next());
    let _ = frame.polling_len();
    assert_eq!(frame.packet().as_ref(), Ok(&packet), "{text:?}");
    if matches!(packet, Packet::Open(_) | Packet::Ping(_) | Packet::Pong(_) | Packet::Message(_)) {
        assert_eq!(frame, Frame::Text(text.into()));
    }
    if let Packet::Message(m) = packet {
        assert_eq!(Frame::message(m), frame);
    }
});
