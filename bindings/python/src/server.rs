//! Server handles: the server, a socket, an ack to answer, a middleware decision, and
//! the sockets `fetch_sockets` returns.
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyAny, PyBool, PyFloat, PyInt, PyList, PySet, PyString, PyTuple};
use sio_core::embed::{self, EmbeddedServer, OptionValue, ServerOptions, Unit};
use sio_core::server::{BroadcastOperator, RemoteSocket};
use sio_core::{ConnectError, Value};

use crate::convert::{to_py, to_value, to_values};
use crate::error;
use crate::runtime::{block_on, completion, seconds};

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
        options
            .set_spelled(name, spelled, value, Unit::Seconds)
            .map_err(|e| error::BadArgument::new_err(e.to_string()))?;
    }
    if let Err(e) = options.clone().into_config() {
        // `into_config` speaks the core's names ("needs cors_origin"): use the user's.
        let spelling = |word: &str| {
            items
                .iter()
                .find(|(name, _, _)| name == word)
                .map_or_else(|| word.to_owned(), |(_, spelled, _)| spelled.clone())
        };
        let message: Vec<String> = e.message.split(' ').map(spelling).collect();
        return Err(error::BadArgument::new_err(format!("option \"{}\": {}", spelling(&e.option), message.join(" "))));
    }
    Ok(options)
}

/// A Python value as the core's options take it: bool, int or float, str, or a list or
/// tuple of str.
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

/// A broadcast target: namespace, rooms, excepted rooms.
fn operator(server: &EmbeddedServer, ns: &str, rooms: Vec<String>, excepts: Vec<String>) -> BroadcastOperator {
    let mut op = server.server().of(ns).all();
    for r in rooms {
        op = op.to(r);
    }
    for r in excepts {
        op = op.except(r);
    }
    op
}

/// The server.
#[pyclass(frozen, module = "sio._sio")]
pub struct Server {
    server: EmbeddedServer,
    handle: tokio::runtime::Handle,
}

impl Server {
    pub fn new(server: EmbeddedServer, handle: tokio::runtime::Handle) -> Self {
        Server { server, handle }
    }
}

#[pymethods]
impl Server {
    /// Makes namespace `name` exist and forward its events.
    fn namespace(&self, name: &str) {
        let _g = self.handle.enter();
        self.server.namespace(name);
    }

    /// Makes every namespace whose name matches the regular expression `pattern` (Rust
    /// `regex` syntax, unanchored) exist and forward its events (a dynamic namespace).
    fn namespace_regex(&self, pattern: &str) -> PyResult<()> {
        let _g = self.handle.enter();
        self.server.namespace_regex(pattern).map_err(error::embed)
    }

    /// Sends every connection to `name` through a `middleware` event first.
    fn enable_middleware(&self, name: &str) {
        let _g = self.handle.enter();
        self.server.enable_middleware(name);
    }

    /// Sends every connection to a namespace matched by `pattern` (made by
    /// `namespace_regex`) through a `middleware` event first.
    fn enable_middleware_regex(&self, pattern: &str) -> PyResult<()> {
        let _g = self.handle.enter();
        self.server.enable_middleware_regex(pattern).map_err(error::embed)
    }

    /// Binds `addr` ("host:port") and returns the bound port.
    fn listen(&self, py: Python<'_>, addr: String) -> PyResult<u16> {
        let server = self.server.clone();
        py.detach(move || server.listen(&addr)).map(|a| a.port()).map_err(error::embed)
    }

    /// Closes the server (every socket gets `server shutting down`).
    fn close(&self) -> PyResult<()> {
        self.server.close().map_err(error::embed)
    }

    /// Emits to the sockets of `ns` in `rooms` (all when empty) but not in `excepts`;
    /// `volatile`: may be dropped for a socket that is not ready (and is never stored
    /// for connection state recovery).
    #[pyo3(signature = (ns, rooms, excepts, event, args, volatile = false))]
    fn emit(
        &self,
        ns: &str,
        rooms: Vec<String>,
        excepts: Vec<String>,
        event: &str,
        args: &Bound<'_, PyAny>,
        volatile: bool,
    ) -> PyResult<()> {
        let args = to_values(args)?;
        let _g = self.handle.enter();
        let mut op = operator(&self.server, ns, rooms, excepts);
        if volatile {
            op = op.volatile();
        }
        op.emit(event, args).map_err(error::emit)
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
        let _g = self.handle.enter();
        let op = operator(&self.server, ns, rooms, excepts);
        self.server.broadcast_with_ack(op, event, args, timeout, completion(callback)).map_err(error::emit)
    }

    /// Snapshots of the matching sockets.
    fn fetch_sockets(
        &self,
        py: Python<'_>,
        ns: &str,
        rooms: Vec<String>,
        excepts: Vec<String>,
    ) -> PyResult<Vec<RemoteSocketHandle>> {
        let op = operator(&self.server, ns, rooms, excepts);
        let sockets = block_on(py, &self.handle, async move { op.fetch_sockets().await })?;
        Ok(sockets.into_iter().map(|s| RemoteSocketHandle { socket: s, handle: self.handle.clone() }).collect())
    }

    /// Makes the matching sockets join `join`.
    fn sockets_join(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, join: Vec<String>) {
        let _g = self.handle.enter();
        operator(&self.server, ns, rooms, excepts).sockets_join(join);
    }

    /// Makes the matching sockets leave `room`.
    fn sockets_leave(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, room: &str) {
        let _g = self.handle.enter();
        operator(&self.server, ns, rooms, excepts).sockets_leave(room);
    }

    /// Disconnects the matching sockets.
    fn disconnect_sockets(&self, ns: &str, rooms: Vec<String>, excepts: Vec<String>, close: bool) {
        let op = operator(&self.server, ns, rooms, excepts);
        self.handle.spawn(async move { op.disconnect_sockets(close) });
    }

    /// Sends an event to the other servers of the cluster; returns how many it reached.
    fn server_side_emit(&self, event: &str, args: &Bound<'_, PyAny>) -> PyResult<usize> {
        let args = to_values(args)?;
        self.server.server_side_emit(event, args).map_err(error::emit)
    }

    /// Sends an event to the other servers; `callback(answers, exception)` gets one answer
    /// per server, or a timeout when some did not answer within the adapter's timeout.
    fn server_side_emit_with_ack(&self, event: &str, args: &Bound<'_, PyAny>, callback: Py<PyAny>) -> PyResult<()> {
        let args = to_values(args)?;
        self.server.server_side_emit_with_ack(event, args, completion(callback)).map_err(error::emit)
    }

    /// How many servers the cluster has (1 without an adapter); blocks with the GIL released.
    fn server_count(&self, py: Python<'_>) -> PyResult<usize> {
        let server = self.server.clone();
        py.detach(move || server.server_count()).map_err(error::embed)
    }
}

/// The answer to a server-side event from another server (one value; the first wins).
#[pyclass(frozen, module = "sio._sio")]
pub struct ServerSideAck {
    ack: sio_core::embed::ServerSideAck,
    handle: tokio::runtime::Handle,
}

impl ServerSideAck {
    pub fn new(ack: sio_core::embed::ServerSideAck, handle: tokio::runtime::Handle) -> Self {
        ServerSideAck { ack, handle }
    }
}

#[pymethods]
impl ServerSideAck {
    /// Sends the answer; `False` if one was already sent.
    fn send(&self, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let value = to_value(value)?;
        let _g = self.handle.enter();
        Ok(self.ack.send(value))
    }
}

/// A connected (or, during middleware, connecting) socket.
#[pyclass(frozen, module = "sio._sio")]
pub struct SocketHandle {
    socket: sio_core::embed::Socket,
    server: EmbeddedServer,
    handle: tokio::runtime::Handle,
}

impl SocketHandle {
    pub fn new(socket: sio_core::embed::Socket, server: EmbeddedServer, handle: tokio::runtime::Handle) -> Self {
        SocketHandle { socket, server, handle }
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
        let _g = self.handle.enter();
        self.socket.join(rooms);
    }

    fn leave(&self, room: &str) {
        let _g = self.handle.enter();
        self.socket.leave(room);
    }

    /// `volatile`: may be dropped if the client is not ready (never stored for recovery).
    #[pyo3(signature = (event, args, volatile = false))]
    fn emit(&self, event: &str, args: &Bound<'_, PyAny>, volatile: bool) -> PyResult<()> {
        let args = to_values(args)?;
        let _g = self.handle.enter();
        if volatile {
            self.socket.volatile().emit(event, args).map_err(error::emit)
        } else {
            self.socket.emit(event, args).map_err(error::emit)
        }
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
        let _g = self.handle.enter();
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
        let _g = self.handle.enter();
        let mut op = self.socket.broadcast();
        if volatile {
            op = op.volatile();
        }
        for r in rooms {
            op = op.to(r);
        }
        for r in excepts {
            op = op.except(r);
        }
        op.emit(event, args).map_err(error::emit)
    }

    fn disconnect(&self, close: bool) {
        self.server.disconnect_socket(&self.socket, close);
    }
}

/// The answer to a client's acknowledgement request.
#[pyclass(frozen, module = "sio._sio")]
pub struct ServerAck {
    sender: sio_core::embed::AckSender,
    handle: tokio::runtime::Handle,
}

impl ServerAck {
    pub fn new(sender: sio_core::embed::AckSender, handle: tokio::runtime::Handle) -> Self {
        ServerAck { sender, handle }
    }
}

#[pymethods]
impl ServerAck {
    /// Sends the answer; `False` if one was already sent or the client has left (as in
    /// socket.io, an answer nobody can receive is dropped quietly).
    fn send(&self, args: &Bound<'_, PyAny>) -> PyResult<bool> {
        let args = to_values(args)?;
        let _g = self.handle.enter();
        match self.sender.send(args) {
            Err(sio_core::EmitError::Disconnected) => Ok(false),
            other => other.map_err(error::emit),
        }
    }
}

/// A namespace middleware's pending decision; unanswered, it refuses when dropped.
#[pyclass(frozen, module = "sio._sio")]
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

/// What `fetch_sockets` returns: a snapshot with the operations that reach the socket.
#[pyclass(frozen, module = "sio._sio")]
pub struct RemoteSocketHandle {
    socket: RemoteSocket,
    handle: tokio::runtime::Handle,
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
        let _g = self.handle.enter();
        self.socket.emit(event, args).map_err(error::emit)
    }
    fn join(&self, rooms: Vec<String>) {
        let _g = self.handle.enter();
        self.socket.join(rooms);
    }
    fn leave(&self, room: &str) {
        let _g = self.handle.enter();
        self.socket.leave(room);
    }
    fn disconnect(&self, close: bool) {
        let s = self.socket.clone();
        self.handle.spawn(async move { s.disconnect(close) });
    }
}
