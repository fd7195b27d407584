//! The messages of `socket.io-adapter`'s `ClusterAdapter` (`{uid, nsp, type, data}`),
//! which the sharded Redis adapter and the Redis Streams adapter both exchange: what
//! this node sends, what it does with what others send, and the requests it waits on.
//! Each adapter only says how a message travels (a [`Transport`]).
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sio_core::proto::Parser;
use sio_core::server::cluster::{
    BroadcastOptions, ClusterAdapter, ClusterError, LocalNode, LoggedDelivery, RemoteAck, ServerSideAcks, SessionStore,
    SocketInfo,
};
use sio_core::server::rooms::Room;
use sio_core::Value;
use tokio::sync::{mpsc, oneshot};

use crate::adapter::{object, opts_value, packet_value};
use crate::requests::{new_id, opts_from, socket_info};

/// `MessageType` of socket.io-adapter's cluster adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    InitialHeartbeat = 1,
    Heartbeat = 2,
    Broadcast = 3,
    SocketsJoin = 4,
    SocketsLeave = 5,
    DisconnectSockets = 6,
    FetchSockets = 7,
    FetchSocketsResponse = 8,
    ServerSideEmit = 9,
    ServerSideEmitResponse = 10,
    BroadcastClientCount = 11,
    BroadcastAck = 12,
    AdapterClose = 13,
}

impl MessageType {
    pub fn from_i64(n: i64) -> Option<MessageType> {
        use MessageType::*;
        Some(match n {
            1 => InitialHeartbeat,
            2 => Heartbeat,
            3 => Broadcast,
            4 => SocketsJoin,
            5 => SocketsLeave,
            6 => DisconnectSockets,
            7 => FetchSockets,
            8 => FetchSocketsResponse,
            9 => ServerSideEmit,
            10 => ServerSideEmitResponse,
            11 => BroadcastClientCount,
            12 => BroadcastAck,
            13 => AdapterClose,
            _ => return None,
        })
    }
}

/// One message between nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The sender's uid.
    pub uid: String,
    /// The namespace it concerns.
    pub nsp: String,
    pub kind: MessageType,
    pub data: Option<Value>,
}

impl Message {
    /// The object the reference encodes: `{uid, nsp, type, data}`.
    pub fn to_value(&self) -> Value {
        let mut fields = vec![
            ("uid", Value::from(self.uid.as_str())),
            ("nsp", Value::from(self.nsp.as_str())),
            ("type", Value::from(self.kind as i64)),
        ];
        if let Some(d) = &self.data {
            fields.push(("data", d.clone()));
        }
        object(fields)
    }

    /// A decoded object; `None` when it is not a message of a known type.
    pub fn from_value(mut v: Value) -> Option<Message> {
        let kind = MessageType::from_i64(v.get("type")?.as_i64()?)?;
        let data = match &mut v {
            Value::Object(o) => o.shift_remove("data"),
            _ => None,
        };
        Some(Message {
            uid: v.get("uid").and_then(Value::as_str).unwrap_or_default().to_owned(),
            nsp: v.get("nsp")?.as_str()?.to_owned(),
            kind,
            data,
        })
    }

    /// The types whose data may hold binary (the reference then writes MessagePack).
    pub fn may_contain_binary(&self) -> bool {
        use MessageType::*;
        matches!(self.kind, Broadcast | BroadcastAck | FetchSocketsResponse | ServerSideEmit | ServerSideEmitResponse)
    }

    /// Whether it must be MessagePack: binary somewhere in a type that may carry it.
    pub fn needs_msgpack(&self) -> bool {
        self.may_contain_binary() && self.data.as_ref().is_some_and(Value::has_binary)
    }

    fn field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref().and_then(|d| d.get(name))
    }

    fn request_id(&self) -> Option<String> {
        self.field("requestId").and_then(Value::as_str).map(str::to_owned)
    }
}

/// How an adapter's messages travel. Every method queues and returns at once.
pub trait Transport: Send + Sync + 'static {
    /// Sends `msg` to every node.
    fn publish(&self, msg: Message);
    /// Sends `msg` to the node `requester` only.
    fn publish_response(&self, requester: &str, msg: Message);
    /// How many nodes serve namespace `ns`, this one included.
    fn server_count(&self, ns: &str) -> BoxFuture<'static, usize>;
    /// Starts listening for the messages of namespace `ns`.
    fn add_namespace(&self, ns: &str);
    /// A broadcast whose offset the transport's log names (see [`ClusterAdapter::broadcast_logged`]).
    fn publish_logged(&self, msg: Message, deliver: LoggedDelivery) {
        self.publish(msg);
        deliver(None);
    }
    /// A room got its first local member.
    fn room_created(&self, _ns: &str, _room: &str, _private: bool) {}
    /// A room lost its last local member.
    fn room_deleted(&self, _ns: &str, _room: &str, _private: bool) {}
    /// Where recovery keeps sessions of `ns`, when the transport can share them.
    fn session_store(&self, _ns: &str, _window: Duration, _parser: Parser) -> Option<Arc<dyn SessionStore>> {
        None
    }
    /// Stops the transport's connections.
    fn close(&self);
    /// Whether the last command reached Redis.
    fn healthy(&self) -> bool;
}

/// A request of ours waiting for one answer per other node.
struct Request {
    expected: usize,
    answers: Vec<Value>,
    received: usize,
    done: Option<oneshot::Sender<Vec<Value>>>,
}

/// What the protocol keeps: who we are, and what we wait for.
pub struct Protocol {
    pub uid: String,
    node: OnceLock<LocalNode>,
    requests: Mutex<HashMap<String, Request>>,
    ack_requests: Mutex<HashMap<String, mpsc::UnboundedSender<RemoteAck>>>,
    requests_timeout: Duration,
    /// Namespaces whose received broadcasts get the log's offset appended (recovery on,
    /// sessions in the transport).
    offsets: Mutex<HashSet<String>>,
    /// Other servers seen at the last count.
    others: AtomicUsize,
}

impl Protocol {
    pub fn new(requests_timeout: Duration) -> Protocol {
        Protocol {
            uid: new_id(),
            node: OnceLock::new(),
            requests: Mutex::default(),
            ack_requests: Mutex::default(),
            requests_timeout,
            offsets: Mutex::default(),
            others: AtomicUsize::new(0),
        }
    }
}

/// The protocol and its transport, shared with the transport's reading tasks.
pub struct Shared<T> {
    pub proto: Protocol,
    pub transport: T,
}

/// A cluster adapter speaking socket.io-adapter's `ClusterAdapter` messages over a
/// transport: see [`crate::ShardedRedisAdapter`] and [`crate::RedisStreamsAdapter`].
pub struct ClusterNode<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

impl<T> std::fmt::Debug for ClusterNode<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterNode").field("uid", &self.shared.proto.uid).finish_non_exhaustive()
    }
}

impl<T: Transport> ClusterNode<T> {
    /// This node's id in the cluster (the `uid` of the reference adapter).
    pub fn uid(&self) -> &str {
        &self.shared.proto.uid
    }

    /// Whether the last command reached Redis.
    pub fn connected(&self) -> bool {
        self.shared.transport.healthy()
    }
}

fn rooms_value(rooms: &[Room]) -> Value {
    Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())
}

impl<T: Transport> Shared<T> {
    fn message(&self, ns: &str, kind: MessageType, data: Option<Value>) -> Message {
        Message { uid: self.proto.uid.clone(), nsp: ns.to_owned(), kind, data }
    }

    fn publish(&self, ns: &str, kind: MessageType, fields: Vec<(&'static str, Value)>) {
        self.transport.publish(self.message(ns, kind, Some(object(fields))));
    }

    fn respond(&self, to: &str, ns: &str, kind: MessageType, fields: Vec<(&'static str, Value)>) {
        self.transport.publish_response(to, self.message(ns, kind, Some(object(fields))));
    }

    async fn server_count(&self, ns: &str) -> usize {
        let n = self.transport.server_count(ns).await.max(1);
        if ns == "/" {
            self.proto.others.store(n - 1, Ordering::Relaxed);
        }
        n
    }

    /// Sends a request that expects one answer per other node (`answers` of each are
    /// collected); resolves with them, or a timeout error with those that arrived.
    async fn ask(
        self: &Arc<Self>,
        ns: &str,
        kind: MessageType,
        mut fields: Vec<(&'static str, Value)>,
    ) -> Result<Vec<Value>, (ClusterError, Vec<Value>)> {
        let expected = self.server_count(ns).await - 1;
        if expected == 0 {
            return Ok(Vec::new());
        }
        let id = new_id();
        let (tx, rx) = oneshot::channel();
        let request = Request { expected, answers: Vec::new(), received: 0, done: Some(tx) };
        self.proto.requests.lock().expect("requests lock poisoned").insert(id.clone(), request);
        fields.push(("requestId", Value::from(id.as_str())));
        self.publish(ns, kind, fields);
        match tokio::time::timeout(self.proto.requests_timeout, rx).await {
            Ok(Ok(answers)) => Ok(answers),
            _ => {
                let left = self.proto.requests.lock().expect("requests lock poisoned").remove(&id);
                let (received, answers) = left.map(|r| (r.received, r.answers)).unwrap_or_default();
                Err((ClusterError::Timeout { received, expected }, answers))
            }
        }
    }

    /// A message from the transport; `offset` is its id in the transport's log, if any.
    pub fn on_message(self: &Arc<Self>, msg: Message, offset: Option<&str>) {
        if msg.uid == self.proto.uid {
            return;
        }
        let Some(node) = self.proto.node.get() else { return };
        let ns = msg.nsp.as_str();
        // Node's nodes have no adapter (so no answer) for a namespace they do not serve.
        if !node.has_namespace(ns) {
            return;
        }
        use MessageType::*;
        match msg.kind {
            Broadcast => self.on_broadcast(node, &msg, offset),
            SocketsJoin | SocketsLeave => {
                let opts = opts_from(msg.field("opts"));
                let rooms = crate::codec::strings(msg.field("rooms"));
                if msg.kind == SocketsJoin {
                    node.sockets_join(ns, &opts, &rooms);
                } else {
                    node.sockets_leave(ns, &opts, &rooms);
                }
            }
            DisconnectSockets => {
                let close = msg.field("close").and_then(Value::as_bool).unwrap_or(false);
                node.disconnect_sockets(ns, &opts_from(msg.field("opts")), close);
            }
            FetchSockets => {
                let Some(id) = msg.request_id() else { return };
                let sockets = node
                    .fetch_sockets(ns, &opts_from(msg.field("opts")))
                    .into_iter()
                    .map(|s| {
                        object(vec![
                            ("id", Value::from(s.id)),
                            ("handshake", s.handshake),
                            ("rooms", rooms_value(&s.rooms)),
                            ("data", s.data),
                        ])
                    })
                    .collect();
                let fields = vec![("requestId", Value::from(id)), ("sockets", Value::Array(sockets))];
                self.respond(&msg.uid, ns, FetchSocketsResponse, fields);
            }
            ServerSideEmit => {
                let Some(Value::Array(packet)) = msg.field("packet").cloned() else { return };
                let ack = msg.request_id().map(|id| {
                    let (shared, to, ns) = (self.clone(), msg.uid.clone(), ns.to_owned());
                    Box::new(move |arg: Value| {
                        let fields = vec![("requestId", Value::from(id)), ("packet", arg)];
                        shared.respond(&to, &ns, ServerSideEmitResponse, fields);
                    }) as Box<dyn FnOnce(Value) + Send>
                });
                node.server_side(ns, packet, ack);
            }
            FetchSocketsResponse | ServerSideEmitResponse | BroadcastClientCount | BroadcastAck => {
                self.on_response(&msg)
            }
            // Heartbeats are the business of adapters that count nodes by them; these
            // ones ask Redis.
            InitialHeartbeat | Heartbeat | AdapterClose => {}
        }
    }

    fn on_broadcast(self: &Arc<Self>, node: &LocalNode, msg: &Message, offset: Option<&str>) {
        let ns = msg.nsp.as_str();
        let Some(packet) = msg.field("packet") else { return };
        let Some(Value::Array(mut data)) = packet.get("data").cloned() else { return };
        let opts = opts_from(msg.field("opts"));
        let Some(id) = msg.request_id() else {
            // As the reference's addOffsetIfNecessary: events without ack, not volatile.
            let flags = msg.field("opts").and_then(|o| o.get("flags"));
            let volatile = flags.and_then(|f| f.get("volatile")).is_some_and(|v| !matches!(v, Value::Null));
            let is_event = packet.get("type").and_then(Value::as_i64) == Some(2) && packet.get("id").is_none();
            if let Some(offset) = offset {
                if is_event && !volatile && self.proto.offsets.lock().expect("offsets lock poisoned").contains(ns) {
                    data.push(Value::from(offset));
                }
            }
            node.broadcast(ns, data, &opts);
            return;
        };
        let (shared, to, ack_ns, ack_id) = (self.clone(), msg.uid.clone(), ns.to_owned(), id.clone());
        let count = node.broadcast_with_ack(ns, data, &opts, move |arg| {
            let fields = vec![("requestId", Value::from(ack_id.as_str())), ("packet", arg)];
            shared.respond(&to, &ack_ns, MessageType::BroadcastAck, fields);
        });
        // Queued before any ack it announces: the requester counts on that order.
        let fields = vec![("requestId", Value::from(id)), ("clientCount", Value::from(count as u64))];
        self.respond(&msg.uid, ns, MessageType::BroadcastClientCount, fields);
    }

    fn on_response(&self, msg: &Message) {
        let Some(id) = msg.request_id() else { return };
        match msg.kind {
            MessageType::BroadcastClientCount | MessageType::BroadcastAck => {
                let acks = self.proto.ack_requests.lock().expect("ack lock poisoned");
                let Some(sink) = acks.get(&id) else { return };
                let _ =
                    sink.send(if msg.kind == MessageType::BroadcastClientCount {
                        RemoteAck::ClientCount(
                            msg.field("clientCount").and_then(Value::as_i64).unwrap_or(0).max(0) as usize
                        )
                    } else {
                        RemoteAck::Ack(msg.field("packet").cloned().unwrap_or_default())
                    });
            }
            MessageType::FetchSocketsResponse | MessageType::ServerSideEmitResponse => {
                let mut requests = self.proto.requests.lock().expect("requests lock poisoned");
                let Some(r) = requests.get_mut(&id) else { return };
                r.received += 1;
                if msg.kind == MessageType::FetchSocketsResponse {
                    if let Some(Value::Array(sockets)) = msg.field("sockets") {
                        r.answers.extend(sockets.iter().cloned());
                    }
                } else {
                    r.answers.push(msg.field("packet").cloned().unwrap_or_default());
                }
                if r.received >= r.expected {
                    let mut r = requests.remove(&id).expect("present: just looked up");
                    if let Some(done) = r.done.take() {
                        let _ = done.send(std::mem::take(&mut r.answers));
                    }
                }
            }
            _ => {}
        }
    }
}

fn broadcast_fields(ns: &str, data: &[Value], opts: &BroadcastOptions) -> Vec<(&'static str, Value)> {
    vec![("packet", packet_value(ns, data)), ("opts", opts_value(opts, true))]
}

impl<T: Transport> ClusterAdapter for ClusterNode<T> {
    fn attach(&self, node: LocalNode) {
        let _ = self.shared.proto.node.set(node);
    }

    fn add_namespace(&self, ns: &str) {
        self.shared.transport.add_namespace(ns);
    }

    fn broadcast(&self, ns: &str, data: &[Value], opts: &BroadcastOptions) {
        self.shared.publish(ns, MessageType::Broadcast, broadcast_fields(ns, data, opts));
    }

    fn broadcast_logged(&self, ns: &str, data: &[Value], opts: &BroadcastOptions, deliver: LoggedDelivery) {
        let msg = self.shared.message(ns, MessageType::Broadcast, Some(object(broadcast_fields(ns, data, opts))));
        self.shared.transport.publish_logged(msg, deliver);
    }

    fn broadcast_with_ack(
        &self,
        ns: &str,
        data: &[Value],
        opts: &BroadcastOptions,
        sink: mpsc::UnboundedSender<RemoteAck>,
    ) {
        let id = new_id();
        self.shared.proto.ack_requests.lock().expect("ack lock poisoned").insert(id.clone(), sink);
        let mut fields = broadcast_fields(ns, data, opts);
        fields.insert(1, ("requestId", Value::from(id.as_str())));
        self.shared.publish(ns, MessageType::Broadcast, fields);
        // As in the reference: nothing tells when every client answered, so the request
        // is forgotten after the broadcast's timeout.
        let shared = self.shared.clone();
        let timeout = opts.timeout.unwrap_or(self.shared.proto.requests_timeout);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            shared.proto.ack_requests.lock().expect("ack lock poisoned").remove(&id);
        });
    }

    fn sockets_join(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let fields = vec![("opts", opts_value(opts, true)), ("rooms", rooms_value(rooms))];
        self.shared.publish(ns, MessageType::SocketsJoin, fields);
    }

    fn sockets_leave(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let fields = vec![("opts", opts_value(opts, true)), ("rooms", rooms_value(rooms))];
        self.shared.publish(ns, MessageType::SocketsLeave, fields);
    }

    fn disconnect_sockets(&self, ns: &str, opts: &BroadcastOptions, close: bool) {
        let fields = vec![("opts", opts_value(opts, true)), ("close", Value::Bool(close))];
        self.shared.publish(ns, MessageType::DisconnectSockets, fields);
    }

    fn fetch_sockets(
        &self,
        ns: &str,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<SocketInfo>, ClusterError>> {
        let shared = self.shared.clone();
        let ns = ns.to_owned();
        let opts = opts_value(opts, true);
        Box::pin(async move {
            let answers = shared.ask(&ns, MessageType::FetchSockets, vec![("opts", opts)]).await.map_err(|(e, _)| e)?;
            Ok(answers.iter().filter_map(socket_info).collect())
        })
    }

    fn server_side_emit(&self, ns: &str, data: &[Value]) -> usize {
        self.shared.publish(ns, MessageType::ServerSideEmit, vec![("packet", Value::Array(data.to_vec()))]);
        // Refresh the count for next time; this call must not wait.
        let shared = self.shared.clone();
        let ns = ns.to_owned();
        tokio::spawn(async move { shared.server_count(&ns).await });
        self.shared.proto.others.load(Ordering::Relaxed)
    }

    fn server_side_emit_with_ack(&self, ns: &str, data: &[Value]) -> BoxFuture<'static, ServerSideAcks> {
        let shared = self.shared.clone();
        let ns = ns.to_owned();
        let packet = Value::Array(data.to_vec());
        Box::pin(async move { shared.ask(&ns, MessageType::ServerSideEmit, vec![("packet", packet)]).await })
    }

    fn server_count(&self) -> BoxFuture<'static, usize> {
        let shared = self.shared.clone();
        Box::pin(async move { shared.server_count("/").await })
    }

    fn session_store(&self, ns: &str, window: Duration, parser: Parser) -> Option<Arc<dyn SessionStore>> {
        let store = self.shared.transport.session_store(ns, window, parser)?;
        self.shared.proto.offsets.lock().expect("offsets lock poisoned").insert(ns.to_owned());
        Some(store)
    }

    fn close(&self) {
        self.shared.transport.close();
    }

    fn room_created(&self, ns: &str, room: &Room, private: bool) {
        self.shared.transport.room_created(ns, room, private);
    }

    fn room_deleted(&self, ns: &str, room: &Room, private: bool) {
        self.shared.transport.room_deleted(ns, room, private);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn messages_round_trip_and_pick_their_encoding() {
        let plain = Message {
            uid: "u1".into(),
            nsp: "/".into(),
            kind: MessageType::Broadcast,
            data: Some(object(vec![("packet", packet_value("/", &["ev".into()]))])),
        };
        assert!(!plain.needs_msgpack());
        assert_eq!(Message::from_value(plain.to_value()), Some(plain.clone()));
        let binary = Message {
            data: Some(object(vec![("packet", packet_value("/", &[Value::Binary(Bytes::from_static(b"\x01"))]))])),
            ..plain
        };
        assert!(binary.needs_msgpack());
        let join = Message { kind: MessageType::SocketsJoin, ..binary };
        assert!(!join.needs_msgpack(), "only the reference's binary-carrying types");
        assert_eq!(Message::from_value(object(vec![("type", Value::from(99i64)), ("nsp", "/".into())])), None);
    }
}
