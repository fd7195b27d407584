//! A server on the embedding runtime: core events turned into [`Event`]s.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::event::{AckOutcome, Completion, Decision, Event, Leaving};
use super::{EmbedError, Shared};
use crate::error::{ConnectError, EmitError};
use crate::server::{Namespace, Server, ServerConfig, Socket};
use crate::value::Value;

/// Decides per incoming event whether it reaches the host (`socket.use`); `Err(message)`
/// drops it and fires the socket's `error`.
pub type PacketMiddleware = Arc<dyn Fn(&Socket, &str, &[Value]) -> Result<(), String> + Send + Sync>;

/// A server whose events go to the host.
#[derive(Clone)]
pub struct EmbeddedServer {
    pub(super) shared: Arc<Shared>,
    pub(super) server: Server,
    id: u64,
    pub(super) packet_middleware: Arc<std::sync::RwLock<Option<PacketMiddleware>>>,
    /// The dynamic (parent) namespaces made by [`EmbeddedServer::namespace_regex`], by pattern.
    pub(super) dynamic: Arc<std::sync::Mutex<std::collections::HashMap<String, Namespace>>>,
}

impl std::fmt::Debug for EmbeddedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedServer").field("id", &self.id).finish()
    }
}

impl EmbeddedServer {
    pub(crate) fn new(shared: Arc<Shared>, mut config: ServerConfig) -> EmbeddedServer {
        let _guard = shared.handle.enter();
        // Hosts take JSON text: a text event's arguments reach them as they came.
        config.event_args_as_text = true;
        let server = Server::new(config);
        let id = shared.next_id();
        let s = EmbeddedServer {
            shared: shared.clone(),
            server: server.clone(),
            id,
            packet_middleware: Arc::default(),
            dynamic: Arc::default(),
        };
        let weak = Arc::downgrade(&shared);
        server.on_engine_connection(move |conn| {
            let (weak, conn_id) = (weak.clone(), conn.id().to_owned());
            conn.on_lifecycle(move |ev| {
                if let (crate::engine::server::ConnEvent::Upgrade(t), Some(shared)) = (ev, weak.upgrade()) {
                    shared.deliver(Event::Upgrade { server: id, conn: conn_id.clone(), transport: *t });
                }
            });
        });
        let weak = Arc::downgrade(&shared);
        server.on_any_server_side(move |ns, name, args, ack| {
            if let Some(shared) = weak.upgrade() {
                let (ns, name, args) = (ns.to_owned(), name.to_owned(), args.to_vec());
                shared.deliver(Event::ServerSide { server: id, ns, name, args, ack });
            }
        });
        s.forward(&server.of("/"));
        shared.servers.lock().expect("runtime lock poisoned").push(server);
        s
    }

    /// The id carried by this server's events.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Makes namespace `name` exist and forward its events (`/` always does).
    pub fn namespace(&self, name: &str) {
        let ns = self.server.of(name);
        self.forward(&ns);
    }

    /// Forwards the events of every namespace whose name matches `pattern`. The same
    /// pattern again is the same dynamic namespace.
    pub fn namespace_regex(&self, pattern: &str) -> Result<(), EmbedError> {
        let mut dynamic = self.dynamic.lock().expect("namespace lock poisoned");
        if dynamic.contains_key(pattern) {
            return Ok(());
        }
        let re = regex::Regex::new(pattern).map_err(|e| EmbedError::InvalidArgument(e.to_string()))?;
        let ns = self.server.of_regex(re);
        self.forward(&ns);
        dynamic.insert(pattern.to_owned(), ns);
        Ok(())
    }

    /// Asks the host to accept or refuse every connection to `name` (an
    /// [`Event::Middleware`] per connection).
    pub fn enable_middleware(&self, name: &str) {
        self.ask_host(&self.server.of(name));
    }

    /// Asks the host to accept or refuse every connection to a namespace matched by
    /// `pattern`, a dynamic namespace made by [`EmbeddedServer::namespace_regex`] (an
    /// [`Event::Middleware`] per connection, whose socket is in the matched namespace).
    pub fn enable_middleware_regex(&self, pattern: &str) -> Result<(), EmbedError> {
        let ns = self.dynamic.lock().expect("namespace lock poisoned").get(pattern).cloned();
        let ns = ns.ok_or_else(|| {
            EmbedError::InvalidArgument(format!("no dynamic namespace {pattern:?} (namespace_regex first)"))
        })?;
        self.ask_host(&ns);
        Ok(())
    }

    fn ask_host(&self, ns: &Namespace) {
        let weak = Arc::downgrade(&self.shared);
        let server = self.id;
        ns.use_middleware(move |socket| {
            let (tx, rx) = oneshot::channel();
            if let Some(shared) = weak.upgrade() {
                shared.deliver(Event::Middleware { server, socket, decision: Decision(Some(tx)) });
            }
            async move { rx.await.unwrap_or_else(|_| Err(ConnectError::new("connection refused"))) }
        });
    }

    /// Sets (or with `None` removes) the per-packet middleware of every socket.
    pub fn set_packet_middleware(&self, f: Option<PacketMiddleware>) {
        *self.packet_middleware.write().expect("middleware lock poisoned") = f;
    }

    fn forward(&self, ns: &Namespace) {
        let weak = Arc::downgrade(&self.shared);
        let server = self.id;
        let middleware = self.packet_middleware.clone();
        ns.on_connection(move |socket| {
            let Some(shared) = weak.upgrade() else { return };
            forward_messages(&socket, &weak, server, &middleware);
            let w = weak.clone();
            socket.on_disconnecting(move |s, reason| {
                if let Some(shared) = w.upgrade() {
                    let rooms = s.rooms().into_iter().map(|r| r.to_string()).collect();
                    let leaving = Leaving::new(s.defer_close(), &shared.leaving);
                    shared.deliver(Event::Disconnecting { server, socket: s.clone(), reason, rooms, leaving });
                }
            });
            let w = weak.clone();
            socket.on_disconnect(move |s, reason| {
                if let Some(shared) = w.upgrade() {
                    shared.deliver(Event::Disconnect { server, socket: s.clone(), reason });
                }
            });
            shared.deliver(Event::Connection { server, socket });
        });
    }

    /// Starts listening (blocks the calling host thread until bound). Call it from a
    /// host thread, not from an event callback.
    pub fn listen(&self, addr: &str) -> Result<SocketAddr, EmbedError> {
        let server = self.server.clone();
        let addr = addr.to_owned();
        self.shared.block_on(async move { server.listen(addr).await })?.map_err(|e| EmbedError::Io(e.to_string()))
    }

    /// Closes the server (`server shutting down` for every socket).
    pub fn close(&self) -> Result<(), EmbedError> {
        self.shared.check()?;
        let server = self.server.clone();
        self.shared.handle.spawn(async move { server.close() });
        Ok(())
    }

    /// Closes the server as [`EmbeddedServer::close`] does, then runs `done` on a runtime
    /// thread once every socket's `disconnect` was delivered (a host's `close` callback;
    /// `disconnecting` events the host holds are waited for, up to [`super::LEAVING_GRACE`]).
    /// `done` does not run if the runtime is shut down first.
    pub fn close_then(&self, done: impl FnOnce() + Send + 'static) -> Result<(), EmbedError> {
        self.shared.check()?;
        let server = self.server.clone();
        let leaving = self.shared.leaving.clone();
        self.shared.handle.spawn(async move {
            server.close();
            // A host holding `disconnecting` events gets their `disconnect` first.
            let deadline = tokio::time::Instant::now() + super::LEAVING_GRACE;
            while leaving.load(std::sync::atomic::Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            done();
        });
        Ok(())
    }

    /// Serves `body` at `path` under the endpoint (GET/HEAD with an ETag, as socket.io's
    /// `serveClient`); `None` stops serving it.
    pub fn serve_file(&self, path: &str, content_type: &str, body: Option<bytes::Bytes>) {
        match body {
            Some(b) => self.server.serve_file(path.to_owned(), content_type.to_owned(), b),
            None => self.server.unserve_file(path),
        }
    }

    /// Disconnects `socket` (`close`: the whole connection). Returns at once; the
    /// `disconnect` events follow on runtime threads.
    pub fn disconnect_socket(&self, socket: &Socket, close: bool) {
        let socket = socket.clone();
        self.shared.handle.spawn(async move { socket.disconnect(close) });
    }

    /// Emits to `socket` and completes `done` exactly once with the client's answer,
    /// a timeout, a disconnection, or `Cancelled` at shutdown.
    pub fn emit_with_ack(
        &self,
        socket: &Socket,
        event: &str,
        args: Vec<Value>,
        timeout: Option<Duration>,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        crate::error::check_reserved(event)?;
        let completion = Completion::new(done);
        let (socket, event) = (socket.clone(), event.to_owned());
        self.shared.handle.spawn(async move {
            let res = match timeout {
                Some(t) => socket.timeout(t).emit_with_ack(&event, args).await,
                None => socket.emit_with_ack(&event, args).await,
            };
            completion.complete(res.into());
        });
        Ok(())
    }

    /// Sends `event` to namespace `ns` (created if needed) on the other servers of the
    /// cluster; returns how many it reached at the adapter's last count (0 without an
    /// adapter). Runs inside the runtime: a cluster adapter spawns its publication from
    /// this call.
    pub fn server_side_emit(&self, ns: &str, event: &str, args: Vec<Value>) -> Result<usize, EmitError> {
        let _guard = self.shared.handle.enter();
        self.server.of(ns).server_side_emit(event, args)
    }

    /// Sends `event` to namespace `ns` on the other servers and completes `done` exactly once: `Answered`
    /// with one value per server, `TimedOut` when some did not answer in time, or
    /// `Cancelled` at shutdown.
    pub fn server_side_emit_with_ack(
        &self,
        ns: &str,
        event: &str,
        args: Vec<Value>,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        crate::error::check_reserved(event)?;
        let completion = Completion::new(done);
        let namespace = {
            let _guard = self.shared.handle.enter();
            self.server.of(ns)
        };
        let event = event.to_owned();
        self.shared.handle.spawn(async move {
            completion.complete(match namespace.server_side_emit_with_ack(&event, args).await {
                Ok(answers) => AckOutcome::Answered(answers),
                Err(_) => AckOutcome::TimedOut,
            });
        });
        Ok(())
    }

    /// Instruments this server for the admin UI (`@socket.io/admin-ui`'s `instrument`,
    /// python-socketio's `Server.instrument`): see [`crate::server::admin`]. Any host
    /// thread may call it; an invalid option, or a second call, is an error.
    pub fn instrument(&self, opts: super::AdminOptions) -> Result<(), EmbedError> {
        self.shared.check()?;
        let _guard = self.shared.handle.enter();
        crate::server::admin::instrument(&self.server, opts).map_err(|e| EmbedError::InvalidArgument(e.to_string()))
    }

    /// How many servers the cluster has, this one included (blocks the calling host thread).
    pub fn server_count(&self) -> Result<usize, EmbedError> {
        let server = self.server.clone();
        self.shared.block_on(async move { server.server_count().await })
    }
}

/// A socket's messages go through the host's packet middleware, then to the host as
/// [`Event::Message`] (static and dynamic namespaces alike).
pub(super) fn forward_messages(
    socket: &Socket,
    weak: &std::sync::Weak<Shared>,
    server: u64,
    middleware: &Arc<std::sync::RwLock<Option<PacketMiddleware>>>,
) {
    socket.set_host_middleware(middleware.clone());
    let w = weak.clone();
    socket.on_unhandled(move |s, name, args, ack| {
        if let Some(shared) = w.upgrade() {
            shared.deliver(Event::Message { server, socket: s.clone(), name: name.to_owned(), args, ack });
        }
    });
}
