//! Serving hyper connections from a TCP listener (for servers on their own port).
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tracing::Instrument;

use super::config::ListenLimits;
use super::stall::StallGuard;

/// Accepts connections on `listener` and answers each request with `handler` until
/// `stop` turns true. WebSocket upgrades are supported. `limits` bound the connections:
/// their number, the time before their first byte, header size and header time.
pub async fn serve<H, F>(listener: TcpListener, limits: ListenLimits, handler: H, mut stop: watch::Receiver<bool>)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
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
        let mut stop = stop.clone();
        tokio::spawn(
            async move {
                let _permit = permit;
                // A connection that never speaks is closed with 408 (we still own the stream;
                // once hyper has it, hyper's header timeout closes without an answer).
                let mut first = [0u8; 1];
                match tokio::time::timeout(limits.idle_timeout, stream.peek(&mut first)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    Ok(_) => return,
                    Err(_) => return refuse(stream, REFUSED_IDLE).await,
                }
                let svc = service_fn(move |req| {
                    let fut = handler(req, remote);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.headers_timeout)
                    .max_header_size(limits.max_header_size)
                    .serve_connection(TokioIo::new(StallGuard::new(stream, limits.headers_timeout)), svc)
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
            .instrument(tracing::debug_span!("conn", %remote)),
        );
    }
}

const REFUSED_FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
const REFUSED_IDLE: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

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
