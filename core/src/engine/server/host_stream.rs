//! A connection a host hands over after reading an upgrade request itself (Node's
//! `http.Server` on plain TCP, say): the engine answers on it (101, or the refusal) and
//! runs the WebSocket exactly as on its own port: its own framing, the same limits, the same
//! write deadline.
use std::sync::Arc;

use ::http::{header, HeaderValue, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;

use super::host_socket::{Handover, HostUpgrade};
use super::request::Peer;
use super::stall::StallGuard;
use super::websocket::{linger, LINGER};
use super::{handshake, Shared};

/// How the 101 goes out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Written before the WebSocket's task takes over (a host waits for it).
    First,
    /// Left to the WebSocket's task, which writes it with its first frames (the open
    /// packet of a new session) in one write.
    WithFirstFrames,
}

/// See [`super::EngineServer::accept_websocket_stream`]; `how`: when the 101 is written.
pub(super) async fn accept<S>(
    shared: &Arc<Shared>,
    mut req: Request<()>,
    peer: Peer,
    stream: S,
    head: Bytes,
    how: Answer,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // The host's request was an upgrade, whatever headers it kept of it.
    req.headers_mut().insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    let (tx, rx) = oneshot::channel();
    req.extensions_mut().insert(HostUpgrade::stream(rx));
    let req = req.map(|()| http_body_util::Empty::<Bytes>::new());
    let res = handshake::route(shared, req, peer).await;
    // The own port's write deadline: a peer that stops reading cannot hold the connection.
    let mut io = StallGuard::new(stream, shared.config.headers_timeout);
    let upgraded = res.status() == StatusCode::SWITCHING_PROTOCOLS;
    let answer = head_bytes(res, upgraded).await;
    if upgraded && how == Answer::WithFirstFrames {
        // If the task is gone, the connection drops.
        let _ = tx.send(Handover { io: Box::new(io), head, answer: answer.into() });
        return;
    }
    let written = tokio::time::timeout(shared.config.headers_timeout, async {
        io.write_all(&answer).await?;
        io.flush().await
    })
    .await;
    match written {
        Ok(Ok(())) if upgraded => {
            // The accept's task takes it from here (if it is gone, the connection drops).
            let _ = tx.send(Handover { io: Box::new(io), head, answer: Bytes::new() });
        }
        Ok(Ok(())) => {
            // A refusal closes the connection; reading what the peer still sends keeps a
            // reset from destroying the answer before the peer reads it.
            drop(tx);
            let _ = tokio::time::timeout(LINGER, linger(&mut io)).await;
        }
        Ok(Err(e)) => tracing::debug!(error = %e, "the upgrade answer could not be written"),
        Err(_) => tracing::debug!("the upgrade answer timed out"),
    }
}

/// The response as HTTP/1.1 bytes: a 101 as hyper writes it, a refusal with its body and
/// `Connection: close`.
async fn head_bytes(res: Response<Full<Bytes>>, upgraded: bool) -> Vec<u8> {
    let (parts, body) = res.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let status = parts.status;
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        if !upgraded && (name == header::CONNECTION || name == header::CONTENT_LENGTH) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !upgraded {
        out.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if !upgraded {
        out.extend_from_slice(&body);
    }
    out
}
