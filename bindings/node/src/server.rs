//! The server side: a server, its sockets, acknowledgements and middleware decisions.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::embed::{
    snake_case, AckOutcome, AdminAuth, AdminOptions, AdminPassword, Decision, DynamicMatcher, EmbedError,
    EmbeddedServer, EngineEvent, Leaving, OptionError, OptionValue, Reply, ServerOptions, ServerSideAck, Socket,
    Target, Unit, SERVER_OPTION_NAMES,
};
use sio_core::{ConnectError, EmitError, Value};

use crate::codec::{args_from_js, host_args_from_js, value_from_js, value_to_js};
use crate::event::Ev;
use crate::{deliver, err, runtime};

/// A value as lib/codec.js decodes it: JSON text where each buffer is a placeholder.
#[napi(object)]
pub struct NativeValue {
    /// The JSON text.
    pub json: String,
    /// The buffers the placeholders number.
    pub bins: Vec<Buffer>,
}

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
    /// The value: durations in ms, sizes in bytes, `cors.origin` as `true`, a string or a
    /// list; `tls.cert` / `tls.key` as a path, PEM text or a Buffer of PEM.
    pub value: Either5<bool, f64, String, Vec<String>, Buffer>,
}

/// `instrument(io, opts)` of `@socket.io/admin-ui`, as lib/admin.js flattened it: no
/// `username` is `auth: false`; the password is a bcrypt hash, as that package takes it.
#[napi(object)]
pub struct AdminUiOptions {
    /// `auth.username` (absent: no authentication).
    pub username: Option<String>,
    /// `auth.password`: a bcrypt hash.
    pub password: Option<String>,
    /// `namespaceName` (default `/admin`).
    pub namespace_name: Option<String>,
    /// `readonly`.
    pub readonly: Option<bool>,
    /// `serverId` (default: the host name).
    pub server_id: Option<String>,
    /// `mode`: "development" or "production".
    pub mode: Option<String>,
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
            Either5::A(b) => OptionValue::Bool(b),
            Either5::B(n) => OptionValue::Number(n),
            Either5::C(s) => OptionValue::Str(s),
            Either5::D(l) => OptionValue::List(l),
            Either5::E(bytes) => OptionValue::Bytes(bytes.to_vec()),
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

pub(crate) fn emit_err(e: EmitError) -> Error {
    match e {
        EmitError::Reserved(name) => err("ERR_SIO_RESERVED_EVENT", format!("\"{name}\" is a reserved event name")),
        EmitError::Disconnected => err("ERR_SIO_DISCONNECTED", "socket is disconnected"),
    }
}

fn ack_done(key: u32) -> impl FnOnce(AckOutcome) + Send + 'static {
    move |outcome| deliver(Ev::AckDone { key, outcome })
}

/// Every live server by id: the sockets and acknowledgements events carry (which name
/// only their server's id) act through their server.
static SERVERS: Mutex<Option<HashMap<u64, EmbeddedServer>>> = Mutex::new(None);

/// The server with id `id`, while its JS object lives.
pub(crate) fn server_by_id(id: u64) -> Option<EmbeddedServer> {
    SERVERS.lock().expect("server table poisoned").as_ref()?.get(&id).cloned()
}

fn gone() -> Error {
    err("ERR_SIO_CLOSED", "the server is gone")
}

/// The broadcast target of a JS selection (namespace or dynamic parent, rooms, excepts).
fn target(ns: String, rooms: Vec<String>, except: Vec<String>) -> Target {
    Target { nsp: ns, rooms, except, ..Target::default() }
}

/// A server on the shared runtime.
#[napi]
pub struct NativeServer {
    pub(crate) srv: EmbeddedServer,
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        if let Some(t) = SERVERS.lock().expect("server table poisoned").as_mut() {
            t.remove(&self.srv.id());
        }
    }
}

#[napi]
impl NativeServer {
    /// Creates a server (not listening yet).
    #[napi(constructor)]
    pub fn new(options: Option<Vec<ServerOption>>) -> Result<Self> {
        let (options, spelled) = server_options(options.unwrap_or_default())?;
        // Combinations are checked (and reported in the user's spelling) before the
        // cluster adapter starts connecting.
        options.clone().into_config().map_err(|e| combination_err(e, &spelled))?;
        let srv = runtime()?
            .server_with_cluster(options, |url, kind| {
                sio_redis::connect(url, kind).map_err(|e| format!("adapter: {e}"))
            })
            .map_err(|e| match e {
                EmbedError::InvalidArgument(m) => err("ERR_SIO_INVALID_OPTION", m),
                e => err("ERR_SIO_RUNTIME", e),
            })?;
        let server = srv.id();
        // `io.engine`: every Engine.IO connection, and its close (upgrades come from the
        // embed layer's own `Upgrade` event).
        srv.on_engine_events(move |ev| match ev {
            EngineEvent::Opened { conn, transport } => deliver(Ev::EngineConnection { server, conn, transport }),
            EngineEvent::Closed { conn, reason } => deliver(Ev::EngineClose { server, conn, reason }),
        });
        SERVERS.lock().expect("server table poisoned").get_or_insert_with(HashMap::new).insert(server, srv.clone());
        Ok(NativeServer { srv })
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
        self.srv.serve_file(&path, &content_type, body.map(|b| bytes::Bytes::copy_from_slice(&b)));
    }

    /// Starts delivering `packet`, `packetCreate` and `drain` of Engine.IO connection
    /// `conn` (`conn_event` events); false if it is gone. `upgrade` and `close` come
    /// for every connection anyway.
    #[napi]
    pub fn watch_conn(&self, conn: String) -> bool {
        let server = self.srv.id();
        let id = conn.clone();
        self.srv.watch_conn(&conn, move |activity| {
            let packet = activity.packet().cloned();
            deliver(Ev::Conn {
                server,
                conn: id.clone(),
                name: activity.name(),
                packet_type: packet.as_ref().map(|p| p.kind),
                data: packet.as_ref().and_then(|p| p.text.clone()),
                bin: packet.and_then(|p| p.binary),
            });
        })
    }

    /// Closes Engine.IO connection `conn` (`forced close`; the client sees `transport
    /// close` and reconnects). False if it is gone.
    #[napi]
    pub fn close_conn(&self, conn: String) -> bool {
        self.srv.close_conn(&conn)
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
        let matcher = match pattern {
            Some(p) => DynamicMatcher::Pattern(p),
            None => DynamicMatcher::Host { timeout: None },
        };
        let server = self.srv.id();
        self.srv
            .dynamic_namespace(&name, matcher, true, move |ev| deliver(crate::event::from_dynamic(server, ev)))
            .map_err(|e| err("ERR_SIO_INVALID_ARGUMENT", e))
    }

    /// `nsp.serverSideEmit`: sends an event to namespace `nsp` on the other nodes of the
    /// cluster; returns how many it reached (0: the in-memory adapter has no peers).
    #[napi]
    pub fn server_side_emit(&self, nsp: String, event: String, json: String, bins: Vec<Buffer>) -> Result<u32> {
        let args = args_from_js(&json, &bins)?;
        self.srv.server_side_emit(&nsp, &event, args).map(|n| n as u32).map_err(emit_err)
    }

    /// `serverSideEmitWithAck`: completes `key` with `[responses]`, or with `timeout`
    /// when some server did not answer in time.
    #[napi]
    pub fn server_side_emit_with_ack(
        &self,
        nsp: String,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        key: u32,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.srv
            .server_side_emit_with_ack(&nsp, &event, args, move |outcome| {
                // The JS callback takes the answers as one argument.
                let outcome = match outcome {
                    AckOutcome::Answered(all) => AckOutcome::Answered(vec![Value::Array(all)]),
                    other => other,
                };
                deliver(Ev::AckDone { key, outcome });
            })
            .map_err(emit_err)
    }

    /// `instrument(io, opts)` of `@socket.io/admin-ui`: the admin UI's namespace on this
    /// server. Checks and defaults are the core's.
    #[napi]
    pub fn instrument(&self, opts: AdminUiOptions) -> Result<()> {
        let invalid = |m: String| err("ERR_SIO_INVALID_OPTION", m);
        let defaults = AdminOptions::default();
        let auth = opts
            .username
            .map(|username| AdminAuth { username, password: AdminPassword::Bcrypt(opts.password.unwrap_or_default()) });
        let mode = match opts.mode {
            Some(m) => m.parse().map_err(|e: sio_core::embed::AdminError| invalid(e.to_string()))?,
            None => defaults.mode,
        };
        let admin = AdminOptions {
            auth,
            namespace: opts.namespace_name.unwrap_or(defaults.namespace.clone()),
            read_only: opts.readonly.unwrap_or(false),
            server_id: opts.server_id,
            mode,
            ..defaults
        };
        self.srv.instrument(admin).map_err(|e| match e {
            EmbedError::InvalidArgument(m) => invalid(m),
            e => err("ERR_SIO_RUNTIME", e),
        })
    }

    /// How many servers the cluster has (1 without an adapter); completes `key`.
    #[napi]
    pub fn server_count(&self, key: u32) {
        self.srv.server_count_then(move |n| {
            deliver(Ev::AckDone { key, outcome: AckOutcome::Answered(vec![Value::from(n as u64)]) });
        });
    }

    /// Sends every connection to `name` through the JS middlewares first.
    #[napi]
    pub fn enable_middleware(&self, name: String) {
        self.srv.enable_middleware(&name);
    }

    /// Closes the server (its listener, and the sessions of an attached http.Server); a
    /// `closed` event follows every socket's `disconnect`.
    #[napi]
    pub fn close(&self) -> Result<()> {
        let id = self.srv.id();
        self.srv.close_then(move || deliver(Ev::ServerClosed { server: id })).map_err(|e| err("ERR_SIO_RUNTIME", e))
    }

    /// Ids of the selected sockets (this server's).
    #[napi]
    pub fn select(&self, ns: String, rooms: Vec<String>, except: Vec<String>) -> Vec<String> {
        self.srv.local_sockets(&target(ns, rooms, except)).iter().map(|s| s.id().to_owned()).collect()
    }

    /// Broadcasts an event to the selected sockets (`local`: on this server only, not on
    /// the other servers of the cluster).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast(
        &self,
        ns: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        local: bool,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        compress: Option<bool>,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        let target = target(ns, rooms, except).volatile(volatile).local(local).compress(compress.unwrap_or(true));
        self.srv.emit_to(&target, &event, args).map_err(emit_err)
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
        let timeout = timeout_ms.map(ms).unwrap_or(Duration::from_secs(365 * 24 * 3600));
        self.srv.emit_to_with_ack(&target(ns, rooms, except), &event, args, timeout, ack_done(key)).map_err(emit_err)
    }

    /// The selected sockets of the other nodes of the cluster, as one JSON array of
    /// `{id, handshake, rooms, data}`; completes `key` (an empty array without a cluster).
    #[napi]
    pub fn fetch_remote_sockets(&self, ns: String, rooms: Vec<String>, except: Vec<String>, key: u32) {
        self.srv.fetch_sockets_then(&target(ns, rooms, except), move |remote| {
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
    }

    /// Makes the selected sockets join `join`.
    #[napi]
    pub fn sockets_join(&self, ns: String, rooms: Vec<String>, except: Vec<String>, join: Vec<String>) {
        self.srv.join_to(&target(ns, rooms, except), join);
    }

    /// Makes the selected sockets leave `leave`.
    #[napi]
    pub fn sockets_leave(&self, ns: String, rooms: Vec<String>, except: Vec<String>, leave: Vec<String>) {
        let t = target(ns, rooms, except);
        for r in leave {
            self.srv.leave_to(&t, &r);
        }
    }

    /// Disconnects the selected sockets.
    #[napi]
    pub fn disconnect_sockets(&self, ns: String, rooms: Vec<String>, except: Vec<String>, close: bool) {
        self.srv.disconnect_to(&target(ns, rooms, except), close);
    }
}

/// A server-side socket.
#[napi]
pub struct NativeSocket {
    s: Socket,
    srv: Option<EmbeddedServer>,
    key: u32,
}

impl NativeSocket {
    /// A socket in its middlewares (it has no number: a refused one never disconnects).
    pub(crate) fn new(server: u64, s: Socket) -> Self {
        NativeSocket { s, srv: server_by_id(server), key: 0 }
    }

    /// A connected socket, numbered (`crate::keys`).
    pub(crate) fn numbered(server: u64, s: Socket) -> Self {
        let mut n = NativeSocket::new(server, s);
        if let Some(srv) = &n.srv {
            n.key = crate::keys::register(server, srv, &n.s);
        }
        n
    }

    fn srv(&self) -> Result<&EmbeddedServer> {
        self.srv.as_ref().ok_or_else(gone)
    }
}

#[napi]
impl NativeSocket {
    /// Answers the client's acknowledgement request `id` (a `message` event's `ackId`).
    /// The caller answers each id once (as socket.io's ack function does).
    #[napi]
    pub fn ack(&self, id: i64, json: String, bins: Vec<Buffer>) -> Result<()> {
        let args = host_args_from_js(json, &bins)?;
        let id = u64::try_from(id).map_err(|_| err("ERR_SIO_INVALID_ARGUMENT", "an ack id is not negative"))?;
        self.srv()?.answer_id(&self.s, id, args).map_err(emit_err)
    }

    /// The number packed messages name this socket by and `ackByKey` takes (0: none,
    /// a socket in its middlewares).
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.key
    }

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

    /// `socket.data` as kept by the core (what recovery restores): JSON with binary
    /// placeholders, and the buffers (data may hold binaries, as socket.io's does).
    #[napi]
    pub fn data(&self) -> NativeValue {
        let (json, bins) = value_to_js(&self.s.data());
        NativeValue { json, bins: bins.into_iter().map(Buffer::from).collect() }
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
        if let Some(srv) = &self.srv {
            srv.join(&self.s, rooms);
        }
    }

    /// Leaves a room.
    #[napi]
    pub fn leave(&self, room: String) {
        if let Some(srv) = &self.srv {
            srv.leave(&self.s, &room);
        }
    }

    /// Emits to this socket (`compress`: socket.io's flag, default true).
    #[napi]
    pub fn emit(
        &self,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        volatile: bool,
        compress: Option<bool>,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.srv()?.emit_flagged(&self.s, &event, args, volatile, compress.unwrap_or(true)).map_err(emit_err)
    }

    /// Emits with an acknowledgement; an `ack` event with key `key` follows exactly once
    /// (answered, timed out, disconnected, or cancelled when the runtime shuts down).
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
        self.srv()?.emit_with_ack(&self.s, &event, args, timeout_ms.map(ms), ack_done(key)).map_err(emit_err)
    }

    /// Disconnects (`close`: the whole connection).
    #[napi]
    pub fn disconnect(&self, close: bool) -> Result<()> {
        self.srv()?.disconnect_socket(&self.s, close);
        Ok(())
    }
}

/// The answer to a server-side event from another node (the first value sent wins).
#[napi]
pub struct NativeServerSideAck {
    a: ServerSideAck,
    srv: Option<EmbeddedServer>,
}

impl NativeServerSideAck {
    pub(crate) fn new(server: u64, a: ServerSideAck) -> Self {
        NativeServerSideAck { a, srv: server_by_id(server) }
    }
}

#[napi]
impl NativeServerSideAck {
    /// Sends the answer (the first argument); false if one was already sent.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        let mut args = args_from_js(&json, &bins)?;
        let first = if args.is_empty() { Value::Null } else { args.remove(0) };
        Ok(self.srv.as_ref().ok_or_else(gone)?.answer_server_side(&self.a, first))
    }
}

/// A `disconnecting` socket held connected (in its rooms, able to emit) until the JS
/// handlers are done and call `release` (or the object is collected).
#[napi]
pub struct NativeLeaving {
    l: Option<Leaving>,
}

impl NativeLeaving {
    pub(crate) fn new(l: Leaving) -> Self {
        NativeLeaving { l: Some(l) }
    }
}

#[napi]
impl NativeLeaving {
    /// Lets the disconnection finish (rooms left, then `disconnect`). Idempotent.
    #[napi]
    pub fn release(&mut self) {
        self.l.take();
    }
}

/// A pending middleware decision; dropping it refuses the connection.
#[napi]
pub struct NativeDecision {
    d: Option<Decision>,
}

impl NativeDecision {
    pub(crate) fn new(d: Decision) -> Self {
        NativeDecision { d: Some(d) }
    }
}

#[napi]
impl NativeDecision {
    /// Lets the connection in.
    #[napi]
    pub fn accept(&mut self) {
        if let Some(d) = self.d.take() {
            d.accept();
        }
    }

    /// Refuses it with `message` and optional `data` (JSON).
    #[napi]
    pub fn refuse(&mut self, message: String, json: Option<String>, bins: Option<Vec<Buffer>>) -> Result<()> {
        let data: Option<Value> = match json {
            Some(j) => Some(value_from_js(&j, bins.as_deref().unwrap_or(&[]))?),
            None => None,
        };
        if let Some(d) = self.d.take() {
            d.refuse(ConnectError { message, data });
        }
        Ok(())
    }
}

/// The answer of a dynamic namespace's matcher function; dropping it answers false.
#[napi]
pub struct NativeMatchReply {
    r: Reply<bool>,
}

impl NativeMatchReply {
    pub(crate) fn new(r: Reply<bool>) -> Self {
        NativeMatchReply { r }
    }
}

#[napi]
impl NativeMatchReply {
    /// Answers whether the namespace exists (only the first answer counts).
    #[napi]
    pub fn send(&mut self, ok: bool) {
        self.r.send(ok);
    }
}
