//! Socket.IO server options.
use crate::proto::Parser;
use std::sync::Arc;
use std::time::Duration;

use super::cluster::ClusterAdapter;
use crate::engine::server::{EngineConfig, TransportKind};

/// Connection state recovery options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected session is kept (reference default: 2 minutes).
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the namespace middlewares (default true).
    pub skip_middlewares: bool,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig { max_disconnection_duration: Duration::from_secs(120), skip_middlewares: true }
    }
}

/// Socket.IO server options (engine options included).
#[derive(Clone)]
pub struct ServerConfig {
    /// Engine.IO options; `engine.path` defaults to `/socket.io/`.
    pub engine: EngineConfig,
    /// How long a new connection may take to join a namespace (default 45 s).
    pub connect_timeout: Duration,
    /// Connection state recovery (off by default).
    pub recovery: Option<RecoveryConfig>,
    /// Whether `socket.emit_with_ack` etc. may be used without a timeout (always true; kept for parity).
    pub ack_timeout: Option<Duration>,
    /// How this server reaches the other servers of its cluster (`None`: it is alone).
    pub adapter: Option<Arc<dyn ClusterAdapter>>,
    /// Attachments one binary packet may declare (default 10, the reference parser's
    /// `maxAttachments`); their total bytes are bounded by `engine.max_payload`. Beyond
    /// either the connection closes with `parse error`.
    pub max_attachments: usize,
    /// The packet format (default socket.io's; [`Parser::Msgpack`] as
    /// `socket.io-msgpack-parser`): every client must use the same.
    pub parser: Parser,
    /// Whether the arguments of text events reach [`Socket::on_unhandled`] handlers as
    /// the JSON text they came in ([`crate::Args::as_text`]) when nothing else reads them
    /// (default false: they are parsed once, for Rust handlers). The embedding layer turns
    /// it on, as its hosts take JSON text; an event that a Rust handler then takes is
    /// checked, then parsed.
    ///
    /// [`Socket::on_unhandled`]: super::Socket::on_unhandled
    pub event_args_as_text: bool,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("engine", &self.engine)
            .field("connect_timeout", &self.connect_timeout)
            .field("recovery", &self.recovery)
            .field("ack_timeout", &self.ack_timeout)
            .field("adapter", &self.adapter.as_ref().map(|_| "cluster"))
            .field("max_attachments", &self.max_attachments)
            .field("parser", &self.parser)
            .field("event_args_as_text", &self.event_args_as_text)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            engine: EngineConfig { path: "/socket.io/".into(), ..EngineConfig::default() },
            connect_timeout: Duration::from_millis(45_000),
            recovery: None,
            ack_timeout: None,
            adapter: None,
            max_attachments: 10,
            parser: Parser::Default,
            event_args_as_text: false,
        }
    }
}

/// Builder for [`ServerConfig`].
#[derive(Debug, Clone, Default)]
pub struct ServerBuilder {
    config: ServerConfig,
}

impl ServerBuilder {
    /// Endpoint path (default `/socket.io/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.engine.path = path.into();
        self
    }
    /// Ping interval (default 25 s).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.config.engine.ping_interval = d;
        self
    }
    /// Ping timeout (default 20 s).
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.config.engine.ping_timeout = d;
        self
    }
    /// Largest accepted message, in bytes (default 1e6).
    pub fn max_http_buffer_size(mut self, n: usize) -> Self {
        self.config.engine.max_payload = n;
        self
    }
    /// Allowed transports (default polling and websocket).
    pub fn transports(mut self, t: &[TransportKind]) -> Self {
        self.config.engine.transports = t.to_vec();
        self
    }
    /// CORS for polling requests.
    pub fn cors(mut self, cors: crate::engine::server::Cors) -> Self {
        self.config.engine.cors = Some(cors);
        self
    }
    /// The session cookie (engine.io's `cookie` option) for load balancers with sticky
    /// sessions: `SessionCookie::default()` is engine.io's `cookie: true`
    /// (`io=<sid>; Path=/; HttpOnly; SameSite=Lax`).
    pub fn cookie(mut self, cookie: crate::engine::server::SessionCookie) -> Self {
        self.config.engine.cookie = Some(cookie);
        self
    }
    /// Handshake admission hook.
    pub fn allow_request(mut self, f: crate::engine::server::AllowRequest) -> Self {
        self.config.engine.allow_request = Some(f);
        self
    }
    /// Upgrade timeout (default 10 s).
    pub fn upgrade_timeout(mut self, d: Duration) -> Self {
        self.config.engine.upgrade_timeout = d;
        self
    }
    /// Namespace join timeout (default 45 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.config.connect_timeout = d;
        self
    }
    /// Turns on connection state recovery.
    pub fn connection_state_recovery(mut self, r: RecoveryConfig) -> Self {
        self.config.recovery = Some(r);
        self
    }
    /// Per-session queue cap (slow consumers beyond it are disconnected).
    pub fn max_buffered_frames(mut self, n: usize) -> Self {
        self.config.engine.max_buffered_frames = n;
        self
    }
    /// Byte budget of one session's outgoing queue (default 4 × max_http_buffer_size).
    pub fn max_buffered_bytes(mut self, n: usize) -> Self {
        self.config.engine.max_buffered_bytes = Some(n);
        self
    }
    /// Largest request line + headers, in bytes (default 16 KiB; beyond: 431).
    pub fn max_header_size(mut self, n: usize) -> Self {
        self.config.engine.max_header_size = n;
        self
    }
    /// Time for a request's headers to arrive, and keep-alive idle time (default 30 s).
    pub fn headers_timeout(mut self, d: Duration) -> Self {
        self.config.engine.headers_timeout = d;
        self
    }
    /// Time a new connection may stay silent (default 30 s; then 408).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.config.engine.idle_timeout = d;
        self
    }
    /// Open connections of the listener (default 90 % of the fd limit; beyond: 503).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.engine.max_connections = Some(n);
        self
    }
    /// Attachments one binary packet may declare (default 10).
    pub fn max_attachments(mut self, n: usize) -> Self {
        self.config.max_attachments = n;
        self
    }
    /// gzip/deflate of polling responses of at least `threshold` bytes for requests that
    /// accept it (default on, 1024 bytes, as engine.io's `httpCompression`; `None`: off).
    pub fn http_compression(mut self, compression: Option<crate::engine::server::HttpCompression>) -> Self {
        self.config.engine.http_compression = compression;
        self
    }
    /// WebSocket permessage-deflate for clients that offer it, messages of at least
    /// `threshold` bytes compressed (default `None`: off, as socket.io's `perMessageDeflate:
    /// false`). A host that upgrades sockets itself ([`crate::engine::server::HostWebSocket`])
    /// owns the framing, and so this extension.
    pub fn per_message_deflate(mut self, deflate: Option<crate::engine::deflate::PerMessageDeflate>) -> Self {
        self.config.engine.per_message_deflate = deflate;
        self
    }
    /// Serves Engine.IO protocol 3 clients too (socket.io-client 2.x), as socket.io's
    /// `allowEIO3` (default false).
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.config.engine.allow_eio3 = allow;
        self
    }
    /// The packet format every client must use (default socket.io's).
    pub fn parser(mut self, parser: Parser) -> Self {
        self.config.parser = parser;
        self
    }
    /// Hands `on_unhandled` handlers the arguments of text events as JSON text
    /// ([`ServerConfig::event_args_as_text`]).
    pub fn event_args_as_text(mut self, on: bool) -> Self {
        self.config.event_args_as_text = on;
        self
    }
    /// Serves https and wss on [`Server::listen`](super::Server::listen) with this
    /// certificate and key (`handshake.secure` is then true).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::engine::server::TlsConfig) -> Self {
        self.config.engine.tls = Some(tls);
        self
    }
    /// Joins a cluster through `adapter` (e.g. the Redis adapter).
    pub fn adapter(mut self, adapter: Arc<dyn ClusterAdapter>) -> Self {
        self.config.adapter = Some(adapter);
        self
    }
    /// The finished configuration.
    pub fn config(self) -> ServerConfig {
        self.config
    }
    /// Builds the server.
    pub fn build(self) -> super::Server {
        super::Server::new(self.config)
    }
}
