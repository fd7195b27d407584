//! The server-side Socket: one client connected to one namespace.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use super::ack::{self, AckSender, AckSink};
use super::broadcast::BroadcastOperator;
use super::client::Client;
use super::closing::{CloseDeferral, PendingClose};
use super::extensions::Extensions;
use super::handshake::Handshake;
use super::namespace::NsInner;
use super::reason::DisconnectReason;
use super::rooms::Room;
use crate::args::Args;
use crate::engine::server::{SendError, Session};
use crate::engine::Frame;
use crate::error::{check_reserved, AckError, EmitError};
use crate::handler_list::HandlerList;
use crate::proto::packet::PacketType;
use crate::proto::Packet;
use crate::value::Value;

/// Receives events without a handler of their own: name, arguments (as text when they
/// came as text and nothing else read them), ack sender.
pub type UnhandledHandler = Arc<dyn Fn(&Socket, &str, Args, Option<AckSender>) + Send + Sync>;
/// Handles one event: the socket, the arguments, and the ack sender if the client asked for one.
pub type EventHandler = Arc<dyn Fn(&Socket, Vec<Value>, Option<AckSender>) + Send + Sync>;
/// Sees every event (incoming for `on_any`, outgoing for `on_any_outgoing`).
pub type AnyHandler = Arc<dyn Fn(&Socket, &str, &[Value]) + Send + Sync>;
/// Per-packet middleware: `Err(message)` stops the event and fires the socket's `error` handlers.
pub type PacketMiddleware = Arc<dyn Fn(&Socket, &str, &[Value]) -> Result<(), String> + Send + Sync>;
/// The slot of a server-wide per-packet middleware that the embedding host sets or clears.
pub(crate) type HostMiddleware = Arc<RwLock<Option<PacketMiddleware>>>;
/// Receives a disconnect reason.
pub type ReasonHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;
/// Receives an error message.
pub type ErrorHandler = Arc<dyn Fn(&Socket, &str) + Send + Sync>;

#[derive(Default)]
struct Listeners {
    events: HashMap<String, HandlerList<EventHandler>>,
    unhandled: HandlerList<UnhandledHandler>,
    any: HandlerList<AnyHandler>,
    any_outgoing: HandlerList<AnyHandler>,
    middlewares: HandlerList<PacketMiddleware>,
    /// A middleware the host sets for every socket of a server, and may change at any
    /// time: runs before the socket's own.
    host_middleware: Option<HostMiddleware>,
    error: HandlerList<ErrorHandler>,
    disconnecting: HandlerList<ReasonHandler>,
    disconnect: HandlerList<ReasonHandler>,
}

pub(crate) struct SocketInner {
    id: String,
    pid: Option<String>,
    pub(crate) ns: Arc<NsInner>,
    pub(crate) client: Arc<Client>,
    /// Built from the connection's request when first asked for: most servers never look.
    handshake: std::sync::OnceLock<Box<Handshake>>,
    /// The client's auth payload; `None`: `{}`.
    auth: Option<Box<Value>>,
    data: Mutex<Value>,
    extensions: Extensions,
    connected: AtomicBool,
    /// Set when the disconnection starts; `connected` stays true until it ends.
    closing: AtomicBool,
    /// The disconnection in progress while `disconnecting` handlers run (see `closing.rs`).
    pending_close: Mutex<Weak<PendingClose>>,
    recovered: bool,
    listeners: RwLock<Listeners>,
    acks: Mutex<HashMap<u64, AckSink>>,
    /// Packets and a close that arrived while the connection handlers were still running
    /// (`None` once ready): they wait so handlers registered there see them.
    early: Mutex<Option<Early>>,
    /// Set when the server disconnects the socket: the reason reported even if the
    /// client's reaction (closing the transport) reaches `on_close` first.
    close_reason: std::sync::OnceLock<DisconnectReason>,
}

#[derive(Default)]
struct Early {
    packets: Vec<Packet>,
    close: Option<DisconnectReason>,
}

/// A client connected to a namespace. Cheap to clone; all clones are the same socket.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("id", &self.0.id).field("ns", &self.0.ns.name).finish()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

pub(crate) struct Restored {
    pub id: String,
    pub pid: String,
    pub data: Value,
}

impl Socket {
    pub(crate) fn new(ns: Arc<NsInner>, client: Arc<Client>, auth: Value, restored: Option<Restored>) -> Socket {
        let recovery = ns.recovery.is_some();
        let auth = match auth {
            Value::Object(map) if map.is_empty() => None,
            auth => Some(Box::new(auth)),
        };
        let (id, pid, data, recovered) = match restored {
            Some(r) => (r.id, Some(r.pid), r.data, true),
            None => {
                // socket.io-client 2.x derives its socket's id from the connection's: the
                // reference gives it that id (`/nsp#sid`, or `sid` on `/`).
                let id = match (client.session.protocol(), ns.name.as_str()) {
                    (3, "/") => client.session.id().to_owned(),
                    (3, name) => format!("{name}#{}", client.session.id()),
                    _ => crate::sid::generate(),
                };
                (id, recovery.then(crate::sid::generate), Value::Object(Default::default()), false)
            }
        };
        Socket(Arc::new(SocketInner {
            id,
            pid,
            ns,
            client,
            handshake: std::sync::OnceLock::new(),
            auth,
            data: Mutex::new(data),
            extensions: Extensions::default(),
            connected: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            pending_close: Mutex::new(Weak::new()),
            recovered,
            listeners: RwLock::default(),
            acks: Mutex::default(),
            early: Mutex::new(Some(Early::default())),
            close_reason: std::sync::OnceLock::new(),
        }))
    }

    /// The socket id: random, 20 characters, synced with the client, a room of its own.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The private session id used by connection state recovery (never sent to other clients).
    pub fn pid(&self) -> Option<&str> {
        self.0.pid.as_deref()
    }

    /// The namespace name.
    pub fn ns(&self) -> &str {
        &self.0.ns.name
    }

    /// Starts loading what answering this socket reads (its state, its namespace, its
    /// session's queue): a host about to answer a batch of events calls it for each of
    /// them first, so that the answers' cache misses overlap instead of each one stalling.
    pub fn prefetch_answer(&self) {
        crate::prefetch::line(&self.0.connected);
        crate::prefetch::line(&*self.0.ns);
        self.0.client.session.prefetch_send();
    }

    /// Details of the handshake.
    pub fn handshake(&self) -> &Handshake {
        self.0.handshake.get_or_init(|| {
            let auth = self.0.auth.as_deref().cloned().unwrap_or_else(|| Value::Object(Default::default()));
            let client = &self.0.client;
            Box::new(Handshake::new(client.session.handshake_request(), client.request_parts(), auth))
        })
    }

    /// The rooms this socket is in (its own id included) while connected.
    pub fn rooms(&self) -> HashSet<Room> {
        self.0.ns.adapter.rooms_of(&self.0.id)
    }

    /// A copy of `socket.data` (what `fetch_sockets` exposes; `{}` until set).
    pub fn data(&self) -> Value {
        self.0.data.lock().expect("data lock poisoned").clone()
    }

    /// Replaces `socket.data`.
    pub fn set_data(&self, value: Value) {
        *self.0.data.lock().expect("data lock poisoned") = value;
        self.data_changed();
    }

    /// Edits `socket.data` in place.
    pub fn with_data<R>(&self, f: impl FnOnce(&mut Value) -> R) -> R {
        let r = f(&mut self.0.data.lock().expect("data lock poisoned"));
        self.data_changed();
        r
    }

    /// Tells the namespace's data listener, if any (outside the data lock).
    fn data_changed(&self) {
        if let Some(f) = self.0.ns.data_listener.get() {
            if self.connected() {
                f(self);
            }
        }
    }

    /// Typed extra attributes.
    pub fn extensions(&self) -> &Extensions {
        &self.0.extensions
    }

    /// The underlying Engine.IO connection (`socket.conn`): transport name and events.
    pub fn conn(&self) -> &Arc<Session> {
        &self.0.client.session
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// Whether the connection state was recovered after a temporary disconnection.
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    /// Joins rooms.
    pub fn join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        if !self.connected() {
            return;
        }
        let rooms: Vec<Room> = rooms.into_iter().map(Into::into).collect();
        self.0.ns.adapter.add_all(&self.0.id, &rooms);
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        self.0.ns.adapter.del(&self.0.id, room);
    }

    /// Emits an event to this client.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.emitter().emit(event, args)
    }

    /// Emits an event and waits for the client's acknowledgement (no timeout: see [`Socket::timeout`]).
    pub async fn emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        self.emitter().emit_with_ack(event, args).await
    }

    /// Emit options: a timeout for the acknowledgement.
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter<'_> {
        SocketEmitter { timeout: Some(timeout), ..self.emitter() }
    }

    /// Emit options: the event may be dropped if the client is not ready to receive it.
    pub fn volatile(&self) -> SocketEmitter<'_> {
        SocketEmitter { volatile: true, ..self.emitter() }
    }

    /// Emit options: whether the event may be compressed (default true, as socket.io's
    /// `socket.compress(false)`): permessage-deflate skips it, and a polling response
    /// holding only such events is not HTTP-compressed.
    pub fn compress(&self, compress: bool) -> SocketEmitter<'_> {
        SocketEmitter { compress, ..self.emitter() }
    }

    fn emitter(&self) -> SocketEmitter<'_> {
        SocketEmitter { socket: self, timeout: None, volatile: false, compress: true }
    }

    /// Broadcast to `room`, excluding this socket.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// Same as [`Socket::to`].
    pub fn in_(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// Broadcast to every socket of the namespace but `room`'s members and this socket.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// Broadcast to every other socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone()).except(self.0.id.clone())
    }

    /// Disconnects from this namespace; with `close`, closes the whole connection
    /// (every namespace of this client).
    pub fn disconnect(&self, close: bool) {
        if !self.connected() {
            return;
        }
        if close {
            self.0.client.disconnect_all();
        } else if !self.0.closing.load(Ordering::Acquire) {
            let _ = self.0.close_reason.set(DisconnectReason::ServerNamespaceDisconnect);
            let _ = self.send_frames(self.0.ns.parser.encode(PacketType::Disconnect, self.ns(), None, None), false);
            self.on_close(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    /// Registers a handler for `event`.
    pub fn on(
        &self,
        event: impl Into<String>,
        f: impl Fn(&Socket, Vec<Value>, Option<AckSender>) + Send + Sync + 'static,
    ) {
        self.listeners().events.entry(event.into()).or_default().push(Arc::new(f));
    }

    /// Removes every handler of `event`.
    pub fn off(&self, event: &str) {
        self.listeners().events.remove(event);
    }

    /// Receives every event that has no handler registered with [`Socket::on`], with its
    /// ack sender (what a language binding uses to dispatch in the host language). The
    /// arguments of a text packet stay text unless an `on_any` listener, a middleware or a
    /// handler of the event needed them as values.
    pub fn on_unhandled(&self, f: impl Fn(&Socket, &str, Args, Option<AckSender>) + Send + Sync + 'static) {
        self.listeners().unhandled.push(Arc::new(f));
    }

    crate::catch_all::catch_all_families!();

    /// Runs the middleware in `slot` (when set) before the socket's own middlewares.
    pub(crate) fn set_host_middleware(&self, slot: HostMiddleware) {
        self.listeners().host_middleware = Some(slot);
    }

    /// Adds a per-packet middleware (`socket.use`).
    pub fn use_middleware(&self, f: impl Fn(&Socket, &str, &[Value]) -> Result<(), String> + Send + Sync + 'static) {
        self.listeners().middlewares.push(Arc::new(f));
    }

    /// Registers a handler for the socket's `error` event.
    pub fn on_error(&self, f: impl Fn(&Socket, &str) + Send + Sync + 'static) {
        self.listeners().error.push(Arc::new(f));
    }

    /// Registers a `disconnecting` handler (rooms are still joined when it runs).
    pub fn on_disconnecting(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        self.listeners().disconnecting.push(Arc::new(f));
    }

    /// Registers a `disconnect` handler.
    pub fn on_disconnect(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        self.listeners().disconnect.push(Arc::new(f));
    }

    fn listeners(&self) -> std::sync::RwLockWriteGuard<'_, Listeners> {
        self.0.listeners.write().expect("listener lock poisoned")
    }

    fn read_listeners<T>(&self, f: impl FnOnce(&Listeners) -> T) -> T {
        f(&self.0.listeners.read().expect("listener lock poisoned"))
    }

    pub(crate) fn send_frames(&self, mut frames: Vec<Frame>, volatile: bool) -> Result<(), EmitError> {
        if frames.len() == 1 && !volatile {
            // Moved, not cloned: a clone of a frame's bytes makes them shared, which allocates.
            return self.send_frame(frames.pop().expect("one frame"));
        }
        self.send_shared(&frames, volatile, true)
    }

    /// Queues one frame of its own (no broadcast shares it).
    pub(crate) fn send_frame(&self, frame: Frame) -> Result<(), EmitError> {
        match self.0.client.session.send_with(frame, true) {
            Ok(()) => Ok(()),
            // As in `send_shared`: a packet for a transport gone while `disconnecting` runs
            // is dropped.
            Err(SendError::Closed) if self.0.closing.load(Ordering::Acquire) => Ok(()),
            Err(_) => Err(EmitError::Disconnected),
        }
    }

    /// Queues already-encoded frames (a broadcast shares them between targets);
    /// `compress`: the emit's flag.
    /// See `Session::warm`.
    pub(crate) fn warm(&self) {
        self.0.client.session.warm();
    }

    pub(crate) fn send_shared(&self, frames: &[Frame], volatile: bool, compress: bool) -> Result<(), EmitError> {
        let session = &self.0.client.session;
        for f in frames {
            let sent = if volatile {
                // Dropped when the transport is not writable, as socket.io does: not an error.
                if session.send_volatile_with(f.clone(), compress) || !session.is_closed() {
                    continue;
                }
                Err(SendError::Closed)
            } else {
                session.send_with(f.clone(), compress)
            };
            match sent {
                Ok(()) => {}
                // While `disconnecting` runs the socket is still connected, but its transport
                // may be gone: as in socket.io, a packet for a closed transport is dropped.
                Err(SendError::Closed) if self.0.closing.load(Ordering::Acquire) => return Ok(()),
                Err(_) => return Err(EmitError::Disconnected),
            }
        }
        Ok(())
    }

    pub(crate) fn notify_outgoing(&self, event: &str, args: &[Value]) {
        let listeners = self.read_listeners(|l| l.any_outgoing.clone());
        for l in &listeners {
            l(self, event, args);
        }
    }

    pub(crate) fn register_ack(&self, id: u64, sink: AckSink) {
        self.0.acks.lock().expect("ack lock poisoned").insert(id, sink);
    }

    // --- lifecycle, driven by the client and namespace ---

    pub(crate) fn set_connected(&self) {
        self.0.connected.store(true, Ordering::Release);
    }

    /// Ends the early buffer and replays what it held.
    pub(crate) fn set_ready(&self) {
        let early = self.0.early.lock().expect("early lock poisoned").take().unwrap_or_default();
        for p in early.packets {
            self.on_packet(p);
        }
        if let Some(reason) = early.close {
            self.on_close(reason);
        }
    }

    pub(crate) fn on_packet(&self, packet: Packet) {
        {
            let mut early = self.0.early.lock().expect("early lock poisoned");
            if let Some(buf) = early.as_mut() {
                buf.packets.push(packet);
                return;
            }
        }
        if self.0.closing.load(Ordering::Acquire) {
            return;
        }
        match packet.kind {
            PacketType::Event | PacketType::BinaryEvent => self.on_event(packet),
            PacketType::Ack | PacketType::BinaryAck => {
                let args = match packet.data {
                    Value::Array(a) => a,
                    _ => Vec::new(),
                };
                let sink = packet.id.and_then(|id| self.0.acks.lock().expect("ack lock poisoned").remove(&id));
                if let Some(sink) = sink {
                    sink.deliver(args);
                }
            }
            PacketType::Disconnect => self.on_close(DisconnectReason::ClientNamespaceDisconnect),
            PacketType::Connect | PacketType::ConnectError => {}
        }
    }

    fn on_event(&self, packet: Packet) {
        let id = packet.id;
        let Some((event, args)) = packet.into_event() else {
            return;
        };
        let (any, host_middleware, middlewares, handlers, unhandled) = self.read_listeners(|l| {
            let host = l.host_middleware.as_ref().and_then(|m| m.read().expect("middleware lock poisoned").clone());
            (l.any.clone(), host, l.middlewares.clone(), l.events.get(&event).cloned(), l.unhandled.clone())
        });
        let ack = id.map(|id| AckSender::new(self.clone(), id));
        let reads_values = !any.as_slice().is_empty()
            || host_middleware.is_some()
            || !middlewares.as_slice().is_empty()
            || handlers.is_some();
        if !reads_values {
            // Only catch-all handlers (a host's): the arguments go on as they arrived.
            if let Some((last, others)) = unhandled.as_slice().split_last() {
                for h in others {
                    h(self, &event, args.clone(), ack.clone());
                }
                last(self, &event, args, ack);
            }
            return;
        }
        let args = args.into_values();
        for l in &any {
            l(self, &event, &args);
        }
        for m in host_middleware.iter().chain(middlewares.as_slice()) {
            if let Err(message) = m(self, &event, &args) {
                self.emit_error(&message);
                return;
            }
        }
        // The last handler takes the arguments; the others get copies.
        match handlers.as_ref().map_or(&[][..], |h| h.as_slice()).split_last() {
            None => {
                if let Some((last, others)) = unhandled.as_slice().split_last() {
                    for h in others {
                        h(self, &event, Args::from(args.clone()), ack.clone());
                    }
                    last(self, &event, Args::from(args), ack);
                }
            }
            Some((last, others)) => {
                for h in others {
                    h(self, args.clone(), ack.clone());
                }
                last(self, args, ack);
            }
        }
    }

    pub(crate) fn emit_error(&self, message: &str) {
        let handlers = self.read_listeners(|l| l.error.clone());
        for h in &handlers {
            h(self, message);
        }
    }

    /// Runs the disconnection: `disconnecting` (rooms intact), state persisted for
    /// recovery, rooms left, pending acks failed, then `disconnect`.
    pub(crate) fn on_close(&self, reason: DisconnectReason) {
        let reason = self.0.close_reason.get().copied().unwrap_or(reason);
        {
            let mut early = self.0.early.lock().expect("early lock poisoned");
            if let Some(e) = early.as_mut() {
                e.close.get_or_insert(reason);
                return;
            }
        }
        if !self.connected() || self.0.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        // The namespace is free for a new CONNECT at once, as in socket.io (whose close is
        // synchronous), even while a host holds this socket's `disconnecting`.
        self.0.client.remove(self);
        let pending = PendingClose::new(self.clone(), reason);
        *self.0.pending_close.lock().expect("close lock poisoned") = Arc::downgrade(&pending);
        let disconnecting = self.read_listeners(|l| l.disconnecting.clone());
        for h in &disconnecting {
            h(self, reason);
        }
        *self.0.pending_close.lock().expect("close lock poisoned") = Weak::new();
        // The end runs now, or when the last deferral a handler took is dropped.
        drop(pending);
    }

    /// Called from a `disconnecting` handler: the rest of the disconnection (rooms left,
    /// `disconnect`) waits until the returned value is dropped, so a host that runs its
    /// handler later can still emit from the socket. `None` outside `disconnecting`.
    pub fn defer_close(&self) -> Option<CloseDeferral> {
        PendingClose::defer(&self.0.pending_close.lock().expect("close lock poisoned"))
    }

    pub(crate) fn finish_close(&self, reason: DisconnectReason) {
        tracing::debug!(ns = self.ns(), id = %self.0.id, reason = reason.as_str(), "socket disconnected");
        self.0.connected.store(false, Ordering::Release);
        if let (Some(store), Some(pid)) = (&self.0.ns.recovery, &self.0.pid) {
            if reason.is_recoverable() {
                store.persist(super::cluster::PersistedSession {
                    sid: self.0.id.clone(),
                    pid: pid.clone(),
                    rooms: self.rooms().into_iter().collect(),
                    data: self.data(),
                });
            }
        }
        self.0.ns.adapter.del_all(&self.0.id);
        self.0.ns.remove(&self.0.id);
        self.0.client.remove(self);
        self.0.acks.lock().expect("ack lock poisoned").clear();
        let disconnect = self.read_listeners(|l| l.disconnect.clone());
        for h in &disconnect {
            h(self, reason);
        }
        // Listeners hold closures that may capture this socket: drop them to free it.
        *self.listeners() = Listeners::default();
    }
}

/// Emit options for one socket (`socket.timeout(..)`, `socket.volatile()`,
/// `socket.compress(..)`).
#[derive(Clone, Copy)]
pub struct SocketEmitter<'a> {
    socket: &'a Socket,
    timeout: Option<Duration>,
    volatile: bool,
    compress: bool,
}

impl SocketEmitter<'_> {
    /// Adds a timeout for the acknowledgement.
    pub fn timeout(self, timeout: Duration) -> Self {
        SocketEmitter { timeout: Some(timeout), ..self }
    }

    /// Marks the event volatile.
    pub fn volatile(self) -> Self {
        SocketEmitter { volatile: true, ..self }
    }

    /// Whether the event may be compressed (default true).
    pub fn compress(self, compress: bool) -> Self {
        SocketEmitter { compress, ..self }
    }

    /// Emits without acknowledgement.
    pub fn emit(self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_reserved(event)?;
        let s = self.socket;
        if !s.connected() {
            return Err(EmitError::Disconnected);
        }
        s.notify_outgoing(event, &args);
        if s.0.ns.recovery.is_some() && !self.volatile {
            // Through the namespace so the packet gets an offset and is kept for recovery;
            // local: the socket is here, other nodes need not hear of it.
            let mut data = Vec::with_capacity(args.len() + 1);
            data.push(Value::from(event));
            data.extend(args);
            let op = BroadcastOperator::new(s.0.ns.clone()).to(s.id().to_owned()).local();
            op.compress(self.compress).emit_stored(&data);
            return Ok(());
        }
        s.send_shared(&s.0.ns.parser.encode_event(s.ns(), None, event, &args), self.volatile, self.compress)
    }

    /// Emits and waits for the client's acknowledgement.
    pub async fn emit_with_ack(self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        check_reserved(event)?;
        let s = self.socket;
        if !s.connected() {
            return Err(EmitError::Disconnected.into());
        }
        s.notify_outgoing(event, &args);
        let id = s.0.ns.next_ack_id();
        let (tx, rx) = oneshot::channel();
        s.register_ack(id, AckSink::One(tx));
        s.send_shared(&s.0.ns.parser.encode_event(s.ns(), Some(id), event, &args), self.volatile, self.compress)?;
        let res = ack::wait_one(rx, self.timeout).await;
        if res.is_err() {
            s.0.acks.lock().expect("ack lock poisoned").remove(&id);
        }
        res
    }
}
