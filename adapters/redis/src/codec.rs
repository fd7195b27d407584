//! Values on the wire between nodes: MessagePack (what notepack.io writes for packets and
//! broadcast acks) and JSON (the reference's other requests and responses).
use bytes::Bytes;
use sio_core::Value;

/// Encodes a value as MessagePack bytes (as notepack.io writes them: `sio_core::msgpack`).
pub fn encode_msgpack(v: &Value) -> Vec<u8> {
    sio_core::msgpack::to_vec(v)
}

/// Decodes a request or response: JSON when it starts with `{` (as the reference checks),
/// MessagePack otherwise. `None` for malformed input.
pub fn decode_message(bytes: &[u8]) -> Option<Value> {
    if bytes.first() == Some(&b'{') {
        let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        return Some(revive_buffers(Value::from(json)));
    }
    decode_msgpack(bytes)
}

/// Decodes MessagePack bytes; `None` when malformed.
pub fn decode_msgpack(bytes: &[u8]) -> Option<Value> {
    sio_core::msgpack::read(bytes).ok()
}

/// Encodes a value as JSON text, binary as Node's `JSON.stringify` writes a Buffer
/// (`{"type":"Buffer","data":[..]}`): the reference sends some requests (server-side
/// events) as JSON, so that is the form its nodes exchange.
pub fn encode_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(&node_json(v)).expect("a JSON value always serialises")
}

fn node_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Binary(b) => serde_json::json!({ "type": "Buffer", "data": b.as_ref() }),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(node_json).collect()),
        Value::Object(o) => serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), node_json(v))).collect()),
        other => other.to_json_lossy(),
    }
}

/// Turns the JSON form of a Node Buffer back into binary (Node itself leaves it an
/// object; sio hands its users the bytes the sender meant).
fn revive_buffers(v: Value) -> Value {
    if let Some(bytes) = buffer_bytes(&v) {
        return Value::Binary(Bytes::from(bytes));
    }
    match v {
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, revive_buffers(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(revive_buffers).collect()),
        other => other,
    }
}

fn buffer_bytes(v: &Value) -> Option<Vec<u8>> {
    let o = v.as_object()?;
    if o.len() != 2 || o.get("type").and_then(Value::as_str) != Some("Buffer") {
        return None;
    }
    o.get("data")?.as_array()?.iter().map(|x| x.as_i64().and_then(|n| u8::try_from(n).ok())).collect()
}

/// A list of strings from an array value (anything else is empty).
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_binary_and_nested_values() {
        let v = Value::from([
            ("n", Value::from(-3i64)),
            ("u", Value::from(u64::MAX)),
            ("f", Value::from(1.5)),
            ("bin", Value::Binary(Bytes::from_static(&[0, 1, 255]))),
            ("list", Value::Array(vec![Value::Null, Value::Bool(true), "s".into()])),
        ]);
        assert_eq!(decode_msgpack(&encode_msgpack(&v)), Some(v));
    }

    #[test]
    fn binary_crosses_json_as_a_node_buffer() {
        let v = Value::from([("bin", Value::Binary(Bytes::from_static(&[0, 1, 255]))), ("n", Value::from(1i64))]);
        let json = encode_json(&v);
        assert_eq!(std::str::from_utf8(&json).unwrap(), r#"{"bin":{"type":"Buffer","data":[0,1,255]},"n":1}"#);
        assert_eq!(decode_message(&json), Some(v));
        // look-alikes stay objects
        let other = br#"{"a":{"type":"Buffer","data":[256]},"b":{"type":"Buffer","data":[1],"x":0}}"#;
        let got = decode_message(other).unwrap();
        assert!(got.get("a").and_then(|a| a.get("type")).is_some());
        assert!(got.get("b").and_then(|b| b.get("x")).is_some());
    }

    #[test]
    fn decodes_json_or_msgpack_and_rejects_garbage() {
        assert_eq!(decode_message(br#"{"type":0}"#), Some(Value::from([("type", Value::from(0i64))])));
        let mp = encode_msgpack(&Value::from([("type", Value::from(7i64))]));
        assert_eq!(decode_message(&mp).and_then(|v| v.get("type").and_then(Value::as_i64)), Some(7));
        assert_eq!(decode_message(b"{not json"), None);
        assert_eq!(decode_message(&[0x92, 0x01]), None, "an array of two with one element is truncated");
    }
}
