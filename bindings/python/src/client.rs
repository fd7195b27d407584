//! Client handles: a client (one Engine.IO connection with a namespace client of the
//! embedding layer for each of its namespaces) and an ack to answer. The first namespace
//! makes the connection (`Runtime::client`), the others are opened idle over it
//! (`EmbeddedClient::open_namespace_idle`): nothing connects before `connect`.
use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sio_core::embed::{self, Auth, ClientOptions, EmbeddedClient, ManagerConfig, Parser, SocketConfig, TransportKind};
use sio_core::Value;

use crate::convert::{to_value, to_values};
use crate::error;
use crate::runtime::{completion, seconds};

/// Builds the Manager options from the Python keyword arguments.
/// The core checks what they mean together (`ManagerConfig::validate`): only names and
/// units are translated here.
#[allow(clippy::too_many_arguments)]
pub fn manager_config(
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
    serializer: &str,
    per_message_deflate: bool,
    per_message_deflate_threshold: Option<usize>,
) -> PyResult<ManagerConfig> {
    // python-socketio's `serializer`: the name of one of the core's packet formats.
    let parser = Parser::from_name(serializer).ok_or_else(|| {
        error::BadArgument::new_err(format!("unsupported serializer {serializer:?} (\"default\" or \"msgpack\")"))
    })?;
    let deflate = per_message_deflate.then(|| {
        let default = embed::PerMessageDeflate::default();
        embed::PerMessageDeflate { threshold: per_message_deflate_threshold.unwrap_or(default.threshold) }
    });
    if deflate.is_none() && per_message_deflate_threshold.is_some() {
        return Err(error::BadArgument::new_err("per_message_deflate_threshold needs per_message_deflate"));
    }
    Ok(ManagerConfig {
        per_message_deflate: deflate,
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
        parser,
        // Sockets connect when Python says so, after its handlers are in place.
        auto_connect: false,
        ..ManagerConfig::default()
    })
}

/// `["polling", "websocket"]` to transport kinds.
fn transport_kinds(names: &[String]) -> PyResult<Vec<TransportKind>> {
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

/// A client: one connection and a namespace client per namespace, all made at creation.
/// Every method taking `nsp` refuses a namespace the client was not made with.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct Client {
    clients: HashMap<String, EmbeddedClient>,
    /// The namespaces in the order given (the first made the connection).
    order: Vec<String>,
}

impl Client {
    /// Makes the connection to `url` (scheme and authority) and a namespace client for each
    /// of `namespaces`; their events go to the runtime's queue, tagged with their ids.
    pub fn new(
        rt: &embed::Runtime,
        url: &str,
        config: ManagerConfig,
        namespaces: Vec<String>,
        auth: Auth,
    ) -> PyResult<Self> {
        let Some(first) = namespaces.first() else {
            return Err(error::BadArgument::new_err("namespaces must not be empty"));
        };
        for (i, nsp) in namespaces.iter().enumerate() {
            if !nsp.starts_with('/') {
                return Err(error::BadArgument::new_err(format!("a namespace starts with '/', not {nsp:?}")));
            }
            if namespaces[..i].contains(nsp) {
                return Err(error::BadArgument::new_err(format!("namespace {nsp:?} is listed twice")));
            }
        }
        let socket = || SocketConfig { auth: auth.clone(), ..SocketConfig::default() };
        // `force_new`: a Python client never shares its connection with another one.
        let options = ClientOptions { manager: config, socket: socket(), force_new: true, ..ClientOptions::default() };
        let connection = rt.client(&format!("{url}{first}"), options).map_err(error::embed)?;
        let mut clients = HashMap::from([(first.clone(), connection.clone())]);
        for nsp in &namespaces[1..] {
            let client = connection.open_namespace_idle(nsp, socket()).map_err(error::embed)?;
            clients.insert(nsp.clone(), client);
        }
        Ok(Client { clients, order: namespaces })
    }

    fn client(&self, nsp: &str) -> PyResult<&EmbeddedClient> {
        self.clients
            .get(nsp)
            .ok_or_else(|| error::BadArgument::new_err(format!("{nsp:?} is not a namespace of this client")))
    }

    /// Each namespace with its client (whose id its events carry).
    pub fn namespace_clients(&self) -> impl Iterator<Item = (&str, &EmbeddedClient)> {
        self.clients.iter().map(|(nsp, c)| (nsp.as_str(), c))
    }
}

#[pymethods]
impl Client {
    /// The namespaces, in the order the client was made with.
    #[getter]
    fn namespaces(&self) -> Vec<String> {
        self.order.clone()
    }

    /// Connects the sockets of `namespaces`: they are `active` when it returns (as
    /// python-socketio's), the connection and the events follow.
    fn connect(&self, namespaces: Vec<String>) -> PyResult<()> {
        let clients = namespaces.iter().map(|n| self.client(n)).collect::<PyResult<Vec<_>>>()?;
        for c in clients {
            c.connect_now();
        }
        Ok(())
    }

    /// Disconnects the sockets of `namespaces` (`io client disconnect`); the connection
    /// closes with the last one. They are no longer `active` when it returns; events follow.
    fn disconnect(&self, namespaces: Vec<String>) -> PyResult<()> {
        let clients = namespaces.iter().map(|n| self.client(n)).collect::<PyResult<Vec<_>>>()?;
        for c in clients {
            c.disconnect_now();
        }
        Ok(())
    }

    /// Forwards the connection's Manager events (open, ping, close, error) from now on.
    fn watch_manager(&self) {
        for c in self.clients.values() {
            c.watch_manager(true);
        }
    }

    /// The server-given id of the socket of `nsp` while connected.
    fn id(&self, nsp: &str) -> PyResult<Option<String>> {
        Ok(self.client(nsp)?.socket().id())
    }
    fn connected(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.client(nsp)?.socket().connected())
    }
    /// Whether the socket of `nsp` is connected or will (re)connect by itself.
    fn active(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.client(nsp)?.socket().active())
    }
    fn recovered(&self, nsp: &str) -> PyResult<bool> {
        Ok(self.client(nsp)?.socket().recovered())
    }

    /// A volatile emit is dropped, not buffered, while the connection is not writable.
    #[pyo3(signature = (nsp, event, args, volatile = false))]
    fn emit(&self, nsp: &str, event: &str, args: &Bound<'_, PyAny>, volatile: bool) -> PyResult<()> {
        let client = self.client(nsp)?;
        let args = to_values(args)?;
        if volatile {
            client.emit_volatile(event, args).map_err(error::emit)
        } else {
            client.emit(event, args).map_err(error::emit)
        }
    }

    /// `callback(replies, exc)` is called exactly once, on a runtime thread, unless the
    /// emit raises (a reserved name: refused before the acknowledgement exists).
    #[pyo3(signature = (nsp, event, args, timeout, callback))]
    fn emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        timeout: Option<f64>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let client = self.client(nsp)?;
        let args = to_values(args)?;
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        client.emit_with_ack(event, args, timeout, completion(callback)).map_err(error::emit)
    }
}

/// The answer to the server's acknowledgement request.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct ClientAck {
    sender: embed::ClientAckSender,
    client: EmbeddedClient,
}

impl ClientAck {
    pub fn new(sender: embed::ClientAckSender, client: EmbeddedClient) -> Self {
        ClientAck { sender, client }
    }
}

#[pymethods]
impl ClientAck {
    /// Sends the answer; `False` if one was already sent or the connection is gone.
    fn send(&self, args: &Bound<'_, PyAny>) -> PyResult<bool> {
        let args = to_values(args)?;
        Ok(self.client.answer(&self.sender, args))
    }
}
