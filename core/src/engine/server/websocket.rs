//! The WebSocket transport: new sessions opened over WebSocket, and the probe that
//! upgrades a polling session (`2probe` → `3probe`, noop to the pending poll, `5`).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use ::http::{header, StatusCode};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument;

use super::events::ConnEvent;
use super::handshake;
use super::responses::EngineHttpError;
use super::session::{wait_closed, CloseReason, Session};
use super::Shared;
use crate::engine::{Frame, Packet};

/// What the WebSocket connection is for.
pub(super) enum Mode {
    /// A session opened directly over WebSocket.
    New(Arc<Session>),
    /// An upgrade of this polling session.
    Probe(Arc<Session>),
    /// A WebSocket for a session that is upgrading or upgraded: closed once open.
    Refuse,
}

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

pub(super) fn accept<B>(shared: &Arc<Shared>, mut req: Request<B>, mode: Mode) -> Response<Full<Bytes>> {
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return EngineHttpError::BadRequest.response(None);
    };
    let accept_key = derive_accept_key(key.as_bytes());
    if let Mode::New(s) = &mode {
        handshake::register(shared, s);
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    let shared = shared.clone();
    tokio::spawn(
        async move {
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "websocket upgrade failed");
                    match mode {
                        Mode::New(s) => s.close(CloseReason::TransportError),
                        Mode::Probe(s) => s.probe_taken.store(false, Ordering::Release),
                        Mode::Refuse => {}
                    }
                    return;
                }
            };
            let config = WebSocketConfig::default()
                .read_buffer_size(crate::engine::WS_READ_BUFFER)
                // Frames are batched up to this before a write; with FRAGMENT it bounds what a
                // peer that stops reading holds in our memory (the rest waits as shared bytes).
                .write_buffer_size(FRAGMENT)
                .max_message_size(Some(shared.config.max_payload))
                .max_frame_size(Some(shared.config.max_payload));
            let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
            match mode {
                Mode::New(session) => {
                    let open = handshake::open_packet(&shared, &session);
                    if session.send(open).is_ok() {
                        shared.handler.on_open(&session);
                    }
                    drive(session, ws).await;
                }
                Mode::Probe(session) => {
                    if let Some(ws) = probe(&shared, &session, ws).await {
                        session.set_websocket();
                        drive(session, ws).await;
                    }
                }
                Mode::Refuse => {
                    let mut ws = ws;
                    let _ = ws.close(None).await;
                    // Read until the peer answers the close, so unread input cannot reset it.
                    let _ = tokio::time::timeout(LINGER, async { while let Some(Ok(_)) = ws.next().await {} }).await;
                }
            }
        }
        .instrument(tracing::Span::current()),
    );
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept_key)
        .body(Full::default())
        .expect("static response parts are valid")
}

/// Runs the probe exchange; returns the socket once the client sent `5`.
async fn probe(shared: &Shared, session: &Arc<Session>, mut ws: Ws) -> Option<Ws> {
    let exchange = async {
        loop {
            let text = match ws.next().await? {
                Ok(WsMessage::Text(t)) => t,
                Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => continue,
                _ => return None,
            };
            match Packet::decode(text.as_str()) {
                Ok(Packet::Ping("probe")) => {
                    ws.send(WsMessage::Text("3probe".into())).await.ok()?;
                    session.upgrading.store(true, Ordering::Release);
                    // Complete the pending poll with a noop so the client can pause polling.
                    session.upgrade_wake.notify_waiters();
                }
                Ok(Packet::Upgrade) if session.upgrading.load(Ordering::Acquire) => return Some(()),
                Ok(Packet::Noop) => {}
                _ => return None,
            }
        }
    };
    let done = tokio::time::timeout(shared.config.upgrade_timeout, exchange).await;
    if matches!(done, Ok(Some(()))) && !session.is_closed() {
        return Some(ws);
    }
    session.upgrading.store(false, Ordering::Release);
    // A failed probe frees the session for another attempt, as in the reference.
    session.probe_taken.store(false, Ordering::Release);
    let _ = ws.close(None).await;
    None
}

/// Messages larger than this go out as fragments of this size.
const FRAGMENT: usize = 32 * 1024;

type Sink = futures_util::stream::SplitSink<Ws, WsMessage>;

/// Queues one frame on the socket. A large message is sent as fragments, each a slice of
/// the shared bytes: tungstenite copies what it is given into its write buffer, so a whole
/// 10 MB broadcast would be copied once per connection (and held there while a slow peer
/// reads); fragments keep that copy to one write buffer's worth.
async fn feed(sink: &mut Sink, frame: Frame) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
    let (bytes, kind) = match frame {
        Frame::Text(t) if t.len() <= FRAGMENT => return sink.feed(WsMessage::Text(t)).await,
        Frame::Binary(b) if b.len() <= FRAGMENT => return sink.feed(WsMessage::Binary(b)).await,
        Frame::Text(t) => (Bytes::from(t), Data::Text),
        Frame::Binary(b) => (b, Data::Binary),
    };
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + FRAGMENT).min(bytes.len());
        let opcode = OpCode::Data(if start == 0 { kind } else { Data::Continue });
        sink.feed(WsMessage::Frame(WsFrame::message(bytes.slice(start..end), opcode, end == bytes.len()))).await?;
        start = end;
    }
    Ok(())
}

/// Pumps frames both ways until the session or the socket ends. The writer is a task of
/// its own: joined in one task, every frame queued to the socket would poll the reader too.
async fn drive(session: Arc<Session>, ws: Ws) {
    let (mut sink, mut stream) = ws.split();
    // Set by the reader when the peer broke a limit, so the close frame says why.
    let close_code: Arc<std::sync::Mutex<Option<CloseCode>>> = Arc::default();
    let (writer_session, writer_code) = (session.clone(), close_code.clone());
    let writer = tokio::spawn(async move {
        let (session, close_code) = (writer_session, writer_code);
        let mut rx = session.rx.lock().await;
        let mut closed = session.closed_watch();
        let mut closed_while_writing = session.closed_watch();
        // One close future for the connection's lifetime, not one per frame.
        let closing = wait_closed(&mut closed);
        tokio::pin!(closing);
        loop {
            tokio::select! {
                biased;
                f = rx.recv() => {
                    let write = async {
                        let mut res = feed(&mut sink, f).await;
                        while let (Ok(()), Some(f)) = (&res, rx.try_recv()) {
                            res = feed(&mut sink, f).await;
                        }
                        res.and(sink.flush().await)
                    };
                    // A peer that stops reading blocks the write for ever: once the session
                    // is closed (its byte budget, a ping timeout) the write gets a grace
                    // period, then the connection is dropped so its socket is released.
                    let written = tokio::select! {
                        r = write => r.is_ok(),
                        _ = closed_then_grace(&mut closed_while_writing) => return None,
                    };
                    if !written {
                        session.close(CloseReason::TransportError);
                        return None;
                    }
                    session.emit_event(ConnEvent::Drain);
                }
                _ = &mut closing => break,
            }
        }
        let code = *close_code.lock().expect("close code lock poisoned");
        let finish = async {
            // Orderly closes flush what was queued before them (e.g. a DISCONNECT packet).
            while let Some(f) = rx.try_recv() {
                if feed(&mut sink, f).await.is_err() {
                    break;
                }
            }
            match code {
                Some(code) => sink.send(WsMessage::Close(Some(CloseFrame { code, reason: "".into() }))).await,
                None => sink.close().await,
            }
        };
        let sent = tokio::time::timeout(LINGER, finish).await;
        matches!(sent, Ok(Ok(()))).then_some(sink)
    });
    let reader = async {
        let mut closed = session.closed_watch();
        let closing = wait_closed(&mut closed);
        tokio::pin!(closing);
        loop {
            let msg = tokio::select! {
                m = stream.next() => m,
                _ = &mut closing => return,
            };
            match msg {
                Some(Ok(WsMessage::Text(t))) => match Packet::decode(t.as_str()) {
                    Ok(p) => session.on_packet(p),
                    Err(e) => {
                        tracing::debug!(sid = session.id(), error = %e, "malformed websocket packet");
                        session.close(CloseReason::ParseError);
                        return;
                    }
                },
                Some(Ok(WsMessage::Binary(b))) => session.on_packet(Packet::Binary(b)),
                Some(Ok(WsMessage::Close(_))) | None => {
                    session.close(CloseReason::TransportClose);
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(sid = session.id(), error = %e, "websocket error");
                    if matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)) {
                        *close_code.lock().expect("close code lock poisoned") = Some(CloseCode::Size);
                    }
                    session.close(close_reason_of(&e));
                    return;
                }
            }
        }
    };
    reader.await;
    drop(session);
    if let Ok(Some(sink)) = writer.await {
        if let Ok(mut ws) = stream.reunite(sink) {
            linger(ws.get_mut()).await;
        }
    }
}

/// How long a closed connection keeps reading what the peer still sends, and how long a
/// write may still take once its session is closed.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Resolves `LINGER` after the session behind `rx` closed.
async fn closed_then_grace(rx: &mut tokio::sync::watch::Receiver<bool>) {
    wait_closed(rx).await;
    tokio::time::sleep(LINGER).await;
}

/// Ends our side with a FIN and reads until the peer's. Dropping a socket with unread input
/// (the rest of an oversize message, say) makes the kernel send a reset, and a reset can
/// destroy the close frame in the peer's receive buffer before the peer reads it.
async fn linger(io: &mut TokioIo<hyper::upgrade::Upgraded>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = io.shutdown().await;
    let drain = async {
        // On the heap: an array here would sit in every connection's task for its lifetime.
        let mut scratch = vec![0u8; 1024];
        while matches!(io.read(&mut scratch).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// An abrupt end of the connection is a `transport close` (as the reference reports a
/// WebSocket closed without handshake); anything else the peer did wrong is an error.
fn close_reason_of(e: &tokio_tungstenite::tungstenite::Error) -> CloseReason {
    use tokio_tungstenite::tungstenite::error::{Error, ProtocolError};
    match e {
        Error::ConnectionClosed
        | Error::AlreadyClosed
        | Error::Io(_)
        | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => CloseReason::TransportClose,
        _ => CloseReason::TransportError,
    }
}
