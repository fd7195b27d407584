//! Engine.IO server options, with the reference implementation's defaults.
use std::sync::Arc;
use std::time::Duration;

use super::request::RequestInfo;

/// A transport a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    Websocket,
}

impl TransportKind {
    /// The name used on the wire (`transport=` query parameter).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::Websocket => "websocket",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<TransportKind> {
        match s {
            "polling" => Some(TransportKind::Polling),
            "websocket" => Some(TransportKind::Websocket),
            _ => None,
        }
    }
}

/// Decides whether a handshake or upgrade request is let in; `Err(message)` answers
/// 403 `{"code":4,"message":message}`.
pub type AllowRequest = Arc<dyn Fn(&RequestInfo) -> Result<(), String> + Send + Sync>;

/// Which origins may make cross-origin requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// Any origin (`Access-Control-Allow-Origin: *`, or the request's origin when credentials are allowed).
    Any,
    /// Only these origins (exact match on the `Origin` header).
    List(Vec<String>),
}

/// Cross-origin resource sharing for the polling transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins.
    pub origin: CorsOrigin,
    /// Sends `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
}

/// Engine.IO server options.
#[derive(Clone)]
pub struct EngineConfig {
    /// Endpoint path (default `/engine.io/`; Socket.IO uses `/socket.io/`).
    pub path: String,
    /// Time between two server pings (default 25 s).
    pub ping_interval: Duration,
    /// How long the server waits for a pong before closing with `ping timeout` (default 20 s).
    pub ping_timeout: Duration,
    /// Largest message or polling request body accepted, in bytes (default 1e6).
    pub max_payload: usize,
    /// Transports clients may use (default both).
    pub transports: Vec<TransportKind>,
    /// Whether a polling session may upgrade to WebSocket (default true).
    pub allow_upgrades: bool,
    /// How long an upgrade may take before the probe is dropped (default 10 s).
    pub upgrade_timeout: Duration,
    /// CORS for polling requests (default none, as in the reference).
    pub cors: Option<Cors>,
    /// Hook deciding whether to accept a handshake.
    pub allow_request: Option<AllowRequest>,
    /// Frames a session may have queued before it counts as a slow consumer and is
    /// closed with `transport error` (default 8192).
    pub max_buffered_frames: usize,
    /// Whether requests reach us over TLS (reported as `handshake.secure`).
    pub secure: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io/".into(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            transports: vec![TransportKind::Polling, TransportKind::Websocket],
            allow_upgrades: true,
            upgrade_timeout: Duration::from_millis(10_000),
            cors: None,
            allow_request: None,
            max_buffered_frames: 8192,
            secure: false,
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("max_payload", &self.max_payload)
            .field("transports", &self.transports)
            .field("cors", &self.cors)
            .finish_non_exhaustive()
    }
}
