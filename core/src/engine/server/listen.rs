//! Serving hyper connections from a TCP listener (for servers on their own port).
use std::convert::Infallible;
use std::future::Future;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tracing::Instrument;

use super::config::ListenLimits;
use super::first_request::{self, Replay};
use super::request::Peer;
use super::stall::StallGuard;
use super::EngineServer;

/// Accepts connections on `listener` and answers each request with `handler` until
/// `stop` turns true. WebSocket upgrades are supported. `limits` bound the connections:
/// their number, the time before their first byte, header size and header time.
/// `handler` is given the request and its [`Peer`] (here never `secure`).
pub async fn serve<H, F>(listener: TcpListener, limits: ListenLimits, handler: H, stop: watch::Receiver<bool>)
where
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    accept_loop(listener, None, limits, handler, None, stop).await
}

/// [`serve`] in front of `engine`: a connection whose first request is a WebSocket upgrade
/// to the engine's path, read whole in one go, is answered by the engine without hyper (its
/// 101 and a new session's open packet in one write).
pub(crate) async fn serve_with_engine<H, F>(
    listener: TcpListener,
    limits: ListenLimits,
    engine: EngineServer,
    handler: H,
    stop: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    accept_loop(listener, None, limits, handler, Some(engine), stop).await
}

/// [`serve`] over TLS (https, wss): each connection's TLS handshake must complete within
/// `limits.idle_timeout` of its arrival, or the connection is closed; a plain HTTP request
/// gets `400 Bad Request`. Requests reach `handler` with `Peer { secure: true, .. }`.
#[cfg(feature = "tls")]
pub async fn serve_tls<H, F>(
    listener: TcpListener,
    tls: super::TlsConfig,
    limits: ListenLimits,
    handler: H,
    stop: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    accept_loop(listener, Some(tls.acceptor()), limits, handler, None, stop).await
}

#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;
/// Without the `tls` feature there is no acceptor: `Option<Acceptor>` is always `None`.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
enum Acceptor {}

async fn accept_loop<H, F>(
    listener: TcpListener,
    tls: Option<Acceptor>,
    limits: ListenLimits,
    handler: H,
    engine: Option<EngineServer>,
    mut stop: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let slots = std::sync::Arc::new(Semaphore::new(limits.max_connections.min(Semaphore::MAX_PERMITS)));
    loop {
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => return,
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%remote, max = limits.max_connections, "connection limit reached");
            tokio::spawn(refuse(stream, REFUSED_FULL));
            continue;
        };
        let handler = handler.clone();
        let stop = stop.clone();
        let tls = tls.clone();
        let engine = engine.clone();
        tokio::spawn(
            async move {
                let _permit = permit;
                // The first byte, and over TLS the whole handshake, must come within the
                // idle timeout of the connection's arrival.
                let deadline = tokio::time::Instant::now() + limits.idle_timeout;
                // A connection that never speaks is closed with 408 (we still own the stream;
                // once hyper has it, hyper's header timeout closes without an answer).
                let mut first = [0u8; 1];
                match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    Ok(_) => return,
                    // A TLS client could not read a plain answer: it is just closed.
                    Err(_) if tls.is_some() => return,
                    Err(_) => return refuse(stream, REFUSED_IDLE).await,
                }
                let guarded = |stream| StallGuard::new(stream, limits.headers_timeout);
                match (tls, engine) {
                    (None, None) => serve_connection(guarded(stream), Peer::plain(remote), limits, handler, stop).await,
                    (None, Some(engine)) => {
                        let mut stream = stream;
                        let first = match first_request::read_first(&mut stream, limits.max_header_size).await {
                            Ok(first) if !first.is_empty() => first,
                            _ => return,
                        };
                        if let Some((req, len)) = first_request::websocket_upgrade(&first, limits.max_header_size) {
                            if engine.matches(req.uri().path()) {
                                let head = first.slice(len..);
                                return engine.take_over_upgrade(req, Peer::plain(remote), stream, head).await;
                            }
                        }
                        let io = Replay::new(first, guarded(stream));
                        serve_connection(io, Peer::plain(remote), limits, handler, stop).await
                    }
                    #[cfg(feature = "tls")]
                    (Some(acceptor), _) => {
                        // Every TLS connection starts with a handshake record (0x16).
                        if first[0] != 0x16 {
                            return refuse(stream, REFUSED_PLAIN).await;
                        }
                        let tls = match tokio::time::timeout_at(deadline, acceptor.accept(guarded(stream))).await {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
                            Err(_) => return tracing::debug!("TLS handshake timed out"),
                        };
                        serve_connection(tls, Peer { remote, secure: true }, limits, handler, stop).await
                    }
                    #[cfg(not(feature = "tls"))]
                    (Some(never), _) => match never {},
                }
            }
            .instrument(tracing::debug_span!("conn", %remote)),
        );
    }
}

/// Serves the requests of one connection (plain or TLS) with hyper until it closes or
/// the server stops.
async fn serve_connection<IO, H, F>(
    io: IO,
    peer: Peer,
    limits: ListenLimits,
    handler: H,
    mut stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let svc = service_fn(move |req| {
        let fut = handler(req, peer);
        async move { Ok::<_, Infallible>(fut.await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.headers_timeout)
        .max_header_size(limits.max_header_size)
        .serve_connection(TokioIo::new(io), svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => if let Err(e) = r { tracing::debug!(error = %e, "http connection error") },
        _ = stopped(&mut stop) => {
            // Let clients collect the close packets of their sessions (their next
            // poll comes right away) before closing idle keep-alive connections.
            let grace = tokio::time::sleep(std::time::Duration::from_secs(1));
            tokio::select! {
                r = conn.as_mut() => {
                    let _ = r;
                    return;
                }
                _ = grace => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

const REFUSED_FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
const REFUSED_IDLE: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
#[cfg(feature = "tls")]
const REFUSED_PLAIN: &[u8] = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 46\r\n\r\nThis port expects TLS: use https:// or wss://\n";

/// Answers `response` and closes, without waiting long for a peer that does not read.
async fn refuse(mut stream: TcpStream, response: &'static [u8]) {
    let write = async {
        stream.write_all(response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), write).await;
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
