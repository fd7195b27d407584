//! An attached `http.Server` (`io.attach(httpServer)`, Express, Fastify's `server`): Node
//! owns the sockets and hands the core what arrives for the socket.io path — polling
//! requests whole; on plain TCP a WebSocket upgrade's connection itself
//! ([`NativeServer::accept_websocket_fd`]), over TLS its messages one by one (after `ws`
//! completed the upgrade) — with no loopback hop. Answers, messages for the peer and resumes come back as events through
//! the one event queue ([`crate::deliver`]), in the order the core produced them: an
//! accepted WebSocket's `host_accept` is queued before its first `host_send`, since the
//! core sends nothing before JS calls [`NativeHostSocket::ready`].
use std::net::{IpAddr, SocketAddr};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::embed::{EmbedError, HostCall, HostRequest, HostSocket, WsMessage};

use crate::event::Ev;
use crate::server::NativeServer;
use crate::{deliver, err};

/// A request as Node's `http.Server` received it.
#[napi(object)]
pub struct NativeHostRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// Path and query (`req.url`).
    pub url: String,
    /// `req.rawHeaders`: name, value, name, value...
    pub raw_headers: Vec<String>,
    /// `req.socket.remoteAddress` (`handshake.address`).
    pub remote_address: String,
    /// `req.socket.remotePort`.
    pub remote_port: u32,
    /// Whether it came over TLS (`req.socket.encrypted`: `handshake.secure`).
    pub secure: bool,
}

impl NativeHostRequest {
    fn into_core(self) -> Result<HostRequest> {
        // Node gives link-local IPv6 addresses with a zone (`fe80::1%eth0`).
        let ip = self.remote_address.split('%').next().unwrap_or_default();
        let ip: IpAddr = ip.parse().map_err(|_| err("ERR_SIO_INVALID_ARGUMENT", "remote address"))?;
        let port = u16::try_from(self.remote_port).map_err(|_| err("ERR_SIO_INVALID_ARGUMENT", "remote port"))?;
        let mut raw = self.raw_headers.into_iter();
        let mut headers = Vec::with_capacity(raw.len() / 2);
        while let (Some(name), Some(value)) = (raw.next(), raw.next()) {
            headers.push((name, value));
        }
        Ok(HostRequest {
            method: self.method,
            uri: self.url,
            headers,
            remote: SocketAddr::new(ip, port),
            secure: self.secure,
        })
    }
}

fn host_err(e: EmbedError) -> Error {
    match e {
        EmbedError::InvalidArgument(m) => err("ERR_SIO_INVALID_ARGUMENT", m),
        e => err("ERR_SIO_CLOSED", e),
    }
}

#[napi]
impl NativeServer {
    /// True if a request for `path` (no query) belongs to this server.
    #[napi]
    pub fn handles_path(&self, path: String) -> bool {
        self.srv.handles_path(&path)
    }

    /// `maxHttpBufferSize`: the JS side buffers at most one byte more of a request body.
    #[napi(getter)]
    pub fn max_body(&self) -> f64 {
        self.srv.max_body() as f64
    }

    /// Answers a request for the socket.io path (polling, CORS preflight, served files): a
    /// `host_http` event with key `key` follows (status, headers, body), once the core has
    /// an answer (a long poll: when there is something to send). Throws
    /// `ERR_SIO_INVALID_ARGUMENT` (a request the core cannot read) or `ERR_SIO_CLOSED`.
    /// `cancel()` on the returned call when the client goes away first (an aborted long
    /// poll: its session ends with `transport error`, as on the core's own port).
    #[napi]
    pub fn handle_http(&self, req: NativeHostRequest, body: Buffer, key: u32) -> Result<NativeHostCall> {
        let body = bytes::Bytes::copy_from_slice(&body);
        self.srv
            .handle_http(req.into_core()?, body, move |res| deliver(Ev::HostHttp { key, res }))
            .map(|call| NativeHostCall { call })
            .map_err(host_err)
    }

    /// Decides on a WebSocket upgrade of the socket.io path: a `host_accept` event with key
    /// `key` follows, carrying either a `hostSocket` (complete the upgrade with `headers`
    /// added, then call its `ready()`) or a response to write instead (`status`, `headers`,
    /// `body`). Messages for the peer come as `host_send` events (`body`, `binary`), then a
    /// `host_close` (`code`). Throws as `handleHttp`.
    #[napi]
    pub fn accept_websocket(&self, req: NativeHostRequest, key: u32) -> Result<()> {
        self.srv
            .accept_websocket(
                req.into_core()?,
                move |message| deliver(Ev::HostSend { key, message }),
                move |result| deliver(Ev::HostAccept { key, result }),
            )
            .map_err(host_err)
    }

    /// Hands the core the TCP connection of a WebSocket upgrade of the socket.io path
    /// (`fd`: the socket's descriptor, `socket._handle.fd`; `head`: the 'upgrade' event's
    /// head). The core duplicates `fd`, answers on the connection itself (101, or the
    /// refusal) and runs the WebSocket as on its own port: the caller stops reading from
    /// its socket before, and destroys it after (that closes only Node's descriptor).
    /// Plain TCP only (not TLS). Throws `ERR_SIO_INVALID_ARGUMENT` (a bad descriptor, a
    /// request the core cannot read: nothing was taken), `ERR_SIO_CLOSED`, or
    /// `ERR_SIO_UNSUPPORTED` where descriptors cannot be handed over (Windows).
    #[napi]
    pub fn accept_websocket_fd(&self, req: NativeHostRequest, fd: i32, head: Buffer) -> Result<()> {
        #[cfg(unix)]
        {
            let head = bytes::Bytes::copy_from_slice(&head);
            self.srv.accept_websocket_fd(req.into_core()?, fd, head).map_err(host_err)
        }
        #[cfg(not(unix))]
        {
            let _ = (req, fd, head);
            Err(err("ERR_SIO_UNSUPPORTED", "descriptors cannot be handed over on this platform"))
        }
    }
}

/// A request the core is answering (`handleHttp`).
#[napi]
pub struct NativeHostCall {
    call: HostCall,
}

#[napi]
impl NativeHostCall {
    /// The client went away: no `host_http` event follows.
    #[napi]
    pub fn cancel(&self) {
        self.call.cancel();
    }
}

/// The JS side's handle on an accepted WebSocket.
#[napi]
pub struct NativeHostSocket {
    s: HostSocket,
    key: u32,
}

impl NativeHostSocket {
    pub(crate) fn new(s: HostSocket, key: u32) -> Self {
        NativeHostSocket { s, key }
    }
}

#[napi]
impl NativeHostSocket {
    /// The upgrade is answered: messages for the peer start (`host_send` events).
    #[napi]
    pub fn ready(&self) {
        self.s.ready();
    }

    /// `n` messages of `host_send` events were written (ws.send's callback ran).
    #[napi]
    pub fn written(&self, n: u32) {
        self.s.written(n as usize);
    }

    /// Hands over a message the peer sent (`binary` false: UTF-8 text, as ws checked it).
    /// True: keep reading. False: the session is behind; pause the socket until a
    /// `host_resume` event with this socket's key. Throws `ERR_SIO_CLOSED` once the session
    /// is over (terminate the socket).
    #[napi]
    pub fn push(&self, data: Buffer, binary: bool) -> Result<bool> {
        let message = if binary {
            WsMessage::Binary(bytes::Bytes::copy_from_slice(&data))
        } else {
            let text = std::str::from_utf8(&data).map_err(|_| err("ERR_SIO_INVALID_ARGUMENT", "text is not UTF-8"))?;
            WsMessage::Text(text.to_owned().into())
        };
        let key = self.key;
        self.s.push(message, move || deliver(Ev::HostResume { key })).map_err(host_err)
    }

    /// The peer's connection ended (closed, or lost).
    #[napi]
    pub fn peer_closed(&self) {
        self.s.peer_closed();
    }
}
