//! The client Socket: one namespace over a Manager's connection, as the v4 client seed
//! describes it (id, connected, active, recovered, buffers, acks, retries).
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::oneshot;

use super::config::{Auth, SocketConfig};
use super::manager::Manager;
use super::reason::{DisconnectDetails, DisconnectReason};
use crate::engine::Frame;
use crate::error::{check_reserved, AckError, ConnectError, EmitError};
use crate::proto::packet::PacketType;
use crate::proto::Packet;
use crate::value::Value;

/// Receives events without a handler of their own: name, arguments, ack sender.
pub type UnhandledHandler = Arc<dyn Fn(&Socket, &str, Vec<Value>, Option<AckSender>) + Send + Sync>;
/// Handles an event from the server: the socket, the arguments, and the ack sender
/// when the server asked for an acknowledgement.
pub type EventHandler = Arc<dyn Fn(&Socket, Vec<Value>, Option<AckSender>) + Send + Sync>;
/// Sees every event (incoming for `on_any`, outgoing for `on_any_outgoing`).
pub type AnyHandler = Arc<dyn Fn(&Socket, &str, &[Value]) + Send + Sync>;
type ConnectHandler = Arc<dyn Fn(&Socket) + Send + Sync>;
type ConnectErrorHandler = Arc<dyn Fn(&Socket, &ConnectError) + Send + Sync>;
type DisconnectHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;
/// Receives the outcome of an acknowledgement.
pub type AckCallback = Box<dyn FnOnce(Result<Vec<Value>, AckError>) + Send>;

#[derive(Default)]
struct Listeners {
    events: HashMap<String, Vec<EventHandler>>,
    unhandled: Vec<UnhandledHandler>,
    any: Vec<AnyHandler>,
    any_outgoing: Vec<AnyHandler>,
    connect: Vec<ConnectHandler>,
    connect_error: Vec<ConnectErrorHandler>,
    disconnect: Vec<DisconnectHandler>,
}

#[derive(Clone, Copy, Default)]
struct Flags {
    volatile: bool,
    /// socket.io-client's `compress(false)` (the default, false, compresses).
    uncompressed: bool,
    timeout: Option<Duration>,
    from_queue: bool,
}

/// A packet of the retry queue (at-least-once delivery).
struct Queued {
    seq: u64,
    tries: u32,
    pending: bool,
    event: String,
    args: Vec<Value>,
    flags: Flags,
    ack: Option<AckCallback>,
}

/// An emit waiting for the connection: ack id, event name, arguments, encoded frames.
type Buffered = (Option<u64>, String, Vec<Value>, Vec<Frame>);

#[derive(Default)]
struct State {
    id: Option<String>,
    connected: bool,
    active: bool,
    recovered: bool,
    pid: Option<String>,
    last_offset: Option<String>,
    send_buffer: Vec<Buffered>,
    receive_buffer: Vec<(String, Vec<Value>, Option<u64>)>,
    acks: HashMap<u64, AckCallback>,
    next_id: u64,
    queue: VecDeque<Queued>,
    queue_seq: u64,
    /// The manager connection a CONNECT was sent on: `connect()` and the manager's
    /// `open` can both ask for it, from different threads.
    connect_sent_on: Option<u64>,
}

pub(crate) struct SocketInner {
    /// Set by [`Socket::set_auth`]: replaces the configured payload from the next CONNECT.
    auth: Mutex<Option<Auth>>,
    /// The details of the last disconnection (`transport close` / `transport error`).
    details: Mutex<Option<DisconnectDetails>>,
    manager: Manager,
    nsp: String,
    config: SocketConfig,
    state: Mutex<State>,
    listeners: RwLock<Listeners>,
}

/// A client socket. Cheap to clone; clones are the same socket.
#[derive(Clone)]
pub struct Socket(Arc<SocketInner>);

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("nsp", &self.0.nsp).field("id", &self.id()).finish()
    }
}

impl Socket {
    pub(crate) fn new(manager: Manager, nsp: String, config: SocketConfig) -> Socket {
        Socket(Arc::new(SocketInner {
            auth: Mutex::default(),
            details: Mutex::default(),
            manager,
            nsp,
            config,
            state: Mutex::default(),
            listeners: RwLock::default(),
        }))
    }

    fn parser(&self) -> crate::proto::Parser {
        self.0.manager.config().parser
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().expect("socket lock poisoned")
    }

    /// The Manager (`socket.io`).
    pub fn io(&self) -> &Manager {
        &self.0.manager
    }

    /// The namespace.
    pub fn nsp(&self) -> &str {
        &self.0.nsp
    }

    /// The server-given id while connected, `None` otherwise.
    pub fn id(&self) -> Option<String> {
        self.state().id.clone()
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.state().connected
    }

    /// Whether the socket is disconnected.
    pub fn disconnected(&self) -> bool {
        !self.connected()
    }

    /// Replaces the CONNECT payload (socket.io-client's `socket.auth = ..`): sent from the
    /// next connection or reconnection on.
    pub fn set_auth(&self, auth: Auth) {
        *self.0.auth.lock().expect("auth lock poisoned") = Some(auth);
    }

    /// The `details` socket.io-client's `disconnect` event gives with the last disconnection:
    /// set for `transport close` and `transport error` (read it in an `on_disconnect`
    /// handler), `None` for the other reasons.
    pub fn disconnect_details(&self) -> Option<DisconnectDetails> {
        self.0.details.lock().expect("details lock poisoned").clone()
    }

    /// Whether the socket is subscribed to its manager: it will (re)connect by itself.
    pub fn active(&self) -> bool {
        self.state().active
    }

    /// Whether the last connection recovered the previous session (connection state recovery).
    pub fn recovered(&self) -> bool {
        self.state().recovered
    }

    // --- listeners ---

    fn listeners(&self) -> std::sync::RwLockWriteGuard<'_, Listeners> {
        self.0.listeners.write().expect("listener lock poisoned")
    }

    fn read_listeners<T>(&self, f: impl FnOnce(&Listeners) -> T) -> T {
        f(&self.0.listeners.read().expect("listener lock poisoned"))
    }

    /// Handles an event from the server.
    pub fn on(
        &self,
        event: impl Into<String>,
        f: impl Fn(&Socket, Vec<Value>, Option<AckSender>) + Send + Sync + 'static,
    ) {
        self.listeners().events.entry(event.into()).or_default().push(Arc::new(f));
    }

    /// Removes the handlers of `event`.
    pub fn off(&self, event: &str) {
        self.listeners().events.remove(event);
    }

    /// `connect`: fired on connection and on every reconnection.
    pub fn on_connect(&self, f: impl Fn(&Socket) + Send + Sync + 'static) {
        self.listeners().connect.push(Arc::new(f));
    }

    /// `connect_error`: a low-level failure (then [`Socket::active`] stays true and the
    /// socket retries) or a refusal by a server middleware (`active` becomes false).
    pub fn on_connect_error(&self, f: impl Fn(&Socket, &ConnectError) + Send + Sync + 'static) {
        self.listeners().connect_error.push(Arc::new(f));
    }

    /// `disconnect` with its reason; [`DisconnectReason::reconnects`] tells what follows.
    pub fn on_disconnect(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        self.listeners().disconnect.push(Arc::new(f));
    }

    /// Receives every event that has no handler registered with [`Socket::on`], with its
    /// ack sender (what a language binding uses to dispatch in the host language).
    pub fn on_unhandled(&self, f: impl Fn(&Socket, &str, Vec<Value>, Option<AckSender>) + Send + Sync + 'static) {
        self.listeners().unhandled.push(Arc::new(f));
    }

    crate::catch_all::catch_all_families!();

    // --- connection ---

    /// Connects (or reconnects after `disconnect`). Returns immediately; see `on_connect`.
    pub fn connect(&self) {
        {
            let mut st = self.state();
            if st.connected {
                return;
            }
            st.active = true;
        }
        let m = &self.0.manager;
        m.register(self);
        if !m.reconnecting() {
            m.open();
        }
        if m.is_open() {
            self.on_manager_open();
        }
    }

    /// Disconnects: DISCONNECT to the server, no reconnection (`io client disconnect`).
    pub fn disconnect(&self) {
        let connected = self.connected();
        if connected {
            self.0.manager.send(self.parser().encode(PacketType::Disconnect, &self.0.nsp, None, None));
        }
        self.destroy();
        if connected {
            self.on_close(DisconnectReason::IoClientDisconnect);
        }
    }

    fn destroy(&self) {
        self.state().active = false;
        self.0.manager.on_socket_destroyed();
    }

    pub(crate) fn on_manager_open(&self) {
        let generation = self.0.manager.generation();
        {
            let mut st = self.state();
            if !st.active || st.connect_sent_on == Some(generation) {
                return;
            }
            st.connect_sent_on = Some(generation);
        }
        let auth = self.0.auth.lock().expect("auth lock poisoned").clone();
        // A null payload is none (CONNECT carries an object or nothing): a host's
        // callable that has nothing to send returns null.
        let some = |v: Value| (!matches!(v, Value::Null)).then_some(v);
        match auth.unwrap_or_else(|| self.0.config.auth.clone()).evaluate() {
            Ok(auth) => self.send_connect(auth.and_then(some)),
            Err(pending) => {
                let socket = self.clone();
                tokio::spawn(async move {
                    let auth = pending.await;
                    // Sent only if this is still the connection it was computed for.
                    if socket.state().active && socket.0.manager.generation() == generation {
                        socket.send_connect(some(auth));
                    }
                });
            }
        }
    }

    /// Sends CONNECT with `auth`, plus the session to recover if there is one.
    fn send_connect(&self, mut auth: Option<Value>) {
        let (pid, offset) = {
            let st = self.state();
            (st.pid.clone(), st.last_offset.clone())
        };
        if let Some(pid) = pid {
            let mut obj = match auth {
                Some(Value::Object(o)) => o,
                _ => Default::default(),
            };
            obj.insert("pid".into(), Value::String(pid));
            if let Some(offset) = offset {
                obj.insert("offset".into(), Value::String(offset));
            }
            auth = Some(Value::Object(obj));
        }
        self.0.manager.send(self.parser().encode(PacketType::Connect, &self.0.nsp, None, auth.as_ref()));
    }

    pub(crate) fn on_manager_error(&self, error: &str) {
        if !self.connected() {
            self.fire_connect_error(&ConnectError::new(error));
        }
    }

    pub(crate) fn on_manager_close(&self, reason: DisconnectReason, details: Option<DisconnectDetails>) {
        self.on_close_with(reason, details);
    }

    fn fire_connect_error(&self, err: &ConnectError) {
        let handlers = self.read_listeners(|l| l.connect_error.clone());
        for h in handlers {
            h(self, err);
        }
    }

    fn on_close(&self, reason: DisconnectReason) {
        self.on_close_with(reason, None);
    }

    fn on_close_with(&self, reason: DisconnectReason, details: Option<DisconnectDetails>) {
        *self.0.details.lock().expect("details lock poisoned") = details;
        let acks = {
            let mut st = self.state();
            // As socket.io-client: every socket subscribed to its manager hears the
            // connection close, connected or still connecting (its CONNECT unanswered when
            // the server cut the connection, e.g. a packet of another parser); one that is
            // not (refused, or disconnected by either side) hears nothing more.
            if !st.connected && !st.active && reason != DisconnectReason::IoClientDisconnect {
                return;
            }
            st.connected = false;
            st.id = None;
            st.connect_sent_on = None;
            std::mem::take(&mut st.acks)
        };
        let handlers = self.read_listeners(|l| l.disconnect.clone());
        for h in handlers {
            h(self, reason);
        }
        // Pending acknowledgements cannot arrive any more.
        for (_, ack) in acks {
            ack(Err(AckError::Disconnected));
        }
    }

    pub(crate) fn on_packet(&self, packet: Packet) {
        match packet.kind {
            PacketType::Connect => match packet.data.get("sid").and_then(Value::as_str) {
                Some(sid) => {
                    let pid = packet.data.get("pid").and_then(Value::as_str).map(str::to_owned);
                    self.on_connected(sid.to_owned(), pid);
                }
                None => self.fire_connect_error(&ConnectError::new(
                    "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible",
                )),
            },
            PacketType::Event | PacketType::BinaryEvent => {
                let Value::Array(mut args) = packet.data else { return };
                let event = match args.remove(0) {
                    Value::String(s) => s,
                    other => other.to_json_lossy().to_string(),
                };
                let connected = {
                    let mut st = self.state();
                    if !st.connected {
                        st.receive_buffer.push((event.clone(), args.clone(), packet.id));
                    }
                    st.connected
                };
                if connected {
                    self.emit_event(event, args, packet.id);
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let args = match packet.data {
                    Value::Array(a) => a,
                    _ => Vec::new(),
                };
                let ack = packet.id.and_then(|id| self.state().acks.remove(&id));
                if let Some(ack) = ack {
                    ack(Ok(args));
                }
            }
            PacketType::Disconnect => {
                self.destroy();
                self.on_close(DisconnectReason::IoServerDisconnect);
            }
            PacketType::ConnectError => {
                self.state().connect_sent_on = None;
                self.destroy();
                let message = packet.data.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
                let data = packet.data.get("data").cloned();
                self.fire_connect_error(&ConnectError { message, data });
            }
        }
    }

    fn on_connected(&self, id: String, pid: Option<String>) {
        let (received, sent) = {
            let mut st = self.state();
            st.recovered = pid.is_some() && st.pid == pid;
            st.pid = pid;
            st.id = Some(id);
            st.connected = true;
            (std::mem::take(&mut st.receive_buffer), std::mem::take(&mut st.send_buffer))
        };
        for (event, args, id) in received {
            self.emit_event(event, args, id);
        }
        for (_, event, args, frames) in sent {
            self.notify_outgoing(&event, &args);
            self.0.manager.send(frames);
        }
        let handlers = self.read_listeners(|l| l.connect.clone());
        for h in handlers {
            h(self);
        }
        self.drain_queue(true);
    }

    fn emit_event(&self, event: String, args: Vec<Value>, ack_id: Option<u64>) {
        {
            let mut st = self.state();
            if st.pid.is_some() {
                if let Some(Value::String(offset)) = args.last() {
                    st.last_offset = Some(offset.clone());
                }
            }
        }
        let (any, handlers, unhandled) = self.read_listeners(|l| {
            (l.any.clone(), l.events.get(&event).cloned().unwrap_or_default(), l.unhandled.clone())
        });
        for l in any {
            l(self, &event, &args);
        }
        let ack = ack_id.map(|id| AckSender { socket: self.clone(), id, sent: Arc::new(AtomicBool::new(false)) });
        match handlers.as_slice() {
            [] => {
                for h in unhandled {
                    h(self, &event, args.clone(), ack.clone());
                }
            }
            [only] => only(self, args, ack),
            many => {
                for h in many {
                    h(self, args.clone(), ack.clone());
                }
            }
        }
    }

    fn notify_outgoing(&self, event: &str, args: &[Value]) {
        let listeners = self.read_listeners(|l| l.any_outgoing.clone());
        for l in listeners {
            l(self, event, args);
        }
    }

    // --- emitting ---

    /// Emits an event. While disconnected it is buffered and sent on connection.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.emit_inner(event, args, None, Flags::default())
    }

    /// Emits and waits for the server's acknowledgement (timeout: `ack_timeout` if set).
    pub async fn emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        self.emitter().emit_with_ack(event, args).await
    }

    /// Emits and calls `callback` with the acknowledgement (or the timeout/disconnection error).
    pub fn emit_with_callback(
        &self,
        event: &str,
        args: Vec<Value>,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.emit_inner(event, args, Some(Box::new(callback)), Flags::default())
    }

    /// Emit options with an acknowledgement timeout.
    pub fn timeout(&self, timeout: Duration) -> ClientEmitter<'_> {
        ClientEmitter { socket: self, flags: Flags { timeout: Some(timeout), ..Flags::default() } }
    }

    /// Emit options: whether the event may be compressed (default true; socket.io-client's
    /// `compress(false)`: sent as it is with permessage-deflate).
    pub fn compress(&self, compress: bool) -> ClientEmitter<'_> {
        self.emitter().compress(compress)
    }

    /// Emit options: dropped unless the connection can send right away.
    pub fn volatile(&self) -> ClientEmitter<'_> {
        ClientEmitter { socket: self, flags: Flags { volatile: true, ..Flags::default() } }
    }

    /// Emit options, none set yet (to add `timeout` / `volatile` as they come).
    pub fn emitter(&self) -> ClientEmitter<'_> {
        ClientEmitter { socket: self, flags: Flags::default() }
    }

    fn emit_inner(
        &self,
        event: &str,
        args: Vec<Value>,
        ack: Option<AckCallback>,
        flags: Flags,
    ) -> Result<(), EmitError> {
        check_reserved(event)?;
        if self.0.config.retries.is_some() && !flags.from_queue && !flags.volatile {
            self.add_to_queue(event, args, ack, flags);
            return Ok(());
        }
        let engine = self.0.manager.engine();
        let mut st = self.state();
        let id = ack.as_ref().map(|_| {
            st.next_id += 1;
            st.next_id - 1
        });
        let frames = self.parser().encode_event(&self.0.nsp, id, event, &args);
        if let (Some(id), Some(ack)) = (id, ack) {
            st.acks.insert(id, ack);
            if let Some(timeout) = flags.timeout.or(self.0.config.ack_timeout) {
                let weak = Arc::downgrade(&self.0);
                tokio::spawn(async move {
                    tokio::time::sleep(timeout).await;
                    let Some(inner) = weak.upgrade() else { return };
                    let ack = {
                        let mut st = inner.state.lock().expect("socket lock poisoned");
                        st.send_buffer.retain(|(i, ..)| *i != Some(id));
                        st.acks.remove(&id)
                    };
                    if let Some(ack) = ack {
                        ack(Err(AckError::Timeout { partial: Vec::new() }));
                    }
                });
            }
        }
        let writable = engine.as_ref().is_some_and(|e| !e.is_closed());
        let is_connected = st.connected && engine.as_ref().is_some_and(|e| !e.ping_expired());
        if flags.volatile && !writable {
            return Ok(());
        }
        if is_connected {
            drop(st);
            self.notify_outgoing(event, &args);
            self.0.manager.send_with(frames, !flags.uncompressed);
        } else {
            st.send_buffer.push((id, event.to_owned(), args, frames));
        }
        Ok(())
    }

    fn add_to_queue(&self, event: &str, args: Vec<Value>, ack: Option<AckCallback>, flags: Flags) {
        {
            let mut st = self.state();
            let seq = st.queue_seq;
            st.queue_seq += 1;
            st.queue.push_back(Queued { seq, tries: 0, pending: false, event: event.to_owned(), args, flags, ack });
        }
        self.drain_queue(false);
    }

    fn drain_queue(&self, force: bool) {
        let (seq, event, args, flags) = {
            let mut st = self.state();
            if !st.connected {
                return;
            }
            let Some(head) = st.queue.front_mut() else {
                return;
            };
            if head.pending && !force {
                return;
            }
            head.pending = true;
            head.tries += 1;
            (head.seq, head.event.clone(), head.args.clone(), head.flags)
        };
        let weak = Arc::downgrade(&self.0);
        let retries = self.0.config.retries.unwrap_or(0);
        let on_ack: AckCallback = Box::new(move |res| {
            let Some(inner) = weak.upgrade() else { return };
            let socket = Socket(inner);
            let done = {
                let mut st = socket.state();
                if st.queue.front().map(|q| q.seq) != Some(seq) {
                    return;
                }
                let head = st.queue.front_mut().expect("checked above");
                head.pending = false;
                match &res {
                    Err(_) if head.tries <= retries => None,
                    _ => st.queue.pop_front().and_then(|q| q.ack),
                }
            };
            if let Some(ack) = done {
                ack(res);
            }
            socket.drain_queue(false);
        });
        let flags = Flags { from_queue: true, timeout: flags.timeout.or(self.0.config.ack_timeout), ..flags };
        let _ = self.emit_inner(&event, args, Some(on_ack), flags);
    }
}

/// Emit options (`socket.timeout(..)`, `socket.volatile()`).
#[derive(Clone, Copy)]
pub struct ClientEmitter<'a> {
    socket: &'a Socket,
    flags: Flags,
}

impl ClientEmitter<'_> {
    /// Adds an acknowledgement timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.flags.timeout = Some(timeout);
        self
    }

    /// Whether the event may be compressed (default true; socket.io-client's
    /// `compress(false)`: sent as it is with permessage-deflate).
    pub fn compress(mut self, compress: bool) -> Self {
        self.flags.uncompressed = !compress;
        self
    }

    /// Marks the event volatile.
    pub fn volatile(mut self) -> Self {
        self.flags.volatile = true;
        self
    }

    /// Emits without acknowledgement.
    pub fn emit(self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.socket.emit_inner(event, args, None, self.flags)
    }

    /// Emits and calls `callback` with the outcome.
    pub fn emit_with_callback(
        self,
        event: &str,
        args: Vec<Value>,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.socket.emit_inner(event, args, Some(Box::new(callback)), self.flags)
    }

    /// Emits and waits for the acknowledgement.
    pub async fn emit_with_ack(self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        let (tx, rx) = oneshot::channel();
        self.socket.emit_inner(
            event,
            args,
            Some(Box::new(move |res| {
                let _ = tx.send(res);
            })),
            self.flags,
        )?;
        rx.await.unwrap_or(Err(AckError::Disconnected))
    }
}

/// Answers an acknowledgement the server asked for. The first `send` wins.
#[derive(Clone)]
pub struct AckSender {
    socket: Socket,
    id: u64,
    sent: Arc<AtomicBool>,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender").field("id", &self.id).finish()
    }
}

impl AckSender {
    /// Sends the answer; `false` if one was already sent or the connection is gone.
    pub fn send(&self, args: Vec<Value>) -> bool {
        if self.sent.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.socket.0.manager.send(self.socket.parser().encode_ack(&self.socket.0.nsp, self.id, &args))
    }
}
