//! The long-polling transport: GET collects queued packets, POST delivers packets.
use std::sync::Arc;

use ::http::{Method, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response};

use super::compression::{self, Coding};
use super::events::ConnEvent;
use super::responses::{self, EngineHttpError};
use super::session::{wait_closed, CloseReason, Session};
use super::{RequestBody, Shared};
use crate::engine::{eio3, payload, Frame, Packet};

fn is_octet_stream(headers: &::http::HeaderMap) -> bool {
    headers.get(::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"))
}

/// How long a polling close packet waits for requests sent at the same time.
const CLOSE_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

pub(super) async fn handle<B: RequestBody>(
    shared: &Arc<Shared>,
    session: &Arc<Session>,
    req: Request<B>,
) -> Response<Full<Bytes>> {
    match *req.method() {
        Method::GET => {
            let accept = accepted_coding(shared, req.headers());
            poll(session, accept).await
        }
        Method::POST => post(shared, session, req).await,
        _ => EngineHttpError::BadRequest.response(None),
    }
}

/// Closes the session if hyper drops the GET before it answered (the client aborted it).
struct AbortGuard<'a>(Option<&'a Arc<Session>>);

impl Drop for AbortGuard<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.0 {
            s.close(CloseReason::TransportError);
        }
    }
}

/// The coding a polling response of at least the threshold gets (`httpCompression`).
pub(super) fn accepted_coding(shared: &Shared, headers: &::http::HeaderMap) -> Option<(Coding, usize)> {
    let threshold = shared.config.http_compression?.threshold;
    let accept = headers.get(::http::header::ACCEPT_ENCODING)?.to_str().ok()?;
    compression::preferred(accept).map(|c| (c, threshold))
}

async fn poll(session: &Arc<Session>, accept: Option<(Coding, usize)>) -> Response<Full<Bytes>> {
    let Some(mut rx) = session.try_outbox() else {
        // A second concurrent GET: the reference answers 400 and drops the session.
        session.close(CloseReason::TransportError);
        return EngineHttpError::BadRequest.response(None);
    };
    let mut guard = AbortGuard(Some(session));
    let mut frames = Vec::new();
    // As engine.io: the response is compressed when one of its messages may be.
    let mut compress = false;
    if !session.is_closed() {
        let wake = session.upgrade_wake.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        if session.upgrading.load(std::sync::atomic::Ordering::Acquire) && rx.is_empty() {
            frames.push(Frame::Text("6".into()));
        } else {
            session.poll_waiting.store(true, std::sync::atomic::Ordering::Release);
            tokio::select! {
                biased;
                (f, c) = rx.recv() => {
                    compress |= c;
                    frames.push(f);
                }
                _ = wait_closed(session) => {}
                _ = wake => frames.push(Frame::Text("6".into())),
            }
            session.poll_waiting.store(false, std::sync::atomic::Ordering::Release);
        }
    }
    while let Some((f, c)) = rx.try_recv() {
        compress |= c;
        frames.push(f);
    }
    match session.close_reason() {
        // The client ended it: just release the poll, as the reference does.
        Some(CloseReason::TransportClose) if frames.is_empty() => frames.push(Frame::Text("6".into())),
        Some(CloseReason::TransportClose) | None => {}
        // The server ended it (timeout, error, close): tell the client.
        Some(_) => frames.push(Frame::Text("1".into())),
    }
    if session.is_closed() {
        session.forget();
    }
    guard.0 = None;
    drop(rx);
    session.emit_event(ConnEvent::Drain);
    respond(session, &frames, accept.filter(|_| compress))
}

/// The response body for `frames` in the session's protocol (3: length-prefixed, binary
/// records when the client takes binary).
/// `accept`: the coding the request takes and the compression threshold.
pub(super) fn respond(session: &Session, frames: &[Frame], accept: Option<(Coding, usize)>) -> Response<Full<Bytes>> {
    let (body, binary) = if session.protocol() == 3 {
        eio3::encode_payload(frames, session.handshake_request().query_param("b64").is_none())
    } else {
        (payload::encode(frames), false)
    };
    let coding = accept.filter(|(_, threshold)| body.len() >= *threshold).map(|(c, _)| c);
    let body = match coding {
        Some(c) => compression::compress(&body, c),
        None => body,
    };
    let mut res = if binary { responses::binary(body) } else { responses::text(body) };
    if let Some(c) = coding {
        res.headers_mut().insert(::http::header::CONTENT_ENCODING, ::http::HeaderValue::from_static(c.name()));
    }
    res
}

async fn post<B: RequestBody>(shared: &Arc<Shared>, session: &Arc<Session>, req: Request<B>) -> Response<Full<Bytes>> {
    let Ok(_lock) = session.post_lock.try_lock() else {
        session.close(CloseReason::TransportError);
        return EngineHttpError::BadRequest.response(None);
    };
    let headers = req.headers().clone();
    // A body that stalls holds its connection: it gets as long as headers do.
    let collect = Limited::new(req.into_body(), shared.config.max_payload).collect();
    let Ok(collected) = tokio::time::timeout(shared.config.headers_timeout, collect).await else {
        session.close(CloseReason::TransportError);
        return responses::status(StatusCode::REQUEST_TIMEOUT);
    };
    let body = match collected {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
            session.close(CloseReason::TransportError);
            return responses::status(if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST });
        }
    };
    let decoded = if session.protocol() == 3 && is_octet_stream(&headers) {
        eio3::decode_binary(&body)
    } else {
        let Ok(text) = std::str::from_utf8(&body) else {
            session.close(CloseReason::ParseError);
            return responses::ok();
        };
        if session.protocol() == 3 {
            eio3::decode_text(text)
        } else {
            payload::decode(text)
        }
    };
    match decoded {
        Ok(packets) => {
            for p in packets {
                if p == Packet::Close && !session.is_closed() {
                    // A client closing often sends its close while its last poll is on the
                    // way: let a request that arrived with it reach the session first, so
                    // that poll is released with a noop (as the reference, which handles
                    // requests in arrival order) instead of finding the session gone.
                    tokio::time::sleep(CLOSE_SETTLE).await;
                }
                session.on_packet(p);
            }
        }
        Err(e) => {
            tracing::debug!(sid = session.id(), error = %e, "malformed polling payload");
            session.close(CloseReason::ParseError);
        }
    }
    responses::ok()
}
