//! The server inside a Python web server (uvicorn/ASGI, aiohttp): the requests and
//! WebSockets the host received go to the core (`sio_core::embed::EmbeddedServer`'s host
//! API). Answers come back as acks do: a Python callable called once on a runtime thread
//! with the GIL taken, which hands the result to the asyncio loop
//! (`sio_rs._common.loop_completion`).
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use pyo3::IntoPyObjectExt;
use sio_core::embed::{self, EmbeddedServer, HostRequest, HostResponse, WsMessage};

use crate::error;

/// `(host, port)` as the host reports its peer (ASGI `scope["client"]`, aiohttp's
/// `peername`); `None` or a host that is not an IP address (a Unix socket): unspecified.
pub type Remote = Option<(String, u16)>;

/// The request the host received, as the core takes it.
pub fn request(
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    remote: Remote,
    secure: bool,
) -> HostRequest {
    let remote = remote
        .and_then(|(host, port)| {
            // IPv6 hosts may come bracketed or with a zone (`fe80::1%eth0`): not the core's business.
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let host = host.split('%').next().unwrap_or(host);
            host.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, port))
        })
        .unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    HostRequest { method, uri, headers, remote, secure }
}

/// A response as `(status, [(name, value)], body)`.
fn response(py: Python<'_>, res: HostResponse) -> PyResult<Py<PyAny>> {
    (res.status, res.headers, PyBytes::new(py, &res.body)).into_py_any(py)
}

/// Calls `callback(value, None)` (the shape of an ack completion) on a runtime thread;
/// a failure to build the value is passed as `callback(None, exception)`.
fn complete(callback: Py<PyAny>, value: impl FnOnce(Python<'_>) -> PyResult<Py<PyAny>>) {
    Python::attach(|py| {
        let args = match value(py) {
            Ok(v) => (v, py.None()),
            Err(e) => (py.None(), e.into_value(py).into_any()),
        };
        if let Err(e) = callback.call1(py, args) {
            e.write_unraisable(py, None);
        }
    })
}

/// Answers an HTTP request for the server's path: `callback((status, headers, body), None)`,
/// unless the returned call is cancelled first (its client went away).
pub fn handle_http(server: &EmbeddedServer, req: HostRequest, body: &[u8], callback: Py<PyAny>) -> PyResult<HostCall> {
    let body = Bytes::copy_from_slice(body);
    server
        .handle_http(req, body, move |res| complete(callback, |py| response(py, res)))
        .map(|call| HostCall { call })
        .map_err(error::embed)
}

/// A request the server is answering.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct HostCall {
    call: embed::HostCall,
}

#[pymethods]
impl HostCall {
    /// The client went away: drop the answer (the callback does not run; a long poll's
    /// session ends with `transport error`).
    fn cancel(&self) {
        self.call.cancel();
    }
}

/// Accepts a WebSocket upgrade: `callback((HostSocket, headers), None)` to complete it,
/// or `callback((None, (status, headers, body)), None)` to answer that instead. Messages
/// for the peer then go to `send(kind, data)` in order, on runtime threads: `("text",
/// str)`, `("binary", bytes)`, and last `("close", code or None)`.
pub fn accept_websocket(
    server: &EmbeddedServer,
    req: HostRequest,
    send: Py<PyAny>,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let send = move |message: WsMessage| {
        Python::attach(|py| {
            let args = match &message {
                WsMessage::Text(text) => ("text", PyString::new(py, text.as_str()).into_any()),
                WsMessage::Binary(data) => ("binary", PyBytes::new(py, data).into_any()),
                WsMessage::Close(code) => match code.into_bound_py_any(py) {
                    Ok(code) => ("close", code),
                    Err(e) => return e.write_unraisable(py, None),
                },
            };
            if let Err(e) = send.call1(py, args) {
                e.write_unraisable(py, None);
            }
        })
    };
    let done = move |result: Result<(embed::HostSocket, Vec<(String, String)>), HostResponse>| {
        complete(callback, |py| match result {
            Ok((socket, headers)) => (HostSocket { socket }, headers).into_py_any(py),
            Err(res) => (py.None(), response(py, res)?).into_py_any(py),
        })
    };
    server.accept_websocket(req, send, done).map_err(error::embed)
}

/// A WebSocket the host upgraded for the server: what the peer sends goes in with
/// `push`; the host reports written messages and the peer's end.
#[pyclass(frozen, module = "sio_rs._sio")]
pub struct HostSocket {
    socket: embed::HostSocket,
}

#[pymethods]
impl HostSocket {
    /// The host's WebSocket is open: messages for the peer start to flow to `send`.
    fn ready(&self) {
        self.socket.ready();
    }

    /// `n` messages given to `send` were written: as many more may come.
    fn written(&self, n: usize) {
        self.socket.written(n);
    }

    /// The peer's connection ended.
    fn peer_closed(&self) {
        self.socket.peer_closed();
    }

    /// Hands over a message the peer sent (`str`: text, `bytes`: binary). `True`: keep
    /// reading; `False`: pause reading until `resume()` is called (on a runtime thread);
    /// `None`: the session is over, close the WebSocket.
    fn push(&self, data: &Bound<'_, PyAny>, resume: Py<PyAny>) -> PyResult<Option<bool>> {
        let message = if let Ok(text) = data.cast::<PyString>() {
            WsMessage::Text(text.extract::<String>()?.into())
        } else if let Ok(bytes) = data.cast::<PyBytes>() {
            WsMessage::Binary(Bytes::copy_from_slice(bytes.as_bytes()))
        } else {
            return Err(error::BadArgument::new_err("a WebSocket message is str or bytes"));
        };
        let resume = move || {
            Python::attach(|py| {
                if let Err(e) = resume.call0(py) {
                    e.write_unraisable(py, None);
                }
            })
        };
        match self.socket.push(message, resume) {
            Ok(keep_reading) => Ok(Some(keep_reading)),
            Err(embed::EmbedError::Shutdown) => Ok(None),
            Err(e) => Err(error::embed(e)),
        }
    }
}
