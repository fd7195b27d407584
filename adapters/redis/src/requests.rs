//! What this node does with the messages of the other nodes: broadcasts, requests (and
//! the responses it owes), and responses to its own requests.
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use sio_core::server::cluster::{BroadcastOptions, RemoteAck, SocketInfo};
use sio_core::Value;
use tokio::sync::oneshot;

use crate::adapter::{object, Inner};
use crate::channels::{self, Kind};
use crate::codec::{decode_message, decode_msgpack, encode_json, encode_msgpack, strings};

/// The request types of `@socket.io/redis-adapter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
}

impl RequestType {
    fn from_i64(n: i64) -> Option<RequestType> {
        use RequestType::*;
        Some(match n {
            0 => Sockets,
            1 => AllRooms,
            2 => RemoteJoin,
            3 => RemoteLeave,
            4 => RemoteDisconnect,
            5 => RemoteFetch,
            6 => ServerSideEmit,
            7 => Broadcast,
            8 => BroadcastClientCount,
            9 => BroadcastAck,
            _ => return None,
        })
    }
}

/// A request of ours waiting for one answer per other node.
pub struct Pending {
    pub kind: RequestType,
    pub expected: usize,
    pub answers: Vec<Value>,
    pub done: Option<oneshot::Sender<Vec<Value>>>,
}

/// A random id like the reference's `uid2(6)` (12 hex digits here).
pub fn new_id() -> String {
    let n: u64 = rand::rng().random();
    format!("{:012x}", n & 0xffff_ffff_ffff)
}

/// Entry point for every message of a subscribed channel.
pub fn on_message(inner: &Arc<Inner>, channel: &str, payload: &[u8]) {
    match channels::kind(&inner.key, channel) {
        Some(Kind::Broadcast) => on_broadcast(inner, channel, payload),
        Some(Kind::Request(ns)) => on_request(inner, ns, payload),
        Some(Kind::Response(_)) => on_response(inner, payload),
        None => {}
    }
}

pub(crate) fn opts_from(v: Option<&Value>) -> BroadcastOptions {
    let flags = v.and_then(|o| o.get("flags"));
    BroadcastOptions {
        rooms: strings(v.and_then(|o| o.get("rooms"))),
        except: strings(v.and_then(|o| o.get("except"))),
        volatile: flags.and_then(|f| f.get("volatile")).and_then(Value::as_bool).unwrap_or(false),
        timeout: flags
            .and_then(|f| f.get("timeout"))
            .and_then(Value::as_i64)
            .map(|ms| Duration::from_millis(ms.max(0) as u64)),
    }
}

/// `[uid, packet, opts]` in MessagePack on `socket.io#/ns#[room#]`.
fn on_broadcast(inner: &Arc<Inner>, channel: &str, payload: &[u8]) {
    let Some(node) = inner.node.get() else { return };
    let Some(Value::Array(mut parts)) = decode_msgpack(payload) else {
        tracing::debug!(channel, "redis adapter: malformed broadcast ignored");
        return;
    };
    if parts.len() < 3 || parts[0].as_str() == Some(inner.uid.as_str()) {
        return;
    }
    let opts = opts_from(Some(&parts[2]));
    let packet = std::mem::take(&mut parts[1]);
    let ns = packet.get("nsp").and_then(Value::as_str).unwrap_or("/").to_owned();
    let prefix = inner.channels(&ns).broadcast;
    let Some(rest) = channel.strip_prefix(prefix.as_str()) else {
        return;
    };
    if let Some(room) = rest.strip_suffix('#') {
        if !node.has_room(&ns, room) {
            return;
        }
    }
    let Some(Value::Array(data)) = packet.get("data").cloned() else {
        return;
    };
    node.broadcast(&ns, data, &opts);
}

fn on_request(inner: &Arc<Inner>, ns: &str, payload: &[u8]) {
    let Some(node) = inner.node.get() else { return };
    let Some(req) = decode_message(payload) else {
        tracing::debug!(ns, "redis adapter: malformed request ignored");
        return;
    };
    let Some(kind) = req.get("type").and_then(Value::as_i64).and_then(RequestType::from_i64) else {
        return;
    };
    let from_self = req.get("uid").and_then(Value::as_str) == Some(inner.uid.as_str());
    let request_id = req.get("requestId").and_then(Value::as_str).map(str::to_owned);
    let ours =
        request_id.as_ref().is_some_and(|id| inner.pending.lock().expect("pending lock poisoned").contains_key(id));
    let respond = |body: Value| inner.link.publish(inner.channels(ns).response, encode_json(&body));
    let with_id = |mut fields: Vec<(&'static str, Value)>| {
        fields.insert(0, ("requestId", Value::from(request_id.clone().unwrap_or_default())));
        object(fields)
    };
    match kind {
        RequestType::Sockets if !ours => {
            let opts = BroadcastOptions { rooms: strings(req.get("rooms")), ..Default::default() };
            let ids = node.fetch_sockets(ns, &opts).into_iter().map(|s| Value::from(s.id)).collect();
            respond(with_id(vec![("sockets", Value::Array(ids))]));
        }
        RequestType::AllRooms if !ours => {
            let rooms = node.all_rooms(ns).into_iter().map(Value::from).collect();
            respond(with_id(vec![("rooms", Value::Array(rooms))]));
        }
        // This node already acted on its own room changes and disconnections.
        RequestType::RemoteJoin | RequestType::RemoteLeave | RequestType::RemoteDisconnect if from_self => {}
        RequestType::RemoteJoin | RequestType::RemoteLeave | RequestType::RemoteDisconnect => {
            let single = req.get("opts").is_none();
            // Old form: one socket `sid`, one `room`, answered with the request id.
            let (opts, rooms) = if single {
                let sid = req.get("sid").and_then(Value::as_str).unwrap_or_default().to_owned();
                let room = req.get("room").and_then(Value::as_str).map(str::to_owned);
                (BroadcastOptions { rooms: vec![sid], ..Default::default() }, room.into_iter().collect())
            } else {
                (opts_from(req.get("opts")), strings(req.get("rooms")))
            };
            match kind {
                RequestType::RemoteJoin => node.sockets_join(ns, &opts, &rooms),
                RequestType::RemoteLeave => node.sockets_leave(ns, &opts, &rooms),
                _ => node.disconnect_sockets(ns, &opts, req.get("close").and_then(Value::as_bool).unwrap_or(false)),
            }
            if single && request_id.is_some() {
                respond(with_id(vec![]));
            }
        }
        RequestType::RemoteFetch if !ours => {
            let sockets = node
                .fetch_sockets(ns, &opts_from(req.get("opts")))
                .into_iter()
                .map(|s| {
                    object(vec![
                        ("id", Value::from(s.id)),
                        ("handshake", s.handshake),
                        ("rooms", Value::Array(s.rooms.into_iter().map(Value::from).collect())),
                        ("data", s.data),
                    ])
                })
                .collect();
            respond(with_id(vec![("sockets", Value::Array(sockets))]));
        }
        RequestType::ServerSideEmit if !from_self => {
            let Some(Value::Array(data)) = req.get("data").cloned() else {
                return;
            };
            let ack = request_id.clone().map(|id| {
                let inner = inner.clone();
                let ns = ns.to_owned();
                Box::new(move |arg: Value| {
                    let body = object(vec![
                        ("type", Value::from(RequestType::ServerSideEmit as i64)),
                        ("requestId", Value::from(id)),
                        ("data", arg),
                    ]);
                    inner.link.publish(inner.channels(&ns).response, encode_json(&body));
                }) as Box<dyn FnOnce(Value) + Send>
            });
            node.server_side(ns, data, ack);
        }
        RequestType::Broadcast => {
            let Some(id) = request_id else { return };
            if inner.ack_requests.lock().expect("ack lock poisoned").contains_key(&id) {
                return;
            }
            let Some(Value::Array(data)) = req.get("packet").and_then(|p| p.get("data")).cloned() else {
                return;
            };
            let opts = opts_from(req.get("opts"));
            let ack_inner = inner.clone();
            let (ack_ns, ack_id) = (ns.to_owned(), id.clone());
            let count = node.broadcast_with_ack(ns, data, &opts, move |arg| {
                let body = object(vec![
                    ("type", Value::from(RequestType::BroadcastAck as i64)),
                    ("requestId", Value::from(ack_id.as_str())),
                    ("packet", arg),
                ]);
                ack_inner.link.publish(ack_inner.channels(&ack_ns).response, encode_msgpack(&body));
            });
            let body = object(vec![
                ("type", Value::from(RequestType::BroadcastClientCount as i64)),
                ("requestId", Value::from(id)),
                ("clientCount", Value::from(count as u64)),
            ]);
            // The count must reach the requester before the acks it announces.
            respond(body);
        }
        _ => {}
    }
}

fn on_response(inner: &Arc<Inner>, payload: &[u8]) {
    let Some(res) = decode_message(payload) else {
        return;
    };
    let Some(id) = res.get("requestId").and_then(Value::as_str) else {
        return;
    };
    if let Some(sink) = inner.ack_requests.lock().expect("ack lock poisoned").get(id) {
        match res.get("type").and_then(Value::as_i64).and_then(RequestType::from_i64) {
            Some(RequestType::BroadcastClientCount) => {
                let n = res.get("clientCount").and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
                let _ = sink.send(RemoteAck::ClientCount(n));
            }
            Some(RequestType::BroadcastAck) => {
                let _ = sink.send(RemoteAck::Ack(res.get("packet").cloned().unwrap_or_default()));
            }
            _ => {}
        }
        return;
    }
    let mut pending = inner.pending.lock().expect("pending lock poisoned");
    let Some(p) = pending.get_mut(id) else { return };
    match p.kind {
        RequestType::RemoteFetch | RequestType::Sockets => {
            if let Some(Value::Array(sockets)) = res.get("sockets") {
                p.answers.extend(sockets.iter().cloned());
            }
        }
        RequestType::ServerSideEmit => p.answers.push(res.get("data").cloned().unwrap_or_default()),
        _ => {}
    }
    // Fetches count nodes, not sockets: one response per node.
    let responses = match p.kind {
        RequestType::ServerSideEmit => p.answers.len(),
        _ => {
            p.expected = p.expected.saturating_sub(1);
            usize::MAX
        }
    };
    let complete = match p.kind {
        RequestType::ServerSideEmit => responses >= p.expected,
        _ => p.expected == 0,
    };
    if complete {
        let mut p = pending.remove(id).expect("present: just looked up");
        if let Some(done) = p.done.take() {
            let _ = done.send(std::mem::take(&mut p.answers));
        }
    }
}

/// A socket of a `REMOTE_FETCH` response.
pub fn socket_info(v: &Value) -> Option<SocketInfo> {
    Some(SocketInfo {
        id: v.get("id")?.as_str()?.to_owned(),
        handshake: v.get("handshake").cloned().unwrap_or_default(),
        rooms: strings(v.get("rooms")),
        data: v.get("data").cloned().unwrap_or_default(),
    })
}
