//! A client on the embedding runtime: core events turned into [`Event`]s.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client_engine::ClientEngineActivity;
use super::event::{AckOutcome, Completion, Event, ManagerNotice};
use super::{EmbedError, Shared};
use crate::client::{ClientOptions, ManagerEvent, Socket, SocketConfig, Tuning};
use crate::error::EmitError;
use crate::value::Value;

/// A client whose events go to the host.
#[derive(Clone)]
pub struct EmbeddedClient {
    shared: Arc<Shared>,
    socket: Socket,
    id: u64,
    conn: Arc<Connection>,
    /// Cleared once the handle is closed: a namespace opened again later may get the same
    /// core socket back, whose old listeners must then stay silent.
    live: Arc<AtomicBool>,
}

/// What the handles sharing one Manager (one Engine.IO connection) know of each other.
#[derive(Default)]
struct Connection {
    /// The open handles, oldest first: (client id, namespace).
    open: Mutex<Vec<(u64, String)>>,
    /// Per namespace, the last command task: a namespace closed and opened again must
    /// disconnect before it connects, and runtime tasks run in no set order.
    tails: Mutex<HashMap<String, tokio::task::JoinHandle<()>>>,
    /// Whether the host asked for the Manager's own events ([`Event::Manager`]).
    watched: AtomicBool,
    /// The host's watcher of the Engine.IO connection, if any.
    engine_watch: Mutex<Option<EngineWatch>>,
    /// Whether `engine_watch` is set: per-packet Manager events skip every lock without it.
    engine_watched: AtomicBool,
}

/// A host's watcher of a client's Engine.IO connection ([`EmbeddedClient::watch_engine`]).
pub type EngineWatch = Arc<dyn Fn(ClientEngineActivity) + Send + Sync>;

impl Connection {
    fn oldest(&self) -> Option<u64> {
        self.open.lock().expect("client lock poisoned").first().map(|(id, _)| *id)
    }
}

impl std::fmt::Debug for EmbeddedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedClient").field("id", &self.id).finish()
    }
}

/// Forwards the socket's own events to the host as client `id`, while `live`.
fn forward(shared: &Arc<Shared>, socket: &Socket, id: u64, live: &Arc<AtomicBool>) {
    let weak = Arc::downgrade(shared);
    let upgrade =
        move |w: &std::sync::Weak<Shared>, live: &AtomicBool| w.upgrade().filter(|_| live.load(Ordering::Acquire));
    let (w, l) = (weak.clone(), live.clone());
    socket.on_connect(move |_| {
        if let Some(s) = upgrade(&w, &l) {
            s.deliver(Event::ClientConnect { client: id });
        }
    });
    let (w, l) = (weak.clone(), live.clone());
    socket.on_connect_error(move |sock, error| {
        if let Some(s) = upgrade(&w, &l) {
            s.deliver(Event::ClientConnectError { client: id, error: error.clone(), active: sock.active() });
        }
    });
    let (w, l) = (weak.clone(), live.clone());
    socket.on_disconnect(move |sock, reason| {
        if let Some(s) = upgrade(&w, &l) {
            let details = sock.disconnect_details();
            s.deliver(Event::ClientDisconnect { client: id, reason, active: sock.active(), details });
        }
    });
    let (w, l) = (weak, live.clone());
    socket.on_unhandled(move |_, name, args, ack| {
        if let Some(s) = upgrade(&w, &l) {
            s.deliver(Event::ClientMessage { client: id, name: name.to_owned(), args, ack });
        }
    });
}

impl EmbeddedClient {
    pub(crate) fn new(shared: Arc<Shared>, url: &str, mut options: ClientOptions) -> EmbeddedClient {
        let _guard = shared.handle.enter();
        let id = shared.next_id();
        // Listeners must be in place before the first connection attempt.
        let auto_connect = options.manager.auto_connect;
        options.manager.auto_connect = false;
        options.force_new = true;
        let socket = crate::client::io(url, options);
        let live = Arc::new(AtomicBool::new(true));
        forward(&shared, &socket, id, &live);
        let conn = Arc::new(Connection::default());
        conn.open.lock().expect("client lock poisoned").push((id, socket.nsp().to_owned()));
        let (w, c) = (Arc::downgrade(&shared), conn.clone());
        socket.io().on(move |manager, ev| {
            let per_packet =
                matches!(ev, ManagerEvent::Engine(_) | ManagerEvent::PacketCreate(_) | ManagerEvent::Packet(_));
            if per_packet && !c.engine_watched.load(Ordering::Acquire) {
                return; // the hot path: nobody watches packets
            }
            let Some(s) = w.upgrade() else { return };
            let watch = c.engine_watch.lock().expect("client lock poisoned").clone();
            if let Some(f) = watch {
                ClientEngineActivity::from_manager(manager, ev, &*f);
            }
            if per_packet {
                return;
            }
            // The host has no Manager handle: the connection's oldest open client stands for it.
            let Some(client) = c.oldest() else { return };
            let event = match ev {
                ManagerEvent::ReconnectAttempt(n) => Event::ReconnectAttempt { client, attempt: *n },
                ManagerEvent::Reconnect(n) => Event::Reconnect { client, attempt: *n },
                ManagerEvent::ReconnectError(m) => Event::ReconnectError { client, message: (*m).to_owned() },
                ManagerEvent::ReconnectFailed => Event::ReconnectFailed { client },
                other if c.watched.load(Ordering::Acquire) => {
                    let event = match other {
                        ManagerEvent::Open => ManagerNotice::Open,
                        ManagerEvent::Ping => ManagerNotice::Ping,
                        ManagerEvent::Close(r) => ManagerNotice::Close(*r),
                        ManagerEvent::Error(m) => ManagerNotice::Error((*m).to_owned()),
                        _ => return,
                    };
                    Event::Manager { client, event }
                }
                _ => return,
            };
            s.deliver(event);
        });
        if auto_connect {
            socket.connect();
        }
        shared.clients.lock().expect("runtime lock poisoned").insert(id, socket.clone());
        EmbeddedClient { shared, socket, id, conn, live }
    }

    /// Opens namespace `nsp` over this client's connection (socket.io-client's
    /// `manager.socket(nsp)`), connecting at once: a client with its own id, whose
    /// `disconnect` leaves only its namespace. The connection closes when no namespace on
    /// it is connected any more, or when the last of its clients is closed. Manager events
    /// (`Reconnect*`) carry the id of the connection's oldest open client.
    ///
    /// Fails with `InvalidArgument` if an open client of this connection already has
    /// `nsp`. A namespace closed and opened again while the connection stayed up gets its
    /// core socket back, with the `config` it was first opened with.
    pub fn open_namespace(&self, nsp: &str, config: SocketConfig) -> Result<EmbeddedClient, EmbedError> {
        self.open(nsp, config, true)
    }

    /// As [`EmbeddedClient::open_namespace`], but the namespace stays unconnected until
    /// [`EmbeddedClient::connect`]: a host that sets up every namespace of a connection
    /// first (Python's `sio.Client(namespaces=[..])`) and connects them when its handlers
    /// are in place. Emits meanwhile are buffered, as on any disconnected client.
    pub fn open_namespace_idle(&self, nsp: &str, config: SocketConfig) -> Result<EmbeddedClient, EmbedError> {
        self.open(nsp, config, false)
    }

    fn open(&self, nsp: &str, config: SocketConfig, connect: bool) -> Result<EmbeddedClient, EmbedError> {
        self.shared.check()?;
        let nsp = if nsp.starts_with('/') { nsp.to_owned() } else { format!("/{nsp}") };
        let id = {
            let mut open = self.conn.open.lock().expect("client lock poisoned");
            if open.iter().any(|(_, n)| *n == nsp) {
                return Err(EmbedError::InvalidArgument(format!("namespace {nsp} is already open on this connection")));
            }
            let id = self.shared.next_id();
            open.push((id, nsp.clone()));
            id
        };
        let _guard = self.shared.handle.enter();
        let socket = self.socket.io().socket(&nsp, config);
        let live = Arc::new(AtomicBool::new(true));
        forward(&self.shared, &socket, id, &live);
        self.shared.clients.lock().expect("runtime lock poisoned").insert(id, socket.clone());
        let client = EmbeddedClient { shared: self.shared.clone(), socket, id, conn: self.conn.clone(), live };
        if connect {
            client.connect();
        }
        Ok(client)
    }

    /// Runs `f` on the runtime after the previous `in_order` task of this namespace.
    fn in_order(&self, f: impl FnOnce() + Send + 'static) {
        let mut tails = self.conn.tails.lock().expect("client lock poisoned");
        let previous = tails.remove(self.socket.nsp());
        let task = self.shared.handle.spawn(async move {
            if let Some(p) = previous {
                let _ = p.await;
            }
            f();
        });
        tails.insert(self.socket.nsp().to_owned(), task);
    }

    /// The id carried by this client's events.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The core socket (id, connected, active, recovered, emit...).
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Connects (or reconnects after `disconnect`). Returns at once; events follow on
    /// runtime threads. Runs after this namespace's earlier `connect`/`disconnect`/`close`
    /// (runtime tasks run in no set order: a host's `disconnect(); connect()` must not
    /// end disconnected).
    pub fn connect(&self) {
        let socket = self.socket.clone();
        self.in_order(move || socket.connect());
    }

    /// The connection's reconnection settings in force.
    pub fn tuning(&self) -> Tuning {
        self.socket.io().tuning()
    }

    /// Changes the connection's reconnection settings from the next attempt on
    /// (socket.io-client's `manager.reconnection(v)`, `reconnectionAttempts(n)`, ...).
    pub fn set_tuning(&self, tuning: Tuning) -> Result<(), EmbedError> {
        self.socket.io().set_tuning(tuning).map_err(EmbedError::InvalidArgument)
    }

    /// Starts (or stops) forwarding the Manager's own events of this client's connection
    /// (`open`, `ping`, `close`, `error`) as [`Event::Manager`].
    pub fn watch_manager(&self, on: bool) {
        self.conn.watched.store(on, Ordering::Release);
    }

    /// Calls `f` (on a runtime thread) for what this client's Engine.IO connection does
    /// from now on — open, packets in and out, upgrade, drain, close — across
    /// reconnections (socket.io-client's `socket.io.engine` events); `None` stops. One
    /// watcher per connection: a later call replaces the earlier one.
    pub fn watch_engine(&self, f: Option<EngineWatch>) {
        let mut watch = self.conn.engine_watch.lock().expect("client lock poisoned");
        self.conn.engine_watched.store(f.is_some(), Ordering::Release);
        *watch = f;
    }

    /// Replaces the CONNECT payload (socket.io-client's `socket.auth = ..`) from the next
    /// connection or reconnection on; `None` sends none.
    pub fn set_auth(&self, auth: Option<Value>) {
        self.socket.set_auth(auth.map_or(crate::client::Auth::None, crate::client::Auth::Static));
    }

    /// Disconnects (`io client disconnect`). Returns at once; the `disconnect` event
    /// follows on a runtime thread, never inside this call. Ordered as `connect`.
    pub fn disconnect(&self) {
        let socket = self.socket.clone();
        self.in_order(move || socket.disconnect());
    }

    /// Disconnects and forgets the client: the runtime keeps nothing of it (for hosts
    /// that free client handles while the runtime lives on). The connection closes with
    /// its last client; the others sharing it (see [`EmbeddedClient::open_namespace`]) stay.
    pub fn close(&self) {
        self.shared.clients.lock().expect("runtime lock poisoned").remove(&self.id);
        let last = {
            let mut open = self.conn.open.lock().expect("client lock poisoned");
            open.retain(|(id, _)| *id != self.id);
            open.is_empty()
        };
        let (socket, live) = (self.socket.clone(), self.live.clone());
        self.in_order(move || {
            socket.disconnect();
            if last {
                socket.io().close();
            }
            live.store(false, Ordering::Release);
        });
    }

    /// Answers the server's acknowledgement request; false if it was answered already or
    /// the connection is gone.
    pub fn answer(&self, ack: &crate::client::AckSender, args: Vec<Value>) -> bool {
        let _guard = self.shared.handle.enter();
        ack.send(args)
    }

    /// Emits an event (buffered while disconnected).
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        self.socket.emit(event, args)
    }

    /// Emits with socket.io-client's flags: `volatile` (see [`EmbeddedClient::emit_volatile`])
    /// and `compress` (false: sent as it is with permessage-deflate).
    pub fn emit_flagged(&self, event: &str, args: Vec<Value>, volatile: bool, compress: bool) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        let emitter = self.socket.compress(compress);
        if volatile {
            emitter.volatile().emit(event, args)
        } else {
            emitter.emit(event, args)
        }
    }

    /// Emits a volatile event: dropped, not buffered, while the connection is not
    /// writable (socket.io-client's `socket.volatile.emit`).
    pub fn emit_volatile(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        self.socket.volatile().emit(event, args)
    }

    /// Emits and completes `done` exactly once (answer, timeout, disconnection, or
    /// `Cancelled` at shutdown).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Option<Duration>,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.emit_with_ack_flagged(event, args, timeout, false, done)
    }

    /// A volatile emit with an acknowledgement (socket.io-client's
    /// `socket.timeout(ms).volatile.emit(.., cb)`): dropped while the connection is not
    /// writable, in which case `done` gets `TimedOut` after `timeout` (or, without one,
    /// only `Cancelled` at shutdown, as the reference never calls it).
    pub fn emit_volatile_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Option<Duration>,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.emit_with_ack_flagged(event, args, timeout, true, done)
    }

    fn emit_with_ack_flagged(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Option<Duration>,
        volatile: bool,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        // Refused before the completion exists: `done` must not fire for an emit that failed.
        crate::error::check_reserved(event)?;
        let _guard = self.shared.handle.enter();
        let completion = Completion::new(done);
        let callback = move |res: Result<Vec<Value>, crate::error::AckError>| completion.complete(res.into());
        let emitter = if volatile { self.socket.volatile() } else { self.socket.emitter() };
        match timeout {
            Some(t) => emitter.timeout(t).emit_with_callback(event, args, callback),
            None => emitter.emit_with_callback(event, args, callback),
        }
    }
}

/// For a host whose one thread issues every command of a connection and whose event
/// delivery never re-enters it (events queued to its own loop, as Node's): commands that
/// take effect before they return, so the state the host reads next (`active`) is the new
/// one. With [`super::Delivery::Callback`] the events may be delivered inside these calls.
impl EmbeddedClient {
    /// Connects on the calling thread: `socket().active()` is true when it returns.
    /// Do not mix with [`EmbeddedClient::connect`]/`disconnect`/`close` on one namespace:
    /// this one does not wait for their pending tasks.
    pub fn connect_now(&self) {
        let _guard = self.shared.handle.enter();
        self.socket.connect();
    }

    /// Disconnects on the calling thread (`io client disconnect`).
    pub fn disconnect_now(&self) {
        let _guard = self.shared.handle.enter();
        self.socket.disconnect();
    }

    /// The Engine.IO session id of the connection while it is open.
    pub fn connection_id(&self) -> Option<String> {
        self.socket.io().engine().map(|e| e.sid().to_owned())
    }

    /// Whether the connection (shared by the namespaces opened on it) is open.
    pub fn connection_open(&self) -> bool {
        self.socket.io().is_open()
    }
}
