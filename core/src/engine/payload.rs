//! Long-polling payloads: packets joined by the record separator `\x1e`, binary
//! packets written as `b` + base64.
use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::packet::{Frame, Packet, PacketError};

/// The separator between packets of one polling payload.
pub const SEPARATOR: char = '\x1e';

/// Joins frames into one polling response body.
pub fn encode(frames: &[Frame]) -> Bytes {
    let len: usize = frames.iter().map(|f| f.polling_len() + 1).sum();
    let mut out = BytesMut::with_capacity(len);
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.put_u8(SEPARATOR as u8);
        }
        match f {
            Frame::Text(t) => out.put_slice(t.as_bytes()),
            Frame::Binary(b) => {
                out.put_u8(b'b');
                out.put_slice(base64::engine::general_purpose::STANDARD.encode(b).as_bytes());
            }
        }
    }
    out.freeze()
}

/// Base64 as the reference decodes it: padding optional, stray trailing bits ignored.
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Splits a polling request body into packets. Fails on the first bad packet: the
/// protocol closes the session on any malformed payload.
pub fn decode(body: &str) -> Result<Vec<Packet<'_>>, PacketError> {
    body.split(SEPARATOR)
        .map(|part| match part.strip_prefix('b') {
            Some(b64) => LENIENT.decode(b64).map(|v| Packet::Binary(v.into())).map_err(|_| PacketError::InvalidBase64),
            None => Packet::decode(part),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_text_and_binary() {
        let frames =
            [Frame::message("hello"), Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])), Frame::Text("2".into())];
        assert_eq!(&encode(&frames)[..], b"4hello\x1ebAQIDBA==\x1e2");
    }

    #[test]
    fn accepts_unpadded_base64_as_the_reference() {
        assert_eq!(decode("bAQIDBA").unwrap(), vec![Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))]);
        assert_eq!(decode("bAQIDBA=").unwrap(), vec![Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))]);
        assert!(decode("b!!!").is_err());
    }

    #[test]
    fn decodes_mixed_payload() {
        let p = decode("4hello\x1ebAQIDBA==\x1e3").unwrap();
        assert_eq!(
            p,
            vec![Packet::Message("hello"), Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])), Packet::Pong("")]
        );
    }

    #[test]
    fn rejects_bad_parts() {
        assert_eq!(decode("4a\x1e"), Err(PacketError::Empty));
        assert_eq!(decode("b!!!"), Err(PacketError::InvalidBase64));
        assert_eq!(decode("9"), Err(PacketError::UnknownType('9')));
    }

    proptest::proptest! {
        #[test]
        fn round_trip(texts in proptest::collection::vec("[^\x1e]*", 1..5), bins in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..3)) {
            let mut frames: Vec<Frame> = texts.iter().map(|t| Frame::message(t)).collect();
            frames.extend(bins.iter().map(|b| Frame::Binary(Bytes::from(b.clone()))));
            let body = encode(&frames);
            let decoded = decode(std::str::from_utf8(&body).unwrap()).unwrap();
            let back: Vec<Frame> = decoded.iter().map(Packet::encode).collect();
            proptest::prop_assert_eq!(back, frames);
        }

        #[test]
        fn arbitrary_bodies_never_panic(s in ".*") {
            let _ = decode(&s);
        }
    }
}
