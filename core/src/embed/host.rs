//! A server inside a host's own HTTP server (uvicorn/ASGI, aiohttp, Node's `http.Server`):
//! the host owns the sockets and hands over what arrives for the server's path. Polling
//! requests come whole ([`EmbeddedServer::handle_http`]); WebSockets the host upgraded
//! come as messages ([`EmbeddedServer::accept_websocket`]), or, on plain TCP, the host
//! hands over the connection itself after reading the upgrade request
//! ([`EmbeddedServer::accept_websocket_fd`]) and the WebSocket runs in the core. The engine runs the sessions
//! exactly as on its own port: heartbeats, upgrades, limits, recovery.
//!
//! Both directions are bounded: [`HostSocket::push`] tells the host to pause reading while
//! the session is behind, and at most [`SEND_CREDIT`] messages are handed to the host
//! before it reports them written ([`HostSocket::written`]); a peer that stops reading then
//! fills its session's queue, whose byte budget closes it.
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::sync::Semaphore;

use super::{EmbedError, EmbeddedServer};
use crate::engine::server::{HostWsSender, Peer, TrySendError, WsMessage};

/// Messages handed to the host before it reports them written.
pub const SEND_CREDIT: usize = 16;

/// An HTTP request as a host received it (the body travels beside it).
#[derive(Debug, Clone)]
pub struct HostRequest {
    /// `GET`, `POST`, `OPTIONS`...
    pub method: String,
    /// Path and query, as on the request line (`/socket.io/?EIO=4&transport=polling`).
    pub uri: String,
    /// Header names and values, in order (repeated names allowed).
    pub headers: Vec<(String, String)>,
    /// The peer's address (`handshake.address`).
    pub remote: SocketAddr,
    /// Whether the host received it over TLS (`handshake.secure`).
    pub secure: bool,
}

/// What the host answers.
#[derive(Debug, Clone)]
pub struct HostResponse {
    /// HTTP status.
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl HostRequest {
    fn into_http<B>(self, body: B) -> Result<(http::Request<B>, Peer), EmbedError> {
        let invalid = |what: &str| EmbedError::InvalidArgument(what.to_owned());
        let mut req = http::Request::builder()
            .method(http::Method::from_bytes(self.method.as_bytes()).map_err(|_| invalid("HTTP method"))?)
            .uri(self.uri.parse::<http::Uri>().map_err(|_| invalid("request URI"))?);
        for (name, value) in &self.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("header name"))?;
            // Bytes, not `from_str`: a host that decodes header bytes as Latin-1 (Node) hands
            // over non-ASCII values, which hyper's own listener accepts too (obs-text).
            let value = http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid("header value"))?;
            req = req.header(name, value);
        }
        let req = req.body(body).map_err(|e| EmbedError::InvalidArgument(e.to_string()))?;
        Ok((req, Peer { remote: self.remote, secure: self.secure }))
    }
}

async fn host_response(res: http::Response<Full<Bytes>>) -> HostResponse {
    let (parts, body) = res.into_parts();
    let headers =
        parts.headers.iter().filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    HostResponse { status: parts.status.as_u16(), headers, body }
}

/// A request the server is answering ([`EmbeddedServer::handle_http`]).
#[derive(Debug)]
pub struct HostCall {
    task: tokio::task::AbortHandle,
    /// Set by `cancel`.
    gone: Arc<AtomicBool>,
    /// Set when the request's task first runs.
    started: Arc<AtomicBool>,
}

impl HostCall {
    /// The client went away before the answer: drop the request (`done` does not run).
    /// A request whose task has not run yet runs one step first and is dropped then, so
    /// that a long poll aborted that early still ends its session with `transport
    /// error`, as one aborted later (and as socket.io, which takes a request as it
    /// arrives); aborting a task that never ran would leave the session to its ping
    /// timeout.
    pub fn cancel(&self) {
        // SeqCst on both sides: the task sees `gone`, or this sees `started` (or both).
        self.gone.store(true, Ordering::SeqCst);
        if self.started.load(Ordering::SeqCst) {
            self.task.abort();
        }
    }
}

/// Runs `fut` until it completes, or drops it after a step that follows `cancel`.
fn cancellable(
    fut: impl Future<Output = ()> + Send + 'static,
    gone: Arc<AtomicBool>,
    started: Arc<AtomicBool>,
) -> impl Future<Output = ()> + Send + 'static {
    let mut fut = Box::pin(fut);
    std::future::poll_fn(move |cx| {
        started.store(true, Ordering::SeqCst);
        let step = fut.as_mut().poll(cx);
        if step.is_pending() && gone.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(());
        }
        step
    })
}

/// The host's handle on a WebSocket the server accepted.
#[derive(Clone)]
pub struct HostSocket {
    incoming: HostWsSender,
    credit: Arc<Semaphore>,
    /// Set while a message waits for room (the host was told to pause).
    held: Arc<AtomicBool>,
    started: Arc<AtomicBool>,
    handle: tokio::runtime::Handle,
}

impl std::fmt::Debug for HostSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostSocket").finish_non_exhaustive()
    }
}

impl HostSocket {
    /// Hands over a message the peer sent. `Ok(true)`: keep reading. `Ok(false)`: the
    /// session is behind; the message is held, and the host pauses reading until `resume`
    /// runs (on a runtime thread). `Err`: the session is over; close the socket. A push
    /// while a message is held is refused with [`EmbedError::InvalidArgument`].
    pub fn push(&self, message: WsMessage, resume: impl FnOnce() + Send + 'static) -> Result<bool, EmbedError> {
        if self.held.load(Ordering::Acquire) {
            return Err(EmbedError::InvalidArgument("push while paused: wait for resume".into()));
        }
        match self.incoming.try_send(message) {
            Ok(()) => Ok(true),
            Err(TrySendError::Closed) => Err(EmbedError::Shutdown),
            Err(TrySendError::Full(message)) => {
                self.held.store(true, Ordering::Release);
                let (incoming, held) = (self.incoming.clone(), self.held.clone());
                self.handle.spawn(async move {
                    let _ = incoming.send(message).await;
                    held.store(false, Ordering::Release);
                    resume();
                });
                Ok(false)
            }
        }
    }

    /// The peer's connection ended (closed, or lost).
    pub fn peer_closed(&self) {
        let incoming = self.incoming.clone();
        self.handle.spawn(async move {
            let _ = incoming.send(WsMessage::Close(None)).await;
        });
    }

    /// The host's socket is open (its upgrade answered): messages for the peer start to
    /// flow to `send`. Call it once.
    pub fn ready(&self) {
        if !self.started.swap(true, Ordering::AcqRel) {
            self.credit.add_permits(SEND_CREDIT);
        }
    }

    /// `n` messages handed to the host were written (or dropped): as many more may come.
    pub fn written(&self, n: usize) {
        self.credit.add_permits(n.min(SEND_CREDIT));
    }
}

impl EmbeddedServer {
    /// True if a request for `path` belongs to this server (the host routes only those here).
    pub fn handles_path(&self, path: &str) -> bool {
        self.server.engine().matches(path)
    }

    /// The server's path as configured (`/socket.io/`, always with a trailing `/`): a host
    /// that names a path of its own (python-socketio's `socketio_path`) checks they agree.
    pub fn path(&self) -> &str {
        &self.server.engine().config().path
    }

    /// The largest request body (and WebSocket message) the server accepts
    /// (`max_http_buffer_size`): a host reading a body need buffer at most one byte more
    /// (the server then answers 413).
    pub fn max_body(&self) -> usize {
        self.server.engine().config().max_payload
    }

    /// Answers a request for the server's path (polling, CORS preflight, served files):
    /// `done` runs with the response on a runtime thread. A long-poll GET is answered when
    /// there is something to send (or at the next ping); if its client goes away first, the
    /// host calls [`HostCall::cancel`], and the session ends with `transport error`, as when a
    /// client aborts a long poll on the server's own port.
    pub fn handle_http(
        &self,
        req: HostRequest,
        body: Bytes,
        done: impl FnOnce(HostResponse) + Send + 'static,
    ) -> Result<HostCall, EmbedError> {
        self.shared.check()?;
        let (req, peer) = req.into_http(Full::new(body))?;
        let server = self.server.clone();
        let (gone, started) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let request = async move {
            let res = server.handle_from(req, peer).await;
            done(host_response(res).await);
        };
        let task = self.shared.handle.spawn(cancellable(request, gone.clone(), started.clone()));
        Ok(HostCall { task: task.abort_handle(), gone, started })
    }

    /// Accepts a WebSocket the host is upgrading (`req`: the upgrade request). `done` runs
    /// on a runtime thread with `Ok((socket, headers))` — the host completes its upgrade with
    /// `headers` added and starts moving messages — or `Err(response)`, which the host
    /// answers instead (an unknown session, a refused handshake...). Once the host calls
    /// [`HostSocket::ready`], messages for the peer go to `send` on runtime threads, in
    /// order; after [`WsMessage::Close`] the host closes the socket with that code.
    pub fn accept_websocket(
        &self,
        req: HostRequest,
        send: impl Fn(WsMessage) + Send + Sync + 'static,
        done: impl FnOnce(Result<(HostSocket, Vec<(String, String)>), HostResponse>) + Send + 'static,
    ) -> Result<(), EmbedError> {
        self.shared.check()?;
        let (req, peer) = req.into_http(())?;
        let server = self.server.clone();
        let handle = self.shared.handle.clone();
        self.shared.handle.spawn(async move {
            let ws = match server.accept_websocket(req, peer).await {
                Ok(ws) => ws,
                Err(res) => return done(Err(host_response(res).await)),
            };
            let headers = ws
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            // No credit until the host's socket is ready (HostSocket::ready).
            let credit = Arc::new(Semaphore::new(0));
            let socket = HostSocket {
                incoming: ws.incoming,
                credit: credit.clone(),
                held: Arc::default(),
                started: Arc::default(),
                handle: handle.clone(),
            };
            let mut outgoing = ws.outgoing;
            handle.spawn(async move {
                loop {
                    let Ok(permit) = credit.acquire().await else { return };
                    permit.forget();
                    match outgoing.recv().await {
                        Some(m @ WsMessage::Close(_)) => return send(m),
                        Some(m) => send(m),
                        None => return send(WsMessage::Close(None)),
                    }
                }
            });
            done(Ok((socket, headers)));
        });
        Ok(())
    }

    /// Takes over the TCP connection `fd` on which the host read a WebSocket upgrade request
    /// of the server's path (`req`), with `head` the bytes the host read past the request.
    /// The server duplicates `fd` (the host keeps its own and closes it once this returns,
    /// after it stopped reading from it), answers on the connection itself (101, or the
    /// refusal: an unknown session, a refused handshake...) and runs the WebSocket exactly as
    /// on its own port. Plain TCP only: a TLS connection's bytes are the host's to decrypt.
    /// [`EmbedError::InvalidArgument`] if `fd` is not an open TCP socket (nothing is taken).
    #[cfg(unix)]
    pub fn accept_websocket_fd(&self, req: HostRequest, fd: std::os::fd::RawFd, head: Bytes) -> Result<(), EmbedError> {
        self.shared.check()?;
        let (req, peer) = req.into_http(())?;
        let stream = {
            // `from_std` registers the socket with this runtime's reactor.
            let _runtime = self.shared.handle.enter();
            dup_tcp(fd).map_err(|e| EmbedError::InvalidArgument(format!("fd {fd}: {e}")))?
        };
        let server = self.server.clone();
        self.shared.handle.spawn(async move { server.accept_websocket_stream(req, peer, stream, head).await });
        Ok(())
    }
}

/// A connection of the server's own on the TCP socket behind the host's `fd`.
#[cfg(unix)]
fn dup_tcp(fd: std::os::fd::RawFd) -> std::io::Result<tokio::net::TcpStream> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: fcntl only reads `fd`; a bad one fails with EBADF. The new descriptor is ours
    // (close-on-exec, as Rust opens every descriptor), owned from here on.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `dup` is a descriptor just created and owned by nothing else.
    let owned = unsafe { OwnedFd::from_raw_fd(dup) };
    let std = std::net::TcpStream::from(owned);
    // A socket that is not TCP (or not a socket) fails here, before it is used.
    std.peer_addr()?;
    std.set_nonblocking(true)?;
    let stream = tokio::net::TcpStream::from_std(std)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
