//! Entry points for the fuzz targets (`fuzz/fuzz_targets/redis_cluster.rs`): the private
//! decoders of the sharded and streams adapters, on bytes that come from Redis. Not API.
use bytes::BytesMut;
use sio_core::Value;

use crate::cluster_proto::Message;
use crate::shard_sub::{parse, Reply};

/// Reads RESP replies from `bytes` arriving in two pieces split at `cut`: the replies
/// read, or the parser's error. The same bytes in one piece must read the same.
pub fn resp_replies(bytes: &[u8], cut: usize) -> Result<usize, String> {
    let cut = cut.min(bytes.len());
    let mut buf = BytesMut::from(&bytes[..cut]);
    let mut split = Vec::new();
    while let Some(r) = parse(&mut buf)? {
        split.push(r);
    }
    buf.extend_from_slice(&bytes[cut..]);
    while let Some(r) = parse(&mut buf)? {
        split.push(r);
    }
    let mut whole = BytesMut::from(bytes);
    let mut once = Vec::new();
    while let Some(r) = parse(&mut whole).expect("the split input parsed") {
        once.push(r);
    }
    assert_eq!(split, once, "replies depend on how the bytes arrived");
    Ok(once.iter().map(depth).sum())
}

fn depth(r: &Reply) -> usize {
    match r {
        Reply::Array(items) => 1 + items.iter().map(depth).sum::<usize>(),
        _ => 1,
    }
}

/// A message of the sharded adapter (JSON or MessagePack, as `onRawMessage` reads it):
/// decoded, it encodes back to the same message.
pub fn cluster_message(bytes: &[u8]) -> Option<Value> {
    let msg = crate::codec::decode_message(bytes).and_then(Message::from_value)?;
    let again = Message::from_value(msg.to_value()).expect("a message encodes to a message");
    assert_eq!(again, msg, "message round trip");
    Some(msg.to_value())
}

/// A stream entry of the streams adapter, from its fields (`uid`, `nsp`, `type`, `data`).
pub fn stream_entry(fields: &[(&str, Vec<u8>)]) -> Option<Value> {
    let msg = crate::streams::entry_message(|name| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))?;
    Some(msg.to_value())
}
