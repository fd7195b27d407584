//! The Socket.IO server: namespaces, sockets, rooms, acknowledgements, connection
//! state recovery, on top of the Engine.IO server.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sio_core::server::Server;
//! let io = Server::builder().build();
//! io.of("/").on_connection(|socket| {
//!     socket.on("chat", |s, args, _ack| {
//!         let _ = s.broadcast().emit("chat", args);
//!     });
//! });
//! io.listen("127.0.0.1:3000").await?;
//! # Ok(()) }
//! ```

mod ack;
pub mod admin;
mod broadcast;
mod client;
mod closing;
pub mod cluster;
mod config;

mod extensions;
mod files;
mod handshake;
mod namespace;
mod reason;
mod recovery;
mod remote;
pub mod rooms;
mod server_side;
mod socket;
pub mod tower;
mod utc;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::Full;
use hyper::{Request, Response};
use tokio::sync::watch;

pub use crate::error::{AckError, ConnectError, EmitError, RESERVED_EVENTS};
pub(crate) use ack::send_ack;
pub use ack::AckSender;
pub use broadcast::BroadcastOperator;
pub use closing::CloseDeferral;
pub use config::{RecoveryConfig, ServerBuilder, ServerConfig};
pub use extensions::Extensions;
pub use handshake::Handshake;
pub use namespace::{ConnMiddleware, ConnectionHandler, DataListener, Namespace};
pub use reason::DisconnectReason;
pub use remote::RemoteSocket;
use server_side::AnyServerSideHandler;
pub use server_side::ServerSideAck;
pub use socket::{AnyHandler, Socket, SocketEmitter};

use crate::engine::server::{
    CloseReason, EngineHandler, EngineServer, HostWebSocket, Message, Peer, RequestBody, Session,
};
use crate::proto::packet::PacketType;
use crate::value::Value;
use client::Client;
use namespace::NsInner;
use socket::Restored;

type Matcher = Arc<dyn Fn(&str, &Value) -> BoxFuture<'static, bool> + Send + Sync>;
type EngineConnectionHandler = Arc<dyn Fn(&Arc<Session>) + Send + Sync>;
type NamespaceHandler = Arc<dyn Fn(&Namespace) + Send + Sync>;

pub(crate) struct ServerInner {
    pub(crate) config: ServerConfig,
    engine: OnceLock<EngineServer>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    dynamic: RwLock<Vec<(Matcher, Namespace)>>,
    server_side_any: RwLock<Vec<AnyServerSideHandler>>,
    engine_connection: RwLock<Vec<EngineConnectionHandler>>,
    /// Observers of every socket of every namespace, run before the namespace's own
    /// handlers (the admin instrumentation's `prependListener("connection")`).
    any_connection: RwLock<Vec<ConnectionHandler>>,
    /// Observers of each namespace created (socket.io's `new_namespace`).
    new_namespace: RwLock<Vec<NamespaceHandler>>,
    /// Set once the admin UI instrumentation is installed (it is installed once).
    admin: OnceLock<()>,
    files: files::Files,
    stop: watch::Sender<bool>,
}

/// A Socket.IO server. Cheap to clone; clones are the same server.
#[derive(Clone)]
pub struct Server(Arc<ServerInner>);

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("config", &self.0.config).finish_non_exhaustive()
    }
}

impl Server {
    /// A builder with the reference defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// A server with `config`. The namespace `/` always exists.
    pub fn new(config: ServerConfig) -> Server {
        let inner = Arc::new(ServerInner {
            config,
            engine: OnceLock::new(),
            namespaces: RwLock::default(),
            dynamic: RwLock::default(),
            server_side_any: RwLock::default(),
            engine_connection: RwLock::default(),
            any_connection: RwLock::default(),
            new_namespace: RwLock::default(),
            admin: OnceLock::new(),
            files: files::Files::default(),
            stop: watch::channel(false).0,
        });
        let engine = EngineServer::new(inner.config.engine.clone(), Arc::new(Bridge(Arc::downgrade(&inner))));
        let _ = inner.engine.set(engine);
        if let Some(adapter) = &inner.config.adapter {
            adapter.attach(cluster::LocalNode(Arc::downgrade(&inner)));
        }
        let server = Server(inner);
        server.of("/");
        server
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The Engine.IO server underneath (`io.engine`).
    pub fn engine(&self) -> &EngineServer {
        self.0.engine.get().expect("engine is set in Server::new")
    }

    /// The namespace `name`, created if needed.
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') { name.to_owned() } else { format!("/{name}") };
        if let Some(ns) = self.0.namespaces.read().expect("namespace lock poisoned").get(&name) {
            return ns.clone();
        }
        let mut created = false;
        let ns = {
            let mut map = self.0.namespaces.write().expect("namespace lock poisoned");
            map.entry(name.clone())
                .or_insert_with(|| {
                    created = true;
                    self.0.create_namespace(name, Arc::default())
                })
                .clone()
        };
        if created {
            self.0.announce(&ns);
        }
        ns
    }

    /// The namespaces of this server (dynamic ones once created; not the dynamic parents).
    pub fn namespaces(&self) -> Vec<Namespace> {
        self.0.namespaces.read().expect("namespace lock poisoned").values().cloned().collect()
    }

    /// The namespace `name` if it exists (never creates it).
    pub fn existing_namespace(&self, name: &str) -> Option<Namespace> {
        self.0.existing(name)
    }

    /// Sees each namespace created from now on, dynamic children included (socket.io's
    /// `io.on("new_namespace")`).
    pub fn on_new_namespace(&self, f: impl Fn(&Namespace) + Send + Sync + 'static) {
        self.0.new_namespace.write().expect("handler lock poisoned").push(Arc::new(f));
    }

    /// Sees every socket of every namespace, present and future, before the namespace's
    /// own connection handlers run.
    pub fn on_any_connection(&self, f: impl Fn(Socket) + Send + Sync + 'static) {
        self.0.any_connection.write().expect("handler lock poisoned").push(Arc::new(f));
    }

    /// A dynamic namespace: every name accepted by `matcher(name, auth)` becomes a
    /// namespace sharing the returned parent's middlewares and handlers.
    pub fn of_dynamic(&self, matcher: impl Fn(&str, &Value) -> bool + Send + Sync + 'static) -> Namespace {
        self.of_dynamic_async(move |name, auth| Box::pin(std::future::ready(matcher(name, auth))))
    }

    /// A dynamic namespace whose matcher answers later, as socket.io's
    /// `io.of((name, auth, next) => ...)` does; the connection waits for it, no thread does.
    pub fn of_dynamic_async(
        &self,
        matcher: impl Fn(&str, &Value) -> BoxFuture<'static, bool> + Send + Sync + 'static,
    ) -> Namespace {
        let parent = Namespace(NsInner::new("<dynamic>".into(), &self.0, Arc::default(), true));
        self.0.dynamic.write().expect("namespace lock poisoned").push((Arc::new(matcher), parent.clone()));
        parent
    }

    /// A dynamic namespace matching names with a regular expression.
    pub fn of_regex(&self, re: regex::Regex) -> Namespace {
        self.of_dynamic(move |name, _| re.is_match(name))
    }

    /// Shorthand for `of("/").on_connection`.
    pub fn on_connection(&self, f: impl Fn(Socket) + Send + Sync + 'static) {
        self.of("/").on_connection(f);
    }

    /// Emits to every socket of `/`.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.of("/").emit(event, args)
    }

    /// Targets a room of `/`.
    pub fn to(&self, room: impl Into<rooms::Room>) -> BroadcastOperator {
        self.of("/").to(room)
    }

    /// Excludes a room of `/`.
    pub fn except(&self, room: impl Into<rooms::Room>) -> BroadcastOperator {
        self.of("/").except(room)
    }

    /// Broadcast on `/` with an acknowledgement timeout.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.of("/").timeout(timeout)
    }

    /// Views of every socket of `/`.
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        self.of("/").fetch_sockets().await
    }

    /// Disconnects every socket of `/`.
    pub fn disconnect_sockets(&self, close: bool) {
        self.of("/").disconnect_sockets(close)
    }

    /// Sees every new Engine.IO connection before any namespace is joined
    /// (`io.engine.on("connection")`): the place to watch a connection's `upgrade`.
    pub fn on_engine_connection(&self, f: impl Fn(&Arc<Session>) + Send + Sync + 'static) {
        self.0.engine_connection.write().expect("handler lock poisoned").push(Arc::new(f));
    }

    /// Registers a handler for server-side events of the main namespace
    /// ([`Namespace::on_server_side`] of `/`, as `io.on` is `io.of("/").on`).
    pub fn on_server_side(&self, event: impl Into<String>, f: impl Fn(&[Value]) + Send + Sync + 'static) {
        self.of("/").on_server_side(event, f);
    }

    /// [`Namespace::on_server_side_with_ack`] of `/`.
    pub fn on_server_side_with_ack(
        &self,
        event: impl Into<String>,
        f: impl Fn(&[Value], Option<ServerSideAck>) + Send + Sync + 'static,
    ) {
        self.of("/").on_server_side_with_ack(event, f);
    }

    /// Sees every server-side event from other nodes, whatever its namespace and name
    /// (for bindings that dispatch themselves): (namespace, event, args, ack).
    pub fn on_any_server_side(&self, f: impl Fn(&str, &str, &[Value], Option<ServerSideAck>) + Send + Sync + 'static) {
        self.0.server_side_any.write().expect("handler lock poisoned").push(Arc::new(f));
    }

    /// [`Namespace::server_side_emit`] of `/`.
    pub fn server_side_emit(&self, event: &str, args: Vec<Value>) -> Result<usize, EmitError> {
        self.of("/").server_side_emit(event, args)
    }

    /// [`Namespace::server_side_emit_with_ack`] of `/`.
    pub async fn server_side_emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        self.of("/").server_side_emit_with_ack(event, args).await
    }

    /// How many servers the cluster has, this one included.
    pub async fn server_count(&self) -> usize {
        match self.0.config.adapter.clone() {
            Some(adapter) => adapter.server_count().await.max(1),
            None => 1,
        }
    }

    /// Delivers a server-side event for the main namespace that arrived from another
    /// node (called by cluster adapters that do not name namespaces).
    pub fn receive_server_side(&self, event: &str, args: &[Value]) {
        let any = self.0.server_side_any.read().expect("handler lock poisoned").clone();
        self.of("/").dispatch_server_side(&any, event, args, None);
    }

    /// Delivers a server-side event for namespace `ns` in the adapters' wire form; one
    /// for a namespace this node does not have is dropped, as socket.io's adapter of a
    /// namespace that was never created never hears it.
    pub(crate) fn receive_server_side_data(
        &self,
        ns: &str,
        data: Vec<Value>,
        ack: Option<Box<dyn FnOnce(Value) + Send>>,
    ) {
        let Some(namespace) = self.0.existing(ns) else {
            return;
        };
        let any = self.0.server_side_any.read().expect("handler lock poisoned").clone();
        namespace.receive_server_side_data(&any, data, ack);
    }

    /// Serves one HTTP request (mount the server inside an existing hyper service; any
    /// body type: hyper's `Incoming`, axum's `Body`...).
    pub async fn handle<B: RequestBody>(&self, req: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>> {
        self.handle_from(req, Peer::plain(remote)).await
    }

    /// [`Server::handle`] for a request from `peer` (a TLS connection, say).
    pub async fn handle_from<B: RequestBody>(&self, req: Request<B>, peer: Peer) -> Response<Full<Bytes>> {
        if let Some(res) = self.0.files.respond(&req) {
            return res;
        }
        self.engine().handle_from(req, peer).await
    }

    /// Accepts a WebSocket a host upgraded itself: see [`EngineServer::accept_websocket`].
    pub async fn accept_websocket(&self, req: Request<()>, peer: Peer) -> Result<HostWebSocket, Response<Full<Bytes>>> {
        self.engine().accept_websocket(req, peer).await
    }

    /// Takes over a connection on which a host read a WebSocket upgrade request: see
    /// [`EngineServer::accept_websocket_stream`].
    pub async fn accept_websocket_stream<S>(&self, req: Request<()>, peer: Peer, stream: S, head: Bytes)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        self.engine().accept_websocket_stream(req, peer, stream, head).await
    }

    /// Serves `body` at `path` (GET and HEAD, with an ETag), as socket.io's `serveClient`
    /// serves the browser client at `/socket.io/socket.io.js`. `path` must lie under the
    /// endpoint path for [`Server::listen`] to route it here.
    pub fn serve_file(&self, path: impl Into<String>, content_type: impl Into<String>, body: Bytes) {
        self.0.files.insert(path.into(), content_type.into(), body);
    }

    /// Stops serving the file at `path` (a no-op if there is none).
    pub fn unserve_file(&self, path: &str) {
        self.0.files.remove(path);
    }

    /// Binds `addr` and serves in the background until [`Server::close`]. Requests
    /// outside the endpoint path get 404. Returns the bound address. With
    /// `EngineConfig::tls` set, it serves https and wss (`handshake.secure` is true).
    pub async fn listen(&self, addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let server = self.clone();
        let stop = self.0.stop.subscribe();
        let limits = self.0.config.engine.listen_limits();
        let handler = move |req: Request<hyper::body::Incoming>, peer| {
            let server = server.clone();
            async move {
                if server.engine().matches(req.uri().path()) {
                    server.handle_from(req, peer).await
                } else {
                    not_found()
                }
            }
        };
        #[cfg(feature = "tls")]
        if let Some(tls) = self.0.config.engine.tls.clone() {
            tokio::spawn(crate::engine::server::serve_tls(listener, tls, limits, handler, stop));
            return Ok(local);
        }
        let engine = self.engine().clone();
        tokio::spawn(crate::engine::server::serve_with_engine(listener, limits, engine, handler, stop));
        Ok(local)
    }

    /// Closes the server: every socket disconnects with `server shutting down`, the
    /// connections close and the listener stops.
    pub fn close(&self) {
        let namespaces: Vec<Namespace> =
            self.0.namespaces.read().expect("namespace lock poisoned").values().cloned().collect();
        for ns in namespaces {
            for s in ns.sockets() {
                s.0.client.on_close(DisconnectReason::ServerShuttingDown);
            }
        }
        self.engine().close_all(CloseReason::ServerShuttingDown);
        self.0.stop.send_replace(true);
        if let Some(adapter) = &self.0.config.adapter {
            adapter.close();
        }
    }
}

/// A 404 for requests outside the endpoint.
pub fn not_found() -> Response<Full<Bytes>> {
    Response::builder().status(404).body(Full::default()).expect("static response parts are valid")
}

/// `[event, ...args]`, the shape events travel in between nodes.
impl ServerInner {
    fn create_namespace(self: &Arc<Self>, name: String, handlers: Arc<namespace::NsHandlers>) -> Namespace {
        if let Some(adapter) = &self.config.adapter {
            adapter.add_namespace(&name);
        }
        Namespace(NsInner::new(name, self, handlers, false))
    }

    /// Tells the `new_namespace` observers (outside the namespace table's lock).
    fn announce(&self, ns: &Namespace) {
        let hooks = self.new_namespace.read().expect("handler lock poisoned").clone();
        for h in hooks {
            h(ns);
        }
    }

    /// The namespace `name` if it exists (a dynamic child once created).
    pub(crate) fn existing(&self, name: &str) -> Option<Namespace> {
        self.namespaces.read().expect("namespace lock poisoned").get(name).cloned()
    }

    async fn resolve(self: &Arc<Self>, name: &str, auth: &Value) -> Option<Namespace> {
        if let Some(ns) = self.existing(name) {
            return Some(ns);
        }
        let dynamic = self.dynamic.read().expect("namespace lock poisoned").clone();
        let mut parent = None;
        for (matcher, p) in &dynamic {
            if matcher(name, auth).await {
                parent = Some(p);
                break;
            }
        }
        let parent = parent?;
        let mut created = false;
        let child = {
            let mut map = self.namespaces.write().expect("namespace lock poisoned");
            let child = map
                .entry(name.to_owned())
                .or_insert_with(|| {
                    created = true;
                    self.create_namespace(name.to_owned(), parent.0.handlers.clone())
                })
                .clone();
            if let Some(children) = &parent.0.children {
                let mut c = children.write().expect("namespace lock poisoned");
                if !c.iter().any(|n| Arc::ptr_eq(&n.0, &child.0)) {
                    c.push(child.clone());
                }
            }
            child
        };
        if created {
            self.announce(&child);
        }
        Some(child)
    }

    /// Connects `client` to namespace `name`: recovery, middlewares, then the socket.
    async fn connect(self: Arc<Self>, client: Arc<Client>, name: String, auth: Value) {
        let Some(ns) = self.resolve(&name, &auth).await else {
            client.send_connect_error(&name, "Invalid namespace", None);
            return;
        };
        let restored =
            match (&ns.0.recovery, auth.get("pid").and_then(Value::as_str), auth.get("offset").and_then(Value::as_str))
            {
                (Some(store), Some(pid), Some(offset)) => store.restore(pid, offset).await,
                _ => None,
            };
        let (restored, rooms, missed) = match restored {
            Some((session, missed)) => {
                (Some(Restored { id: session.sid, pid: session.pid, data: session.data }), session.rooms, missed)
            }
            None => (None, Vec::new(), Vec::new()),
        };
        let skip_middlewares = restored.is_some() && self.config.recovery.is_some_and(|r| r.skip_middlewares);
        let socket = Socket::new(ns.0.clone(), client.clone(), auth, restored);
        if !skip_middlewares {
            let middlewares = ns.0.handlers.middlewares.read().expect("handler lock poisoned").clone();
            for m in middlewares {
                if let Err(e) = m(socket.clone()).await {
                    client.send_connect_error(&name, &e.message, e.data.as_ref());
                    return;
                }
            }
        }
        // Registered with its connection first: a connection that closed meanwhile refuses
        // it, and one that closes from here on closes it too (no socket outlives its
        // connection).
        if client.session.is_closed() || !client.add(&socket) {
            client.join_failed(&name);
            return;
        }
        socket.set_connected();
        ns.0.insert(&socket);
        let mut all_rooms = vec![socket.id().to_owned()];
        all_rooms.extend(rooms);
        ns.0.adapter.add_all(socket.id(), &all_rooms);
        // Missed packets go first, as in the reference: the client buffers them until CONNECT.
        let _ = socket.send_frames(missed, false);
        let mut reply = indexmap::IndexMap::new();
        reply.insert("sid".to_owned(), Value::from(socket.id()));
        if let Some(pid) = socket.pid() {
            reply.insert("pid".to_owned(), Value::from(pid));
        }
        // Socket.IO protocol 4 (socket.io-client 2.x) has no payload in its CONNECT.
        let reply = (client.session.protocol() != 3).then_some(Value::Object(reply));
        let _ = socket.send_frames(ns.0.parser.encode(PacketType::Connect, &name, None, reply.as_ref()), false);
        tracing::debug!(ns = %name, id = socket.id(), recovered = socket.recovered(), "socket connected");
        let observers = self.any_connection.read().expect("handler lock poisoned").clone();
        for h in observers {
            h(socket.clone());
        }
        let handlers = ns.0.handlers.connection.read().expect("handler lock poisoned").clone();
        for h in handlers {
            h(socket.clone());
        }
        socket.set_ready();
    }
}

/// Connects the engine's callbacks to the Socket.IO layer without a reference cycle.
struct Bridge(std::sync::Weak<ServerInner>);

impl EngineHandler for Bridge {
    fn on_open(&self, session: &Arc<Session>) {
        tracing::debug!(target: "sio_core::engine::server", sid = session.id(), transport = session.transport().as_str(), "session opened");
        if let Some(server) = self.0.upgrade() {
            let client = Client::new(session.clone(), &server);
            session.set_attachment(client.clone());
            if session.protocol() == 3 {
                // socket.io-client 2.x never sends a CONNECT for `/`: it is joined at once.
                client.join_main_namespace();
            }
            let handlers = server.engine_connection.read().expect("handler lock poisoned").clone();
            for h in handlers {
                h(session);
            }
        }
    }

    fn on_message(&self, session: &Arc<Session>, message: Message<'_>) {
        if let Some(client) = session.attachment::<Client>() {
            client.on_message(message);
        }
    }

    fn on_close(&self, session: &Arc<Session>, reason: CloseReason) {
        if let Some(client) = session.attachment::<Client>() {
            client.on_close(reason.into());
        }
    }
}
