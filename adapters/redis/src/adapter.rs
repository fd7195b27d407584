//! The adapter: what this node sends to the others.
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sio_core::proto::Parser;
use sio_core::server::cluster::{
    BroadcastOptions, ClusterAdapter, ClusterError, LocalNode, RemoteAck, ServerSideAcks, SessionStore, SocketInfo,
};
use sio_core::server::rooms::Room;
use sio_core::Value;
use tokio::sync::{mpsc, oneshot};

use crate::channels::Channels;
use crate::codec::{encode_json, encode_msgpack};
use crate::connection::{Link, Sub as LinkSub};
use crate::requests::{self, Pending, RequestType};
use crate::RedisAdapterError;

/// Options of a [`RedisAdapter`].
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    /// `redis://host:port[/db]`.
    pub url: String,
    /// Prefix of every channel and key (the reference's `key` option; default `socket.io`).
    pub key: String,
    /// How long a request to the other nodes (`fetch_sockets`, server-side acks) waits
    /// for every answer (the reference's `requestsTimeout`; default 5 s).
    pub requests_timeout: Duration,
}

impl RedisAdapterConfig {
    /// The defaults for the Redis server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisAdapterConfig { url: url.into(), key: "socket.io".into(), requests_timeout: Duration::from_secs(5) }
    }
}

pub(crate) struct Inner {
    pub uid: String,
    pub key: String,
    pub requests_timeout: Duration,
    pub link: Arc<Link>,
    pub node: OnceLock<LocalNode>,
    pub channels: Mutex<HashMap<String, Channels>>,
    pub pending: Mutex<HashMap<String, Pending>>,
    pub ack_requests: Mutex<HashMap<String, mpsc::UnboundedSender<RemoteAck>>>,
    /// Other servers seen at the last count.
    pub others: AtomicUsize,
}

/// A [`ClusterAdapter`] over Redis, wire-compatible with `@socket.io/redis-adapter` 8.
pub struct RedisAdapter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter").field("uid", &self.inner.uid).field("key", &self.inner.key).finish()
    }
}

impl RedisAdapter {
    /// An adapter for the Redis server at `url`, with the default options. Call it within
    /// a tokio runtime: its connection tasks run there. Redis need not be up yet: until
    /// it is, the server serves its own clients and the adapter says so in the logs.
    pub fn new(url: &str) -> Result<Arc<RedisAdapter>, RedisAdapterError> {
        Self::with_config(RedisAdapterConfig::new(url))
    }

    /// An adapter with `config`.
    pub fn with_config(config: RedisAdapterConfig) -> Result<Arc<RedisAdapter>, RedisAdapterError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| RedisAdapterError::NoRuntime)?;
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| RedisAdapterError::InvalidUrl(e.to_string()))?;
        let uid = requests::new_id();
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| {
            let weak = weak.clone();
            let handler = Arc::new(move |channel: &str, payload: &[u8]| {
                if let Some(inner) = weak.upgrade() {
                    requests::on_message(&inner, channel, payload);
                }
            });
            let link = Link::start(client, &rt, handler, false).expect("a lazy connection manager does not connect");
            Inner {
                uid,
                key: config.key,
                requests_timeout: config.requests_timeout,
                link,
                node: OnceLock::new(),
                channels: Mutex::default(),
                pending: Mutex::default(),
                ack_requests: Mutex::default(),
                others: AtomicUsize::new(0),
            }
        });
        Ok(Arc::new(RedisAdapter { inner }))
    }

    /// This node's id in the cluster (the `uid` of the reference adapter).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// Whether the last command reached Redis.
    pub fn connected(&self) -> bool {
        self.inner.link.healthy()
    }
}

impl Inner {
    pub(crate) fn channels(&self, ns: &str) -> Channels {
        let mut map = self.channels.lock().expect("channel lock poisoned");
        map.entry(ns.to_owned()).or_insert_with(|| Channels::new(&self.key, ns, &self.uid)).clone()
    }

    /// Publishes a request on the namespace's request channel.
    fn request(&self, ns: &str, body: Value, msgpack: bool) {
        let payload = if msgpack { encode_msgpack(&body) } else { encode_json(&body) };
        self.link.publish(self.channels(ns).request, payload);
    }

    /// `PUBSUB NUMSUB` of the namespace's request channel: every node subscribes to it once.
    pub(crate) async fn server_count(&self, ns: &str) -> usize {
        let mut conn = self.link.commands.clone();
        let r: redis::RedisResult<(String, usize)> =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(self.channels(ns).request).query_async(&mut conn).await;
        self.link.report(&r);
        let n = r.map(|(_, n)| n).unwrap_or(1).max(1);
        if ns == "/" {
            self.others.store(n - 1, Ordering::Relaxed);
        }
        n
    }

    /// Sends a request that expects one answer per other node; resolves with the
    /// answers, or a timeout error with those that arrived.
    async fn ask(
        self: &Arc<Self>,
        ns: &str,
        kind: RequestType,
        fields: Vec<(&'static str, Value)>,
    ) -> Result<Vec<Value>, (ClusterError, Vec<Value>)> {
        let expected = self.server_count(ns).await - 1;
        if expected == 0 {
            return Ok(Vec::new());
        }
        let id = requests::new_id();
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .expect("pending lock poisoned")
            .insert(id.clone(), Pending { kind, expected, answers: Vec::new(), done: Some(tx) });
        let mut body = vec![
            ("uid", Value::from(self.uid.as_str())),
            ("requestId", Value::from(id.as_str())),
            ("type", Value::from(kind as i64)),
        ];
        body.extend(fields);
        self.request(ns, object(body), false);
        match tokio::time::timeout(self.requests_timeout, rx).await {
            Ok(Ok(answers)) => Ok(answers),
            _ => {
                let answers = self
                    .pending
                    .lock()
                    .expect("pending lock poisoned")
                    .remove(&id)
                    .map(|p| p.answers)
                    .unwrap_or_default();
                let error = ClusterError::Timeout { received: answers.len(), expected };
                Err((error, answers))
            }
        }
    }
}

/// An object from fields, in order.
pub(crate) fn object(fields: Vec<(&'static str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `{rooms, except}` as the reference sends them.
pub(crate) fn opts_value(opts: &BroadcastOptions, with_flags: bool) -> Value {
    let list = |v: &[Room]| Value::Array(v.iter().map(|r| Value::from(r.as_str())).collect());
    let mut fields = vec![("rooms", list(&opts.rooms)), ("except", list(&opts.except))];
    if with_flags {
        let mut flags = Vec::new();
        if opts.volatile {
            flags.push(("volatile", Value::Bool(true)));
        }
        if let Some(t) = opts.timeout {
            flags.push(("timeout", Value::from(t.as_millis() as u64)));
        }
        fields.push(("flags", object(flags)));
    }
    object(fields)
}

/// The socket.io-parser packet object `{type: EVENT, data, nsp}` (binary args are
/// detected when encoding, so the type stays EVENT).
pub(crate) fn packet_value(ns: &str, data: &[Value]) -> Value {
    object(vec![("type", Value::from(2i64)), ("data", Value::Array(data.to_vec())), ("nsp", Value::from(ns))])
}

impl ClusterAdapter for RedisAdapter {
    fn attach(&self, node: LocalNode) {
        let _ = self.inner.node.set(node);
    }

    fn add_namespace(&self, ns: &str) {
        let c = self.inner.channels(ns);
        self.inner.link.subscribe(vec![
            LinkSub::Pattern(format!("{}*", c.broadcast)),
            LinkSub::Channel(c.request),
            LinkSub::Channel(c.response),
            LinkSub::Channel(c.specific_response),
        ]);
    }

    fn broadcast(&self, ns: &str, data: &[Value], opts: &BroadcastOptions) {
        let msg =
            Value::Array(vec![Value::from(self.inner.uid.as_str()), packet_value(ns, data), opts_value(opts, true)]);
        self.inner.link.publish(self.inner.channels(ns).broadcast_to(&opts.rooms), encode_msgpack(&msg));
    }

    fn broadcast_with_ack(
        &self,
        ns: &str,
        data: &[Value],
        opts: &BroadcastOptions,
        sink: mpsc::UnboundedSender<RemoteAck>,
    ) {
        let id = requests::new_id();
        self.inner.ack_requests.lock().expect("ack lock poisoned").insert(id.clone(), sink);
        let body = object(vec![
            ("uid", Value::from(self.inner.uid.as_str())),
            ("requestId", Value::from(id.as_str())),
            ("type", Value::from(RequestType::Broadcast as i64)),
            ("packet", packet_value(ns, data)),
            ("opts", opts_value(opts, true)),
        ]);
        self.inner.request(ns, body, true);
        // As in the reference: nothing tells when every client answered, so the request
        // is forgotten after the broadcast's timeout.
        let inner = self.inner.clone();
        let timeout = opts.timeout.unwrap_or(self.inner.requests_timeout);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            inner.ack_requests.lock().expect("ack lock poisoned").remove(&id);
        });
    }

    fn sockets_join(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.inner.request(ns, room_request(&self.inner.uid, RequestType::RemoteJoin, opts, rooms), false);
    }

    fn sockets_leave(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.inner.request(ns, room_request(&self.inner.uid, RequestType::RemoteLeave, opts, rooms), false);
    }

    fn disconnect_sockets(&self, ns: &str, opts: &BroadcastOptions, close: bool) {
        let body = object(vec![
            ("uid", Value::from(self.inner.uid.as_str())),
            ("type", Value::from(RequestType::RemoteDisconnect as i64)),
            ("opts", opts_value(opts, false)),
            ("close", Value::Bool(close)),
        ]);
        self.inner.request(ns, body, false);
    }

    fn fetch_sockets(
        &self,
        ns: &str,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<SocketInfo>, ClusterError>> {
        let inner = self.inner.clone();
        let ns = ns.to_owned();
        let opts = opts_value(opts, false);
        Box::pin(async move {
            let answers = inner.ask(&ns, RequestType::RemoteFetch, vec![("opts", opts)]).await.map_err(|(e, _)| e)?;
            Ok(answers.iter().filter_map(requests::socket_info).collect())
        })
    }

    fn server_side_emit(&self, ns: &str, data: &[Value]) -> usize {
        let body = object(vec![
            ("uid", Value::from(self.inner.uid.as_str())),
            ("type", Value::from(RequestType::ServerSideEmit as i64)),
            ("data", Value::Array(data.to_vec())),
        ]);
        self.inner.request(ns, body, false);
        // Refresh the count for next time; this call must not wait.
        let inner = self.inner.clone();
        let ns = ns.to_owned();
        tokio::spawn(async move { inner.server_count(&ns).await });
        self.inner.others.load(Ordering::Relaxed)
    }

    fn server_side_emit_with_ack(&self, ns: &str, data: &[Value]) -> BoxFuture<'static, ServerSideAcks> {
        let inner = self.inner.clone();
        let ns = ns.to_owned();
        let data = Value::Array(data.to_vec());
        Box::pin(async move { inner.ask(&ns, RequestType::ServerSideEmit, vec![("data", data)]).await })
    }

    fn server_count(&self) -> BoxFuture<'static, usize> {
        let inner = self.inner.clone();
        Box::pin(async move { inner.server_count("/").await })
    }

    fn session_store(&self, ns: &str, window: Duration, parser: Parser) -> Option<Arc<dyn SessionStore>> {
        Some(Arc::new(crate::sessions::RedisSessionStore::new(self.inner.clone(), ns, window, parser)))
    }

    fn close(&self) {
        self.inner.link.stop();
    }
}

fn room_request(uid: &str, kind: RequestType, opts: &BroadcastOptions, rooms: &[Room]) -> Value {
    object(vec![
        ("uid", Value::from(uid)),
        ("type", Value::from(kind as i64)),
        ("opts", opts_value(opts, false)),
        ("rooms", Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())),
    ])
}
