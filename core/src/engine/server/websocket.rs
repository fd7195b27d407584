//! The WebSocket transport: new sessions opened over WebSocket, and the probe that
//! upgrades a polling session (`2probe` → `3probe`, noop to the pending poll, `5`).
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ::http::{header, StatusCode};
use bytes::Bytes;
use futures_util::future::{FutureExt, OptionFuture};
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::Instrument;

use super::events::ConnEvent;
use super::handshake;
use super::host_socket::{Handover, HostConn, HostIo, HostUpgrade};
use super::responses::EngineHttpError;
use super::session::{CloseReason, Outbox, Session};
use super::ws_conn::{BoxIo, Conn, Incoming, ReadError};
use super::ws_own::OwnWs;
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
    /// A byte stream handed over once the 101 is answered (by
    /// [`super::EngineServer::accept_websocket_stream`] for a host, or the own listener).
    Stream(oneshot::Receiver<Handover>),
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
    // A session opened here has its heartbeat in the connection's task (protocol 4).
    let first_ping = match &mode {
        Mode::New(s) => handshake::register(shared, s, s.protocol() != 3),
        _ => None,
    };
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
    // The task's future stays resident as long as the connection: it holds the pump and
    // no more. The opening (the upgrade, the probe, a refusal) runs boxed, and hands over
    // the pump's future.
    let opening = Box::new(Opening { shared: shared.clone(), source, mode, deflate, first_ping });
    let task = Box::pin(opening.open()).map(OptionFuture::from).flatten();
    tokio::spawn(task.map(drop).instrument(tracing::Span::current()));
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
/// before the stream; `deflate`: permessage-deflate as agreed in the 101; `answer`: the 101
/// still to be written, which goes out with the first frames.
fn own_conn(
    shared: &Shared,
    io: BoxIo,
    head: Bytes,
    deflate: Option<(Agreement, PerMessageDeflate)>,
    answer: Bytes,
) -> Conn {
    let max = shared.config.max_payload;
    if let Some((agreement, settings)) = deflate {
        // The stream reads `head` first itself: those frames may be compressed too; the 101
        // goes below it, as it is.
        let io = DeflateStream::server(io, agreement, settings.threshold, max, head).with_preamble(answer);
        let hints = io.hints();
        return Conn::own(OwnWs::new(Box::new(io), max, Bytes::new(), Bytes::new()), Some(hints));
    }
    Conn::own(OwnWs::new(io, max, head, answer), None)
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

/// What a WebSocket's task starts from.
struct Opening {
    shared: Arc<Shared>,
    source: Source,
    mode: Mode,
    deflate: Option<(Agreement, PerMessageDeflate)>,
    first_ping: Option<tokio::time::Instant>,
}

impl Opening {
    /// Waits for the connection and opens the session over it (or runs the probe, or the
    /// refusal); returns the pump to run from then on.
    async fn open(self: Box<Self>) -> Option<impl Future<Output = ()>> {
        let Opening { shared, source, mode, deflate, first_ping } = *self;
        let conn = match source {
            Source::Host(io) => Conn::host(io, shared.config.max_payload),
            Source::Hyper(on_upgrade) => match on_upgrade.await {
                Ok(upgraded) => {
                    own_conn(&shared, Box::new(TokioIo::new(upgraded)), Bytes::new(), deflate, Bytes::new())
                }
                Err(e) => {
                    upgrade_failed(mode, &e);
                    return None;
                }
            },
            Source::Stream(rx) => match rx.await {
                Ok(Handover { io, head, answer }) => own_conn(&shared, io, head, deflate, answer),
                Err(e) => {
                    upgrade_failed(mode, &e);
                    return None;
                }
            },
        };
        match mode {
            Mode::New(session) => {
                let open = handshake::open_packet(&shared, &session);
                if session.send(open).is_ok() {
                    shared.handler.on_open(&session);
                }
                Some(drive(&shared, session, conn, first_ping))
            }
            Mode::Probe(session) => {
                let conn = probe(&shared, &session, conn).await?;
                session.set_websocket();
                Some(drive(&shared, session, conn, None))
            }
            Mode::Refuse => {
                refuse(conn).await;
                None
            }
        }
    }
}

/// Closes a WebSocket that may not serve its session.
async fn refuse(mut conn: Conn) {
    conn.close().await;
    // Read until the peer answers the close, so unread input cannot reset it.
    let _ = tokio::time::timeout(LINGER, async { while let Some(Ok(_)) = conn.recv().await {} }).await;
}

/// Runs the probe exchange; returns the socket once the client sent `5`.
async fn probe(shared: &Shared, session: &Arc<Session>, mut conn: Conn) -> Option<Conn> {
    let exchange = async {
        // The 101 may still wait to be written: the client answers it with the probe.
        poll_fn(|cx| conn.poll_flush(cx)).await.ok()?;
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

/// How the connection's task ended.
enum End {
    /// The session closed: send what is still queued and the close frame.
    Finish,
    /// The socket failed, or a write did not complete within the grace period.
    Drop,
}

/// The heartbeat of a session opened over WebSocket, run by the connection's own task (a
/// session opened over polling keeps its heartbeat task across the upgrade).
#[derive(Clone, Copy)]
enum Beat {
    Off,
    /// The next ping is due then.
    Ping(tokio::time::Instant),
    /// A ping was sent; the timer runs until its pong is due.
    Pong,
}

/// Pumps frames both ways until the session or the socket ends, in one task: reading,
/// writing (all queued frames fed, one flush), the heartbeat of a session opened here
/// (`first_ping`: when its first ping is due) and the close.
// Not an `async fn`: its arguments would be stored twice in the future (once as
// arguments, once as locals), and the future lives as long as the connection.
fn drive(
    shared: &Shared,
    session: Arc<Session>,
    mut conn: Conn,
    first_ping: Option<tokio::time::Instant>,
) -> impl Future<Output = ()> {
    let mut st = Pump {
        beat: first_ping.map_or(Beat::Off, Beat::Ping),
        reading: true,
        fed: false,
        flushing: false,
        closed: false,
        grace: false,
        close_code: None,
        ping_interval: shared.config.ping_interval,
        ping_timeout: shared.config.ping_timeout,
    };
    async move {
        let lingering = {
            // Taken at once unless a poll still holds the queue (an upgrade); boxed, as the
            // wait would otherwise take room in the future for the connection's lifetime.
            let mut rx = match session.try_outbox() {
                Some(rx) => rx,
                None => Box::pin(session.outbox()).await,
            };
            // The heartbeat's deadlines, then the grace period of a write once the session closed.
            let first = match st.beat {
                Beat::Ping(at) => at,
                _ => tokio::time::Instant::now(),
            };
            let timer = tokio::time::sleep_until(first);
            tokio::pin!(timer);
            let end = poll_fn(|cx| st.poll(cx, &session, &mut conn, &mut rx, timer.as_mut())).await;
            match end {
                End::Finish => Box::pin(finish(&mut conn, &mut rx, st.close_code, session.protocol() == 3)).await,
                End::Drop => false,
            }
        };
        drop(session);
        if lingering {
            if let Some(io) = conn.io_mut() {
                Box::pin(linger(io)).await;
            }
        }
    }
}

/// Sends what is still queued and the close frame (within `LINGER`); true if the peer
/// is to answer it.
async fn finish(conn: &mut Conn, rx: &mut Outbox<'_>, code: Option<CloseCode>, v3: bool) -> bool {
    let finish = async {
        // Orderly closes flush what was queued before them (e.g. a DISCONNECT packet).
        while let Some((f, c)) = rx.try_recv() {
            if conn.feed(wire(v3, f), c).await.is_err() {
                break;
            }
        }
        conn.finish(code).await
    };
    matches!(tokio::time::timeout(LINGER, finish).await, Ok(Ok(())))
}

/// Protocol 3 puts the message type byte in front of binary frames.
fn wire(v3: bool, f: Frame) -> Frame {
    if v3 {
        crate::engine::eio3::ws_out(f)
    } else {
        f
    }
}

/// The state of [`drive`]'s loop.
struct Pump {
    beat: Beat,
    /// The peer may still send (no close, error or end read yet).
    reading: bool,
    /// Frames were handed to the connection since the last flush.
    fed: bool,
    /// A flush is under way.
    flushing: bool,
    /// The session is closed.
    closed: bool,
    /// The timer runs the grace period of the write under way.
    grace: bool,
    /// Set when the peer broke a limit, so the close frame says why.
    close_code: Option<CloseCode>,
    ping_interval: Duration,
    ping_timeout: Duration,
}

impl Pump {
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        session: &Arc<Session>,
        conn: &mut Conn,
        rx: &mut Outbox<'_>,
        mut timer: Pin<&mut tokio::time::Sleep>,
    ) -> Poll<End> {
        let v3 = session.protocol() == 3;
        // Frames this task queues itself (an ack to a packet it reads) need no wake-up: the
        // write side below looks at the queue after the reads. Registered again there.
        rx.unregister();
        loop {
            if !self.closed && session.is_closed() {
                self.closed = true;
            }
            if self.closed {
                if !self.flushing {
                    return Poll::Ready(End::Finish);
                }
                // A peer that stops reading blocks the write for ever: once the session is
                // closed (its byte budget, a ping timeout) the write gets a grace period,
                // then the connection is dropped so its socket is released.
                if !self.grace {
                    self.grace = true;
                    timer.as_mut().reset(tokio::time::Instant::now() + LINGER);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(End::Drop);
                }
            }

            let mut progress = false;
            if self.reading && !self.closed {
                if let Poll::Ready(msg) = conn.poll_recv(cx) {
                    progress = true;
                    self.on_incoming(session, msg);
                }
            }

            if !self.closed {
                self.beat(cx, session, timer.as_mut());
            }

            // Writing: every queued frame fed, then one flush.
            let mut blocked = false;
            loop {
                if !self.flushing {
                    match conn.poll_ready(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(())) => return Poll::Ready(self.write_failed(session)),
                        Poll::Pending => {
                            blocked = true;
                            break;
                        }
                    }
                    if let Some((f, c)) = rx.try_recv() {
                        if conn.start_send(wire(v3, f), c).is_err() {
                            return Poll::Ready(self.write_failed(session));
                        }
                        self.fed = true;
                        continue;
                    }
                    // Also a pong, or the answer to the peer's close, when nothing else was fed.
                    if !self.fed && !conn.wants_flush() {
                        break;
                    }
                    self.flushing = true;
                }
                match conn.poll_flush(cx) {
                    Poll::Ready(Ok(())) => {
                        self.flushing = false;
                        self.grace = false;
                        if std::mem::take(&mut self.fed) {
                            session.emit_event(ConnEvent::Drain);
                        }
                        progress = true;
                    }
                    Poll::Ready(Err(())) => return Poll::Ready(self.write_failed(session)),
                    Poll::Pending => break,
                }
            }
            if !progress {
                // Frames queued by others, and the close, wake this task.
                rx.register(cx);
                let raced = (!self.flushing && !blocked && !rx.is_empty()) || (!self.closed && session.is_closed());
                if !raced {
                    return Poll::Pending;
                }
            }
        }
    }

    fn write_failed(&mut self, session: &Arc<Session>) -> End {
        session.close(CloseReason::TransportError);
        End::Drop
    }

    /// Hands a message from the peer to the session; a close or an error ends the reading.
    fn on_incoming(&mut self, session: &Arc<Session>, msg: Option<Result<Incoming, ReadError>>) {
        let malformed = |e: &dyn std::fmt::Display| {
            tracing::debug!(sid = session.id(), error = %e, "malformed websocket packet");
            CloseReason::ParseError
        };
        let reason = match msg {
            Some(Ok(Incoming::Text(t))) => match Packet::decode(t.as_str()) {
                Ok(p) => return session.on_packet(p),
                Err(e) => malformed(&e),
            },
            Some(Ok(Incoming::Binary(b))) if session.protocol() == 3 => match crate::engine::eio3::ws_in(b) {
                Ok(p) => return session.on_packet(p),
                Err(e) => malformed(&e),
            },
            Some(Ok(Incoming::Binary(b))) => return session.on_packet(Packet::Binary(b)),
            Some(Ok(Incoming::Other)) => return,
            Some(Ok(Incoming::Close)) | None => CloseReason::TransportClose,
            Some(Err(e)) => {
                if e.too_big {
                    self.close_code = Some(CloseCode::Size);
                }
                e.reason
            }
        };
        self.reading = false;
        session.close(reason);
    }

    /// Ping every `ping_interval`, close with `ping timeout` when no pong came within
    /// `ping_timeout`. Deadlines count from the open (or the last pong), not from when the
    /// task happened to run, so they do not drift.
    fn beat(&mut self, cx: &mut Context<'_>, session: &Arc<Session>, mut timer: Pin<&mut tokio::time::Sleep>) {
        loop {
            match self.beat {
                Beat::Off => return,
                Beat::Ping(at) => {
                    if timer.as_mut().poll(cx).is_pending() {
                        return;
                    }
                    let deadline = at + self.ping_timeout;
                    if !session.ping(deadline) {
                        self.beat = Beat::Off;
                        return;
                    }
                    self.beat = Beat::Pong;
                    timer.as_mut().reset(deadline);
                }
                Beat::Pong if session.pong_received() => {
                    let next = tokio::time::Instant::now() + self.ping_interval;
                    self.beat = Beat::Ping(next);
                    timer.as_mut().reset(next);
                }
                Beat::Pong => {
                    if timer.as_mut().poll(cx).is_ready() {
                        self.beat = Beat::Off;
                        session.close(CloseReason::PingTimeout);
                    }
                    return;
                }
            }
        }
    }
}

/// How long a closed connection keeps reading what the peer still sends, and how long a
/// write may still take once its session is closed.
pub(super) const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

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
