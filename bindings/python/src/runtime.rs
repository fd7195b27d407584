//! One `sio_core::embed::Runtime` per Python `Server`/`Client`: commands, and events
//! pulled by the Python dispatcher thread with the GIL released while it waits. Every
//! event comes from the embedding layer's queue, servers' and clients' alike; this file
//! only turns them into the tuples `sio` dispatches.
//!
//! Per event, as few Python objects as possible: the Python dispatcher pulls a batch
//! (`EventBatch`) and converts each event only when it dispatches it (so a batch does not
//! hold hundreds of live containers, which would make CPython's cyclic GC run at every
//! batch); a connected socket has one `SocketHandle` for all its events; a message's
//! acknowledgement is its id, answered through that handle.
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PySet, PyTuple};
use pyo3::IntoPyObjectExt;
use sio_core::embed::{
    self, socket_key, AckOutcome, Delivery, EmbeddedClient, EmbeddedServer, Event, RuntimeOptions, SocketMap,
};

use crate::client::{Client, ClientAck};
use crate::convert;
use crate::error;
use crate::server::{Decision, Leaving, Server, ServerSideAck, SocketHandle};

/// A tokio runtime (inside the embedding layer) with its event queue.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct Runtime {
    inner: Arc<embed::Runtime>,
    state: Arc<State>,
}

/// What turning events into tuples needs; shared with the batches not converted yet.
#[derive(Default)]
struct State {
    /// The servers by id, to give each event's socket its server's operations.
    servers: Mutex<HashMap<u64, EmbeddedServer>>,
    /// The clients by id (one per namespace of a Python client), with their namespace:
    /// Python sees client events tagged by namespace, not by id.
    clients: Mutex<HashMap<u64, (String, EmbeddedClient)>>,
    /// The one handle of each connected socket (see `embed::socket_key`; checked to be that
    /// socket: a handle is only reused for the very socket it wraps). Added by the first
    /// event of a connected socket, removed by its `disconnect` event (or the runtime's
    /// shutdown). A socket in middleware is not added: a refused one has no `disconnect`.
    sockets: Mutex<SocketMap<Py<SocketHandle>>>,
}

#[pymethods]
impl Runtime {
    #[new]
    #[pyo3(signature = (workers = 2))]
    fn new(workers: usize) -> PyResult<Self> {
        let inner = embed::Runtime::new(RuntimeOptions { workers, delivery: Delivery::Queue }).map_err(error::embed)?;
        Ok(Runtime { inner: Arc::new(inner), state: Arc::default() })
    }

    /// The next event as a tuple (see `_sio.pyi`), or `None` after `timeout` seconds or,
    /// once shut down, when the queue is drained. Waits with the GIL released.
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Py<PyTuple>>> {
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        let inner = &self.inner;
        match py.detach(move || inner.next_event(wait)) {
            None => Ok(None),
            Some(ev) => self.state.event(py, ev).map(Some),
        }
    }

    /// Up to `max` events, not converted yet: waits up to `timeout` seconds for the first
    /// (GIL released), then takes what is queued without waiting. `None` after the
    /// timeout or, once shut down, when drained.
    fn next_batch(&self, py: Python<'_>, timeout: f64, max: usize) -> Option<EventBatch> {
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        let inner = &self.inner;
        let events = py.detach(move || inner.next_events(max, wait));
        if events.is_empty() {
            return None;
        }
        Some(EventBatch { state: self.state.clone(), events: Mutex::new(events.into_iter()) })
    }

    /// Opens a turn of the calling thread: the frames it queues (acks, emits) until
    /// `end_turn` wake their connections' writers once, at the end, not once each. The
    /// dispatcher brackets each batch of events with it.
    fn begin_turn(&self) {
        self.inner.begin_turn();
    }

    /// Ends the turn `begin_turn` opened: what was queued during it goes out.
    fn end_turn(&self) {
        self.inner.end_turn();
    }

    /// Closes every server and client of this runtime and stops its threads (clients
    /// send their DISCONNECT first). Pending acknowledgements complete as cancelled.
    /// Idempotent.
    fn shutdown(&self, py: Python<'_>) {
        let rt = self.inner.clone();
        py.detach(move || rt.shutdown());
        self.state.servers.lock().expect("servers lock poisoned").clear();
        // The handles of sockets whose `disconnect` was not converted (dropped under the GIL).
        drop(std::mem::take(&mut *self.state.sockets.lock().expect("sockets lock poisoned")));
    }

    /// Creates a server (not listening yet) from `(core name, spelled name, value)`
    /// triples: see `server::options`.
    fn server(&self, options: Vec<(String, String, Bound<'_, PyAny>)>) -> PyResult<Server> {
        let checked = crate::server::options(&options)?;
        let server = self.inner.server_with_cluster(checked, sio_redis::connect).map_err(|e| match e {
            // Its message names the core's option ("cluster_url"): use the user's word.
            embed::EmbedError::InvalidArgument(m) => error::BadArgument::new_err(crate::server::respell(&options, &m)),
            e => error::embed(e),
        })?;
        self.state.servers.lock().expect("servers lock poisoned").insert(server.id(), server.clone());
        Ok(Server::new(server))
    }

    /// Creates a client of server `url` (scheme and authority) with a socket for each of
    /// `namespaces`, sharing one connection; nothing connects yet. Durations in seconds.
    #[pyo3(signature = (url, *, namespaces, path, auth, transports, reconnection, reconnection_attempts, reconnection_delay, reconnection_delay_max, randomization_factor, timeout, headers, query, serializer, per_message_deflate = true, per_message_deflate_threshold = None))]
    #[allow(clippy::too_many_arguments)]
    fn client(
        &self,
        url: String,
        namespaces: Vec<String>,
        path: String,
        auth: Option<Py<PyAny>>,
        transports: Vec<String>,
        reconnection: bool,
        reconnection_attempts: Option<u32>,
        reconnection_delay: f64,
        reconnection_delay_max: f64,
        randomization_factor: f64,
        timeout: f64,
        headers: Vec<(String, String)>,
        query: Vec<(String, String)>,
        serializer: &str,
        per_message_deflate: bool,
        per_message_deflate_threshold: Option<usize>,
    ) -> PyResult<Client> {
        let config = crate::client::manager_config(
            path,
            transports,
            reconnection,
            reconnection_attempts,
            reconnection_delay,
            reconnection_delay_max,
            randomization_factor,
            timeout,
            headers,
            query,
            serializer,
            per_message_deflate,
            per_message_deflate_threshold,
        )?;
        let auth = crate::client::auth(auth)?;
        let client = Client::new(&self.inner, &url, config, namespaces, auth)?;
        let mut clients = self.state.clients.lock().expect("clients lock poisoned");
        for (nsp, c) in client.namespace_clients() {
            clients.insert(c.id(), (nsp.to_owned(), c.clone()));
        }
        Ok(client)
    }
}

/// Events taken from the queue, each converted to its tuple when the dispatcher takes it
/// (`pop`, or iterating). Dropping the batch drops what is left unconverted (a
/// `disconnecting` socket's hold on its rooms, a middleware decision: refused).
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct EventBatch {
    state: Arc<State>,
    events: Mutex<std::vec::IntoIter<Event>>,
}

impl EventBatch {
    fn take(&self, py: Python<'_>) -> PyResult<Option<Py<PyTuple>>> {
        let ev = self.events.lock().expect("batch lock poisoned").next();
        ev.map(|ev| self.state.event(py, ev)).transpose()
    }
}

#[pymethods]
impl EventBatch {
    /// The next event as a tuple (see `_sio.pyi`); `None` once the batch is done.
    fn pop(&self, py: Python<'_>) -> PyResult<Option<Py<PyTuple>>> {
        self.take(py)
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyTuple>>> {
        self.take(py)
    }

    /// How many events are left.
    fn __len__(&self) -> usize {
        self.events.lock().expect("batch lock poisoned").len()
    }
}

impl State {
    fn server_of(&self, server: u64) -> PyResult<EmbeddedServer> {
        let servers = self.servers.lock().expect("servers lock poisoned");
        servers.get(&server).cloned().ok_or_else(|| error::SocketIOError::new_err("event of an unknown server"))
    }

    /// The socket's handle: its one handle once connected (see `State::sockets`).
    fn socket(&self, py: Python<'_>, server: u64, socket: embed::Socket) -> PyResult<Py<SocketHandle>> {
        let mut sockets = self.sockets.lock().expect("sockets lock poisoned");
        if let Some(h) = sockets.get(&socket_key(&socket)) {
            if h.get().is(&socket) {
                return Ok(h.clone_ref(py));
            }
        }
        // After its `disconnect` (queued once the socket has left) a socket is not kept.
        let keep = socket.connected();
        let h = Py::new(py, SocketHandle::new(socket, self.server_of(server)?))?;
        if keep {
            sockets.insert(socket_key(h.get().socket()), h.clone_ref(py));
        }
        Ok(h)
    }

    /// The handle of a socket that has left, forgotten.
    fn socket_gone(&self, py: Python<'_>, server: u64, socket: embed::Socket) -> PyResult<Py<SocketHandle>> {
        let mut sockets = self.sockets.lock().expect("sockets lock poisoned");
        let key = socket_key(&socket);
        match sockets.remove(&key) {
            Some(h) if h.get().is(&socket) => Ok(h),
            other => {
                if let Some(h) = other {
                    sockets.insert(key, h); // not this socket's (cannot happen: see socket_key)
                }
                drop(sockets);
                Py::new(py, SocketHandle::new(socket, self.server_of(server)?))
            }
        }
    }

    fn client_of(&self, client: u64) -> PyResult<(String, EmbeddedClient)> {
        let clients = self.clients.lock().expect("clients lock poisoned");
        clients.get(&client).cloned().ok_or_else(|| error::SocketIOError::new_err("event of an unknown client"))
    }

    fn event(&self, py: Python<'_>, ev: Event) -> PyResult<Py<PyTuple>> {
        let nsp = |client: u64| self.client_of(client)?.0.into_py_any(py);
        let items: Vec<Py<PyAny>> = match ev {
            Event::Connection { server, socket } => {
                vec!["connection".into_py_any(py)?, self.socket(py, server, socket)?.into_any()]
            }
            Event::Middleware { server, socket, decision } => vec![
                "middleware".into_py_any(py)?,
                self.socket(py, server, socket)?.into_any(),
                Decision::new(decision).into_py_any(py)?,
            ],
            Event::Message { server, socket, name, args, ack } => {
                // ("message", handle, name, (args...), ack id or None): the hot path.
                let items = [
                    pyo3::intern!(py, "message").clone().into_any().unbind(),
                    self.socket(py, server, socket)?.into_any(),
                    name.into_py_any(py)?,
                    convert::tuple(py, &args.into_values())?,
                    match ack {
                        Some(a) => a.id().into_py_any(py)?,
                        None => py.None(),
                    },
                ];
                return Ok(PyTuple::new(py, items)?.unbind());
            }
            Event::Disconnecting { server, socket, reason, rooms, leaving } => vec![
                "disconnecting".into_py_any(py)?,
                self.socket(py, server, socket)?.into_any(),
                reason.as_str().into_py_any(py)?,
                PySet::new(py, rooms)?.into_any().unbind(),
                Leaving::new(leaving).into_py_any(py)?,
            ],
            Event::Disconnect { server, socket, reason } => vec![
                "disconnect".into_py_any(py)?,
                self.socket_gone(py, server, socket)?.into_any(),
                reason.as_str().into_py_any(py)?,
            ],
            Event::Upgrade { conn, transport, .. } => {
                vec!["upgrade".into_py_any(py)?, conn.into_py_any(py)?, transport.as_str().into_py_any(py)?]
            }
            Event::ServerSide { server, ns, name, args, ack } => vec![
                "server_side".into_py_any(py)?,
                ns.into_py_any(py)?,
                name.into_py_any(py)?,
                convert::list(py, &args)?,
                match ack {
                    Some(a) => ServerSideAck::new(a, self.server_of(server)?).into_py_any(py)?,
                    None => py.None(),
                },
            ],
            Event::ClientConnect { client } => vec!["client_connect".into_py_any(py)?, nsp(client)?],
            Event::ClientConnectError { client, error, active } => vec![
                "client_connect_error".into_py_any(py)?,
                nsp(client)?,
                error.message.into_py_any(py)?,
                match &error.data {
                    Some(d) => convert::to_py(py, d)?,
                    None => py.None(),
                },
                active.into_py_any(py)?,
            ],
            Event::ClientDisconnect { client, reason, active, details } => vec![
                "client_disconnect".into_py_any(py)?,
                nsp(client)?,
                reason.as_str().into_py_any(py)?,
                active.into_py_any(py)?,
                match details {
                    Some(d) => (d.description, d.context).into_py_any(py)?,
                    None => py.None(),
                },
            ],
            Event::ClientMessage { client, name, args, ack } => {
                let (nsp, c) = self.client_of(client)?;
                vec![
                    "client_message".into_py_any(py)?,
                    nsp.into_py_any(py)?,
                    name.into_py_any(py)?,
                    convert::list(py, &args)?,
                    match ack {
                        Some(a) => ClientAck::new(a, c).into_py_any(py)?,
                        None => py.None(),
                    },
                ]
            }
            // Manager events: a Python client has one connection, whose callbacks are
            // not per namespace, so the id (its oldest open namespace) is not needed.
            Event::ReconnectAttempt { attempt, .. } => {
                vec!["reconnect_attempt".into_py_any(py)?, attempt.into_py_any(py)?]
            }
            Event::Reconnect { attempt, .. } => {
                vec!["reconnect".into_py_any(py)?, attempt.into_py_any(py)?]
            }
            Event::ReconnectError { message, .. } => {
                vec!["reconnect_error".into_py_any(py)?, message.into_py_any(py)?]
            }
            Event::ReconnectFailed { .. } => vec!["reconnect_failed".into_py_any(py)?],
            Event::Manager { event, .. } => vec![
                "manager".into_py_any(py)?,
                event.name().into_py_any(py)?,
                match event {
                    embed::ManagerNotice::Close(reason) => reason.as_str().into_py_any(py)?,
                    embed::ManagerNotice::Error(message) => message.into_py_any(py)?,
                    embed::ManagerNotice::Open | embed::ManagerNotice::Ping => py.None(),
                },
            ],
        };
        Ok(PyTuple::new(py, items)?.unbind())
    }
}

/// Waits for what a runtime callback sends on `rx` (see the `*_then` methods of the
/// embedding layer), with the GIL released, checking for Ctrl-C every 100 ms. The
/// sender dropped unsent means the runtime shut down meanwhile.
pub fn wait<T: Send>(py: Python<'_>, rx: mpsc::Receiver<T>) -> PyResult<T> {
    let mut rx = rx;
    loop {
        // The receiver is not Sync: move it into the GIL-free closure and back.
        let (res, back) = py.detach(move || (rx.recv_timeout(Duration::from_millis(100)), rx));
        rx = back;
        match res {
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => return Err(error::embed(embed::EmbedError::Shutdown)),
        }
    }
}

/// A completion that calls `callback(replies, exception)` exactly once, on a runtime
/// thread with the GIL taken. The Python side forwards it to a future.
pub fn completion(callback: Py<PyAny>) -> impl FnOnce(AckOutcome) + Send + 'static {
    move |outcome| {
        Python::attach(|py| {
            let r = error::outcome(py, outcome).and_then(|(res, err)| callback.call1(py, (res, err)).map(drop));
            if let Err(e) = r {
                e.write_unraisable(py, None);
            }
        })
    }
}

/// Seconds (Python) to a `Duration`, refusing negative and non-finite values.
pub fn seconds(name: &str, s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| error::BadArgument::new_err(format!("{name} must be a non-negative number of seconds, not {s}")))
}
