//! One `sio_core::embed::Runtime` per Python `Server`/`Client`: commands, and events
//! pulled by the Python dispatcher thread with the GIL released while it waits.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PySet, PyTuple};
use pyo3::IntoPyObjectExt;
use sio_core::client::{Manager, Socket as ClientSocket};
use sio_core::embed::{self, AckOutcome, Delivery, EmbeddedServer, Event, RuntimeOptions};

use crate::client::{Client, ClientAck};
use crate::convert;
use crate::error;
use crate::server::{Decision, Server, ServerAck, ServerSideAck, SocketHandle};

/// An event; a client event names its namespace.
pub struct Incoming {
    event: Event,
    nsp: Option<String>,
}

impl Incoming {
    /// An event of a client socket of namespace `nsp` (`None`: of the connection).
    pub fn client(nsp: Option<String>, event: Event) -> Self {
        Incoming { event, nsp }
    }
}

/// A tokio runtime with its event queue.
#[pyclass(frozen, module = "sio._sio")]
pub struct Runtime {
    inner: Arc<embed::Runtime>,
    servers: Mutex<HashMap<u64, EmbeddedServer>>,
    // Callback delivery into our own queue (instead of `Delivery::Queue`) so that the
    // callback, which runs inside the core's hook, can take the snapshots above.
    queue: Mutex<mpsc::Receiver<Incoming>>,
    // For the clients, whose events the embedding runtime does not see.
    sender: mpsc::Sender<Incoming>,
    clients: Mutex<Vec<(Manager, Vec<ClientSocket>)>>,
    shut_down: AtomicBool,
}

#[pymethods]
impl Runtime {
    #[new]
    #[pyo3(signature = (workers = 2))]
    fn new(workers: usize) -> PyResult<Self> {
        let (tx, rx) = mpsc::channel();
        let sender = tx.clone();
        let deliver = move |event: Event| {
            let _ = tx.send(Incoming { event, nsp: None });
        };
        let delivery = Delivery::Callback(Arc::new(deliver));
        let inner = embed::Runtime::new(RuntimeOptions { workers, delivery }).map_err(error::embed)?;
        Ok(Runtime {
            inner: Arc::new(inner),
            servers: Mutex::default(),
            queue: Mutex::new(rx),
            sender,
            clients: Mutex::default(),
            shut_down: AtomicBool::new(false),
        })
    }

    /// The next event as a tuple (see `_sio.pyi`), or `None` after `timeout` seconds or,
    /// once shut down, when the queue is drained. Waits with the GIL released.
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Py<PyTuple>>> {
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        let shut_down = self.shut_down.load(Ordering::Acquire);
        let queue = &self.queue;
        let next = py.detach(move || {
            let rx = queue.lock().expect("queue lock poisoned");
            if shut_down {
                rx.try_recv().ok()
            } else {
                rx.recv_timeout(wait).ok()
            }
        });
        match next {
            None => Ok(None),
            Some(ev) => self.event(py, ev).map(Some),
        }
    }

    /// Up to `max` events as a list of tuples: waits up to `timeout` seconds for the first
    /// (GIL released), then takes what is queued without waiting, and converts them all
    /// under one GIL acquisition. Empty after the timeout or, once shut down, when drained.
    fn next_events(&self, py: Python<'_>, timeout: f64, max: usize) -> PyResult<Vec<Py<PyTuple>>> {
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        let shut_down = self.shut_down.load(Ordering::Acquire);
        let queue = &self.queue;
        let batch = py.detach(move || {
            let rx = queue.lock().expect("queue lock poisoned");
            let first = if shut_down { rx.try_recv().ok() } else { rx.recv_timeout(wait).ok() };
            let mut batch: Vec<Incoming> = first.into_iter().collect();
            while batch.len() < max {
                match rx.try_recv() {
                    Ok(ev) => batch.push(ev),
                    Err(_) => break,
                }
            }
            batch
        });
        batch.into_iter().map(|ev| self.event(py, ev)).collect()
    }

    /// Closes every server and client of this runtime and stops its threads. Pending
    /// acknowledgements complete as cancelled. Idempotent.
    fn shutdown(&self, py: Python<'_>) {
        let clients = std::mem::take(&mut *self.clients.lock().expect("clients lock poisoned"));
        let rt = self.inner.clone();
        py.detach(move || {
            if !clients.is_empty() {
                // Clients first: their DISCONNECT packets go out before the runtime stops.
                let (tx, rx) = mpsc::channel();
                rt.handle().spawn(async move {
                    for (manager, sockets) in &clients {
                        for s in sockets {
                            s.disconnect();
                        }
                        manager.close();
                    }
                    let _ = tx.send(());
                });
                let _ = rx.recv_timeout(Duration::from_secs(2));
            }
            rt.shutdown()
        });
        self.shut_down.store(true, Ordering::Release);
        self.servers.lock().expect("servers lock poisoned").clear();
    }

    /// Creates a server (not listening yet) from `(core name, spelled name, value)`
    /// triples: see `server::options`.
    fn server(&self, options: Vec<(String, String, Bound<'_, PyAny>)>) -> PyResult<Server> {
        let options = crate::server::options(&options)?;
        let adapter = match &options.cluster_url {
            Some(url) => {
                // The adapter's connection tasks run on this runtime.
                let _g = self.inner.handle().enter();
                let adapter = sio_redis::RedisAdapter::new(url)
                    .map_err(|e| error::BadArgument::new_err(format!("adapter: {e}")))?;
                Some(adapter as Arc<dyn embed::ClusterAdapter>)
            }
            None => None,
        };
        let server = self.inner.server_with(options, adapter).map_err(error::embed)?;
        self.servers.lock().expect("servers lock poisoned").insert(server.id(), server.clone());
        Ok(Server::new(server, self.inner.handle().clone()))
    }

    /// Creates a client of server `url` (scheme and authority) with a socket for each of
    /// `namespaces`, sharing one connection; nothing connects yet. Durations in seconds.
    #[pyo3(signature = (url, *, namespaces, path, auth, transports, reconnection, reconnection_attempts, reconnection_delay, reconnection_delay_max, randomization_factor, timeout, headers, query))]
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
    ) -> PyResult<Client> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(error::embed(embed::EmbedError::Shutdown));
        }
        let config = crate::client::manager_config(
            url,
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
        )?;
        let auth = crate::client::auth(auth)?;
        let tx = self.sender.clone();
        let client = Client::new(config, namespaces, auth, self.inner.handle().clone(), tx)?;
        self.clients.lock().expect("clients lock poisoned").push(client.parts());
        Ok(client)
    }
}

impl Runtime {
    fn socket(&self, server: u64, socket: sio_core::embed::Socket) -> PyResult<SocketHandle> {
        let servers = self.servers.lock().expect("servers lock poisoned");
        let s = servers.get(&server).ok_or_else(|| error::SocketIOError::new_err("event of an unknown server"))?;
        Ok(SocketHandle::new(socket, s.clone(), self.inner.handle().clone()))
    }

    fn event(&self, py: Python<'_>, incoming: Incoming) -> PyResult<Py<PyTuple>> {
        let Incoming { event: ev, nsp } = incoming;
        let nsp = || nsp.clone().unwrap_or_default().into_py_any(py);
        let handle = self.inner.handle().clone();
        let items: Vec<Py<PyAny>> = match ev {
            Event::Connection { server, socket } => {
                vec!["connection".into_py_any(py)?, self.socket(server, socket)?.into_py_any(py)?]
            }
            Event::Middleware { server, socket, decision } => vec![
                "middleware".into_py_any(py)?,
                self.socket(server, socket)?.into_py_any(py)?,
                Decision::new(decision).into_py_any(py)?,
            ],
            Event::Message { server, socket, name, args, ack } => vec![
                "message".into_py_any(py)?,
                self.socket(server, socket)?.into_py_any(py)?,
                name.into_py_any(py)?,
                convert::list(py, &args)?,
                match ack {
                    Some(a) => ServerAck::new(a, handle).into_py_any(py)?,
                    None => py.None(),
                },
            ],
            Event::Disconnecting { server, socket, reason, rooms } => vec![
                "disconnecting".into_py_any(py)?,
                self.socket(server, socket)?.into_py_any(py)?,
                reason.as_str().into_py_any(py)?,
                PySet::new(py, rooms)?.into_any().unbind(),
            ],
            Event::Disconnect { server, socket, reason } => vec![
                "disconnect".into_py_any(py)?,
                self.socket(server, socket)?.into_py_any(py)?,
                reason.as_str().into_py_any(py)?,
            ],
            Event::Upgrade { conn, transport, .. } => {
                vec!["upgrade".into_py_any(py)?, conn.into_py_any(py)?, transport.as_str().into_py_any(py)?]
            }
            Event::ServerSide { name, args, ack, .. } => vec![
                "server_side".into_py_any(py)?,
                name.into_py_any(py)?,
                convert::list(py, &args)?,
                match ack {
                    Some(a) => ServerSideAck::new(a, handle).into_py_any(py)?,
                    None => py.None(),
                },
            ],
            Event::ClientConnect { .. } => vec!["client_connect".into_py_any(py)?, nsp()?],
            Event::ClientConnectError { error, active, .. } => vec![
                "client_connect_error".into_py_any(py)?,
                nsp()?,
                error.message.into_py_any(py)?,
                match &error.data {
                    Some(d) => convert::to_py(py, d)?,
                    None => py.None(),
                },
                active.into_py_any(py)?,
            ],
            Event::ClientDisconnect { reason, active, .. } => vec![
                "client_disconnect".into_py_any(py)?,
                nsp()?,
                reason.as_str().into_py_any(py)?,
                active.into_py_any(py)?,
            ],
            Event::ClientMessage { name, args, ack, .. } => vec![
                "client_message".into_py_any(py)?,
                nsp()?,
                name.into_py_any(py)?,
                convert::list(py, &args)?,
                match ack {
                    Some(a) => ClientAck::new(a, handle).into_py_any(py)?,
                    None => py.None(),
                },
            ],
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
        };
        Ok(PyTuple::new(py, items)?.unbind())
    }
}

/// Runs `fut` on the runtime and waits for it with the GIL released, checking for
/// Ctrl-C every 100 ms.
pub fn block_on<T: Send + 'static>(
    py: Python<'_>,
    handle: &tokio::runtime::Handle,
    fut: impl Future<Output = T> + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    handle.spawn(async move {
        let _ = tx.send(fut.await);
    });
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
