//! WebSockets a host owns (uvicorn, aiohttp, Node's http server, any stack that upgrades
//! the connection itself): the host moves messages, the engine runs the session. Both
//! directions are bounded channels, so a host that reads faster than the session handles
//! messages waits, and a peer that reads slowly fills the session's queue (and its byte
//! budget) exactly as over the engine's own WebSocket. A host may instead hand over the
//! connection itself (`host_stream.rs`): the engine then runs the WebSocket.
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::HeaderMap;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::ws_conn::BoxIo;

/// Messages waiting in each direction before the sender waits.
const QUEUE: usize = 16;

/// A WebSocket message between a host and the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsMessage {
    /// A text message (an Engine.IO text packet).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// The connection closes: from the engine, with this close code (`None`: a normal
    /// close); from the host, the peer closed or the connection was lost.
    Close(Option<u16>),
}

/// The host's end of a WebSocket the engine accepted ([`super::EngineServer::accept_websocket`]).
#[derive(Debug)]
pub struct HostWebSocket {
    /// Headers for the host's `101 Switching Protocols` answer (the session cookie, say).
    pub headers: HeaderMap,
    /// What the peer sends goes here.
    pub incoming: HostWsSender,
    /// What to write to the peer comes from here.
    pub outgoing: HostWsReceiver,
}

/// Hands the engine what the peer sent.
#[derive(Debug, Clone)]
pub struct HostWsSender(mpsc::Sender<WsMessage>);

/// The session is over: stop reading from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the session is closed")]
pub struct SessionClosed;

/// Why [`HostWsSender::try_send`] did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError {
    /// The engine is behind: send it again once [`HostWsSender::ready`] resolves.
    #[error("the session's queue is full")]
    Full(WsMessage),
    /// The session is over.
    #[error("the session is closed")]
    Closed,
}

impl HostWsSender {
    /// Hands over a message, waiting while the engine is behind.
    pub async fn send(&self, message: WsMessage) -> Result<(), SessionClosed> {
        self.0.send(message).await.map_err(|_| SessionClosed)
    }

    /// Hands over a message if there is room now.
    pub fn try_send(&self, message: WsMessage) -> Result<(), TrySendError> {
        self.0.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(m) => TrySendError::Full(m),
            mpsc::error::TrySendError::Closed(_) => TrySendError::Closed,
        })
    }

    /// Resolves once a message can be handed over without waiting (or the session is over).
    pub async fn ready(&self) -> Result<(), SessionClosed> {
        self.0.reserve().await.map(drop).map_err(|_| SessionClosed)
    }
}

/// What the engine writes to the peer.
#[derive(Debug)]
pub struct HostWsReceiver(mpsc::Receiver<WsMessage>);

impl HostWsReceiver {
    /// The next message to write; after [`WsMessage::Close`], or `None`, close the socket.
    pub async fn recv(&mut self) -> Option<WsMessage> {
        self.0.recv().await
    }

    /// The next message if one is waiting (`Err(true)`: none will come, close the socket).
    pub fn try_recv(&mut self) -> Result<WsMessage, bool> {
        self.0.try_recv().map_err(|e| e == mpsc::error::TryRecvError::Disconnected)
    }
}

/// The engine's end of a host WebSocket.
pub(super) struct HostIo {
    pub(super) incoming: mpsc::Receiver<WsMessage>,
    pub(super) outgoing: mpsc::Sender<WsMessage>,
}

/// What a host hands over with its upgrade request.
pub(super) enum HostConn {
    /// Its channels: the host moves the messages.
    Messages(HostIo),
    /// Its connection, sent once the engine's 101 is answered on it: the engine runs the
    /// WebSocket itself.
    Stream(oneshot::Receiver<Handover>),
}

/// A connection handed to its WebSocket's task.
pub(super) struct Handover {
    pub(super) io: BoxIo,
    /// The bytes read past the upgrade request (the start of the first frames).
    pub(super) head: Bytes,
    /// The 101 when it is still to be written: it goes out with the first frames, in one
    /// write (empty: written already).
    pub(super) answer: Bytes,
}

/// Carries what a host hands over through routing (a request extension, so the handshake
/// and upgrade rules are the ones every WebSocket goes through); taken once by the accept.
#[derive(Clone)]
pub(super) struct HostUpgrade(Arc<Mutex<Option<HostConn>>>);

impl HostUpgrade {
    pub(super) fn take(&self) -> Option<HostConn> {
        self.0.lock().expect("host upgrade lock poisoned").take()
    }

    /// For a host's connection, which arrives through `rx`.
    pub(super) fn stream(rx: oneshot::Receiver<Handover>) -> HostUpgrade {
        HostUpgrade(Arc::new(Mutex::new(Some(HostConn::Stream(rx)))))
    }
}

/// A host socket's two ends: the engine's (to put in the request) and the host's.
pub(super) fn pair() -> (HostUpgrade, HostWsSender, HostWsReceiver) {
    let (in_tx, in_rx) = mpsc::channel(QUEUE);
    let (out_tx, out_rx) = mpsc::channel(QUEUE);
    let io = HostIo { incoming: in_rx, outgoing: out_tx };
    (HostUpgrade(Arc::new(Mutex::new(Some(HostConn::Messages(io))))), HostWsSender(in_tx), HostWsReceiver(out_rx))
}
