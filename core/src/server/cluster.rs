//! The seam between a server and the other servers of its cluster.
//!
//! A [`ClusterAdapter`] carries what one node does to the others (broadcasts, room
//! changes, disconnections, `fetch_sockets`, server-side events) and, optionally, where
//! connection state recovery keeps its sessions ([`SessionStore`]), so that a client may
//! recover on another node. It acts on this node's sockets through the [`LocalNode`] it
//! is handed in [`ClusterAdapter::attach`]. Without one, a server is a cluster of one.
use crate::proto::Parser;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use super::handshake::Handshake;
use super::rooms::Room;
use super::{Namespace, ServerInner};
use crate::engine::Frame;
use crate::value::Value;

/// Which sockets of a namespace an operation targets, and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BroadcastOptions {
    /// Union of rooms (every socket when empty).
    pub rooms: Vec<Room>,
    /// Rooms whose members are excluded.
    pub except: Vec<Room>,
    /// Drop the event for clients not ready to receive it.
    pub volatile: bool,
    /// The acknowledgement timeout of a broadcast with acks.
    pub timeout: Option<Duration>,
}

/// A socket as another node describes it (`fetch_sockets`).
#[derive(Debug, Clone, PartialEq)]
pub struct SocketInfo {
    /// Socket id.
    pub id: String,
    /// The handshake, as [`Handshake::to_value`] gives it.
    pub handshake: Value,
    /// Rooms the socket is in.
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: Value,
}

/// What remote nodes report while a broadcast with acks is pending.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteAck {
    /// A node says how many of its clients were sent the event.
    ClientCount(usize),
    /// One client's acknowledgement (its first argument, as the reference relays it).
    Ack(Value),
}

/// Why a cluster request did not complete.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    /// Not every node answered in time; holds what did arrive.
    #[error("timeout reached: only {received} responses received out of {expected}")]
    Timeout {
        /// Answers received.
        received: usize,
        /// Answers expected.
        expected: usize,
    },
    /// The cluster backend cannot be reached.
    #[error("cluster unavailable: {0}")]
    Unavailable(String),
}

/// Answers to a server-side event with acknowledgement.
pub type ServerSideAcks = Result<Vec<Value>, (ClusterError, Vec<Value>)>;

/// How a server reaches the other nodes of its cluster.
///
/// Every method is called from a tokio runtime thread and must not block: a networked
/// adapter queues its work. Errors of one-way operations are the adapter's to log.
pub trait ClusterAdapter: Send + Sync + 'static {
    /// Called once when the server is built, before any namespace exists.
    fn attach(&self, node: LocalNode);
    /// A namespace now exists on this node: from here on, requests for it are expected.
    fn add_namespace(&self, ns: &str);
    /// Sends an event (`data` = `[event, ...args]`) to the matching sockets of the other nodes.
    fn broadcast(&self, ns: &str, data: &[Value], opts: &BroadcastOptions);
    /// Same with acknowledgements: every node reports a [`RemoteAck::ClientCount`], then
    /// each client's [`RemoteAck::Ack`], into `sink`.
    fn broadcast_with_ack(
        &self,
        ns: &str,
        data: &[Value],
        opts: &BroadcastOptions,
        sink: mpsc::UnboundedSender<RemoteAck>,
    );
    /// Makes the matching sockets of the other nodes join `rooms`.
    fn sockets_join(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// Makes the matching sockets of the other nodes leave `rooms`.
    fn sockets_leave(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// Disconnects the matching sockets of the other nodes.
    fn disconnect_sockets(&self, ns: &str, opts: &BroadcastOptions, close: bool);
    /// The matching sockets of the other nodes.
    fn fetch_sockets(
        &self,
        ns: &str,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<SocketInfo>, ClusterError>>;
    /// Sends `data` = `[event, ...args]` to the other servers; returns how many other
    /// servers were known at the last count.
    fn server_side_emit(&self, ns: &str, data: &[Value]) -> usize;
    /// Same, collecting one answer per other server.
    fn server_side_emit_with_ack(&self, ns: &str, data: &[Value]) -> BoxFuture<'static, ServerSideAcks>;
    /// How many servers the cluster has, this one included.
    fn server_count(&self) -> BoxFuture<'static, usize>;
    /// Where connection state recovery keeps the sessions of namespace `ns` (`None`:
    /// in this process only); missed packets are replayed in the server's `parser` format.
    fn session_store(&self, _ns: &str, _window: Duration, _parser: Parser) -> Option<Arc<dyn SessionStore>> {
        None
    }
    /// Stops talking to the cluster (the server is closing).
    fn close(&self) {}
    /// Room `room` of namespace `ns` got its first member on this node (`private`: it is
    /// a socket's own room). For adapters that listen per room (Redis sharded pub/sub).
    /// Called on the thread that changed membership: queue work, never block.
    fn room_created(&self, _ns: &str, _room: &Room, _private: bool) {}
    /// Room `room` lost its last member on this node.
    fn room_deleted(&self, _ns: &str, _room: &Room, _private: bool) {}
    /// A broadcast kept for recovery by an adapter whose shared log names the offsets
    /// (a Redis stream's entry ids: see [`SessionStore::logged_by_cluster`]). `deliver`
    /// is called once, in the order of the calls, with the offset the log gave the event
    /// (`None` when it could not be logged), to send it to this node's sockets.
    fn broadcast_logged(&self, ns: &str, data: &[Value], opts: &BroadcastOptions, deliver: LoggedDelivery) {
        self.broadcast(ns, data, opts);
        deliver(None);
    }
}

/// What a logged broadcast does on this node once its offset is known.
pub type LoggedDelivery = Box<dyn FnOnce(Option<String>) + Send>;

/// What is kept of an abruptly disconnected socket.
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedSession {
    /// The socket id it will get back.
    pub sid: String,
    /// The private session id the client presents.
    pub pid: String,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: Value,
}

/// One event kept for recovery: its offset, its audience, and the packet both as
/// values (for stores that serialise) and as encoded frames (for stores in memory).
#[derive(Debug)]
pub struct StoredEvent<'a> {
    /// The offset appended to the event's arguments.
    pub offset: &'a str,
    /// Target rooms (every socket when empty).
    pub rooms: &'a [Room],
    /// Excluded rooms.
    pub except: &'a [Room],
    /// `[event, ...args, offset]`.
    pub data: &'a [Value],
    /// The encoded packet.
    pub frames: &'a [Frame],
}

/// Restored session and the frames of the packets it missed.
pub type Restored = Option<(PersistedSession, Vec<Frame>)>;

/// Where connection state recovery keeps sessions and missed packets of one namespace.
pub trait SessionStore: Send + Sync + 'static {
    /// A fresh offset for the next stored event.
    fn next_offset(&self) -> String;
    /// Keeps an event for sessions that may come back.
    fn store(&self, event: StoredEvent<'_>);
    /// Keeps a disconnected session for the recovery window.
    fn persist(&self, session: PersistedSession);
    /// The session of `pid` (removed) and every packet it missed after `offset`, or
    /// `None` when the session expired or the offset is unknown.
    fn restore(&self, pid: &str, offset: &str) -> BoxFuture<'static, Restored>;
    /// Whether the cluster's log names the offsets: broadcasts kept for recovery then go
    /// through [`ClusterAdapter::broadcast_logged`] instead of `next_offset` and `store`.
    fn logged_by_cluster(&self) -> bool {
        false
    }
}

/// Whether a socket in rooms `member_of` was a target of an event sent to `rooms`
/// (every socket when empty) except members of `except`: what a restored session missed.
pub fn missed_by(member_of: &[Room], rooms: &[Room], except: &[Room]) -> bool {
    let included = rooms.is_empty() || rooms.iter().any(|r| member_of.contains(r));
    included && !except.iter().any(|r| member_of.contains(r))
}

/// This node, as a cluster adapter acts on it when a request arrives from another node.
/// Holds the server weakly: once the server is gone, every method does nothing.
#[derive(Clone)]
pub struct LocalNode(pub(crate) Weak<ServerInner>);

impl fmt::Debug for LocalNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalNode").finish_non_exhaustive()
    }
}

impl LocalNode {
    fn ns(&self, name: &str) -> Option<Namespace> {
        let server = self.0.upgrade()?;
        server.existing(name)
    }

    /// Whether namespace `ns` exists here.
    pub fn has_namespace(&self, ns: &str) -> bool {
        self.ns(ns).is_some()
    }

    /// Whether `room` has members in namespace `ns` here.
    pub fn has_room(&self, ns: &str, room: &str) -> bool {
        self.ns(ns).is_some_and(|n| !n.0.adapter.select(&[room.to_owned()], &[]).is_empty())
    }

    /// Delivers `data` = `[event, ...args]` to the matching local sockets.
    pub fn broadcast(&self, ns: &str, data: Vec<Value>, opts: &BroadcastOptions) {
        if let Some(n) = self.ns(ns) {
            n.op_with(opts).local().deliver(&data);
        }
    }

    /// Delivers with acknowledgements; returns how many clients were sent the event and
    /// calls `on_ack` with each client's first ack argument.
    pub fn broadcast_with_ack(
        &self,
        ns: &str,
        data: Vec<Value>,
        opts: &BroadcastOptions,
        on_ack: impl Fn(Value) + Send + Sync + 'static,
    ) -> usize {
        match self.ns(ns) {
            Some(n) => n.op_with(opts).local().emit_data_with_ack(&data, Arc::new(on_ack)),
            None => 0,
        }
    }

    /// Every room with members in namespace `ns` here.
    pub fn all_rooms(&self, ns: &str) -> Vec<Room> {
        self.ns(ns).map(|n| n.0.adapter.all_rooms()).unwrap_or_default()
    }

    /// Local sockets join `rooms`.
    pub fn sockets_join(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        if let Some(n) = self.ns(ns) {
            n.op_with(opts).local().sockets_join(rooms.iter().cloned());
        }
    }

    /// Local sockets leave `rooms`.
    pub fn sockets_leave(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        if let Some(n) = self.ns(ns) {
            let op = n.op_with(opts).local();
            for r in rooms {
                op.sockets_leave(r);
            }
        }
    }

    /// Disconnects local sockets.
    pub fn disconnect_sockets(&self, ns: &str, opts: &BroadcastOptions, close: bool) {
        if let Some(n) = self.ns(ns) {
            n.op_with(opts).local().disconnect_sockets(close);
        }
    }

    /// The matching local sockets.
    pub fn fetch_sockets(&self, ns: &str, opts: &BroadcastOptions) -> Vec<SocketInfo> {
        let Some(n) = self.ns(ns) else {
            return Vec::new();
        };
        n.op_with(opts)
            .local()
            .sockets_local()
            .iter()
            .map(|s| SocketInfo {
                id: s.id().to_owned(),
                handshake: s.handshake().to_value(),
                rooms: s.rooms().into_iter().collect(),
                data: s.data(),
            })
            .collect()
    }

    /// Delivers a server-side event from another node to this server's handlers; `ack`,
    /// when the sender waits for one, takes the first answer.
    pub fn server_side(&self, ns: &str, data: Vec<Value>, ack: Option<Box<dyn FnOnce(Value) + Send>>) {
        if let Some(server) = self.0.upgrade() {
            super::Server(server).receive_server_side_data(ns, data, ack);
        }
    }
}

/// The handshake of a socket another node described.
pub(crate) fn handshake_from_value(v: &Value) -> Handshake {
    let pairs = |key: &str| -> std::sync::Arc<[(String, String)]> {
        match v.get(key) {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_json_lossy().to_string()))
                })
                .collect(),
            _ => std::sync::Arc::default(),
        }
    };
    let str_of = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    Handshake {
        headers: pairs("headers"),
        query: pairs("query"),
        auth: v.get("auth").cloned().unwrap_or_else(|| Value::Object(Default::default())),
        time: str_of("time"),
        issued: v.get("issued").and_then(Value::as_i64).map(|n| n.max(0) as u64).unwrap_or_default(),
        url: str_of("url").into(),
        address: str_of("address"),
        xdomain: v.get("xdomain").and_then(Value::as_bool).unwrap_or_default(),
        secure: v.get("secure").and_then(Value::as_bool).unwrap_or_default(),
    }
}
