//! One WebSocket connection, whoever runs it: the engine's own (its framing, `ws_own.rs`,
//! over a byte stream: hyper's upgrade, or a connection a host handed over) or a host's
//! (messages over [`HostIo`]'s channels). The transport logic (`websocket.rs`) reads,
//! writes and closes through this, the same for both.
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::host_socket::{HostIo, WsMessage};
use super::session::CloseReason;
use super::ws_own::{Event, OwnWs, ReadFail};
use crate::engine::deflate::Hints;
use crate::engine::Frame;

/// A byte stream the engine runs a WebSocket over.
pub(super) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Boxed: hyper's `Upgraded` is a box already, so its connections pay nothing more, and a
/// host's stream (a TCP connection it handed over) runs through the same code.
pub(super) type BoxIo = Box<dyn Io>;

/// Messages larger than this go out as fragments of this size, and the write buffer takes
/// no more frames while it holds more than this.
pub(super) const FRAGMENT: usize = 32 * 1024;

/// A message from the peer.
pub(super) enum Incoming {
    Text(Utf8Bytes),
    Binary(Bytes),
    /// The peer closed (or the connection ended).
    Close,
    /// Pings, pongs: nothing for the session.
    Other,
}

/// The peer broke the connection or a limit: the session's close reason, and whether the
/// close frame says `1009 message too big`.
pub(super) struct ReadError {
    pub(super) reason: CloseReason,
    pub(super) too_big: bool,
}

/// One WebSocket, read and written from one task (the session's).
pub(super) struct Conn {
    inner: Inner,
    /// A message not yet all handed over.
    pending: Option<Pending>,
    /// Waits for room in a host's full channel.
    reserve: Option<Reserve>,
}

// Not boxed: the engine's own socket is the common case; a box would be one more
// allocation per connection for nothing.
#[allow(clippy::large_enum_variant)]
enum Inner {
    /// With the compress decisions of its messages when permessage-deflate is on.
    Own(OwnWs, Option<Arc<Hints>>),
    Host(HostIo, usize),
}

/// A message on its way out: the engine's socket sends a large one as fragments, one at a
/// time as room frees up; a host's channel takes it whole once it has room.
enum Pending {
    Fragments { bytes: Bytes, text: bool, at: usize },
    Host(WsMessage),
}

type Reserve = std::pin::Pin<
    Box<
        dyn Future<Output = Result<tokio::sync::mpsc::OwnedPermit<WsMessage>, tokio::sync::mpsc::error::SendError<()>>>
            + Send,
    >,
>;

impl Conn {
    /// A host's connection; messages over `max_payload` bytes close it with 1009.
    pub(super) fn host(io: HostIo, max_payload: usize) -> Conn {
        Conn { inner: Inner::Host(io, max_payload), pending: None, reserve: None }
    }

    pub(super) fn own(ws: OwnWs, hints: Option<Arc<Hints>>) -> Conn {
        Conn { inner: Inner::Own(ws, hints), pending: None, reserve: None }
    }

    /// The next message from the peer (`None`: the connection ended).
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Incoming, ReadError>>> {
        match &mut self.inner {
            Inner::Own(ws, _) => ws.poll_recv(cx).map(|m| m.map(own_incoming)),
            Inner::Host(io, max) => io.incoming.poll_recv(cx).map(|m| host_incoming(m, *max)),
        }
    }

    pub(super) async fn recv(&mut self) -> Option<Result<Incoming, ReadError>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Ready when [`Conn::start_send`] may take a frame: what was handed over before has
    /// gone into the connection's write buffer (or the host's channel).
    pub(super) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        loop {
            match &mut self.inner {
                Inner::Own(ws, _) => {
                    if ws.buffered() > FRAGMENT {
                        ready!(ws.poll_write_some(cx)).map_err(drop)?;
                        continue;
                    }
                    let Some(Pending::Fragments { bytes, text, at }) = &mut self.pending else {
                        return Poll::Ready(Ok(()));
                    };
                    let end = (*at + FRAGMENT).min(bytes.len());
                    ws.queue_data(*text, *at == 0, end == bytes.len(), &bytes[*at..end]);
                    *at = end;
                    if end == bytes.len() {
                        self.pending = None;
                    }
                }
                Inner::Host(io, _) => {
                    // Waiting for room: the message stays pending until a permit comes (taking
                    // it first would lose it whenever the wait is not over yet).
                    if let Some(reserve) = &mut self.reserve {
                        let permit = ready!(reserve.as_mut().poll(cx));
                        self.reserve = None;
                        let permit = permit.map_err(drop)?;
                        if let Some(Pending::Host(m)) = self.pending.take() {
                            permit.send(m);
                        }
                        continue;
                    }
                    let Some(Pending::Host(m)) = self.pending.take() else {
                        return Poll::Ready(Ok(()));
                    };
                    match io.outgoing.try_send(m) {
                        Ok(()) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Full(m)) => {
                            self.pending = Some(Pending::Host(m));
                            self.reserve = Some(Box::pin(io.outgoing.clone().reserve_owned()));
                        }
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return Poll::Ready(Err(())),
                    }
                }
            }
        }
    }

    /// Hands over one frame; call [`Conn::poll_ready`] first. On the engine's socket a large
    /// message is sent as fragments, copied into the write buffer one at a time as it
    /// drains: a whole 10 MB broadcast copied at once would be copied once per connection
    /// (and held there while a slow peer reads); fragments keep that copy to one write
    /// buffer's worth. A host gets the shared bytes whole. `compress`: the
    /// emit's flag (permessage-deflate still skips messages under its threshold).
    pub(super) fn start_send(&mut self, frame: Frame, compress: bool) -> Result<(), ()> {
        match &mut self.inner {
            Inner::Own(ws, hints) => {
                if let Some(h) = hints {
                    h.push(compress, frame_len(&frame));
                }
                match frame {
                    Frame::Text(t) if t.len() <= FRAGMENT => ws.queue_data(true, true, true, t.as_bytes()),
                    Frame::Binary(b) if b.len() <= FRAGMENT => ws.queue_data(false, true, true, &b),
                    Frame::Text(t) => self.pending = Some(Pending::Fragments { bytes: t.into(), text: true, at: 0 }),
                    Frame::Binary(b) => self.pending = Some(Pending::Fragments { bytes: b, text: false, at: 0 }),
                }
            }
            Inner::Host(_, _) => {
                let m = match frame {
                    Frame::Text(t) => WsMessage::Text(t),
                    Frame::Binary(b) => WsMessage::Binary(b),
                };
                self.pending = Some(Pending::Host(m));
            }
        }
        Ok(())
    }

    /// Writes out everything handed over.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        ready!(self.poll_ready(cx))?;
        match &mut self.inner {
            Inner::Own(ws, _) => ws.poll_flush(cx).map_err(drop),
            Inner::Host(_, _) => Poll::Ready(Ok(())),
        }
    }

    /// Queues one frame, waiting for room.
    pub(super) async fn feed(&mut self, frame: Frame, compress: bool) -> Result<(), ()> {
        poll_fn(|cx| self.poll_ready(cx)).await?;
        self.start_send(frame, compress)
    }

    pub(super) async fn send_text(&mut self, text: &'static str) -> Result<(), ()> {
        self.feed(Frame::Text(text.into()), true).await?;
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Whether bytes wait to be written that no frame handed over put there (a pong, the
    /// answer to the peer's close).
    pub(super) fn wants_flush(&self) -> bool {
        match &self.inner {
            Inner::Own(ws, _) => ws.buffered() > 0,
            Inner::Host(_, _) => false,
        }
    }

    /// Ends the connection with `code` (`None`: a normal close), after what was handed
    /// over. `Err` also when the peer closed first (its close answered) or the stream ended:
    /// there is nothing to linger for.
    pub(super) async fn finish(&mut self, code: Option<CloseCode>) -> Result<(), ()> {
        poll_fn(|cx| self.poll_ready(cx)).await?;
        match &mut self.inner {
            Inner::Own(ws, _) => {
                let closing = ws.queue_close(code);
                poll_fn(|cx| ws.poll_flush(cx)).await.map_err(drop)?;
                closing.then_some(()).ok_or(())
            }
            Inner::Host(io, _) => io.outgoing.send(WsMessage::Close(code.map(u16::from))).await.map_err(drop),
        }
    }

    /// Starts a normal close.
    pub(super) async fn close(&mut self) {
        let _ = self.finish(None).await;
    }

    /// The engine's own socket's byte stream (to linger on it).
    pub(super) fn io_mut(&mut self) -> Option<&mut BoxIo> {
        match &mut self.inner {
            Inner::Own(ws, _) => Some(ws.io_mut()),
            Inner::Host(_, _) => None,
        }
    }
}

fn frame_len(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

fn own_incoming(ev: Result<Event, ReadFail>) -> Result<Incoming, ReadError> {
    match ev {
        Ok(Event::Text(t)) => Ok(Incoming::Text(t)),
        Ok(Event::Binary(b)) => Ok(Incoming::Binary(b)),
        Ok(Event::Close) => Ok(Incoming::Close),
        Ok(Event::Control) => Ok(Incoming::Other),
        Err(ReadFail::TooBig) => {
            tracing::debug!("websocket message over the size limit");
            Err(ReadError { reason: CloseReason::TransportError, too_big: true })
        }
        Err(ReadFail::Protocol(e)) => {
            tracing::debug!(error = e, "websocket protocol error");
            Err(ReadError { reason: CloseReason::TransportError, too_big: false })
        }
    }
}

fn host_incoming(msg: Option<WsMessage>, max_payload: usize) -> Option<Result<Incoming, ReadError>> {
    let too_big = || Err(ReadError { reason: CloseReason::TransportError, too_big: true });
    Some(match msg {
        Some(WsMessage::Text(t)) if t.len() > max_payload => too_big(),
        Some(WsMessage::Binary(b)) if b.len() > max_payload => too_big(),
        Some(WsMessage::Text(t)) => Ok(Incoming::Text(t)),
        Some(WsMessage::Binary(b)) => Ok(Incoming::Binary(b)),
        Some(WsMessage::Close(_)) | None => Ok(Incoming::Close),
    })
}
