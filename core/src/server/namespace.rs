//! Namespaces: their sockets, room adapter, middlewares and connection handlers.
use crate::proto::Parser;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::broadcast::BroadcastOperator;
use super::cluster::{BroadcastOptions, ClusterAdapter, SessionStore};
use super::recovery::RecoveryStore;
use super::remote::RemoteSocket;
use super::rooms::{Adapter, MemoryAdapter, Room};
use super::socket::Socket;
use super::ServerInner;
use crate::error::{AckError, ConnectError, EmitError};
use crate::value::Value;

/// A namespace middleware (`io.use`): refuses a connection with `Err`.
pub type ConnMiddleware = Arc<dyn Fn(Socket) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;
/// Receives each new socket (`io.on("connection")`).
pub type ConnectionHandler = Arc<dyn Fn(Socket) + Send + Sync>;
/// Hears each change of a connected socket's `data` (the admin UI's `socket_updated`).
pub type DataListener = Arc<dyn Fn(&Socket) + Send + Sync>;

/// Handlers shared by a namespace and, for a dynamic namespace, by all its children.
#[derive(Default)]
pub(crate) struct NsHandlers {
    pub(crate) middlewares: RwLock<Vec<ConnMiddleware>>,
    pub(crate) connection: RwLock<Vec<ConnectionHandler>>,
}

pub(crate) struct NsInner {
    pub(crate) name: String,
    #[allow(dead_code)] // kept for the cluster adapter, which needs the server from a namespace
    pub(crate) server: Weak<ServerInner>,
    pub(crate) handlers: Arc<NsHandlers>,
    /// The server's packet format, to encode this namespace's packets.
    pub(crate) parser: Parser,
    /// foldhash: looked up once per member of every broadcast (see `rooms::FastMap`).
    sockets: RwLock<HashMap<String, Socket, foldhash::fast::RandomState>>,
    pub(crate) adapter: Arc<dyn Adapter>,
    ack_ids: AtomicU64,
    pub(crate) recovery: Option<Arc<dyn SessionStore>>,
    pub(crate) cluster: Option<Arc<dyn ClusterAdapter>>,
    /// For a dynamic (parent) namespace: the namespaces created from it.
    pub(crate) children: Option<RwLock<Vec<Namespace>>>,
    /// Listeners of server-side events sent to this namespace by other nodes (its own:
    /// a dynamic child does not share its parent's, as in socket.io).
    pub(crate) server_side: super::server_side::ServerSideHandlers,
    /// Unset unless someone observes: setting `data` then costs one atomic load more.
    pub(crate) data_listener: std::sync::OnceLock<DataListener>,
}

impl NsInner {
    pub(crate) fn new(
        name: String,
        server: &Arc<ServerInner>,
        handlers: Arc<NsHandlers>,
        parent: bool,
    ) -> Arc<NsInner> {
        Arc::new(NsInner {
            name: name.clone(),
            server: Arc::downgrade(server),
            handlers,
            parser: server.config.parser,
            sockets: RwLock::default(),
            adapter: Arc::new(match &server.config.adapter {
                Some(cluster) => MemoryAdapter::watched(&name, cluster.clone()),
                None => MemoryAdapter::default(),
            }),
            ack_ids: AtomicU64::new(0),
            recovery: server.config.recovery.map(|r| {
                let window = r.max_disconnection_duration;
                // A dynamic parent never holds sockets: its children keep their own sessions.
                let cluster_store = server
                    .config
                    .adapter
                    .as_ref()
                    .filter(|_| !parent)
                    .and_then(|a| a.session_store(&name, window, server.config.parser));
                cluster_store.unwrap_or_else(|| Arc::new(RecoveryStore::new(window)))
            }),
            cluster: server.config.adapter.clone(),
            children: parent.then(RwLock::default),
            server_side: Default::default(),
            data_listener: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn insert(&self, socket: &Socket) {
        self.sockets.write().expect("namespace lock poisoned").insert(socket.id().to_owned(), socket.clone());
    }

    pub(crate) fn remove(&self, sid: &str) {
        self.sockets.write().expect("namespace lock poisoned").remove(sid);
    }

    /// The sockets of this namespace the adapter selects. Lock order: sockets, then
    /// adapter (adapters never call back into the namespace).
    pub(crate) fn selected(&self, rooms: &[Room], except: &[Room]) -> Vec<Socket> {
        let sockets = self.sockets.read().expect("namespace lock poisoned");
        let mut out = Vec::new();
        self.adapter.for_each_selected(rooms, except, &mut |sid| {
            if let Some(s) = sockets.get(sid) {
                out.push(s.clone());
            }
        });
        out
    }

    pub(crate) fn socket_count(&self) -> usize {
        self.sockets.read().expect("namespace lock poisoned").len()
    }

    pub(crate) fn all_sockets(&self) -> Vec<Socket> {
        self.sockets.read().expect("namespace lock poisoned").values().cloned().collect()
    }

    /// The namespaces a broadcast on this one reaches (itself, or a parent's children).
    pub(crate) fn targets(self: &Arc<Self>) -> Vec<Arc<NsInner>> {
        match &self.children {
            Some(children) => children.read().expect("namespace lock poisoned").iter().map(|c| c.0.clone()).collect(),
            None => vec![self.clone()],
        }
    }
}

/// A namespace (`io.of("/admin")`). Cheap to clone.
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NsInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace").field("name", &self.0.name).finish()
    }
}

impl Namespace {
    /// The namespace name (for a dynamic parent, a description of its matcher).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Registers a connection handler.
    pub fn on_connection(&self, f: impl Fn(Socket) + Send + Sync + 'static) -> &Self {
        self.0.handlers.connection.write().expect("handler lock poisoned").push(Arc::new(f));
        self
    }

    /// Adds a middleware run for each connection before it is accepted.
    pub fn use_middleware<F, Fut>(&self, f: F) -> &Self
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let f: ConnMiddleware = Arc::new(move |s| Box::pin(f(s)));
        self.0.handlers.middlewares.write().expect("handler lock poisoned").push(f);
        self
    }

    /// The connected sockets of this namespace in this process.
    pub fn sockets(&self) -> Vec<Socket> {
        self.0.targets().iter().flat_map(|ns| ns.all_sockets()).collect()
    }

    /// The socket with id `sid`, if connected here.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.0.targets().iter().find_map(|ns| ns.sockets.read().expect("namespace lock poisoned").get(sid).cloned())
    }

    /// Hears every change of a connected socket's `data` from now on (one listener per
    /// namespace: the admin instrumentation's). False if there is one already.
    pub fn set_data_listener(&self, f: DataListener) -> bool {
        self.0.data_listener.set(f).is_ok()
    }

    /// The room adapter.
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.0.adapter
    }

    fn op(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone())
    }

    /// The operator a cluster request describes.
    pub(crate) fn op_with(&self, opts: &BroadcastOptions) -> BroadcastOperator {
        BroadcastOperator::with_options(self.0.clone(), opts)
    }

    /// Every socket of the namespace, to narrow with `to`/`except`.
    pub fn all(&self) -> BroadcastOperator {
        self.op()
    }

    /// Emits to every socket of the namespace.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.op().emit(event, args)
    }

    /// Targets `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.op().to(room)
    }

    /// Same as [`Namespace::to`].
    pub fn in_(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.op().to(room)
    }

    /// Excludes `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.op().except(room)
    }

    /// Volatile broadcast.
    pub fn volatile(&self) -> BroadcastOperator {
        self.op().volatile()
    }

    /// Broadcast that may not be compressed (`compress(false)`), or may.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.op().compress(compress)
    }

    /// Broadcast to this node only (matters with a cluster adapter).
    pub fn local(&self) -> BroadcastOperator {
        self.op().local()
    }

    /// Broadcast with an acknowledgement timeout.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.op().timeout(timeout)
    }

    /// Emits to every socket and collects each answer.
    pub async fn emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Vec<Value>>, AckError> {
        self.op().emit_with_ack(event, args).await
    }

    /// Views of every socket of the namespace.
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        self.op().fetch_sockets().await
    }

    /// Makes every socket join `rooms`.
    pub fn sockets_join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        self.op().sockets_join(rooms)
    }

    /// Makes every socket leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        self.op().sockets_leave(room)
    }

    /// Disconnects every socket.
    pub fn disconnect_sockets(&self, close: bool) {
        self.op().disconnect_sockets(close)
    }
}
