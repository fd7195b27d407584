//! Socket.IO server options.
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
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("engine", &self.engine)
            .field("connect_timeout", &self.connect_timeout)
            .field("recovery", &self.recovery)
            .field("ack_timeout", &self.ack_timeout)
            .field("adapter", &self.adapter.as_ref().map(|_| "cluster"))
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
