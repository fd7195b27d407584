//! The Redis adapter's message codec (`sio_redis::codec`): `decode_message` (JSON when
//! the message starts with `{`, MessagePack otherwise) and `decode_msgpack`. Never
//! panics; a decoded value encodes back (`encode_msgpack`, `encode_json`) to a message
//! that decodes to the same value.
//!
//! The request handling in adapters/redis/src/requests.rs (`on_message`) is private and
//! needs a running adapter; the field reads it does on a decoded request are done here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_core::Value;
use sio_redis::codec::{decode_message, decode_msgpack, encode_json, encode_msgpack, strings};

mod common;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = decode_msgpack(data) {
        assert_eq!(decode_msgpack(&encode_msgpack(&v)).as_ref(), Some(&v), "msgpack round trip");
        // a broadcast: [uid, packet, opts]
        if let Value::Array(parts) = &v {
            if parts.len() >= 3 {
                read_opts(Some(&parts[2]));
                let _ = parts[1].get("nsp").and_then(Value::as_str);
                let _ = parts[1].get("data").and_then(Value::as_array);
            }
        }
    }
    let Some(req) = decode_message(data) else {
        return;
    };
    read_request(&req);
    if data.first() == Some(&b'{') {
        assert!(matches!(req, Value::Object(_)), "JSON that starts with {{ is an object: {req:?}");
        let json = encode_json(&req);
        let again = decode_message(&json).expect("encode_json writes JSON");
        assert!(common::same_value(&again, &req), "JSON round trip: {req:?}\n  decoded again: {again:?}");
    } else {
        assert_eq!(decode_msgpack(data).as_ref(), Some(&req));
    }
});

/// The reads `requests::on_request` / `on_response` do on a decoded message.
fn read_request(req: &Value) {
    let _ = req.get("type").and_then(Value::as_i64);
    let _ = req.get("uid").and_then(Value::as_str);
    let _ = req.get("requestId").and_then(Value::as_str);
    let _ = strings(req.get("rooms"));
    let _ = req.get("sid").and_then(Value::as_str);
    let _ = req.get("room").and_then(Value::as_str);
    let _ = req.get("close").and_then(Value::as_bool);
    let _ = req.get("data").and_then(Value::as_array);
    let _ = req.get("packet").and_then(|p| p.get("data")).and_then(Value::as_array);
    let _ = req.get("clientCount").and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
    read_opts(req.get("opts"));
    if let Some(Value::Array(sockets)) = req.get("sockets") {
        for s in sockets {
            let _ = s.get("id").and_then(Value::as_str);
            let _ = strings(s.get("rooms"));
        }
    }
}

/// `requests::opts_from`.
fn read_opts(v: Option<&Value>) {
    let flags = v.and_then(|o| o.get("flags"));
    let _ = strings(v.and_then(|o| o.get("rooms")));
    let _ = strings(v.and_then(|o| o.get("except")));
    let _ = flags.and_then(|f| f.get("volatile")).and_then(Value::as_bool);
    let _ = flags
        .and_then(|f| f.get("timeout"))
        .and_then(Value::as_i64)
        .map(|ms| std::time::Duration::from_millis(ms.max(0) as u64));
}
