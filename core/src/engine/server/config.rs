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
    /// Any origin: a literal `Access-Control-Allow-Origin: *`, also when credentials are
    /// allowed (as the `cors` package with `origin: "*"`; browsers then refuse credentialed
    /// requests, which is the point).
    Any,
    /// Only these origins (exact match on the `Origin` header, which is echoed back).
    List(Vec<String>),
    /// Echoes whatever `Origin` the request has (the `cors` package's `origin: true`).
    /// **Unsafe with `credentials: true`**: any web site can then make credentialed requests
    /// in its visitors' name. Use [`CorsOrigin::List`] unless every origin is trusted.
    Reflect,
}

/// Cross-origin resource sharing for the polling transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins.
    pub origin: CorsOrigin,
    /// Sends `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
}

/// The session cookie of engine.io's `cookie` option: set on each handshake response
/// (`io=<sid>; Path=/; HttpOnly; SameSite=Lax` by default), so a load balancer with sticky
/// sessions can send a session's later requests to the node that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    /// Cookie name (default `io`).
    pub name: String,
    /// `Path` attribute (default `/`; `None` leaves it out).
    pub path: Option<String>,
    /// `HttpOnly` (default true).
    pub http_only: bool,
    /// `SameSite` attribute: `Strict`, `Lax` or `None` (default `Lax`; `None` leaves it out).
    pub same_site: Option<SameSite>,
    /// `Secure` (default false).
    pub secure: bool,
    /// `Domain` attribute (default none).
    pub domain: Option<String>,
    /// `Max-Age` (default none: a session cookie).
    pub max_age: Option<Duration>,
}

/// The `SameSite` attribute of [`SessionCookie`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it).
    None,
}

impl SameSite {
    /// Parses `strict`, `lax` or `none` (any case).
    pub fn parse(s: &str) -> Option<SameSite> {
        match s.to_ascii_lowercase().as_str() {
            "strict" => Some(SameSite::Strict),
            "lax" => Some(SameSite::Lax),
            "none" => Some(SameSite::None),
            _ => None,
        }
    }
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie {
            name: "io".into(),
            path: Some("/".into()),
            http_only: true,
            same_site: Some(SameSite::Lax),
            secure: false,
            domain: None,
            max_age: None,
        }
    }
}

impl SessionCookie {
    /// The `Set-Cookie` value for session `sid`.
    pub fn header_value(&self, sid: &str) -> String {
        let mut v = format!("{}={}", self.name, sid);
        if let Some(d) = &self.domain {
            v.push_str("; Domain=");
            v.push_str(d);
        }
        if let Some(p) = &self.path {
            v.push_str("; Path=");
            v.push_str(p);
        }
        if let Some(age) = self.max_age {
            v.push_str(&format!("; Max-Age={}", age.as_secs()));
        }
        if self.http_only {
            v.push_str("; HttpOnly");
        }
        if self.secure {
            v.push_str("; Secure");
        }
        match self.same_site {
            Some(SameSite::Strict) => v.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => v.push_str("; SameSite=Lax"),
            Some(SameSite::None) => v.push_str("; SameSite=None"),
            None => {}
        }
        v
    }
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
    /// gzip/deflate of polling responses of at least `threshold` bytes, for requests that
    /// accept it (default on, 1024 bytes, as engine.io's `httpCompression`; `None`: off).
    pub http_compression: Option<super::HttpCompression>,
    /// WebSocket permessage-deflate (RFC 7692) for clients that offer it, messages of at
    /// least `threshold` bytes compressed (default off, as socket.io's `perMessageDeflate:
    /// false`; on, 1024 bytes as `ws`). Inflated messages are bounded by `max_payload`.
    pub per_message_deflate: Option<crate::engine::deflate::PerMessageDeflate>,
    /// Whether Engine.IO protocol 3 clients (socket.io-client 2.x) are served too (default
    /// false, as engine.io's `allowEIO3`).
    pub allow_eio3: bool,
    /// How long an upgrade may take before the probe is dropped (default 10 s).
    pub upgrade_timeout: Duration,
    /// CORS for polling requests (default none, as in the reference).
    pub cors: Option<Cors>,
    /// Hook deciding whether to accept a handshake.
    pub allow_request: Option<AllowRequest>,
    /// Frames a session may have queued before it counts as a slow consumer and is
    /// closed with `transport error` (default 8192).
    pub max_buffered_frames: usize,
    /// Bytes a session may have queued for its client (default `None`: 4 × `max_payload`).
    /// A client that reads too slowly to stay under it is closed with `transport error`;
    /// volatile packets are dropped once half of it is used.
    pub max_buffered_bytes: Option<usize>,
    /// Largest request line + headers accepted by [`serve`](super::serve), in bytes
    /// (default 16 KiB, Node's): beyond it the answer is 431 and the connection closes.
    pub max_header_size: usize,
    /// Time a request's headers may take to arrive, also the longest idle time between two
    /// requests of one keep-alive connection (default 30 s, hyper's): then the connection
    /// is closed. A polling POST's body gets as long (then 408 and the session closes), and
    /// so does a write to a peer that stopped reading (then the connection is dropped).
    pub headers_timeout: Duration,
    /// Time a new TCP connection may stay silent before its first byte (default 30 s):
    /// then it gets 408 and is closed.
    pub idle_timeout: Duration,
    /// Open TCP connections served by [`serve`](super::serve) (default `None`: 90 % of the
    /// process's file-descriptor limit). Beyond it a new connection gets 503 and is closed.
    pub max_connections: Option<usize>,
    /// Whether requests reach us over TLS (reported as `handshake.secure`).
    pub secure: bool,
    /// The session cookie for sticky load balancing (default none, as in the reference).
    pub cookie: Option<SessionCookie>,
    /// TLS for the own-port listener (`Server::listen`): https and wss with this
    /// certificate and key, requests reported as `handshake.secure` (default none: plain).
    #[cfg(feature = "tls")]
    pub tls: Option<super::TlsConfig>,
}

/// Limits of one listener, taken from [`EngineConfig`] by [`EngineConfig::listen_limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenLimits {
    /// See [`EngineConfig::max_header_size`].
    pub max_header_size: usize,
    /// See [`EngineConfig::headers_timeout`].
    pub headers_timeout: Duration,
    /// See [`EngineConfig::idle_timeout`].
    pub idle_timeout: Duration,
    /// See [`EngineConfig::max_connections`]; here resolved to a number.
    pub max_connections: usize,
}

impl Default for ListenLimits {
    fn default() -> Self {
        EngineConfig::default().listen_limits()
    }
}

impl EngineConfig {
    /// The byte budget of one session's outgoing queue.
    pub fn buffered_bytes_budget(&self) -> usize {
        self.max_buffered_bytes.unwrap_or_else(|| self.max_payload.saturating_mul(4))
    }

    /// The listener limits of this configuration.
    pub fn listen_limits(&self) -> ListenLimits {
        ListenLimits {
            max_header_size: self.max_header_size,
            headers_timeout: self.headers_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections.unwrap_or_else(default_max_connections),
        }
    }
}

/// 90 % of the soft file-descriptor limit: the rest stays free for files, pipes, Redis and
/// the connections being refused.
fn default_max_connections() -> usize {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if !ok || lim.rlim_cur == libc::RLIM_INFINITY {
        return 1 << 20;
    }
    ((lim.rlim_cur as usize) / 10 * 9).max(1)
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
            allow_eio3: false,
            http_compression: Some(super::HttpCompression::default()),
            per_message_deflate: None,
            upgrade_timeout: Duration::from_millis(10_000),
            cors: None,
            allow_request: None,
            max_buffered_frames: 8192,
            max_buffered_bytes: None,
            max_header_size: 16 * 1024,
            headers_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: None,
            secure: false,
            cookie: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("EngineConfig");
        d.field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("max_payload", &self.max_payload)
            .field("transports", &self.transports)
            .field("cors", &self.cors)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field("max_header_size", &self.max_header_size)
            .field("headers_timeout", &self.headers_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("cookie", &self.cookie);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls);
        d.finish_non_exhaustive()
    }
}
