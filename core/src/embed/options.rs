//! Server options as every face takes them: one table of names, kinds, defaults and
//! checks, so a face only translates its naming and units and a new option is one entry
//! here (plus one line per face that lists options explicitly, as the C struct does).
//!
//! Names are snake_case (`ping_interval`, `max_http_buffer_size`); Node's camelCase maps
//! to them mechanically ([`snake_case`]). Durations are numbers in the face's [`Unit`].
use std::time::Duration;

use crate::engine::server::{Cors, CorsOrigin, SameSite, SessionCookie, TransportKind};
#[cfg(feature = "tls")]
use crate::engine::server::{Pem, TlsConfig, TlsError};
use crate::proto::Parser;
use crate::server::{RecoveryConfig, ServerConfig};

/// A value as a host language hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// `true` / `false`.
    Bool(bool),
    /// A number (durations in the face's unit).
    Number(f64),
    /// A string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
    /// Bytes (a PEM document given as bytes).
    Bytes(Vec<u8>),
}

/// The unit a face gives durations in: seconds in Python, milliseconds in Node and C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (fractions allowed).
    Seconds,
    /// Milliseconds.
    Milliseconds,
}

/// An option that does not exist, has the wrong type, or contradicts another.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("option \"{option}\": {message}")]
pub struct OptionError {
    /// The option's name as the face spelled it.
    pub option: String,
    /// What is wrong.
    pub message: String,
}

impl OptionError {
    fn new(option: &str, message: impl Into<String>) -> OptionError {
        OptionError { option: option.to_owned(), message: message.into() }
    }
}

/// The Redis adapters a cluster can use, each wire-compatible with its Node.js
/// counterpart (the kind every node of one cluster must share).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterAdapterKind {
    /// Classic pub/sub: `@socket.io/redis-adapter`'s `createAdapter`.
    #[default]
    Redis,
    /// Sharded pub/sub (Redis 7 `SPUBLISH`): `@socket.io/redis-adapter`'s `createShardedAdapter`.
    RedisSharded,
    /// Redis Streams: `@socket.io/redis-streams-adapter`.
    RedisStreams,
}

impl ClusterAdapterKind {
    /// The kind named `name` (`redis`, `redis-sharded`, `redis-streams`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "redis" => Some(Self::Redis),
            "redis-sharded" => Some(Self::RedisSharded),
            "redis-streams" => Some(Self::RedisStreams),
            _ => None,
        }
    }

    /// Its name, as the option spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::RedisSharded => "redis-sharded",
            Self::RedisStreams => "redis-streams",
        }
    }
}

/// Every server option a face can set: `None` keeps the reference's default.
///
/// Build it with [`ServerOptions::set`] (by name) or field by field, then turn it into a
/// [`ServerConfig`] with [`ServerOptions::into_config`], which checks the combination.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerOptions {
    /// Endpoint path (default `/socket.io/`).
    pub path: Option<String>,
    /// Ping interval (default 25 s).
    pub ping_interval: Option<Duration>,
    /// Ping timeout (default 20 s).
    pub ping_timeout: Option<Duration>,
    /// Upgrade timeout (default 10 s).
    pub upgrade_timeout: Option<Duration>,
    /// Namespace join timeout (default 45 s).
    pub connect_timeout: Option<Duration>,
    /// Largest message, in bytes (default 1e6); also bounds one packet's attachments.
    pub max_http_buffer_size: Option<usize>,
    /// Allowed transports (default polling and websocket).
    pub transports: Option<Vec<TransportKind>>,
    /// Whether polling sessions may upgrade (default true).
    pub allow_upgrades: Option<bool>,
    /// Whether socket.io-client 2.x (Engine.IO 3) may connect (default false).
    pub allow_eio3: Option<bool>,
    /// gzip/deflate of polling responses (default true, as engine.io's `httpCompression`).
    pub http_compression: Option<bool>,
    /// Smallest polling response compressed, in bytes (default 1024).
    pub compression_threshold: Option<usize>,
    /// WebSocket permessage-deflate for clients that offer it (default false, as socket.io's
    /// `perMessageDeflate`).
    pub per_message_deflate: Option<bool>,
    /// Smallest WebSocket message compressed, in bytes (default 1024, as `ws`); needs
    /// `per_message_deflate`.
    pub per_message_deflate_threshold: Option<usize>,
    /// CORS origins (default none: no CORS headers, as the reference).
    pub cors_origin: Option<CorsOrigin>,
    /// CORS credentials (default false); needs `cors_origin`.
    pub cors_credentials: Option<bool>,
    /// Connection state recovery (default off).
    pub recovery: Option<bool>,
    /// How long a disconnected session is kept for recovery (default 2 min); needs `recovery`.
    pub max_disconnection_duration: Option<Duration>,
    /// Whether recovered sockets skip the middlewares (default true); needs `recovery`.
    pub skip_middlewares: Option<bool>,
    /// Requests arrive over TLS (`handshake.secure`), e.g. behind a TLS-terminating host.
    pub secure: Option<bool>,
    /// Byte budget of one session's outgoing queue (default 4 × `max_http_buffer_size`).
    pub max_buffered_bytes: Option<usize>,
    /// Frames one session may have queued (default 8192; beyond: `transport error`).
    pub max_buffered_frames: Option<usize>,
    /// Largest request line + headers (default 16 KiB; beyond: 431).
    pub max_header_size: Option<usize>,
    /// Time for a request's headers, and keep-alive idle time (default 30 s).
    pub headers_timeout: Option<Duration>,
    /// Time a new connection may stay silent (default 30 s; then 408).
    pub idle_timeout: Option<Duration>,
    /// Open connections of the listener (default 90 % of the fd limit; beyond: 503).
    pub max_connections: Option<usize>,
    /// Attachments one binary packet may declare (default 10).
    pub max_attachments: Option<usize>,
    /// The packet format: `default` or `msgpack` (`socket.io-msgpack-parser`).
    pub parser: Option<Parser>,
    /// Redis URL of a cluster (`redis://host:port[/db]`); the face builds the adapter
    /// (it lives in the `sio-redis` crate) and puts it into the config.
    pub cluster_url: Option<String>,
    /// Which Redis adapter `cluster_url` gets (default [`ClusterAdapterKind::Redis`]).
    pub cluster_adapter: Option<ClusterAdapterKind>,
    /// The session cookie (engine.io's `cookie`) for sticky load balancing: its name
    /// (`io` when the face says `true`); the `cookie_*` options need it.
    pub cookie: Option<String>,
    /// Cookie `Path` (default `/`; empty: none).
    pub cookie_path: Option<String>,
    /// Cookie `HttpOnly` (default true).
    pub cookie_http_only: Option<bool>,
    /// Cookie `SameSite`: `strict`, `lax` (default) or `none`; empty: no attribute.
    pub cookie_same_site: Option<Option<SameSite>>,
    /// Cookie `Secure` (default false).
    pub cookie_secure: Option<bool>,
    /// Cookie `Domain` (default none).
    pub cookie_domain: Option<String>,
    /// Cookie `Max-Age` (default none: a session cookie).
    pub cookie_max_age: Option<Duration>,
    /// TLS certificate chain of the own-port listener (a PEM file path, or the PEM):
    /// https and wss, `handshake.secure` true. Needs `tls_key`.
    #[cfg(feature = "tls")]
    pub tls_cert: Option<Pem>,
    /// TLS private key of the certificate (a PEM file path, or the PEM). Needs `tls_cert`.
    #[cfg(feature = "tls")]
    pub tls_key: Option<Pem>,
}

/// The names [`ServerOptions::set`] knows, for error messages and docs.
pub const SERVER_OPTION_NAMES: &[&str] = &[
    "path",
    "ping_interval",
    "ping_timeout",
    "upgrade_timeout",
    "connect_timeout",
    "max_http_buffer_size",
    "transports",
    "allow_upgrades",
    "allow_eio3",
    "http_compression",
    "compression_threshold",
    "per_message_deflate",
    "per_message_deflate_threshold",
    "cors_origin",
    "cors_credentials",
    "recovery",
    "max_disconnection_duration",
    "skip_middlewares",
    "secure",
    "max_buffered_bytes",
    "max_buffered_frames",
    "max_header_size",
    "headers_timeout",
    "idle_timeout",
    "max_connections",
    "max_attachments",
    "parser",
    "cluster_url",
    "cluster_adapter",
    "tls_cert",
    "tls_key",
    "cookie",
    "cookie_path",
    "cookie_http_only",
    "cookie_same_site",
    "cookie_secure",
    "cookie_domain",
    "cookie_max_age",
];

impl ServerOptions {
    /// Sets option `name` (snake_case) from a host value; durations are in `unit`.
    /// `spelled` is the name as the user wrote it (for the error message).
    pub fn set(&mut self, name: &str, value: OptionValue, unit: Unit) -> Result<(), OptionError> {
        self.set_spelled(name, name, value, unit)
    }

    /// As [`ServerOptions::set`], reporting errors under `spelled` (e.g. `pingInterval`).
    pub fn set_spelled(
        &mut self,
        name: &str,
        spelled: &str,
        value: OptionValue,
        unit: Unit,
    ) -> Result<(), OptionError> {
        let v = Typed { name: spelled, value, unit };
        match name {
            "path" => self.path = Some(v.path()?),
            "ping_interval" => self.ping_interval = Some(v.positive_duration()?),
            "ping_timeout" => self.ping_timeout = Some(v.positive_duration()?),
            "upgrade_timeout" => self.upgrade_timeout = Some(v.positive_duration()?),
            "connect_timeout" => self.connect_timeout = Some(v.positive_duration()?),
            "max_http_buffer_size" => self.max_http_buffer_size = Some(v.count(1)?),
            "transports" => self.transports = Some(v.transports()?),
            "allow_upgrades" => self.allow_upgrades = Some(v.bool()?),
            "allow_eio3" => self.allow_eio3 = Some(v.bool()?),
            "http_compression" => self.http_compression = Some(v.bool()?),
            "compression_threshold" => self.compression_threshold = Some(v.count(0)?),
            "per_message_deflate" => self.per_message_deflate = Some(v.bool()?),
            "per_message_deflate_threshold" => self.per_message_deflate_threshold = Some(v.count(0)?),
            "cors_origin" => self.cors_origin = Some(v.cors_origin()?),
            "cors_credentials" => self.cors_credentials = Some(v.bool()?),
            "recovery" => self.recovery = Some(v.bool()?),
            "max_disconnection_duration" => self.max_disconnection_duration = Some(v.duration()?),
            "skip_middlewares" => self.skip_middlewares = Some(v.bool()?),
            "secure" => self.secure = Some(v.bool()?),
            "max_buffered_bytes" => self.max_buffered_bytes = Some(v.count(1)?),
            "max_buffered_frames" => self.max_buffered_frames = Some(v.count(1)?),
            "max_header_size" => self.max_header_size = Some(v.count(1024)?),
            "headers_timeout" => self.headers_timeout = Some(v.positive_duration()?),
            "idle_timeout" => self.idle_timeout = Some(v.positive_duration()?),
            "max_connections" => self.max_connections = Some(v.count(1)?),
            "max_attachments" => self.max_attachments = Some(v.count(1)?),
            "parser" => self.parser = Some(v.parser()?),
            "cluster_url" => self.cluster_url = Some(v.string()?),
            "cluster_adapter" => self.cluster_adapter = Some(v.cluster_adapter()?),
            "cookie" => self.cookie = v.cookie_name()?,
            "cookie_path" => self.cookie_path = Some(v.cookie_text()?),
            "cookie_http_only" => self.cookie_http_only = Some(v.bool()?),
            "cookie_same_site" => self.cookie_same_site = Some(v.same_site()?),
            "cookie_secure" => self.cookie_secure = Some(v.bool()?),
            "cookie_domain" => self.cookie_domain = Some(v.cookie_text()?),
            "cookie_max_age" => self.cookie_max_age = Some(v.duration()?),
            #[cfg(feature = "tls")]
            "tls_cert" => self.tls_cert = Some(v.pem()?),
            #[cfg(feature = "tls")]
            "tls_key" => self.tls_key = Some(v.pem()?),
            #[cfg(not(feature = "tls"))]
            "tls_cert" | "tls_key" => return Err(v.err("this build has no TLS (the sio-core \"tls\" feature)")),
            _ => return Err(OptionError::new(spelled, "unknown option")),
        }
        Ok(())
    }

    /// The core configuration, after checking that the options go together. The cluster
    /// adapter (from `cluster_url`) is the face's to add.
    pub fn into_config(self) -> Result<ServerConfig, OptionError> {
        if self.cors_credentials == Some(true) && self.cors_origin.is_none() {
            return Err(OptionError::new("cors_credentials", "needs cors_origin"));
        }
        if self.cluster_adapter.is_some() && self.cluster_url.is_none() {
            return Err(OptionError::new("cluster_adapter", "needs cluster_url"));
        }
        if self.recovery != Some(true) {
            for (set, name) in [
                (self.max_disconnection_duration.is_some(), "max_disconnection_duration"),
                (self.skip_middlewares.is_some(), "skip_middlewares"),
            ] {
                if set {
                    return Err(OptionError::new(name, "needs recovery"));
                }
            }
        }
        let mut c = ServerConfig::default();
        let e = &mut c.engine;
        e.cookie = self.cookie()?;
        #[cfg(feature = "tls")]
        {
            e.tls = tls_config(self.tls_cert, self.tls_key)?;
        }
        if let Some(p) = self.path {
            e.path = p;
        }
        set(&mut e.ping_interval, self.ping_interval);
        set(&mut e.ping_timeout, self.ping_timeout);
        set(&mut e.upgrade_timeout, self.upgrade_timeout);
        set(&mut e.max_payload, self.max_http_buffer_size);
        set(&mut e.transports, self.transports);
        set(&mut e.allow_upgrades, self.allow_upgrades);
        set(&mut e.allow_eio3, self.allow_eio3);
        if self.http_compression == Some(false) {
            if self.compression_threshold.is_some() {
                return Err(OptionError::new("compression_threshold", "needs http_compression"));
            }
            e.http_compression = None;
        } else if let (Some(t), Some(c)) = (self.compression_threshold, e.http_compression.as_mut()) {
            c.threshold = t;
        }
        match (self.per_message_deflate, self.per_message_deflate_threshold) {
            (Some(true), t) => {
                let default = crate::engine::server::PerMessageDeflate::default();
                e.per_message_deflate =
                    Some(crate::engine::server::PerMessageDeflate { threshold: t.unwrap_or(default.threshold) });
            }
            (_, Some(_)) => {
                return Err(OptionError::new("per_message_deflate_threshold", "needs per_message_deflate"));
            }
            (Some(false), None) => e.per_message_deflate = None,
            (None, None) => {}
        }
        set(&mut e.secure, self.secure);
        e.max_buffered_bytes = self.max_buffered_bytes.or(e.max_buffered_bytes);
        set(&mut e.max_buffered_frames, self.max_buffered_frames);
        set(&mut e.max_header_size, self.max_header_size);
        set(&mut e.headers_timeout, self.headers_timeout);
        set(&mut e.idle_timeout, self.idle_timeout);
        e.max_connections = self.max_connections.or(e.max_connections);
        if let Some(origin) = self.cors_origin {
            e.cors = Some(Cors { origin, credentials: self.cors_credentials.unwrap_or(false) });
        }
        set(&mut c.connect_timeout, self.connect_timeout);
        set(&mut c.max_attachments, self.max_attachments);
        set(&mut c.parser, self.parser);
        if self.recovery == Some(true) {
            let mut r = RecoveryConfig::default();
            set(&mut r.max_disconnection_duration, self.max_disconnection_duration);
            set(&mut r.skip_middlewares, self.skip_middlewares);
            c.recovery = Some(r);
        }
        Ok(c)
    }
}

impl ServerOptions {
    fn cookie(&self) -> Result<Option<SessionCookie>, OptionError> {
        let Some(name) = &self.cookie else {
            let set = [
                (self.cookie_path.is_some(), "cookie_path"),
                (self.cookie_http_only.is_some(), "cookie_http_only"),
                (self.cookie_same_site.is_some(), "cookie_same_site"),
                (self.cookie_secure.is_some(), "cookie_secure"),
                (self.cookie_domain.is_some(), "cookie_domain"),
                (self.cookie_max_age.is_some(), "cookie_max_age"),
            ];
            return match set.iter().find(|(set, _)| *set) {
                Some((_, option)) => Err(OptionError::new(option, "needs cookie")),
                None => Ok(None),
            };
        };
        let mut c = SessionCookie { name: name.clone(), ..SessionCookie::default() };
        if let Some(p) = &self.cookie_path {
            c.path = (!p.is_empty()).then(|| p.clone());
        }
        set(&mut c.http_only, self.cookie_http_only);
        set(&mut c.same_site, self.cookie_same_site);
        set(&mut c.secure, self.cookie_secure);
        c.domain = self.cookie_domain.clone().filter(|d| !d.is_empty());
        c.max_age = self.cookie_max_age;
        if c.same_site == Some(SameSite::None) && !c.secure {
            // Browsers drop a SameSite=None cookie without Secure: say so now.
            return Err(OptionError::new("cookie_same_site", "\"none\" needs cookie_secure"));
        }
        Ok(Some(c))
    }
}

/// Reads and checks the certificate and key (both or neither): a file that cannot be
/// read, invalid PEM or a key of another certificate is an error here, at server creation.
#[cfg(feature = "tls")]
fn tls_config(cert: Option<Pem>, key: Option<Pem>) -> Result<Option<TlsConfig>, OptionError> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(OptionError::new("tls_cert", "needs tls_key")),
        (None, Some(_)) => return Err(OptionError::new("tls_key", "needs tls_cert")),
        (Some(c), Some(k)) => (c, k),
    };
    TlsConfig::new(&cert, &key).map(Some).map_err(|e| {
        let option = match &e {
            TlsError::Read { path, .. } if cert == Pem::File(path.clone()) => "tls_cert",
            TlsError::InvalidCertificate(_) => "tls_cert",
            _ => "tls_key",
        };
        OptionError::new(option, e.to_string())
    })
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// `pingInterval` → `ping_interval`, `maxHttpBufferSize` → `max_http_buffer_size`.
pub fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A host value being read as the kind an option needs.
struct Typed<'a> {
    name: &'a str,
    value: OptionValue,
    unit: Unit,
}

impl Typed<'_> {
    fn err(&self, message: impl Into<String>) -> OptionError {
        OptionError::new(self.name, message)
    }

    fn bool(&self) -> Result<bool, OptionError> {
        match self.value {
            OptionValue::Bool(b) => Ok(b),
            _ => Err(self.err("must be a boolean")),
        }
    }

    fn number(&self) -> Result<f64, OptionError> {
        match self.value {
            OptionValue::Number(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(self.err("must be a non-negative number")),
        }
    }

    fn duration(&self) -> Result<Duration, OptionError> {
        let n = self.number()?;
        let secs = match self.unit {
            Unit::Seconds => n,
            Unit::Milliseconds => n / 1000.0,
        };
        Duration::try_from_secs_f64(secs).map_err(|_| self.err("is not a valid duration"))
    }

    fn positive_duration(&self) -> Result<Duration, OptionError> {
        let d = self.duration()?;
        if d.is_zero() {
            return Err(self.err("must be greater than zero"));
        }
        Ok(d)
    }

    fn count(&self, min: usize) -> Result<usize, OptionError> {
        let n = self.number()?;
        if n.fract() != 0.0 || n < min as f64 || n > usize::MAX as f64 {
            return Err(self.err(format!("must be a whole number of at least {min}")));
        }
        Ok(n as usize)
    }

    fn parser(&self) -> Result<Parser, OptionError> {
        match &self.value {
            OptionValue::Str(s) => Parser::from_name(s).ok_or_else(|| self.err("must be \"default\" or \"msgpack\"")),
            _ => Err(self.err("must be \"default\" or \"msgpack\"")),
        }
    }

    fn cluster_adapter(&self) -> Result<ClusterAdapterKind, OptionError> {
        let expected = "unknown kind: must be \"redis\", \"redis-sharded\" or \"redis-streams\"";
        match &self.value {
            OptionValue::Str(s) => ClusterAdapterKind::from_name(s).ok_or_else(|| self.err(expected)),
            _ => Err(self.err(expected)),
        }
    }

    fn string(&self) -> Result<String, OptionError> {
        match &self.value {
            OptionValue::Str(s) => Ok(s.clone()),
            _ => Err(self.err("must be a string")),
        }
    }

    /// `true`: engine.io's cookie named `io`; `false`: none; a string: that name.
    fn cookie_name(&self) -> Result<Option<String>, OptionError> {
        match &self.value {
            OptionValue::Bool(false) => Ok(None),
            OptionValue::Bool(true) => Ok(Some(SessionCookie::default().name)),
            OptionValue::Str(_) => {
                let name = self.cookie_text()?;
                // A cookie name is an HTTP token.
                if name.is_empty()
                    || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                {
                    return Err(self.err("must be a cookie name (letters, digits, -._~ and the like)"));
                }
                Ok(Some(name))
            }
            _ => Err(self.err("must be true, false or a cookie name")),
        }
    }

    /// Text that fits in a `Set-Cookie` header: visible ASCII, no `;`.
    fn cookie_text(&self) -> Result<String, OptionError> {
        let s = self.string()?;
        if !s.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b';' && b != b',') {
            return Err(self.err("must be visible ASCII without ';' or ','"));
        }
        Ok(s)
    }

    /// `"strict"`, `"lax"`, `"none"`, or `""` / `false` for no attribute.
    fn same_site(&self) -> Result<Option<SameSite>, OptionError> {
        match &self.value {
            OptionValue::Bool(false) => Ok(None),
            OptionValue::Str(s) if s.is_empty() => Ok(None),
            OptionValue::Str(s) => {
                SameSite::parse(s).map(Some).ok_or_else(|| self.err("must be \"strict\", \"lax\" or \"none\""))
            }
            _ => Err(self.err("must be \"strict\", \"lax\", \"none\" or false")),
        }
    }

    /// A PEM file path, or PEM text (a string starting with `-----BEGIN`) or bytes.
    #[cfg(feature = "tls")]
    fn pem(&self) -> Result<Pem, OptionError> {
        match &self.value {
            OptionValue::Str(s) if s.is_empty() => Err(self.err("must not be empty")),
            OptionValue::Str(s) => Ok(Pem::text_or_path(s)),
            OptionValue::Bytes(b) => Ok(Pem::Bytes(b.clone())),
            _ => Err(self.err("must be a PEM file path, or PEM text or bytes")),
        }
    }

    fn path(&self) -> Result<String, OptionError> {
        let p = self.string()?;
        if !p.starts_with('/') {
            return Err(self.err("must start with \"/\""));
        }
        Ok(if p.ends_with('/') { p } else { format!("{p}/") })
    }

    fn transports(&self) -> Result<Vec<TransportKind>, OptionError> {
        let OptionValue::List(names) = &self.value else {
            return Err(self.err("must be a list of \"polling\" and \"websocket\""));
        };
        if names.is_empty() {
            return Err(self.err("must not be empty"));
        }
        names
            .iter()
            .map(|n| TransportKind::parse(n).ok_or_else(|| self.err(format!("unknown transport {n:?}"))))
            .collect()
    }

    /// `"*"` (any, a literal `*`), `true` (reflect the request's origin, the `cors`
    /// package's `origin: true`), one origin or a list of origins.
    fn cors_origin(&self) -> Result<CorsOrigin, OptionError> {
        let list = match &self.value {
            OptionValue::Bool(true) => return Ok(CorsOrigin::Reflect),
            OptionValue::Str(s) => vec![s.clone()],
            OptionValue::List(l) => l.clone(),
            _ => return Err(self.err("must be \"*\", true, an origin or a list of origins")),
        };
        if list.iter().any(|o| o == "*") {
            return Ok(CorsOrigin::Any);
        }
        if list.is_empty() || list.iter().any(String::is_empty) {
            return Err(self.err("origins must not be empty"));
        }
        Ok(CorsOrigin::List(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: f64) -> OptionValue {
        OptionValue::Number(n)
    }

    #[test]
    fn defaults_are_the_reference_ones() {
        let c = ServerOptions::default().into_config().unwrap();
        assert_eq!(c.engine.path, "/socket.io/");
        assert_eq!(c.engine.ping_interval, Duration::from_secs(25));
        assert_eq!(c.engine.cors, None);
        assert_eq!(c.max_attachments, 10);
        assert!(c.recovery.is_none());
    }

    #[test]
    fn per_message_deflate_is_off_by_default_and_takes_a_threshold() {
        use crate::engine::server::PerMessageDeflate;
        let deflate = |pairs: &[(&str, OptionValue)]| {
            let mut o = ServerOptions::default();
            for (name, value) in pairs {
                o.set(name, value.clone(), Unit::Seconds)?;
            }
            o.into_config().map(|c| c.engine.per_message_deflate)
        };
        assert_eq!(deflate(&[]).unwrap(), None);
        assert_eq!(deflate(&[("per_message_deflate", OptionValue::Bool(false))]).unwrap(), None);
        let on = OptionValue::Bool(true);
        assert_eq!(
            deflate(&[("per_message_deflate", on.clone())]).unwrap(),
            Some(PerMessageDeflate { threshold: 1024 })
        );
        let t = ("per_message_deflate_threshold", OptionValue::Number(0.0));
        assert_eq!(
            deflate(&[("per_message_deflate", on), t.clone()]).unwrap(),
            Some(PerMessageDeflate { threshold: 0 })
        );
        assert_eq!(deflate(&[t]).unwrap_err().option, "per_message_deflate_threshold");
    }

    #[test]
    fn the_session_cookie() {
        let s = |v: &str| OptionValue::Str(v.into());
        let cookie = |pairs: &[(&str, OptionValue)]| {
            let mut o = ServerOptions::default();
            for (name, value) in pairs {
                o.set(name, value.clone(), Unit::Seconds)?;
            }
            o.into_config().map(|c| c.engine.cookie)
        };
        assert_eq!(cookie(&[]).unwrap(), None);
        assert_eq!(cookie(&[("cookie", OptionValue::Bool(false))]).unwrap(), None);
        assert_eq!(cookie(&[("cookie", OptionValue::Bool(true))]).unwrap(), Some(SessionCookie::default()));
        let c = cookie(&[
            ("cookie", s("sticky")),
            ("cookie_path", s("")),
            ("cookie_http_only", OptionValue::Bool(false)),
            ("cookie_same_site", s("Strict")),
            ("cookie_max_age", OptionValue::Number(60.0)),
            ("cookie_domain", s("example.com")),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.header_value("x"), "sticky=x; Domain=example.com; Max-Age=60; SameSite=Strict");
        let err = |pairs: &[(&str, OptionValue)]| cookie(pairs).unwrap_err().option;
        assert_eq!(err(&[("cookie_path", s("/"))]), "cookie_path", "needs cookie");
        assert_eq!(err(&[("cookie", s("a b"))]), "cookie");
        assert_eq!(err(&[("cookie", s("io")), ("cookie_domain", s("a;b"))]), "cookie_domain");
        assert_eq!(err(&[("cookie", s("io")), ("cookie_same_site", s("sometimes"))]), "cookie_same_site");
        assert_eq!(err(&[("cookie", s("io")), ("cookie_same_site", s("none"))]), "cookie_same_site", "needs secure");
        let ok =
            cookie(&[("cookie", s("io")), ("cookie_same_site", s("none")), ("cookie_secure", OptionValue::Bool(true))]);
        assert_eq!(ok.unwrap().unwrap().header_value("x"), "io=x; Path=/; HttpOnly; Secure; SameSite=None");
    }

    #[test]
    fn names_units_and_checks() {
        let mut o = ServerOptions::default();
        o.set("ping_interval", ms(1500.0), Unit::Milliseconds).unwrap();
        o.set("ping_timeout", OptionValue::Number(0.25), Unit::Seconds).unwrap();
        o.set("path", OptionValue::Str("/io".into()), Unit::Seconds).unwrap();
        o.set("cors_origin", OptionValue::Bool(true), Unit::Seconds).unwrap();
        o.set("cors_credentials", OptionValue::Bool(true), Unit::Seconds).unwrap();
        o.set("max_buffered_bytes", ms(4096.0), Unit::Seconds).unwrap();
        let c = o.into_config().unwrap();
        assert_eq!(c.engine.ping_interval, Duration::from_millis(1500));
        assert_eq!(c.engine.ping_timeout, Duration::from_millis(250));
        assert_eq!(c.engine.path, "/io/");
        assert_eq!(c.engine.cors, Some(Cors { origin: CorsOrigin::Reflect, credentials: true }));
        assert_eq!(c.engine.max_buffered_bytes, Some(4096));

        let mut o = ServerOptions::default();
        let e = o.set_spelled("ping_interval", "pingInterval", ms(0.0), Unit::Milliseconds).unwrap_err();
        assert_eq!(e.to_string(), "option \"pingInterval\": must be greater than zero");
        assert!(o.set("parser", OptionValue::Str("cbor".into()), Unit::Seconds).is_err());
        o.set("parser", OptionValue::Str("msgpack".into()), Unit::Seconds).unwrap();
        assert_eq!(o.clone().into_config().unwrap().parser, Parser::Msgpack);
        assert!(o.set("transports", OptionValue::List(vec!["carrier-pigeon".into()]), Unit::Seconds).is_err());
        assert!(o.set("max_attachments", ms(1.5), Unit::Seconds).is_err());
        o.set("cors_credentials", OptionValue::Bool(true), Unit::Seconds).unwrap();
        assert_eq!(o.into_config().unwrap_err().option, "cors_credentials");
        let mut o = ServerOptions::default();
        o.set("skip_middlewares", OptionValue::Bool(false), Unit::Seconds).unwrap();
        assert_eq!(o.into_config().unwrap_err().option, "skip_middlewares");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_takes_paths_text_or_bytes_both_or_neither() {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert, key) = (c.cert.pem(), c.signing_key.serialize_pem());
        let dir = std::env::temp_dir().join(format!("sio-options-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key_path = dir.join("key.pem");
        std::fs::write(&key_path, &key).unwrap();

        let mut o = ServerOptions::default();
        o.set("tls_cert", OptionValue::Bytes(cert.clone().into_bytes()), Unit::Seconds).unwrap();
        o.set("tls_key", OptionValue::Str(key_path.to_string_lossy().into_owned()), Unit::Seconds).unwrap();
        assert!(o.into_config().unwrap().engine.tls.is_some());

        let mut o = ServerOptions::default();
        o.set("tls_cert", OptionValue::Str(cert.clone()), Unit::Seconds).unwrap();
        assert_eq!(o.clone().into_config().unwrap_err().option, "tls_cert");
        o.set_spelled("tls_key", "tlsKey", OptionValue::Str("/nonexistent/key.pem".into()), Unit::Seconds).unwrap();
        let e = o.into_config().unwrap_err();
        assert_eq!(e.option, "tls_key");
        assert!(e.message.contains("/nonexistent/key.pem"), "{e}");

        let mut o = ServerOptions::default();
        o.set("tls_cert", OptionValue::Str("-----BEGIN CERTIFICATE-----\nnope\n".into()), Unit::Seconds).unwrap();
        o.set("tls_key", OptionValue::Str(key.clone()), Unit::Seconds).unwrap();
        assert_eq!(o.into_config().unwrap_err().option, "tls_cert");
        assert!(ServerOptions::default().set("tls_key", OptionValue::Bool(true), Unit::Seconds).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn camel_case_maps_to_the_table() {
        assert_eq!(snake_case("maxHttpBufferSize"), "max_http_buffer_size");
        assert_eq!(snake_case("pingInterval"), "ping_interval");
        for name in SERVER_OPTION_NAMES {
            let mut o = ServerOptions::default();
            let err = o.set(name, OptionValue::Str(String::new()), Unit::Seconds).err();
            assert!(err.is_none_or(|e| e.message != "unknown option"), "{name} is listed but not handled");
        }
    }
}
