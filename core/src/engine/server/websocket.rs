//! The WebSocket transport: new sessions opened over WebSocket, and the probe that
//! upgrades a polling session (`2probe` → `3probe`, noop to the pending poll, `5`).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use ::http::{header, StatusCode};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument;

use super::events::ConnEvent;
use super::handshake;
use super::host_socket::{HostConn, HostIo, HostUpgrade};
use super::responses::EngineHttpError;
use super::session::{wait_closed, CloseReason, Session};
use super::ws_conn::{BoxIo, Conn, Incoming, FRAGMENT};
use super::Shared;
use crate::engine::deflate::{self, Agreement, DeflateStream, PerMessageDeflate};
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

/// Where the WebSocket's connection comes from.
enum Source {
    /// A host moves the messages.
    Host(HostIo),
    /// The engine's own listener: hyper hands over the connection after the 101.
    Hyper(hyper::upgrade::OnUpgrade),
    /// A host's byte stream, once [`super::EngineServer::accept_websocket_stream`] wrote
    /// the 101 on it (with what the host had read past the request).
    Stream(oneshot::Receiver<(BoxIo, Bytes)>),
}

/// Accepts the WebSocket of `req`: the engine's own (a hyper upgrade, or a host's stream
/// when the request carries one), or a host's when the request carries its channels
/// ([`HostUpgrade`]); answers `101` either way.
pub(super) fn accept<B>(shared: &Arc<Shared>, mut req: Request<B>, mode: Mode) -> Response<Full<Bytes>> {
    let host = req.extensions_mut().remove::<HostUpgrade>().and_then(|h| h.take());
    let accept_key = match req.headers().get(header::SEC_WEBSOCKET_KEY) {
        Some(key) => Some(derive_accept_key(key.as_bytes())),
        // A host did the handshake itself: it does not need ours.
        None if matches!(host, Some(HostConn::Messages(_))) => None,
        None => return EngineHttpError::BadRequest.response(None),
    };
    if let Mode::New(s) = &mode {
        handshake::register(shared, s);
    }
    // A host that moves the messages owns the framing, extensions included.
    let deflate = match (&host, shared.config.per_message_deflate) {
        (Some(HostConn::Messages(_)), _) | (_, None) => None,
        (_, Some(settings)) => {
            let offers = req.headers().get_all(header::SEC_WEBSOCKET_EXTENSIONS).iter();
            deflate::negotiate::accept_offer(offers.filter_map(|v| v.to_str().ok())).map(|a| (a, settings))
        }
    };
    let source = match host {
        Some(HostConn::Messages(io)) => Source::Host(io),
        Some(HostConn::Stream(rx)) => Source::Stream(rx),
        None => Source::Hyper(hyper::upgrade::on(&mut req)),
    };
    let shared = shared.clone();
    tokio::spawn(
        async move {
            let conn = match source {
                Source::Host(io) => Conn::host(io, shared.config.max_payload),
                Source::Hyper(on_upgrade) => match on_upgrade.await {
                    Ok(upgraded) => own_conn(&shared, Box::new(TokioIo::new(upgraded)), Bytes::new(), deflate).await,
                    Err(e) => return upgrade_failed(mode, &e),
                },
                Source::Stream(rx) => match rx.await {
                    Ok((io, head)) => own_conn(&shared, io, head, deflate).await,
                    Err(e) => return upgrade_failed(mode, &e),
                },
            };
            match mode {
                Mode::New(session) => {
                    let open = handshake::open_packet(&shared, &session);
                    if session.send(open).is_ok() {
                        shared.handler.on_open(&session);
                    }
                    drive(session, conn).await;
                }
                Mode::Probe(session) => {
                    if let Some(conn) = probe(&shared, &session, conn).await {
                        session.set_websocket();
                        drive(session, conn).await;
                    }
                }
                Mode::Refuse => {
                    let mut conn = conn;
                    conn.close().await;
                    // Read until the peer answers the close, so unread input cannot reset it.
                    let _ = tokio::time::timeout(LINGER, async { while let Some(Ok(_)) = conn.recv().await {} }).await;
                }
            }
        }
        .instrument(tracing::Span::current()),
    );
    let mut res = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade");
    if let Some(key) = accept_key {
        res = res.header(header::SEC_WEBSOCKET_ACCEPT, key);
    }
    if let Some((agreement, _)) = &deflate {
        res = res.header(header::SEC_WEBSOCKET_EXTENSIONS, agreement.response());
    }
    res.body(Full::default()).expect("static response parts are valid")
}

/// The engine's WebSocket over `io`; `head`: frames a host read past the request, read
/// before the stream; `deflate`: permessage-deflate as agreed in the 101.
async fn own_conn(shared: &Shared, io: BoxIo, head: Bytes, deflate: Option<(Agreement, PerMessageDeflate)>) -> Conn {
    let config = WebSocketConfig::default()
        .read_buffer_size(crate::engine::WS_READ_BUFFER)
        // Frames are batched up to this before a write; with FRAGMENT it bounds what a peer
        // that stops reading holds in our memory (the rest waits as shared bytes).
        .write_buffer_size(FRAGMENT)
        .max_message_size(Some(shared.config.max_payload))
        .max_frame_size(Some(shared.config.max_payload));
    if let Some((agreement, settings)) = deflate {
        // The stream reads `head` first itself: those frames may be compressed too.
        let io = DeflateStream::server(io, agreement, settings.threshold, shared.config.max_payload, head);
        let hints = io.hints();
        let ws = WebSocketStream::from_raw_socket(Box::new(io) as BoxIo, Role::Server, Some(config)).await;
        return Conn::Own(ws, Some(hints));
    }
    let ws = if head.is_empty() {
        WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await
    } else {
        WebSocketStream::from_partially_read(io, head.into(), Role::Server, Some(config)).await
    };
    Conn::Own(ws, None)
}

/// The connection never came (hyper's upgrade failed, or a host's 101 could not be written).
fn upgrade_failed(mode: Mode, e: &dyn std::fmt::Display) {
    tracing::debug!(error = %e, "websocket upgrade failed");
    match mode {
        Mode::New(s) => s.close(CloseReason::TransportError),
        Mode::Probe(s) => s.probe_taken.store(false, Ordering::Release),
        Mode::Refuse => {}
    }
}

/// Runs the probe exchange; returns the socket once the client sent `5`.
async fn probe(shared: &Shared, session: &Arc<Session>, mut conn: Conn) -> Option<Conn> {
    let exchange = async {
        loop {
            let text = match conn.recv().await? {
                Ok(Incoming::Text(t)) => t,
                Ok(Incoming::Other) => continue,
                _ => return None,
            };
            match Packet::decode(text.as_str()) {
                Ok(Packet::Ping("probe")) => {
                    conn.send_text("3probe").await.ok()?;
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
        return Some(conn);
    }
    session.upgrading.store(false, Ordering::Release);
    // A failed probe frees the session for another attempt, as in the reference.
    session.probe_taken.store(false, Ordering::Release);
    conn.close().await;
    None
}

/// Pumps frames both ways until the session or the socket ends. The writer is a task of
/// its own: joined in one task, every frame queued to the socket would poll the reader too.
async fn drive(session: Arc<Session>, conn: Conn) {
    let (mut stream, mut sink) = conn.split();
    // Set by the reader when the peer broke a limit, so the close frame says why.
    let close_code: Arc<std::sync::Mutex<Option<CloseCode>>> = Arc::default();
    let (writer_session, writer_code) = (session.clone(), close_code.clone());
    let writer = tokio::spawn(async move {
        let (session, close_code) = (writer_session, writer_code);
        // Protocol 3 puts the message type byte in front of binary frames.
        let v3 = session.protocol() == 3;
        let wire = move |f: Frame| if v3 { crate::engine::eio3::ws_out(f) } else { f };
        let wire = move |(f, compress): (Frame, bool)| (wire(f), compress);
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
                        let (f, c) = wire(f);
                        let mut res = sink.feed(f, c).await;
                        while let (Ok(()), Some(f)) = (&res, rx.try_recv()) {
                            let (f, c) = wire(f);
                            res = sink.feed(f, c).await;
                        }
                        match res {
                            Ok(()) => sink.flush().await,
                            e => e,
                        }
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
                let (f, c) = wire(f);
                if sink.feed(f, c).await.is_err() {
                    break;
                }
            }
            sink.finish(code).await
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
                m = stream.recv() => m,
                _ = &mut closing => return,
            };
            match msg {
                Some(Ok(Incoming::Text(t))) => match Packet::decode(t.as_str()) {
                    Ok(p) => session.on_packet(p),
                    Err(e) => {
                        tracing::debug!(sid = session.id(), error = %e, "malformed websocket packet");
                        session.close(CloseReason::ParseError);
                        return;
                    }
                },
                Some(Ok(Incoming::Binary(b))) if session.protocol() == 3 => match crate::engine::eio3::ws_in(b) {
                    Ok(p) => session.on_packet(p),
                    Err(e) => {
                        tracing::debug!(sid = session.id(), error = %e, "malformed websocket packet");
                        session.close(CloseReason::ParseError);
                        return;
                    }
                },
                Some(Ok(Incoming::Binary(b))) => session.on_packet(Packet::Binary(b)),
                Some(Ok(Incoming::Close)) | None => {
                    session.close(CloseReason::TransportClose);
                    return;
                }
                Some(Ok(Incoming::Other)) => {}
                Some(Err(e)) => {
                    if e.too_big {
                        *close_code.lock().expect("close code lock poisoned") = Some(CloseCode::Size);
                    }
                    session.close(e.reason);
                    return;
                }
            }
        }
    };
    reader.await;
    drop(session);
    if let Ok(Some(sink)) = writer.await {
        if let Some(mut ws) = stream.reunite(sink) {
            linger(ws.get_mut()).await;
        }
    }
}

/// How long a closed connection keeps reading what the peer still sends, and how long a
/// write may still take once its session is closed.
pub(super) const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Resolves `LINGER` after the session behind `rx` closed.
async fn closed_then_grace(rx: &mut tokio::sync::watch::Receiver<bool>) {
    wait_closed(rx).await;
    tokio::time::sleep(LINGER).await;
}

/// Ends our side with a FIN and reads until the peer's. Dropping a socket with unread input
/// (the rest of an oversize message, say) makes the kernel send a reset, and a reset can
/// destroy the close frame in the peer's receive buffer before the peer reads it.
pub(super) async fn linger(io: &mut (impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin)) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = io.shutdown().await;
    let drain = async {
        // On the heap: an array here would sit in every connection's task for its lifetime.
        let mut scratch = vec![0u8; 1024];
        while matches!(io.read(&mut scratch).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}
