//! Client handles: the client and an ack to answer.
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sio_core::client::{Auth, ClientOptions};
use sio_core::embed::EmbeddedClient;
use sio_core::Value;

use crate::convert::{to_value, to_values};
use crate::error;
use crate::runtime::{completion, seconds};
use crate::server::transport_kinds;

/// Builds the core options from the Python keyword arguments. `auth` is a dict, or a
/// callable returning one, evaluated at every (re)connection.
#[allow(clippy::too_many_arguments)]
pub fn options(
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
) -> PyResult<ClientOptions> {
    let mut o = ClientOptions::default();
    let m = &mut o.manager;
    m.path = path;
    m.transports = transport_kinds(&transports)?;
    m.reconnection = reconnection;
    m.reconnection_attempts = reconnection_attempts;
    m.reconnection_delay = seconds("reconnection_delay", reconnection_delay)?;
    m.reconnection_delay_max = seconds("reconnection_delay_max", reconnection_delay_max)?;
    if !(0.0..=1.0).contains(&randomization_factor) {
        return Err(error::BadArgument::new_err("randomization_factor must be between 0 and 1"));
    }
    m.randomization_factor = randomization_factor;
    m.timeout = seconds("timeout", timeout)?;
    m.extra_headers = headers;
    m.query = query;
    o.socket.auth = Python::attach(|py| -> PyResult<Auth> {
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
    })?;
    Ok(o)
}

/// A client socket (one namespace of one connection).
#[pyclass(frozen, module = "sio._sio")]
pub struct Client {
    // Enters the runtime itself where it needs to.
    client: EmbeddedClient,
}

impl Client {
    pub fn new(client: EmbeddedClient) -> Self {
        Client { client }
    }
}

#[pymethods]
impl Client {
    fn connect(&self) {
        self.client.connect();
    }
    fn disconnect(&self) {
        self.client.disconnect();
    }
    #[getter]
    fn id(&self) -> Option<String> {
        self.client.socket().id()
    }
    #[getter]
    fn connected(&self) -> bool {
        self.client.socket().connected()
    }
    #[getter]
    fn active(&self) -> bool {
        self.client.socket().active()
    }
    #[getter]
    fn recovered(&self) -> bool {
        self.client.socket().recovered()
    }
    #[getter]
    fn namespace(&self) -> String {
        self.client.socket().nsp().to_owned()
    }
    fn emit(&self, event: &str, args: &Bound<'_, PyAny>) -> PyResult<()> {
        let args = to_values(args)?;
        self.client.emit(event, args).map_err(error::emit)
    }
    /// `callback(replies, exc)` is called exactly once, on a runtime thread.
    #[pyo3(signature = (event, args, timeout, callback))]
    fn emit_with_ack(&self, event: &str, args: &Bound<'_, PyAny>, timeout: Option<f64>, callback: Py<PyAny>) -> PyResult<()> {
        let args = to_values(args)?;
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        self.client.emit_with_ack(event, args, timeout, completion(callback)).map_err(error::emit)
    }
}

/// The answer to the server's acknowledgement request.
#[pyclass(frozen, module = "sio._sio")]
pub struct ClientAck {
    sender: sio_core::client::AckSender,
    handle: tokio::runtime::Handle,
}

impl ClientAck {
    pub fn new(sender: sio_core::client::AckSender, handle: tokio::runtime::Handle) -> Self {
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
