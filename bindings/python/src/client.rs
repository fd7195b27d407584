//! Client handles: a client (one Manager, i.e. one Engine.IO connection, and a socket per
//! namespace) and an ack to answer. Built on the core client API directly, as the Node
//! binding is: `sio_core::embed::EmbeddedClient` makes one Manager per socket, and
//! namespaces multiplexed over one connection need one Manager for all.
use std::collections::HashMap;
use std::sync::{mpsc, Arc};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sio_core::client::{Auth, Manager, ManagerConfig, ManagerEvent, Socket, SocketConfig};
use sio_core::embed::TransportKind;
use sio_core::embed::{AckOutcome, Event};
use sio_core::{EmitError, Value};

use crate::convert::{to_value, to_values};
use crate::error;
use crate::runtime::{completion, seconds, Incoming};

/// Builds the Manager options from the Python keyword arguments.
#[allow(clippy::too_many_arguments)]
pub fn manager_config(
    url: String,
    path: String,
    transports: Vec<String>,
    reconnection: bool,
    reconnection_attempts: Option<u32>,
    reconnection_delay: f64,
    reconnection_delay_max: f64,
    randomization_factor: f64,
    timeout: f64,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
) -> PyResult<ManagerConfig> {
    if !(0.0..=1.0).contains(&randomization_factor) {
        return Err(error::BadArgument::new_err("randomization_factor must be between 0 and 1"));
    }
    Ok(ManagerConfig {
        url,
        path,
        query,
        extra_headers: headers,
        transports: transport_kinds(&transports)?,
        reconnection,
        reconnection_attempts,
        reconnection_delay: seconds("reconnection_delay", reconnection_delay)?,
        reconnection_delay_max: seconds("reconnection_delay_max", reconnection_delay_max)?,
        randomization_factor,
        timeout: seconds("timeout", timeout)?,
        // Sockets connect when Python says so, after its handlers are in place.
        auto_connect: false,
        ..ManagerConfig::default()
    })
}

/// `["polling", "websocket"]` to transport kinds.
fn transport_kinds(names: &[String]) -> PyResult<Vec<TransportKind>> {
    if names.is_empty() {
        return Err(error::BadArgument::new_err("transports must not be empty"));
    }
    names
        .iter()
        .map(|t| {
            TransportKind::parse(t)
                .ok_or_else(|| error::BadArgument::new_err(format!("unknown transport {t:?} (polling, websocket)")))
        })
        .collect()
}

/// `auth` is a dict, or a callable returning one, evaluated at every (re)connection of
/// every namespace.
pub fn auth(auth: Option<Py<PyAny>>) -> PyResult<Auth> {
    Python::attach(|py| -> PyResult<Auth> {
        Ok(match auth {
            None => Auth::None,
            Some(a) if a.bind(py).is_instance_of::<PyDict>() => Auth::Static(to_value(a.bind(py))?),
            Some(a) if a.bind(py).is_callable() => Auth::Dynamic(Arc::new(move || {
                // Runs on a runtime thread at each attempt: a failing callable sends no auth.
                Python::attach(|py| match a.call0(py).and_then(|v| to_value(v.bind(py))) {
                    Ok(v) => v,
                    Err(e) => {
                        e.write_unraisable(py, None);
                        Value::Null
                    }
                })
            })),
            Some(_) => return Err(error::BadArgument::new_err("auth must be a dict or a callable returning one")),
        })
    })
}

/// A client: one connection (a Manager) and one socket per namespace, all made at
/// creation. Every method taking `nsp` refuses a namespace the client was not made with.
#[pyclass(frozen, module = "sio._sio")]
pub struct Client {
    manager: Manager,
    sockets: HashMap<String, Socket>,
    handle: tokio::runtime::Handle,
}

impl Client {
    /// Makes the manager and its sockets; their events go to `tx` (the runtime's queue),
    /// client events tagged with their namespace.
    pub fn new(
        config: ManagerConfig,
        namespaces: Vec<String>,
        auth: Auth,
        handle: tokio::runtime::Handle,
        tx: mpsc::Sender<Incoming>,
    ) -> PyResult<Self> {
        if namespaces.is_empty() {
            return Err(error::BadArgument::new_err("namespaces must not be empty"));
        }
        let _g = handle.enter();
        let manager = Manager::new(config);
        let send = |tx: &mpsc::Sender<Incoming>, nsp: Option<&str>, event: Event| {
            let _ = tx.send(Incoming::client(nsp.map(str::to_owned), event));
        };
        let t = tx.clone();
        manager.on(move |_, ev| {
            // Ids are not used: a runtime serves one Python client.
            let event = match ev {
                ManagerEvent::ReconnectAttempt(n) => Event::ReconnectAttempt { client: 0, attempt: *n },
                ManagerEvent::Reconnect(n) => Event::Reconnect { client: 0, attempt: *n },
                ManagerEvent::ReconnectError(m) => Event::ReconnectError { client: 0, message: (*m).to_owned() },
                ManagerEvent::ReconnectFailed => Event::ReconnectFailed { client: 0 },
                _ => return,
            };
            send(&t, None, event);
        });
        let mut sockets = HashMap::new();
        for nsp in namespaces {
            if !nsp.starts_with('/') {
                return Err(error::BadArgument::new_err(format!("a namespace starts with '/', not {nsp:?}")));
            }
            if sockets.contains_key(&nsp) {
                return Err(error::BadArgument::new_err(format!("namespace {nsp:?} is listed twice")));
            }
            let socket = manager.socket(&nsp, SocketConfig { auth: auth.clone(), ..SocketConfig::default() });
            let t = tx.clone();
            socket.on_connect(move |s| send(&t, Some(s.nsp()), Event::ClientConnect { client: 0 }));
            let t = tx.clone();
            socket.on_connect_error(move |s, error| {
                send(
                    &t,
                    Some(s.nsp()),
                    Event::ClientConnectError { client: 0, error: error.clone(), active: s.active() },
                );
            });
            let t = tx.clone();
            socket.on_disconnect(move |s, reason| {
                send(&t, Some(s.nsp()), Event::ClientDisconnect { client: 0, reason, active: s.active() });
            });
            let t = tx.clone();
            socket.on_unhandled(move |s, name, args, ack| {
                send(&t, Some(s.nsp()), Event::ClientMessage { client: 0, name: name.to_owned(), args, ack });
            });
            sockets.insert(nsp, socket);
        }
        Ok(Client { manager, sockets, handle })
    }

    fn socket(&self, nsp: &str) -> PyResult<&Socket> {
        self.sockets
            .get(nsp)
            .ok_or_else(|| error::BadArgument::new_err(format!("{nsp:?} is not a namespace of this client")))
    }

    fn sockets(&self, namespaces: &[String]) -> PyResult<Vec<Socket>> {
        namespaces.iter().map(|n| self.socket(n).cloned()).collect()
    }

    /// What shutting the client down needs: the manager and its sockets.
    pub fn parts(&self) -> (Manager, Vec<Socket>) {
        (self.manager.clone(), self.sockets.values().cloned().collect())
    }
}

#[pymethods]
impl Client {
    /// The namespaces, in no particular order.
    #[getter]
    fn namespaces(&self) -> Vec<String> {
        self.sockets.keys().cloned().collect()
    }

    /// Connects the sockets of `namespaces` (one after the other, on this thread: commands
    /// on sockets of one Manager must not race). Returns at once; events follow.
    fn connect(&self, py: Python<'_>, namespaces: Vec<String>) -> PyResult<()> {
        let sockets = self.sockets(&namespaces)?;
        let handle = self.handle.clone();
        // Without the GIL: a dynamic `auth` takes it on a runtime thread meanwhile.
        py.detach(move || {
            let _g = handle.enter();
            for s in sockets {
                s.connect();
            }
        });
        Ok(())
    }

    /// Disconnects the sockets of `namespaces` (`io client disconnect`); the connection
    /// closes with the last one. Events follow.
    fn disconnect(&self, py: Python<'_>, namespaces: Vec<String>) -> PyResult<()> {
        let sockets = self.sockets(&namespaces)?;
        let handle = self.handle.clone();
        py.detach(move || {
            let _g = handle.enter();
            for s in sockets {
                s.disconnect();
            }
        });
        Ok(())
    }

    /// The server-given id of the socket of `nsp` while connected.
    fn id(&self, nsp: &str) -> PyResult<Option<String>> {
        Ok(self.socket(nsp)?.id())
    }
    fn connected(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.socket(nsp)?.connected())
    }
    /// Whether the socket of `nsp` is connected or will (re)connect by itself.
    fn active(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.socket(nsp)?.active())
    }
    fn recovered(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.socket(nsp)?.recovered())
    }

    fn emit(&self, nsp: &str, event: &str, args: &Bound<'_, PyAny>) -> PyResult<()> {
        let socket = self.socket(nsp)?;
        let args = to_values(args)?;
        let _g = self.handle.enter();
        socket.emit(event, args).map_err(error::emit)
    }

    /// `callback(replies, exc)` is called exactly once, on a runtime thread (or on this
    /// one, if the emit is refused after all).
    #[pyo3(signature = (nsp, event, args, timeout, callback))]
    fn emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        timeout: Option<f64>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let socket = self.socket(nsp)?;
        let args = to_values(args)?;
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        // Refused before the completion exists: it must not fire for an emit that raised.
        if sio_core::RESERVED_EVENTS.contains(&event) {
            return Err(error::emit(EmitError::Reserved(event.to_owned())));
        }
        let _g = self.handle.enter();
        let done = Completion(Some(Box::new(completion(callback))));
        let callback = move |res: Result<Vec<Value>, sio_core::AckError>| done.complete(res.into());
        match timeout {
            Some(t) => socket.timeout(t).emit_with_callback(event, args, callback),
            None => socket.emit_with_callback(event, args, callback),
        }
        .map_err(error::emit)
    }
}

/// Completes an acknowledgement exactly once: with the outcome, or `Cancelled` when the
/// core drops the callback unanswered (runtime shutdown).
struct Completion(Option<Box<dyn FnOnce(AckOutcome) + Send>>);

impl Completion {
    fn complete(mut self, outcome: AckOutcome) {
        if let Some(f) = self.0.take() {
            f(outcome);
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f(AckOutcome::Cancelled);
        }
    }
}

/// The answer to the server's acknowledgement request.
#[pyclass(frozen, module = "sio._sio")]
pub struct ClientAck {
    sender: sio_core::embed::ClientAckSender,
    handle: tokio::runtime::Handle,
}

impl ClientAck {
    pub fn new(sender: sio_core::embed::ClientAckSender, handle: tokio::runtime::Handle) -> Self {
        ClientAck { sender, handle }
    }
}

#[pymethods]
impl ClientAck {
    /// Sends the answer; `False` if one was already sent or the connection is gone.
    fn send(&self, args: &Bound<'_, PyAny>) -> PyResult<bool> {
        let args = to_values(args)?;
        let _g = self.handle.enter();
        Ok(self.sender.send(args))
    }
}
