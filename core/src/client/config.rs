//! Client options, with socket.io-client's defaults.
use crate::proto::Parser;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::server::TransportKind;
use crate::value::Value;

/// The CONNECT payload: fixed, or computed again at every (re)connection.
#[derive(Clone, Default)]
pub enum Auth {
    /// No payload.
    #[default]
    None,
    /// A fixed JSON object.
    Static(Value),
    /// Evaluated at each attempt (e.g. to send a fresh token).
    Dynamic(Arc<dyn Fn() -> Value + Send + Sync>),
    /// Evaluated at each attempt by a future, as socket.io-client's `auth(cb)`: CONNECT
    /// is sent when it resolves (a host language's callback answers without holding a
    /// runtime thread).
    Deferred(Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Value> + Send + Sync>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Static(v) => f.debug_tuple("Static").field(v).finish(),
            Auth::Dynamic(_) => f.write_str("Dynamic(..)"),
            Auth::Deferred(_) => f.write_str("Deferred(..)"),
        }
    }
}

impl Auth {
    /// The payload now, or `Err` with the future that computes it.
    pub(crate) fn evaluate(&self) -> Result<Option<Value>, futures_util::future::BoxFuture<'static, Value>> {
        match self {
            Auth::None => Ok(None),
            Auth::Static(v) => Ok(Some(v.clone())),
            Auth::Dynamic(f) => Ok(Some(f())),
            Auth::Deferred(f) => Err(f()),
        }
    }
}

/// Options of a Manager (the Engine.IO connection and reconnection).
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Server URL, `http(s)://host:port`.
    pub url: String,
    /// Endpoint path (default `/socket.io/`).
    pub path: String,
    /// Extra query parameters.
    pub query: Vec<(String, String)>,
    /// Extra HTTP headers.
    pub extra_headers: Vec<(String, String)>,
    /// Transports in order of preference (default polling then websocket).
    pub transports: Vec<TransportKind>,
    /// Whether to upgrade polling to WebSocket (default true).
    pub upgrade: bool,
    /// Random `t` on polling requests (default true).
    pub timestamp_requests: bool,
    /// Reconnect after an unintended disconnection (default true).
    pub reconnection: bool,
    /// Attempts before `reconnect_failed` (default unlimited).
    pub reconnection_attempts: Option<u32>,
    /// First reconnection delay (default 1 s).
    pub reconnection_delay: Duration,
    /// Largest reconnection delay (default 5 s).
    pub reconnection_delay_max: Duration,
    /// Jitter of the delay, 0..=1 (default 0.5).
    pub randomization_factor: f64,
    /// Connection timeout (default 20 s).
    pub timeout: Duration,
    /// Connect sockets when they are created (default true).
    pub auto_connect: bool,
    /// TLS for `https://` URLs: extra CA, or `reject_unauthorized: false` for tests.
    pub tls: crate::engine::client::TlsOptions,
    /// WebSocket permessage-deflate offered to the server, messages of at least `threshold`
    /// bytes compressed when it agrees (default on, 1024 bytes, as engine.io-client's
    /// `perMessageDeflate: { threshold: 1024 }` in Node; `None`: not offered).
    pub per_message_deflate: Option<crate::engine::deflate::PerMessageDeflate>,
    /// The packet format (default socket.io's; [`Parser::Msgpack`] as
    /// `socket.io-msgpack-parser`): the server's.
    pub parser: Parser,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            url: "http://localhost".into(),
            path: "/socket.io/".into(),
            query: Vec::new(),
            extra_headers: Vec::new(),
            transports: vec![TransportKind::Polling, TransportKind::Websocket],
            upgrade: true,
            timestamp_requests: true,
            reconnection: true,
            reconnection_attempts: None,
            reconnection_delay: Duration::from_millis(1000),
            reconnection_delay_max: Duration::from_millis(5000),
            randomization_factor: 0.5,
            timeout: Duration::from_millis(20_000),
            auto_connect: true,
            tls: crate::engine::client::TlsOptions::default(),
            per_message_deflate: Some(crate::engine::deflate::PerMessageDeflate::default()),
            parser: Parser::Default,
        }
    }
}

impl ManagerConfig {
    /// Checks what a face may get wrong, with messages that name the options as every
    /// face spells them in snake_case (the embedding layer refuses a client with an
    /// invalid configuration before anything connects).
    pub fn validate(&self) -> Result<(), String> {
        self.tuning().validate()?;
        if self.transports.is_empty() {
            return Err("transports must not be empty".into());
        }
        Ok(())
    }
}

impl ManagerConfig {
    /// The reconnection settings it starts with.
    pub fn tuning(&self) -> Tuning {
        Tuning {
            reconnection: self.reconnection,
            reconnection_attempts: self.reconnection_attempts,
            reconnection_delay: self.reconnection_delay,
            reconnection_delay_max: self.reconnection_delay_max,
            randomization_factor: self.randomization_factor,
            timeout: self.timeout,
        }
    }

    /// Takes the reconnection settings of `tuning`.
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.reconnection = tuning.reconnection;
        self.reconnection_attempts = tuning.reconnection_attempts;
        self.reconnection_delay = tuning.reconnection_delay;
        self.reconnection_delay_max = tuning.reconnection_delay_max;
        self.randomization_factor = tuning.randomization_factor;
        self.timeout = tuning.timeout;
    }
}

/// The reconnection settings of a Manager, which its setters change while it runs
/// (socket.io-client's `manager.reconnection(v)`, ...): the same fields as in
/// [`ManagerConfig`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Whether to reconnect.
    pub reconnection: bool,
    /// Attempts before giving up (`None`: no limit).
    pub reconnection_attempts: Option<u32>,
    /// First delay.
    pub reconnection_delay: Duration,
    /// Largest delay.
    pub reconnection_delay_max: Duration,
    /// Jitter, `0.0..=1.0`.
    pub randomization_factor: f64,
    /// Connection timeout of each attempt.
    pub timeout: Duration,
}

impl Tuning {
    /// `Err` for a randomization factor outside `0.0..=1.0`.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.randomization_factor) {
            return Err("randomization_factor must be between 0 and 1".into());
        }
        Ok(())
    }
}

/// Options of one Socket (a namespace).
#[derive(Debug, Clone, Default)]
pub struct SocketConfig {
    /// CONNECT payload.
    pub auth: Auth,
    /// Resend unacknowledged packets up to this many times (at-least-once delivery).
    pub retries: Option<u32>,
    /// Default acknowledgement timeout (used by `retries`).
    pub ack_timeout: Option<Duration>,
}
