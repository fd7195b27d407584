//! Engine.IO protocol 3 on the wire (socket.io-client 2.x, served when `allow_eio3` is on),
//! as engine.io-parser 2 writes it:
//! - polling payloads are length-prefixed: `<len>:<packet>` with the length in UTF-16 code
//!   units, binary packets as `b4` + base64; or, when the client takes binary (no `b64`
//!   query parameter) and a packet is binary, an `application/octet-stream` payload of
//!   `<0|1><length digits as bytes>0xFF<data>` records (text records are UTF-8);
//! - a binary packet starts with its type byte (4, message), over WebSocket too.
use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::packet::{Frame, Packet, PacketError};

/// The type byte of a binary message.
const MESSAGE: u8 = 4;
/// Length digits a record may have (engine.io-parser gives up past 310).
const MAX_DIGITS: usize = 20;

/// A binary frame as protocol 3 sends it over WebSocket: the type byte first.
pub fn ws_out(frame: Frame) -> Frame {
    match frame {
        Frame::Binary(b) => {
            let mut out = BytesMut::with_capacity(b.len() + 1);
            out.put_u8(MESSAGE);
            out.put_slice(&b);
            Frame::Binary(out.freeze())
        }
        text => text,
    }
}

/// A binary WebSocket message of protocol 3: the type byte, then the data.
pub fn ws_in(data: Bytes) -> Result<Packet<'static>, PacketError> {
    match data.first() {
        Some(&MESSAGE) => Ok(Packet::Binary(data.slice(1..))),
        Some(&t) => Err(PacketError::UnknownType(char::from(b'0'.saturating_add(t)))),
        None => Err(PacketError::Empty),
    }
}

/// A polling response: binary records when the client takes binary and a frame is
/// binary (true in the second field: `application/octet-stream`), text otherwise.
pub fn encode_payload(frames: &[Frame], binary_ok: bool) -> (Bytes, bool) {
    if binary_ok && frames.iter().any(|f| matches!(f, Frame::Binary(_))) {
        return (encode_binary(frames), true);
    }
    let mut out = BytesMut::new();
    for f in frames {
        match f {
            Frame::Text(t) => {
                let units: usize = t.chars().map(char::len_utf16).sum();
                out.put_slice(format!("{units}:").as_bytes());
                out.put_slice(t.as_bytes());
            }
            Frame::Binary(b) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(b);
                out.put_slice(format!("{}:b4", b64.len() + 2).as_bytes());
                out.put_slice(b64.as_bytes());
            }
        }
    }
    (out.freeze(), false)
}

fn encode_binary(frames: &[Frame]) -> Bytes {
    let mut out = BytesMut::new();
    let mut record = |kind: u8, head: &[u8], data: &[u8]| {
        out.put_u8(kind);
        for d in (head.len() + data.len()).to_string().bytes() {
            out.put_u8(d - b'0');
        }
        out.put_u8(0xFF);
        out.put_slice(head);
        out.put_slice(data);
    };
    for f in frames {
        match f {
            Frame::Text(t) => record(0, &[], t.as_bytes()),
            Frame::Binary(b) => record(1, &[MESSAGE], b),
        }
    }
    out.freeze()
}

/// A text POST body: `<len>:<packet>` records.
pub fn decode_text(body: &str) -> Result<Vec<Packet<'_>>, PacketError> {
    let mut packets = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let colon = rest.find(':').filter(|&c| c > 0 && c <= MAX_DIGITS).ok_or(PacketError::Empty)?;
        let units: usize = rest[..colon].parse().map_err(|_| PacketError::Empty)?;
        rest = &rest[colon + 1..];
        let end = utf16_offset(rest, units).ok_or(PacketError::Empty)?;
        let (msg, tail) = rest.split_at(end);
        rest = tail;
        if msg.is_empty() {
            continue;
        }
        packets.push(match msg.strip_prefix('b') {
            Some(b64) => {
                let b64 = b64.strip_prefix('4').ok_or(PacketError::InvalidBase64)?;
                let data =
                    base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| PacketError::InvalidBase64)?;
                Packet::Binary(data.into())
            }
            None => Packet::decode(msg)?,
        });
    }
    Ok(packets)
}

/// The byte offset of `units` UTF-16 code units into `s` (None: past its end, or inside a
/// character).
fn utf16_offset(s: &str, units: usize) -> Option<usize> {
    let mut seen = 0;
    for (at, c) in s.char_indices() {
        if seen == units {
            return Some(at);
        }
        seen += c.len_utf16();
    }
    (seen == units).then_some(s.len())
}

/// An `application/octet-stream` POST body: binary records.
pub fn decode_binary(body: &Bytes) -> Result<Vec<Packet<'_>>, PacketError> {
    let mut packets = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let is_text = match body[at] {
            0 => true,
            1 => false,
            _ => return Err(PacketError::Empty),
        };
        at += 1;
        let mut len: usize = 0;
        let mut digits = 0;
        loop {
            let d = *body.get(at).ok_or(PacketError::Empty)?;
            at += 1;
            if d == 0xFF {
                break;
            }
            digits += 1;
            if d > 9 || digits > MAX_DIGITS {
                return Err(PacketError::Empty);
            }
            len = len.checked_mul(10).and_then(|l| l.checked_add(usize::from(d))).ok_or(PacketError::Empty)?;
        }
        let end = at.checked_add(len).filter(|&e| e <= body.len()).ok_or(PacketError::Empty)?;
        let data = &body[at..end];
        at = end;
        if is_text {
            let text = std::str::from_utf8(data).map_err(|_| PacketError::Empty)?;
            packets.push(Packet::decode(text)?);
        } else {
            packets.push(ws_in(body.slice(end - len..end))?);
        }
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payloads_count_utf16_units() {
        let frames = [Frame::message("é😀"), Frame::Binary(Bytes::from_static(&[1, 2, 3]))];
        let (body, binary) = encode_payload(&frames, false);
        assert!(!binary);
        // "4é😀" is 1 + 1 + 2 UTF-16 units; the base64 of 3 bytes is 4 characters
        assert_eq!(&body[..], "4:4é😀6:b4AQID".as_bytes());
        let packets = decode_text(std::str::from_utf8(&body).unwrap()).unwrap();
        assert_eq!(packets, vec![Packet::Message("é😀"), Packet::Binary(Bytes::from_static(&[1, 2, 3]))]);
        assert_eq!(decode_text("1:21:2").unwrap(), vec![Packet::Ping(""), Packet::Ping("")]);
        for bad in ["5:4ab", "x:4", ":", "2:b9", "3:4é😀"] {
            assert!(decode_text(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn binary_payloads_as_engine_io_parser_2_writes_them() {
        let frames = [Frame::message("hé"), Frame::Binary(Bytes::from_static(&[9, 8]))];
        let (body, binary) = encode_payload(&frames, true);
        assert!(binary);
        assert_eq!(&body[..], b"\x00\x04\xff4h\xc3\xa9\x01\x03\xff\x04\x09\x08");
        assert_eq!(
            decode_binary(&body).unwrap(),
            vec![Packet::Message("hé"), Packet::Binary(Bytes::from_static(&[9, 8]))]
        );
        for bad in [&b"\x02\x01\xff4"[..], b"\x00\x09\xff4", b"\x00\x01", b"\x01\x01\xff\x02", b"\x00\x0a\xff4"] {
            assert!(decode_binary(&Bytes::copy_from_slice(bad)).is_err(), "{bad:?}");
        }
        // text only: a text payload even when binary would be accepted
        assert_eq!(encode_payload(&[Frame::message("a")], true), (Bytes::from_static(b"2:4a"), false));
    }

    #[test]
    fn websocket_binary_has_its_type_byte() {
        assert_eq!(ws_out(Frame::Binary(Bytes::from_static(&[7]))), Frame::Binary(Bytes::from_static(&[4, 7])));
        assert_eq!(ws_in(Bytes::from_static(&[4, 7])), Ok(Packet::Binary(Bytes::from_static(&[7]))));
        assert!(ws_in(Bytes::from_static(&[2])).is_err());
        assert!(ws_in(Bytes::new()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64), s in ".*") {
            let _ = decode_binary(&Bytes::from(b));
            let _ = decode_text(&s);
        }
    }
}
