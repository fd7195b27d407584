//! The server side: a server, its sockets, acknowledgements and middleware decisions.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::embed::{
    snake_case, AckOutcome, ClusterAdapter, Decision, EmbeddedServer, Event, OptionError, OptionValue, ServerOptions,
    Unit, SERVER_OPTION_NAMES,
};
use sio_core::engine::server::ConnEvent;
use sio_core::server::{AckSender, BroadcastOperator, Namespace, Socket};
use sio_core::{ConnectError, EmitError, Value};

use crate::codec::{args_from_js, value_from_js, value_to_js};
use crate::event::{from_core, Ev};
use crate::{deliver, err, runtime, BoxFuture};

/// One server option as `lib/options.js` flattened it from socket.io's shape: `name` is
/// the camelCase form of a `sio_core::embed::ServerOptions` name (`pingInterval` for
/// `ping_interval`), `spelled` the name as the user wrote it (`cors.origin`) for errors.
/// Durations are milliseconds. Names, defaults and checks are the core's.
#[napi(object)]
pub struct ServerOption {
    /// camelCase name of the core option (`maxHeaderSize`).
    pub name: String,
    /// The user's spelling, when it differs (`connectionStateRecovery.skipMiddlewares`).
    pub spelled: Option<String>,
    /// The value: durations in ms, sizes in bytes, `cors.origin` as `true`, a string or a list.
    pub value: Either4<bool, f64, String, Vec<String>>,
}

/// The snake_case names of every server option the core takes (`ping_interval`, ...).
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn server_option_names() -> Vec<String> {
    SERVER_OPTION_NAMES.iter().map(|n| (*n).to_owned()).collect()
}

/// `max_header_size` → `maxHeaderSize` (how Node spells a core name it did not see).
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The core's options from the flattened JS ones (each checked as it is set).
fn server_options(entries: Vec<ServerOption>) -> Result<(ServerOptions, HashMap<String, String>)> {
    let mut options = ServerOptions::default();
    let mut spelled = HashMap::new();
    for e in entries {
        let name = snake_case(&e.name);
        let shown = e.spelled.unwrap_or(e.name);
        let value = match e.value {
            Either4::A(b) => OptionValue::Bool(b),
            Either4::B(n) => OptionValue::Number(n),
            Either4::C(s) => OptionValue::Str(s),
            Either4::D(l) => OptionValue::List(l),
        };
        options.set_spelled(&name, &shown, value, Unit::Milliseconds).map_err(|e| err("ERR_SIO_INVALID_OPTION", e))?;
        spelled.insert(name, shown);
    }
    Ok((options, spelled))
}

/// A combination error of `into_config` (reported with core names) in the user's spelling.
fn combination_err(e: OptionError, spelled: &HashMap<String, String>) -> Error {
    let show = |n: &str| spelled.get(n).cloned().unwrap_or_else(|| camel_case(n));
    let mut names: Vec<&str> = SERVER_OPTION_NAMES.to_vec();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut message = e.message.clone();
    for n in names {
        if message.contains(n) {
            message = message.replace(n, &show(n));
        }
    }
    err("ERR_SIO_INVALID_OPTION", format!("option \"{}\": {message}", show(&e.option)))
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

fn emit_err(e: EmitError) -> Error {
    match e {
        EmitError::Reserved(name) => err("ERR_SIO_RESERVED_EVENT", format!("\"{name}\" is a reserved event name")),
        EmitError::Disconnected => err("ERR_SIO_DISCONNECTED", "socket is disconnected"),
    }
}

fn ack_done(key: u32) -> impl FnOnce(AckOutcome) + Send + 'static {
    move |outcome| deliver(Ev::AckDone { key, outcome })
}

/// A server on the shared runtime.
#[napi]
pub struct NativeServer {
    srv: EmbeddedServer,
    /// Dynamic (parent) namespaces by the name JS gave them.
    parents: Mutex<HashMap<String, Namespace>>,
    /// Stops the loopback listener of [`NativeServer::listen_forwarded`].
    stop: tokio::sync::watch::Sender<bool>,
}

#[napi]
impl NativeServer {
    /// Creates a server (not listening yet).
    #[napi(constructor)]
    pub fn new(options: Option<Vec<ServerOption>>) -> Result<Self> {
        let (options, spelled) = server_options(options.unwrap_or_default())?;
        // Combinations are checked before the cluster adapter starts connecting.
        options.clone().into_config().map_err(|e| combination_err(e, &spelled))?;
        let rt = runtime()?;
        let adapter = match &options.cluster_url {
            Some(url) => {
                // The adapter's connection tasks run on the binding's runtime.
                let _g = rt.handle().enter();
                let adapter = sio_redis::RedisAdapter::new(url)
                    .map_err(|e| err("ERR_SIO_INVALID_OPTION", format!("adapter: {e}")))?;
                Some(adapter as Arc<dyn ClusterAdapter>)
            }
            None => None,
        };
        let srv = rt.server_with(options, adapter).map_err(|e| err("ERR_SIO_RUNTIME", e))?;
        let server = srv.id();
        // `io.engine`: every Engine.IO connection, and its close (upgrades come from the
        // embed layer's own `Upgrade` event).
        srv.server().on_engine_connection(move |conn| {
            let id = conn.id().to_owned();
            deliver(Ev::EngineConnection { server, conn: id.clone(), transport: conn.transport().as_str() });
            conn.on_event(move |ev| {
                if let ConnEvent::Close(reason) = ev {
                    deliver(Ev::EngineClose { server, conn: id.clone(), reason: reason.as_str() });
                }
            });
        });
        Ok(NativeServer { srv, parents: Mutex::default(), stop: tokio::sync::watch::channel(false).0 })
    }

    /// The id carried by this server's events.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.srv.id() as u32
    }

    /// Binds `host:port` (port 0: any free port) and returns the bound port.
    #[napi]
    pub fn listen(&self, addr: String) -> Result<u32> {
        self.srv.listen(&addr).map(|a| u32::from(a.port())).map_err(|e| err("ERR_SIO_LISTEN", e))
    }

    /// Serves `body` at `path` (GET/HEAD with an ETag; `serveClient`); no body stops it.
    #[napi]
    pub fn serve_file(&self, path: String, content_type: String, body: Option<Buffer>) {
        match body {
            Some(b) => self.srv.server().serve_file(path, content_type, bytes::Bytes::copy_from_slice(&b)),
            None => self.srv.server().unserve_file(&path),
        }
    }

    /// Serves on a loopback port (returned) for the JS forwarder of an attached
    /// `http.Server`. Every request must carry `x-sio-forwarded: <token> <ip> <port>`:
    /// the client's address (for `handshake.address`), and `token` so that only the
    /// forwarder is served; anything else gets 404.
    #[napi]
    pub fn listen_forwarded(&self, token: String) -> Result<u32> {
        crate::forward::listen(self.srv.server(), token, self.stop.subscribe()).map(u32::from)
    }

    /// Starts delivering `packet`, `packetCreate` and `drain` of Engine.IO connection
    /// `conn` (`conn_event` events); false if it is gone. `upgrade` and `close` come
    /// for every connection anyway.
    #[napi]
    pub fn watch_conn(&self, conn: String) -> bool {
        crate::conn::watch(self.srv.server(), self.srv.id(), conn)
    }

    /// Closes Engine.IO connection `conn` (`forced close`; the client sees `transport
    /// close` and reconnects). False if it is gone.
    #[napi]
    pub fn close_conn(&self, conn: String) -> Result<bool> {
        let Some(session) = self.srv.server().engine().session(&conn) else {
            return Ok(false);
        };
        runtime()?.handle().spawn(async move { session.close(sio_core::engine::server::CloseReason::ForcedClose) });
        Ok(true)
    }

    /// Makes namespace `name` exist and forward its events.
    #[napi]
    pub fn namespace(&self, name: String) {
        self.srv.namespace(&name);
    }

    /// Creates a dynamic (parent) namespace called `name` on the JS side: child
    /// namespaces whose names match `pattern` (a Rust regex), or, when `pattern` is
    /// absent, the names the JS matcher function accepts (a `match` event per unknown
    /// name; the child is only created if JS answers true). Each connection to a child
    /// first waits for a `middleware` event carrying `parent`, then its `connection`
    /// event carries `parent` too.
    #[napi]
    pub fn namespace_dynamic(&self, name: String, pattern: Option<String>) -> Result<()> {
        let server = self.srv.server();
        let id = self.srv.id();
        let ns = match pattern {
            Some(p) => {
                let re = sio_core_regex(&p)?;
                server.of_dynamic(move |n, _| re.is_match(n))
            }
            None => {
                let parent = name.clone();
                // socket.io leaves an unanswered matcher to the connect timeout too.
                let timeout = server.config().connect_timeout;
                server.of_dynamic_async(move |nsp, auth| ask_matcher(id, &parent, nsp, auth, timeout))
            }
        };
        let parent = name.clone();
        ns.use_middleware(move |socket| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            deliver(Ev::DynMiddleware { server: id, parent: parent.clone(), socket, decision: tx });
            async move { rx.await.unwrap_or_else(|_| Err(ConnectError::new("connection refused"))) }
        });
        let parent = name.clone();
        ns.on_connection(move |socket| {
            socket.on_unhandled(move |s, name, args, ack| {
                deliver(Ev::Core(Event::Message { server: id, socket: s.clone(), name: name.to_owned(), args, ack }));
            });
            socket.on_disconnecting(move |s, reason| {
                let rooms = s.rooms().into_iter().map(|r| r.to_string()).collect();
                deliver(from_core(Event::Disconnecting { server: id, socket: s.clone(), reason, rooms }))
            });
            socket.on_disconnect(move |s, reason| {
                deliver(Ev::Core(Event::Disconnect { server: id, socket: s.clone(), reason }))
            });
            deliver(Ev::DynConnection { server: id, parent: parent.clone(), socket });
        });
        self.parents.lock().expect("parents lock").insert(name, ns);
        Ok(())
    }

    /// `serverSideEmit`: sends an event to the other nodes of the cluster; returns how
    /// many it reached (0: the in-memory adapter has no peers).
    #[napi]
    pub fn server_side_emit(&self, event: String, json: String, bins: Vec<Buffer>) -> Result<u32> {
        let args = args_from_js(&json, &bins)?;
        self.srv.server_side_emit(&event, args).map(|n| n as u32).map_err(emit_err)
    }

    /// `serverSideEmitWithAck`: completes `key` with `[responses]`, or with `timeout`
    /// when some server did not answer in time.
    #[napi]
    pub fn server_side_emit_with_ack(&self, event: String, json: String, bins: Vec<Buffer>, key: u32) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.srv
            .server_side_emit_with_ack(&event, args, move |outcome| {
                // The JS callback takes the answers as one argument.
                let outcome = match outcome {
                    AckOutcome::Answered(all) => AckOutcome::Answered(vec![Value::Array(all)]),
                    other => other,
                };
                deliver(Ev::AckDone { key, outcome });
            })
            .map_err(emit_err)
    }

    /// How many servers the cluster has (1 without an adapter); completes `key`.
    #[napi]
    pub fn server_count(&self, key: u32) -> Result<()> {
        let server = self.srv.server().clone();
        runtime()?.handle().spawn(async move {
            let n = server.server_count().await as u64;
            deliver(Ev::AckDone { key, outcome: AckOutcome::Answered(vec![Value::from(n)]) });
        });
        Ok(())
    }

    /// Sends every connection to `name` through the JS middlewares first.
    #[napi]
    pub fn enable_middleware(&self, name: String) {
        self.srv.enable_middleware(&name);
    }

    /// Closes the server; a `closed` event follows every socket's `disconnect`.
    #[napi]
    pub fn close(&self) -> Result<()> {
        self.stop.send_replace(true);
        let server = self.srv.server().clone();
        let id = self.srv.id();
        runtime()?.handle().spawn(async move {
            server.close();
            deliver(Ev::ServerClosed { server: id });
        });
        Ok(())
    }

    fn op(&self, ns: &str, rooms: Vec<String>, except: Vec<String>) -> BroadcastOperator {
        let parent = self.parents.lock().expect("parents lock").get(ns).cloned();
        let mut op = match parent {
            Some(p) => p.all(),
            None => self.srv.server().of(ns).all(),
        };
        for r in rooms {
            op = op.to(r);
        }
        for r in except {
            op = op.except(r);
        }
        op
    }

    /// Ids of the selected sockets.
    #[napi]
    pub fn select(&self, ns: String, rooms: Vec<String>, except: Vec<String>) -> Vec<String> {
        self.op(&ns, rooms, except).sockets_local().iter().map(|s| s.id().to_owned()).collect()
    }

    /// Broadcasts an event to the selected sockets.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast(
        &self,
        ns: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        event: String,
        json: String,
        bins: Vec<Buffer>,
    ) -> Result<()> {
        let _g = runtime()?.handle().enter();
        let args = args_from_js(&json, &bins)?;
        let mut op = self.op(&ns, rooms, except);
        if volatile {
            op = op.volatile();
        }
        op.emit(&event, args).map_err(emit_err)
    }

    /// Broadcasts with acknowledgements; an `ack` event with key `key` follows.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast_with_ack(
        &self,
        ns: String,
        rooms: Vec<String>,
        except: Vec<String>,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        timeout_ms: Option<u32>,
        key: u32,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        let op = self.op(&ns, rooms, except);
        let timeout = timeout_ms.map(ms).unwrap_or(Duration::from_secs(365 * 24 * 3600));
        self.srv.broadcast_with_ack(op, &event, args, timeout, ack_done(key)).map_err(emit_err)
    }

    /// The selected sockets of the other nodes of the cluster, as one JSON array of
    /// `{id, handshake, rooms, data}`; completes `key` (an empty array without a cluster).
    #[napi]
    pub fn fetch_remote_sockets(&self, ns: String, rooms: Vec<String>, except: Vec<String>, key: u32) -> Result<()> {
        let op = self.op(&ns, rooms, except);
        let cluster = self.srv.server().config().adapter.is_some();
        runtime()?.handle().spawn(async move {
            let remote = if cluster { op.fetch_sockets().await } else { Vec::new() };
            let list = remote
                .into_iter()
                .filter(|s| !s.is_local())
                .map(|s| {
                    let mut rooms: Vec<String> = s.rooms.into_iter().collect();
                    rooms.sort();
                    Value::from([
                        ("id", Value::from(s.id)),
                        ("handshake", s.handshake.to_value()),
                        ("rooms", Value::Array(rooms.into_iter().map(Value::from).collect())),
                        ("data", s.data),
                    ])
                })
                .collect();
            deliver(Ev::AckDone { key, outcome: AckOutcome::Answered(vec![Value::Array(list)]) });
        });
        Ok(())
    }

    /// Makes the selected sockets join `join`.
    #[napi]
    pub fn sockets_join(&self, ns: String, rooms: Vec<String>, except: Vec<String>, join: Vec<String>) {
        self.op(&ns, rooms, except).sockets_join(join);
    }

    /// Makes the selected sockets leave `leave`.
    #[napi]
    pub fn sockets_leave(&self, ns: String, rooms: Vec<String>, except: Vec<String>, leave: Vec<String>) {
        let op = self.op(&ns, rooms, except);
        for r in leave {
            op.sockets_leave(&r);
        }
    }

    /// Disconnects the selected sockets.
    #[napi]
    pub fn disconnect_sockets(&self, ns: String, rooms: Vec<String>, except: Vec<String>, close: bool) -> Result<()> {
        let op = self.op(&ns, rooms, except);
        runtime()?.handle().spawn(async move { op.disconnect_sockets(close) });
        Ok(())
    }
}

/// A server-side socket.
#[napi]
pub struct NativeSocket {
    s: Socket,
}

impl NativeSocket {
    pub(crate) fn new(s: Socket) -> Self {
        NativeSocket { s }
    }
}

#[napi]
impl NativeSocket {
    /// Socket id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.s.id().to_owned()
    }

    /// Namespace name.
    #[napi(getter)]
    pub fn nsp(&self) -> String {
        self.s.ns().to_owned()
    }

    /// Whether connected.
    #[napi(getter)]
    pub fn connected(&self) -> bool {
        self.s.connected()
    }

    /// Whether the connection state was recovered.
    #[napi(getter)]
    pub fn recovered(&self) -> bool {
        self.s.recovered()
    }

    /// Current transport name (`polling` or `websocket`).
    #[napi(getter)]
    pub fn transport(&self) -> String {
        self.s.conn().transport().as_str().to_owned()
    }

    /// The Engine.IO connection id.
    #[napi(getter)]
    pub fn conn_id(&self) -> String {
        self.s.conn().id().to_owned()
    }

    /// The handshake as JSON.
    #[napi]
    pub fn handshake(&self) -> String {
        value_to_js(&self.s.handshake().to_value()).0
    }

    /// Rooms joined (own id included).
    #[napi]
    pub fn rooms(&self) -> Vec<String> {
        self.s.rooms().into_iter().map(|r| r.to_string()).collect()
    }

    /// `socket.data` as kept by the core (for recovery), JSON.
    #[napi]
    pub fn data(&self) -> String {
        value_to_js(&self.s.data()).0
    }

    /// Replaces the core's copy of `socket.data`.
    #[napi]
    pub fn set_data(&self, json: String, bins: Vec<Buffer>) -> Result<()> {
        self.s.set_data(value_from_js(&json, &bins)?);
        Ok(())
    }

    /// Joins rooms.
    #[napi]
    pub fn join(&self, rooms: Vec<String>) {
        self.s.join(rooms);
    }

    /// Leaves a room.
    #[napi]
    pub fn leave(&self, room: String) {
        self.s.leave(&room);
    }

    /// Emits to this socket.
    #[napi]
    pub fn emit(&self, event: String, json: String, bins: Vec<Buffer>, volatile: bool) -> Result<()> {
        let _g = runtime()?.handle().enter();
        let args = args_from_js(&json, &bins)?;
        if volatile {
            self.s.volatile().emit(&event, args).map_err(emit_err)
        } else {
            self.s.emit(&event, args).map_err(emit_err)
        }
    }

    /// Emits with an acknowledgement; an `ack` event with key `key` follows exactly once.
    #[napi]
    pub fn emit_with_ack(
        &self,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        timeout_ms: Option<u32>,
        key: u32,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        if sio_core::RESERVED_EVENTS.contains(&event.as_str()) {
            return Err(emit_err(EmitError::Reserved(event)));
        }
        let s = self.s.clone();
        runtime()?.handle().spawn(async move {
            let res = match timeout_ms {
                Some(t) => s.timeout(ms(t)).emit_with_ack(&event, args).await,
                None => s.emit_with_ack(&event, args).await,
            };
            deliver(Ev::AckDone { key, outcome: res.into() });
        });
        Ok(())
    }

    /// Disconnects (`close`: the whole connection).
    #[napi]
    pub fn disconnect(&self, close: bool) -> Result<()> {
        let s = self.s.clone();
        runtime()?.handle().spawn(async move { s.disconnect(close) });
        Ok(())
    }
}

/// The answer to a client's acknowledgement request.
#[napi]
pub struct NativeAck {
    a: AckSender,
}

impl NativeAck {
    pub(crate) fn new(a: AckSender) -> Self {
        NativeAck { a }
    }
}

#[napi]
impl NativeAck {
    /// Sends the answer; false if one was already sent.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        let _g = runtime()?.handle().enter();
        let args = args_from_js(&json, &bins)?;
        self.a.send(args).map_err(emit_err)
    }
}

/// The answer to a server-side event from another node (the first value sent wins).
#[napi]
pub struct NativeServerSideAck {
    a: sio_core::embed::ServerSideAck,
}

impl NativeServerSideAck {
    pub(crate) fn new(a: sio_core::embed::ServerSideAck) -> Self {
        NativeServerSideAck { a }
    }
}

#[napi]
impl NativeServerSideAck {
    /// Sends the answer (the first argument); false if one was already sent.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        let _g = runtime()?.handle().enter();
        let mut args = args_from_js(&json, &bins)?;
        let first = if args.is_empty() { Value::Null } else { args.remove(0) };
        Ok(self.a.send(first))
    }
}

/// A pending middleware decision; dropping it refuses the connection.
#[napi]
pub struct NativeDecision {
    d: Option<Answer>,
}

/// Who waits for the decision: the embed layer, or a dynamic namespace's middleware.
enum Answer {
    Embed(Decision),
    Own(tokio::sync::oneshot::Sender<std::result::Result<(), ConnectError>>),
}

impl NativeDecision {
    pub(crate) fn new(d: Decision) -> Self {
        NativeDecision { d: Some(Answer::Embed(d)) }
    }

    pub(crate) fn own(tx: tokio::sync::oneshot::Sender<std::result::Result<(), ConnectError>>) -> Self {
        NativeDecision { d: Some(Answer::Own(tx)) }
    }
}

#[napi]
impl NativeDecision {
    /// Lets the connection in.
    #[napi]
    pub fn accept(&mut self) {
        match self.d.take() {
            Some(Answer::Embed(d)) => d.accept(),
            Some(Answer::Own(tx)) => {
                let _ = tx.send(Ok(()));
            }
            None => {}
        }
    }

    /// Refuses it with `message` and optional `data` (JSON).
    #[napi]
    pub fn refuse(&mut self, message: String, json: Option<String>, bins: Option<Vec<Buffer>>) -> Result<()> {
        let data: Option<Value> = match json {
            Some(j) => Some(value_from_js(&j, bins.as_deref().unwrap_or(&[]))?),
            None => None,
        };
        let e = ConnectError { message, data };
        match self.d.take() {
            Some(Answer::Embed(d)) => d.refuse(e),
            Some(Answer::Own(tx)) => {
                let _ = tx.send(Err(e));
            }
            None => {}
        }
        Ok(())
    }
}

/// Asks the JS matcher of dynamic namespace `parent` whether namespace `nsp` exists;
/// the connection waits for its `next(err, ok)` (no thread does), false on timeout.
fn ask_matcher(server: u64, parent: &str, nsp: &str, auth: &Value, timeout: Duration) -> BoxFuture<bool> {
    let (reply, rx) = tokio::sync::oneshot::channel();
    deliver(Ev::DynMatch { server, parent: parent.to_owned(), nsp: nsp.to_owned(), auth: auth.clone(), reply });
    Box::pin(async move { matches!(tokio::time::timeout(timeout, rx).await, Ok(Ok(true))) })
}

/// The answer of a dynamic namespace's matcher function; dropping it answers false.
#[napi]
pub struct NativeMatchReply {
    tx: Option<tokio::sync::oneshot::Sender<bool>>,
}

impl NativeMatchReply {
    pub(crate) fn new(tx: tokio::sync::oneshot::Sender<bool>) -> Self {
        NativeMatchReply { tx: Some(tx) }
    }
}

#[napi]
impl NativeMatchReply {
    /// Answers whether the namespace exists (only the first answer counts).
    #[napi]
    pub fn send(&mut self, ok: bool) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(ok);
        }
    }
}

fn sio_core_regex(pattern: &str) -> Result<regex::Regex> {
    regex::Regex::new(pattern).map_err(|e| err("ERR_SIO_INVALID_ARGUMENT", format!("invalid namespace pattern: {e}")))
}
