//! The Engine.IO server: one endpoint (`path`) serving long-polling and WebSocket,
//! sessions with a server-driven heartbeat, and the polling → WebSocket upgrade.
//!
//! [`EngineServer::handle`] takes an HTTP request with any body ([`RequestBody`]), so the
//! server runs on its own port ([`serve`]), inside a hyper or tower stack, or behind a host
//! that owns the sockets ([`EngineServer::accept_websocket`] for its WebSockets, or
//! [`EngineServer::accept_websocket_stream`] to hand over their connections).

mod compression;
mod config;
mod events;
mod first_request;
mod frame_queue;
mod handshake;
mod host_socket;
mod host_stream;
mod listen;
mod polling;
mod request;
mod responses;
mod session;
mod stall;
#[cfg(feature = "tls")]
mod tls;
mod websocket;
mod ws_conn;
mod ws_own;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};

pub use crate::engine::deflate::PerMessageDeflate;
pub use compression::HttpCompression;
pub use config::{AllowRequest, Cors, CorsOrigin, EngineConfig, ListenLimits, SameSite, SessionCookie, TransportKind};
pub use events::ConnEvent;
pub use host_socket::{HostWebSocket, HostWsReceiver, HostWsSender, SessionClosed, TrySendError, WsMessage};
pub use listen::serve;
#[cfg(feature = "tls")]
pub use listen::serve_tls;
pub(crate) use listen::serve_with_engine;
pub(crate) use request::CompactRequest;
pub use request::{Peer, RequestInfo};
pub use responses::EngineHttpError;
pub use session::{CloseReason, Message, SendError, Session};
#[cfg(feature = "tls")]
pub use tls::{Pem, TlsConfig, TlsError};

/// A request body the engine can read: hyper's `Incoming`, axum's `Body`, `Full<Bytes>`...
/// (implemented for every `http_body::Body` that is `Send` with a boxable error).
pub trait RequestBody:
    hyper::body::Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

impl<B> RequestBody for B
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
}

/// What the layer above (Socket.IO, or an echo server) does with sessions.
///
/// Calls for one session arrive in order, from the task reading its transport; they
/// must not block (queue work elsewhere instead).
pub trait EngineHandler: Send + Sync + 'static {
    /// A session completed its handshake.
    fn on_open(&self, session: &Arc<Session>);
    /// A message arrived.
    fn on_message(&self, session: &Arc<Session>, message: Message<'_>);
    /// The session ended, for `reason`. Called exactly once.
    fn on_close(&self, session: &Arc<Session>, reason: CloseReason);
}

pub(crate) struct Shared {
    pub(crate) config: EngineConfig,
    pub(crate) sessions: RwLock<HashMap<String, Arc<Session>>>,
    pub(crate) handler: Arc<dyn EngineHandler>,
}

impl Shared {
    pub(crate) fn remove(&self, sid: &str) {
        self.sessions.write().expect("session map lock poisoned").remove(sid);
    }

    fn get(&self, sid: &str) -> Option<Arc<Session>> {
        self.sessions.read().expect("session map lock poisoned").get(sid).cloned()
    }
}

/// An Engine.IO server endpoint.
#[derive(Clone)]
pub struct EngineServer {
    shared: Arc<Shared>,
}

impl EngineServer {
    /// A server with `config`, handing sessions to `handler`.
    pub fn new(config: EngineConfig, handler: Arc<dyn EngineHandler>) -> Self {
        EngineServer { shared: Arc::new(Shared { config, sessions: RwLock::default(), handler }) }
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// True if `path` (a request path) belongs to this endpoint.
    pub fn matches(&self, path: &str) -> bool {
        let base = self.shared.config.path.trim_end_matches('/');
        path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
    }

    /// Serves one HTTP request for this endpoint (polling, WebSocket upgrade, CORS preflight)
    /// from `remote` over plain TCP (`handshake.secure` is the config's `secure`).
    pub async fn handle<B: RequestBody>(&self, req: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>> {
        self.handle_from(req, Peer::plain(remote)).await
    }

    /// [`EngineServer::handle`] for a request from `peer` (a TLS connection, say).
    pub async fn handle_from<B: RequestBody>(&self, req: Request<B>, peer: Peer) -> Response<Full<Bytes>> {
        handshake::route(&self.shared, req, peer).await
    }

    /// Accepts a WebSocket a host upgraded itself (`req`: the upgrade request, its method,
    /// URI and headers), under the same rules as the engine's own: a handshake over WebSocket,
    /// or the probe and upgrade of a polling session. `Ok`: the host answers 101 (with
    /// [`HostWebSocket::headers`]) and moves messages; `Err`: the host answers that response
    /// (400 with the Engine.IO error body, 403 from `allow_request`...) instead.
    pub async fn accept_websocket(
        &self,
        mut req: Request<()>,
        peer: Peer,
    ) -> Result<HostWebSocket, Response<Full<Bytes>>> {
        // The host's request was an upgrade, whatever headers it kept of it.
        req.headers_mut().insert(::http::header::UPGRADE, ::http::HeaderValue::from_static("websocket"));
        let (upgrade, incoming, outgoing) = host_socket::pair();
        req.extensions_mut().insert(upgrade);
        let req = req.map(|()| http_body_util::Empty::<Bytes>::new());
        let res = handshake::route(&self.shared, req, peer).await;
        if res.status() != ::http::StatusCode::SWITCHING_PROTOCOLS {
            return Err(res);
        }
        let mut headers = res.into_parts().0.headers;
        for h in [::http::header::UPGRADE, ::http::header::CONNECTION, ::http::header::SEC_WEBSOCKET_ACCEPT] {
            headers.remove(h);
        }
        Ok(HostWebSocket { headers, incoming, outgoing })
    }

    /// Takes over a connection on which a host read a WebSocket upgrade request (`req`: its
    /// method, URI and headers; `head`: the bytes the host read past the request, the start
    /// of the first frames), under the same rules as [`EngineServer::accept_websocket`]. The
    /// engine writes the answer on `stream` itself: `101 Switching Protocols` (its
    /// `Sec-WebSocket-Accept` derived from the request's `Sec-WebSocket-Key`, plus the
    /// session cookie) and then runs the WebSocket as on its own port (the same message
    /// size limit, write buffer and write deadline), or the refusal (status, headers, body)
    /// and then closes. Resolves once the answer is written (a refusal: once the connection
    /// is closed); the WebSocket runs on a task of its own.
    pub async fn accept_websocket_stream<S>(&self, req: Request<()>, peer: Peer, stream: S, head: Bytes)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        host_stream::accept(&self.shared, req, peer, stream, head, host_stream::Answer::First).await
    }

    /// The own-port listener's WebSocket handshake (see [`listen`]): as
    /// [`EngineServer::accept_websocket_stream`], with the 101 written together with the
    /// first frames (a new session's open packet) in one write.
    pub(crate) async fn take_over_upgrade(
        &self,
        req: Request<()>,
        peer: Peer,
        stream: tokio::net::TcpStream,
        head: Bytes,
    ) {
        host_stream::accept(&self.shared, req, peer, stream, head, host_stream::Answer::WithFirstFrames).await
    }

    /// The session with id `sid`, if it is open.
    pub fn session(&self, sid: &str) -> Option<Arc<Session>> {
        self.shared.get(sid)
    }

    /// Number of open sessions.
    pub fn session_count(&self) -> usize {
        self.shared.sessions.read().expect("session map lock poisoned").len()
    }

    /// Closes every session with `reason`.
    pub fn close_all(&self, reason: CloseReason) {
        let all: Vec<_> = self.shared.sessions.read().expect("session map lock poisoned").values().cloned().collect();
        for s in all {
            s.close(reason);
        }
    }
}
