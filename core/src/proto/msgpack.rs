//! The packets of `socket.io-msgpack-parser`: one MessagePack map `{type, nsp, data?, id?}`
//! per packet, sent as one binary Engine.IO message. Buffers stay inside the payload (no
//! placeholders, no attachments), so binary events keep the plain EVENT and ACK types.
use bytes::Bytes;

use super::packet::{payload_is_valid, Packet, PacketType, ParseError};
use crate::engine::Frame;
use crate::msgpack;
use crate::value::Value;

/// One packet: `data` writes the payload (when there is one) into the buffer.
pub(crate) fn encode(kind: PacketType, nsp: &str, id: Option<u64>, data: Option<impl FnOnce(&mut Vec<u8>)>) -> Frame {
    let mut out = Vec::with_capacity(64);
    msgpack::write_map_len(2 + usize::from(data.is_some()) + usize::from(id.is_some()), &mut out);
    msgpack::write_str("type", &mut out);
    msgpack::write_uint(kind as u64, &mut out);
    msgpack::write_str("nsp", &mut out);
    msgpack::write_str(nsp, &mut out);
    if let Some(write) = data {
        msgpack::write_str("data", &mut out);
        write(&mut out);
    }
    if let Some(id) = id {
        msgpack::write_str("id", &mut out);
        msgpack::write_uint(id, &mut out);
    }
    Frame::Binary(Bytes::from(out))
}

/// An EVENT `[event, ...args]`.
pub(crate) fn encode_event(nsp: &str, id: Option<u64>, event: &str, args: &[Value]) -> Frame {
    encode(
        PacketType::Event,
        nsp,
        id,
        Some(|out: &mut Vec<u8>| {
            msgpack::write_array_len(1 + args.len(), out);
            msgpack::write_str(event, out);
            args.iter().for_each(|a| msgpack::write(a, out));
        }),
    )
}

/// A packet as the reference msgpack parser checks it: a known type (binary types do not
/// exist here), a string namespace (absent or nil: `/`), an integer id, the payload shape
/// of its type (and, as in sio's JSON parser, no reserved event names).
pub(crate) fn decode(bytes: &[u8]) -> Result<Packet, ParseError> {
    let Value::Object(mut map) = msgpack::read(bytes).map_err(|e| ParseError::InvalidJson(e.to_string()))? else {
        return Err(ParseError::UnknownType);
    };
    let kind = match map.get("type").and_then(Value::as_u64) {
        Some(0) => PacketType::Connect,
        Some(1) => PacketType::Disconnect,
        Some(2) => PacketType::Event,
        Some(3) => PacketType::Ack,
        Some(4) => PacketType::ConnectError,
        _ => return Err(ParseError::UnknownType),
    };
    let nsp = match map.swap_remove("nsp") {
        None | Some(Value::Null) => "/".to_owned(),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ParseError::InvalidNamespace),
    };
    let id = match map.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or(ParseError::InvalidId)?),
    };
    let data = map.swap_remove("data").filter(|d| *d != Value::Null);
    if !payload_is_valid(kind, data.as_ref()) {
        return Err(ParseError::InvalidPayload(kind));
    }
    Ok(Packet::new(kind, nsp, id, data.unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(f: Frame) -> Bytes {
        match f {
            Frame::Binary(b) => b,
            Frame::Text(_) => panic!("msgpack packets are binary"),
        }
    }

    #[test]
    fn round_trips_events_with_buffers_in_place() {
        let args =
            [Value::from(1i64), Value::Binary(Bytes::from_static(b"\x00\xff")), Value::from([("k", "v".into())])];
        let p = decode(&bytes(encode_event("/admin", Some(7), "ev", &args))).unwrap();
        assert_eq!((p.kind, p.nsp.as_str(), p.id), (PacketType::Event, "/admin", Some(7)));
        let mut expected = vec![Value::from("ev")];
        expected.extend(args);
        assert_eq!(p.data, Value::Array(expected));
    }

    #[test]
    fn reads_the_reference_packets() {
        // notepack.encode({type: 0, nsp: "/", data: {token: "x"}}) and a CONNECT without data
        let mut connect = vec![0x83, 0xa4];
        connect.extend(b"type\x00\xa3nsp\xa1/\xa4data\x81\xa5token\xa1x");
        let p = decode(&connect).unwrap();
        assert_eq!((p.kind, p.data.get("token").and_then(Value::as_str)), (PacketType::Connect, Some("x")));
        let p = decode(b"\x82\xa4type\x00\xa3nsp\xa1/").unwrap();
        assert_eq!((p.kind, p.data), (PacketType::Connect, Value::Null));
        // socket.io-client adds `options: {compress}` to events: ignored
        let p = decode(b"\x84\xa4type\x02\xa4data\x91\xa1a\xa7options\x81\xa8compress\xc3\xa3nsp\xa1/").unwrap();
        assert_eq!(p.data, Value::Array(vec!["a".into()]));
    }

    #[test]
    fn refuses_what_the_reference_refuses() {
        for (bad, what) in [
            (&b"\x81\xa4type\x07"[..], "unknown type"),
            (b"\x81\xa4type\x05", "binary types do not exist in msgpack"),
            (b"\x91\x00", "not a map"),
            (b"\x82\xa4type\x02\xa3nsp\x01", "namespace not a string"),
            (b"\x83\xa4type\x02\xa4data\x91\xa1a\xa2id\xff", "negative id"),
            (b"\x82\xa4type\x02\xa4data\x80", "event data not an array"),
            (b"\x82\xa4type\x02\xa4data\x91\xa7connect", "reserved event name"),
            (b"\x82\xa4type\x01\xa4data\x91\x01", "disconnect with data"),
            (b"\x82\xa4type\x02\xa4data", "truncated"),
        ] {
            assert!(decode(bad).is_err(), "{what}");
        }
    }
}
