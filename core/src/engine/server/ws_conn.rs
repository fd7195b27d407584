//! One WebSocket connection, whoever runs it: the engine's own (tungstenite over a byte
//! stream: hyper's upgrade, or a connection a host handed over) or a host's (messages over
//! [`HostIo`]'s channels). The transport logic
//! (`websocket.rs`) reads, writes and closes through this, the same for both.
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message as TMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::host_socket::{HostIo, WsMessage};
use super::session::CloseReason;
use crate::engine::deflate::Hints;
use crate::engine::Frame;

/// A byte stream the engine runs a WebSocket over.
pub(super) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Boxed: hyper's `Upgraded` is a box already, so its connections pay nothing more, and a
/// host's stream (a TCP connection it handed over) runs through the same code.
pub(super) type BoxIo = Box<dyn Io>;

pub(super) type Ws = WebSocketStream<BoxIo>;

/// Messages larger than this go out as fragments of this size.
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

// Not boxed: a connection's task holds one `Conn` until it splits it, and the engine's own
// socket is the common case; a box would be one more allocation per connection for nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Conn {
    /// With the compress decisions of its messages when permessage-deflate is on.
    Own(Ws, Option<Arc<Hints>>),
    Host(HostIo, usize),
}

pub(super) enum Reader {
    Own(SplitStream<Ws>),
    Host(tokio::sync::mpsc::Receiver<WsMessage>, usize),
}

pub(super) enum Writer {
    Own(SplitSink<Ws, TMessage>, Option<Arc<Hints>>),
    Host(tokio::sync::mpsc::Sender<WsMessage>),
}

type WsError = tokio_tungstenite::tungstenite::Error;

impl Conn {
    /// A host's connection; messages over `max_payload` bytes close it with 1009.
    pub(super) fn host(io: HostIo, max_payload: usize) -> Conn {
        Conn::Host(io, max_payload)
    }

    pub(super) async fn recv(&mut self) -> Option<Result<Incoming, ReadError>> {
        match self {
            Conn::Own(ws, _) => own_incoming(ws.next().await),
            Conn::Host(io, max) => host_incoming(io.incoming.recv().await, *max),
        }
    }

    pub(super) async fn send_text(&mut self, text: &'static str) -> Result<(), ()> {
        match self {
            Conn::Own(ws, hints) => {
                if let Some(h) = hints {
                    h.push(true, text.len());
                }
                ws.send(TMessage::Text(text.into())).await.map_err(drop)
            }
            Conn::Host(io, _) => io.outgoing.send(WsMessage::Text(text.into())).await.map_err(drop),
        }
    }

    /// Starts a normal close.
    pub(super) async fn close(&mut self) {
        match self {
            Conn::Own(ws, _) => {
                let _ = ws.close(None).await;
            }
            Conn::Host(io, _) => {
                let _ = io.outgoing.send(WsMessage::Close(None)).await;
            }
        }
    }

    pub(super) fn split(self) -> (Reader, Writer) {
        match self {
            Conn::Own(ws, hints) => {
                let (sink, stream) = ws.split();
                (Reader::Own(stream), Writer::Own(sink, hints))
            }
            Conn::Host(io, max) => (Reader::Host(io.incoming, max), Writer::Host(io.outgoing)),
        }
    }
}

impl Reader {
    pub(super) async fn recv(&mut self) -> Option<Result<Incoming, ReadError>> {
        match self {
            Reader::Own(stream) => own_incoming(stream.next().await),
            Reader::Host(rx, max) => host_incoming(rx.recv().await, *max),
        }
    }

    /// The engine's own socket back in one piece (to linger on it), if both halves are.
    pub(super) fn reunite(self, writer: Writer) -> Option<Ws> {
        match (self, writer) {
            (Reader::Own(stream), Writer::Own(sink, _)) => stream.reunite(sink).ok(),
            _ => None,
        }
    }
}

impl Writer {
    /// Queues one frame. On the engine's socket a large message is sent as fragments, each a
    /// slice of the shared bytes: tungstenite copies what it is given into its write buffer,
    /// so a whole 10 MB broadcast would be copied once per connection (and held there while a
    /// slow peer reads); fragments keep that copy to one write buffer's worth. A host gets
    /// the shared bytes whole. `compress`: the emit's flag (permessage-deflate still skips
    /// messages under its threshold).
    pub(super) async fn feed(&mut self, frame: Frame, compress: bool) -> Result<(), ()> {
        match self {
            Writer::Own(sink, hints) => {
                if let Some(h) = hints {
                    h.push(compress, frame_len(&frame));
                }
                feed_own(sink, frame).await.map_err(drop)
            }
            Writer::Host(tx) => {
                let m = match frame {
                    Frame::Text(t) => WsMessage::Text(t),
                    Frame::Binary(b) => WsMessage::Binary(b),
                };
                tx.send(m).await.map_err(drop)
            }
        }
    }

    pub(super) async fn flush(&mut self) -> Result<(), ()> {
        match self {
            Writer::Own(sink, _) => sink.flush().await.map_err(drop),
            Writer::Host(_) => Ok(()),
        }
    }

    /// Ends the connection with `code` (`None`: a normal close).
    pub(super) async fn finish(&mut self, code: Option<CloseCode>) -> Result<(), ()> {
        match self {
            Writer::Own(sink, _) => match code {
                Some(code) => sink.send(TMessage::Close(Some(CloseFrame { code, reason: "".into() }))).await,
                None => sink.close().await,
            }
            .map_err(drop),
            Writer::Host(tx) => tx.send(WsMessage::Close(code.map(u16::from))).await.map_err(drop),
        }
    }
}

fn frame_len(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

async fn feed_own(sink: &mut SplitSink<Ws, TMessage>, frame: Frame) -> Result<(), WsError> {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
    let (bytes, kind) = match frame {
        Frame::Text(t) if t.len() <= FRAGMENT => return sink.feed(TMessage::Text(t)).await,
        Frame::Binary(b) if b.len() <= FRAGMENT => return sink.feed(TMessage::Binary(b)).await,
        Frame::Text(t) => (Bytes::from(t), Data::Text),
        Frame::Binary(b) => (b, Data::Binary),
    };
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + FRAGMENT).min(bytes.len());
        let opcode = OpCode::Data(if start == 0 { kind } else { Data::Continue });
        sink.feed(TMessage::Frame(WsFrame::message(bytes.slice(start..end), opcode, end == bytes.len()))).await?;
        start = end;
    }
    Ok(())
}

fn own_incoming(msg: Option<Result<TMessage, WsError>>) -> Option<Result<Incoming, ReadError>> {
    Some(match msg? {
        Ok(TMessage::Text(t)) => Ok(Incoming::Text(t)),
        Ok(TMessage::Binary(b)) => Ok(Incoming::Binary(b)),
        Ok(TMessage::Close(_)) => Ok(Incoming::Close),
        Ok(_) => Ok(Incoming::Other),
        Err(e) => {
            tracing::debug!(error = %e, "websocket error");
            Err(ReadError { reason: close_reason_of(&e), too_big: matches!(e, WsError::Capacity(_)) })
        }
    })
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

/// An abrupt end of the connection is a `transport close` (as the reference reports a
/// WebSocket closed without handshake); anything else the peer did wrong is an error.
fn close_reason_of(e: &WsError) -> CloseReason {
    use tokio_tungstenite::tungstenite::error::{Error, ProtocolError};
    match e {
        Error::ConnectionClosed
        | Error::AlreadyClosed
        | Error::Io(_)
        | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => CloseReason::TransportClose,
        _ => CloseReason::TransportError,
    }
}
