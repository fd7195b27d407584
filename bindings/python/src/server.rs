//! Server handles: the server, a socket, an ack to answer, a middleware decision, and
//! the sockets `fetch_sockets` returns.
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyAny, PyBool, PyBytes, PyFloat, PyInt, PyList, PySet, PyString, PyTuple};
use sio_core::embed::{self, EmbeddedServer, OptionValue, RemoteSocket, ServerOptions, Target, Unit};
use sio_core::{ConnectError, HostArgs, Value};

use crate::convert::{to_py, to_value, to_values, to_wire_arg, to_wire_args};
use crate::error;
use crate::host;
use crate::runtime::{completion, seconds, wait};

/// The core's server options from `(core name, name as the user spelled it, value)`
/// triples, one per keyword of `sio.Server` (`None`: the core's default). The one place
/// where Python options reach the core: names, checks and defaults are
/// `sio_core::embed::ServerOptions`'s; durations are seconds. The combination is
/// checked here too, so that its errors name the Python spellings.
pub fn options(items: &[(String, String, Bound<'_, PyAny>)]) -> PyResult<ServerOptions> {
    let mut options = ServerOptions::default();
    for (name, spelled, value) in items {
        if value.is_none() {
            continue;
        }
        let value = option_value(spelled, value)?;
        // python-socketio's words for a packet format the core does not have:
        // `unsupported serializer "pickle": must be ...`.
        let unsupported = match (name.as_str(), &value) {
            ("parser", OptionValue::Str(s)) => Some(format!("unsupported {spelled} {s:?}")),
            _ => None,
        };
        options.set_spelled(name, spelled, value, Unit::Seconds).map_err(|e| {
            error::BadArgument::new_err(match unsupported {
                Some(what) => format!("{what}: {}", e.message),
                None => e.to_string(),
            })
        })?;
    }
    if let Err(e) = options.clone().into_config() {
        return Err(error::BadArgument::new_err(respell(items, &e.to_string())));
    }
    Ok(options)
}

/// A message of the core's that speaks the core's option names ("needs cors_origin")
/// in the user's spellings, taken from the same triples as `options`.
pub fn respell<T>(items: &[(String, String, T)], message: &str) -> String {
    let spelling = |word: &str| {
        // A name may come quoted (`option "cluster_url": ..`) or end a clause.
        let bare = word.trim_matches(|c: char| c == '"' || c == ':' || c == ',');
        match items.iter().find(|(name, _, _)| name == bare) {
            Some((_, spelled, _)) => word.replacen(bare, spelled, 1),
            None => word.to_owned(),
        }
    };
    message.split(' ').map(spelling).collect::<Vec<_>>().join(" ")
}

/// A Python value as the core's options take it: bool, int or float, str, bytes (PEM),
/// or a list or tuple of str.
fn option_value(spelled: &str, value: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    let unsupported = || {
        let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        error::BadArgument::new_err(format!("option \"{spelled}\": unsupported value of type '{type_name}'"))
    };
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(OptionValue::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        // An int too large for a float is out of every option's range: the core says so.
        return Ok(OptionValue::Number(value.extract::<f64>().unwrap_or(f64::INFINITY)));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(OptionValue::Str(value.extract()?));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(OptionValue::Bytes(b.as_bytes().to_vec()));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut list = Vec::new();
        for item in value.try_iter()? {
            let item = item?;
            if !item.is_instance_of::<PyString>() {
                return Err(unsupported());
            }
            list.push(item.extract()?);
        }
        return Ok(OptionValue::List(list));
    }
    Err(unsupported())
}

/// The sockets of `ns` in `rooms` (all when empty) but not in `excepts`.
fn target(ns: &str, rooms: Vec<String>, excepts: Vec<String>) -> Target {
    Target::namespace(ns).to(rooms).except(excepts)
}

/// The server.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct Server {
    server: EmbeddedServer,
}

impl Server {
    pub fn new(server: EmbeddedServer) -> Self {
        Server { server }
    }
}

#[pymethods]
impl Server {
    /// Makes namespace `name` exist and forward its events.
    fn namespace(&self, name: &str) {
        self.server.namespace(name);
    }

    /// Makes every namespace whose name matches the regular expression `pattern` (Rust
    /// `regex` syntax, unanchored) exist and forward its events (a dynamic namespace).
    fn namespace_regex(&self, pattern: &str) -> PyResult<()> {
        self.server.namespace_regex(pattern).map_err(error::embed)
    }

    /// The pattern of the dynamic namespace (made by `namespace_regex`) that created
    /// namespace `name`, as the core decided when a client first asked for it; `None` for
    /// a static namespace. Python never matches names itself.
    fn dynamic_parent(&self, name: &str) -> Option<String> {
        self.server.dynamic_parent(name)
    }

    /// Sends every connection to `name` through a `middleware` event first.
    fn enable_middleware(&self, name: &str) {
        self.server.enable_middleware(name);
    }

    /// Sends every connection to a namespace matched by `pattern` (made by
    /// `namespace_regex`) through a `middleware` event first.
    fn enable_middleware_regex(&self, pattern: &str) -> PyResult<()> {
        self.server.enable_middleware_regex(pattern).map_err(error::embed)
    }

    /// Binds `addr` ("host:port") and returns the bound port.
    fn listen(&self, py: Python<'_>, addr: String) -> PyResult<u16> {
        let server = self.server.clone();
        py.detach(move || server.listen(&addr)).map(|a| a.port()).map_err(error::embed)
    }

    /// The admin UI's instrumentation (python-socketio's `Server.instrument`): `username`
    /// and `password` (plain, as python-socketio compares them) or neither for no
    /// authentication; the interval in seconds. Checks and defaults are the core's.
    #[allow(clippy::too_many_arguments)] // one per keyword of python-socketio's instrument
    fn instrument(
        &self,
        username: Option<String>,
        password: Option<String>,
        mode: &str,
        read_only: bool,
        server_id: Option<String>,
        namespace: String,
        server_stats_interval: f64,
    ) -> PyResult<()> {
        let bad = |m: String| error::embed(embed::EmbedError::InvalidArgument(m));
        let mode = mode.parse::<embed::AdminMode>().map_err(|e| bad(e.to_string()))?;
        let interval = seconds("server_stats_interval", server_stats_interval)?;
        let auth = username.map(|username| embed::AdminAuth {
            username,
            password: embed::AdminPassword::Plain(password.unwrap_or_default()),
        });
        let opts = embed::AdminOptions {
            auth,
            namespace,
            read_only,
            server_id,
            mode,
            server_stats_interval: interval,
            ..embed::AdminOptions::default()
        };
        self.server.instrument(opts).map_err(error::embed)
    }

    /// Closes the server (every socket gets `server shutting down`).
    fn close(&self) -> PyResult<()> {
        self.server.close().map_err(error::embed)
    }

    /// Emits to the sockets of `ns` in `rooms` (all when empty) but not in `excepts`;
    /// `volatile`: may be dropped for a socket that is not ready (and is never stored
    /// for connection state recovery).
    #[pyo3(signature = (ns, rooms, excepts, event, args, volatile = false, compress = true))]
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        ns: &str,
        rooms: Vec<String>,
        excepts: Vec<String>,
        event: &str,
        args: &Bound<'_, PyAny>,
        volatile: bool,
        compress: bool,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        let target = target(ns, rooms, excepts).volatile(volatile).compress(compress);
        self.server.emit_to(&target, event, args).map_err(error::emit)
    }

    /// Emits with an acknowledgement from each target; `callback(replies, exc)` gets
    /// one list of reply arguments per socket.
    #[allow(clippy::too_many_arguments)]
    fn emit_with_ack(
        &self,
        ns: &str,
        rooms: Vec<String>,
        excepts: Vec<String>,
        event: &str,
        args: &Bound<'_, PyAny>,
        timeout: f64,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        let timeout = seconds("timeout", timeout)?;
        let target = target(ns, rooms, excepts);
        self.server.emit_to_with_ack(&target, event, args, timeout, completion(callback)).map_err(error::emit)
    }

    /// Snapshots of the matching sockets (on every server of a cluster); waits with the
    /// GIL released, Ctrl-C honoured.
    fn fetch_sockets(
        &self,
        py: Python<'_>,
        ns: &str,
        rooms: Vec<String>,
        excepts: Vec<String>,
    ) -> PyResult<Vec<RemoteSocketHandle>> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.server.fetch_sockets_then(&target(ns, rooms, excepts), move |sockets| {
            let _ = tx.send(sockets);
        });
        let sockets = wait(py, rx)?;
        Ok(sockets.into_iter().map(|s| RemoteSocketHandle { socket: s, server: self.server.clone() }).collect())
    }

    /// Makes the matching sockets join `join`.
    fn sockets_join(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, join: Vec<String>) {
        self.server.join_to(&target(ns, rooms, excepts), join);
    }

    /// Makes the matching sockets leave `room`.
    fn sockets_leave(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, room: &str) {
        self.server.leave_to(&target(ns, rooms, excepts), room);
    }

    /// Disconnects the matching sockets.
    fn disconnect_sockets(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, close: bool) {
        self.server.disconnect_to(&target(ns, rooms, excepts), close);
    }

    /// Sends an event to namespace `ns` on the other servers of the cluster; returns how
    /// many it reached.
    fn server_side_emit(&self, ns: &str, event: &str, args: &Bound<'_, PyAny>) -> PyResult<usize> {
        let args = to_values(args)?;
        self.server.server_side_emit(ns, event, args).map_err(error::emit)
    }

    /// Sends an event to the other servers; `callback(answers, exception)` gets one answer
    /// per server, or a timeout when some did not answer within the adapter's timeout.
    fn server_side_emit_with_ack(
        &self,
        ns: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        self.server.server_side_emit_with_ack(ns, event, args, completion(callback)).map_err(error::emit)
    }

    /// How many servers the cluster has (1 without an adapter); waits with the GIL
    /// released, Ctrl-C honoured.
    fn server_count(&self, py: Python<'_>) -> PyResult<usize> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.server.server_count_then(move |n| {
            let _ = tx.send(n);
        });
        wait(py, rx)
    }

    // ------------------------------------------------ inside a host's web server (host.rs)

    /// The server's path (`/socket.io/`, with its trailing `/`).
    #[getter]
    fn path(&self) -> &str {
        self.server.path()
    }

    /// The largest request body the server accepts (`max_http_buffer_size`).
    #[getter]
    fn max_body(&self) -> usize {
        self.server.max_body()
    }

    /// Whether a request for `path` belongs to the server.
    fn handles_path(&self, path: &str) -> bool {
        self.server.handles_path(path)
    }

    /// Answers a request the host received: `callback((status, headers, body), None)`
    /// on a runtime thread.
    #[allow(clippy::too_many_arguments)]
    fn handle_http(
        &self,
        method: String,
        uri: String,
        headers: Vec<(String, String)>,
        remote: host::Remote,
        secure: bool,
        body: &[u8],
        callback: Py<PyAny>,
    ) -> PyResult<host::HostCall> {
        host::handle_http(&self.server, host::request(method, uri, headers, remote, secure), body, callback)
    }

    /// Accepts a WebSocket upgrade the host received (see `host::accept_websocket`).
    #[allow(clippy::too_many_arguments)]
    fn accept_websocket(
        &self,
        method: String,
        uri: String,
        headers: Vec<(String, String)>,
        remote: host::Remote,
        secure: bool,
        send: Py<PyAny>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        host::accept_websocket(&self.server, host::request(method, uri, headers, remote, secure), send, callback)
    }
}

/// The answer to a server-side event from another server (one value; the first wins).
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct ServerSideAck {
    ack: embed::ServerSideAck,
    server: EmbeddedServer,
}

impl ServerSideAck {
    pub fn new(ack: embed::ServerSideAck, server: EmbeddedServer) -> Self {
        ServerSideAck { ack, server }
    }
}

#[pymethods]
impl ServerSideAck {
    /// Sends the answer; `False` if one was already sent.
    fn send(&self, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let value = to_value(value)?;
        Ok(self.server.answer_server_side(&self.ack, value))
    }
}

/// A connected (or, during middleware, connecting) socket.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct SocketHandle {
    socket: embed::Socket,
    server: EmbeddedServer,
}

impl SocketHandle {
    pub fn new(socket: embed::Socket, server: EmbeddedServer) -> Self {
        SocketHandle { socket, server }
    }

    /// Whether this handle wraps `socket` (the same socket, not one of the same id).
    pub fn is(&self, socket: &embed::Socket) -> bool {
        self.socket == *socket
    }

    pub fn socket(&self) -> &embed::Socket {
        &self.socket
    }
}

fn rooms_set<'py>(py: Python<'py>, rooms: impl IntoIterator<Item = String>) -> PyResult<Bound<'py, PySet>> {
    PySet::new(py, rooms)
}

#[pymethods]
impl SocketHandle {
    #[getter]
    fn id(&self) -> &str {
        self.socket.id()
    }
    #[getter]
    fn ns(&self) -> &str {
        self.socket.ns()
    }
    #[getter]
    fn handshake(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.socket.handshake().to_value())
    }
    #[getter]
    fn rooms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        rooms_set(py, self.socket.rooms())
    }
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.socket.data())
    }
    #[setter]
    fn set_data(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.socket.set_data(to_value(value)?);
        Ok(())
    }
    #[getter]
    fn recovered(&self) -> bool {
        self.socket.recovered()
    }
    #[getter]
    fn connected(&self) -> bool {
        self.socket.connected()
    }
    #[getter]
    fn transport(&self) -> &'static str {
        self.socket.conn().transport().as_str()
    }
    /// The Engine.IO connection id (what `upgrade` events carry).
    #[getter]
    fn conn_id(&self) -> &str {
        self.socket.conn().id()
    }

    fn join(&self, rooms: Vec<String>) {
        self.server.join(&self.socket, rooms);
    }

    fn leave(&self, room: &str) {
        self.server.leave(&self.socket, room);
    }

    /// `volatile`: may be dropped if the client is not ready (never stored for recovery);
    /// `compress`: socket.io's flag (false: not deflated on the WebSocket).
    #[pyo3(signature = (event, args, volatile = false, compress = true))]
    fn emit(&self, event: &str, args: &Bound<'_, PyAny>, volatile: bool, compress: bool) -> PyResult<()> {
        let args = to_values(args)?;
        self.server.emit_flagged(&self.socket, event, args, volatile, compress).map_err(error::emit)
    }

    /// `callback(replies, exc)` is called exactly once, on a runtime thread.
    #[pyo3(signature = (event, args, timeout, callback))]
    fn emit_with_ack(
        &self,
        event: &str,
        args: &Bound<'_, PyAny>,
        timeout: Option<f64>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        self.server.emit_with_ack(&self.socket, event, args, timeout, completion(callback)).map_err(error::emit)
    }

    /// Emits to the other sockets of the namespace in `rooms` (all when empty) but not in `excepts`.
    #[pyo3(signature = (rooms, excepts, event, args, volatile = false))]
    fn broadcast_emit(
        &self,
        rooms: Vec<String>,
        excepts: Vec<String>,
        event: &str,
        args: &Bound<'_, PyAny>,
        volatile: bool,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        let target = Target::broadcast_from(&self.socket).to(rooms).except(excepts).volatile(volatile);
        self.server.emit_to(&target, event, args).map_err(error::emit)
    }

    fn disconnect(&self, close: bool) {
        self.server.disconnect_socket(&self.socket, close);
    }

    /// Answers the client's acknowledgement request `id` (a `message` event's ack id)
    /// with the arguments `args` (an iterable). The caller answers each id once.
    /// `False` if the client has left (as in socket.io, an answer nobody can receive is
    /// dropped quietly).
    fn ack(&self, id: u64, args: &Bound<'_, PyAny>) -> PyResult<bool> {
        let args = match to_wire_args(args)? {
            Some(text) => HostArgs::Wire(text.into()),
            None => HostArgs::Values(to_values(args)?),
        };
        self.answer_with(id, args)
    }

    /// `ack` with a handler's return value: `None` → no arguments, a tuple → one
    /// argument per item, anything else → that one argument.
    fn ack_result(&self, id: u64, result: &Bound<'_, PyAny>) -> PyResult<bool> {
        if result.is_none() {
            return self.answer_with(id, HostArgs::Values(Vec::new()));
        }
        if result.is_instance_of::<PyTuple>() {
            return self.ack(id, result);
        }
        let args = match to_wire_arg(result)? {
            Some(text) => HostArgs::Wire(text.into()),
            None => HostArgs::Values(vec![to_value(result)?]),
        };
        self.answer_with(id, args)
    }
}

impl SocketHandle {
    /// Arguments written as JSON text (`HostArgs::Wire`) go into the packet as they are.
    fn answer_with(&self, id: u64, args: HostArgs<'_>) -> PyResult<bool> {
        match self.server.answer_id(&self.socket, id, args) {
            Ok(()) => Ok(true),
            Err(sio_core::EmitError::Disconnected) => Ok(false),
            Err(e) => Err(error::emit(e)),
        }
    }
}

/// A `disconnecting` socket held connected (in its rooms, able to emit) until the
/// Python handlers are done and call `release` (or the object is dropped).
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct Leaving(Mutex<Option<embed::Leaving>>);

impl Leaving {
    pub fn new(l: embed::Leaving) -> Self {
        Leaving(Mutex::new(Some(l)))
    }
}

#[pymethods]
impl Leaving {
    /// Lets the disconnection finish (rooms left, then `disconnect`). Idempotent.
    fn release(&self, py: Python<'_>) {
        let l = self.0.lock().expect("leaving lock poisoned").take();
        // Finishing runs the core's disconnect hooks: not under the GIL.
        py.detach(move || drop(l));
    }
}

/// A namespace middleware's pending decision; unanswered, it refuses when dropped.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct Decision(Mutex<Option<embed::Decision>>);

impl Decision {
    pub fn new(d: embed::Decision) -> Self {
        Decision(Mutex::new(Some(d)))
    }
    fn take(&self) -> Option<embed::Decision> {
        self.0.lock().expect("decision lock poisoned").take()
    }
}

#[pymethods]
impl Decision {
    fn accept(&self) {
        if let Some(d) = self.take() {
            d.accept();
        }
    }

    #[pyo3(signature = (message, data = None))]
    fn refuse(&self, message: String, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let data: Option<Value> = data.map(to_value).transpose()?;
        if let Some(d) = self.take() {
            d.refuse(ConnectError { message, data });
        }
        Ok(())
    }
}

/// What `fetch_sockets` returns: a snapshot with the operations that reach the socket
/// (on whichever server of the cluster holds it).
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct RemoteSocketHandle {
    socket: RemoteSocket,
    server: EmbeddedServer,
}

#[pymethods]
impl RemoteSocketHandle {
    #[getter]
    fn id(&self) -> &str {
        &self.socket.id
    }
    #[getter]
    fn ns(&self) -> &str {
        &self.socket.ns
    }
    #[getter]
    fn handshake(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.socket.handshake.to_value())
    }
    #[getter]
    fn rooms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        rooms_set(py, self.socket.rooms.iter().cloned())
    }
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.socket.data)
    }
    fn emit(&self, event: &str, args: &Bound<'_, PyAny>) -> PyResult<()> {
        let args = to_values(args)?;
        self.server.remote_emit(&self.socket, event, args).map_err(error::emit)
    }
    fn join(&self, rooms: Vec<String>) {
        self.server.remote_join(&self.socket, rooms);
    }
    fn leave(&self, room: &str) {
        self.server.remote_leave(&self.socket, room);
    }
    fn disconnect(&self, close: bool) {
        self.server.remote_disconnect(&self.socket, close);
    }
}
