//! The Engine.IO 4 client: handshake over polling or WebSocket, the probe upgrade,
//! heartbeat answers and `ping timeout` detection.
//!
//! [`EngineClient::connect`] completes the handshake and spawns a task that owns the
//! transport; the caller sends frames through the handle and reads [`EngineEvent`]s.

mod actor;
mod config;
mod http;
mod tls;

pub(crate) use actor::{parse_polling_handshake, parse_websocket_handshake};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

pub use config::EngineClientConfig;
pub use tls::TlsOptions;

use crate::engine::server::TransportKind;
use crate::engine::Frame;

/// Why a client-side Engine.IO connection ended (the reference's reason strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientCloseReason {
    /// The server closed the connection (or sent a close packet).
    TransportClose,
    /// A request or the socket failed.
    TransportError,
    /// No ping from the server within pingInterval + pingTimeout.
    PingTimeout,
    /// The client closed the connection.
    ForcedClose,
    /// The server sent something that is not Engine.IO.
    ParseError,
}

impl ClientCloseReason {
    /// The reference string.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientCloseReason::TransportClose => "transport close",
            ClientCloseReason::TransportError => "transport error",
            ClientCloseReason::PingTimeout => "ping timeout",
            ClientCloseReason::ForcedClose => "forced close",
            ClientCloseReason::ParseError => "parse error",
        }
    }
}

/// What socket.io-client passes as `details` with `transport close` and `transport error`
/// (the second argument of its `disconnect` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseDetails {
    /// What happened: `transport closed by the server` (polling), `websocket connection
    /// closed`, or the error.
    pub description: String,
    /// More about it when known: the WebSocket close code and reason, the I/O error.
    pub context: Option<String>,
}

impl CloseDetails {
    pub(crate) fn new(description: impl Into<String>, context: Option<String>) -> Option<CloseDetails> {
        Some(CloseDetails { description: description.into(), context })
    }
}

/// Why the handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The URL could not be used.
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// Connecting or the request failed (server down, refused, TLS...).
    #[error("transport error: {0}")]
    Transport(String),
    /// The server answered with an HTTP error (status, body).
    #[error("server error {0}: {1}")]
    Http(u16, String),
    /// The server's answer was not an Engine.IO open packet.
    #[error("invalid handshake: {0}")]
    Protocol(String),
    /// No answer within the timeout.
    #[error("timeout")]
    Timeout,
}

/// A message or state change of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// The server pinged (already answered).
    Ping,
    /// The answer to that ping is about to be sent (engine.io-client's `packetCreate`
    /// of its pong).
    Pong,
    /// The transport was upgraded.
    Upgrade(TransportKind),
    /// Every queued frame was written.
    Drain,
    /// The connection ended.
    Close(ClientCloseReason, Option<CloseDetails>),
}

/// The handshake data (`open` packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInfo {
    /// Session id.
    pub sid: String,
    /// Transports the server offers for an upgrade.
    pub upgrades: Vec<String>,
    /// Server ping interval.
    pub ping_interval: Duration,
    /// Server ping timeout.
    pub ping_timeout: Duration,
    /// Largest payload the server accepts.
    pub max_payload: usize,
    /// The open packet's JSON as the server sent it (engine.io-client's `packet` event
    /// shows it).
    pub raw: String,
}

impl OpenInfo {
    pub(crate) fn parse(json: &str) -> Result<OpenInfo, HandshakeError> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
        let ms = |k: &str| v[k].as_u64().map(Duration::from_millis);
        Ok(OpenInfo {
            sid: v["sid"].as_str().ok_or_else(|| HandshakeError::Protocol("missing sid".into()))?.to_owned(),
            upgrades: v["upgrades"]
                .as_array()
                .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            ping_interval: ms("pingInterval").unwrap_or(Duration::from_millis(25_000)),
            ping_timeout: ms("pingTimeout").unwrap_or(Duration::from_millis(20_000)),
            max_payload: v["maxPayload"].as_u64().unwrap_or(1_000_000) as usize,
            raw: json.to_owned(),
        })
    }
}

enum Command {
    /// A frame, and whether it may be compressed (permessage-deflate).
    Send(Frame, bool),
    Close,
}

pub(crate) struct Shared {
    websocket: AtomicBool,
    closed: AtomicBool,
    /// When the next server ping is overdue (`_pingTimeoutTime`).
    ping_deadline: Mutex<Instant>,
}

/// A connected Engine.IO client. Cheap to clone.
#[derive(Clone)]
pub struct EngineClient {
    tx: mpsc::UnboundedSender<Command>,
    open: Arc<OpenInfo>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EngineClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineClient").field("sid", &self.open.sid).field("transport", &self.transport()).finish()
    }
}

impl EngineClient {
    /// Performs the handshake (within `config.timeout`) and starts the connection task.
    pub async fn connect(
        config: EngineClientConfig,
    ) -> Result<(EngineClient, mpsc::UnboundedReceiver<EngineEvent>), HandshakeError> {
        let timeout = config.timeout;
        let opened =
            tokio::time::timeout(timeout, actor::open(config)).await.map_err(|_| HandshakeError::Timeout)??;
        let (tx, rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let open = Arc::new(opened.info.clone());
        let shared = Arc::new(Shared {
            websocket: AtomicBool::new(opened.is_websocket()),
            closed: AtomicBool::new(false),
            ping_deadline: Mutex::new(Instant::now() + open.ping_interval + open.ping_timeout),
        });
        tokio::spawn(actor::run(opened, rx, events_tx, shared.clone()));
        Ok((EngineClient { tx, open, shared }, events_rx))
    }

    /// The handshake data.
    pub fn open_info(&self) -> &OpenInfo {
        &self.open
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.open.sid
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        if self.shared.websocket.load(Ordering::Acquire) {
            TransportKind::Websocket
        } else {
            TransportKind::Polling
        }
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Whether the server's last ping is overdue (the connection is probably dead).
    pub fn ping_expired(&self) -> bool {
        Instant::now() > *self.shared.ping_deadline.lock().expect("deadline lock poisoned")
    }

    /// Queues a frame. Returns false when the connection is closed.
    pub fn send(&self, frame: Frame) -> bool {
        self.send_with(frame, true)
    }

    /// [`EngineClient::send`], saying whether the frame may be compressed (socket.io-client's
    /// `compress` flag: with permessage-deflate, `false` sends it as it is).
    pub fn send_with(&self, frame: Frame, compress: bool) -> bool {
        !self.is_closed() && self.tx.send(Command::Send(frame, compress)).is_ok()
    }

    /// Closes the connection (reason `forced close`).
    pub fn close(&self) {
        let _ = self.tx.send(Command::Close);
    }
}
