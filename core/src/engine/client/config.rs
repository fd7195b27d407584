//! Engine.IO client options.
use std::time::Duration;

use crate::engine::server::TransportKind;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct EngineClientConfig {
    /// `http://host:port` or `https://...` (a `ws`/`wss` scheme works too); its path is ignored.
    pub url: String,
    /// Endpoint path (default `/engine.io/`).
    pub path: String,
    /// Extra query parameters.
    pub query: Vec<(String, String)>,
    /// Extra HTTP headers on every request.
    pub extra_headers: Vec<(String, String)>,
    /// Transports, tried in order: the first one opens the session (default polling, websocket).
    pub transports: Vec<TransportKind>,
    /// Whether to upgrade from polling to WebSocket (default true).
    pub upgrade: bool,
    /// Adds a random `t` parameter to polling requests (default true).
    pub timestamp_requests: bool,
    /// Handshake timeout (default 20 s).
    pub timeout: Duration,
    /// TLS options for `https://`/`wss://`.
    pub tls: super::TlsOptions,
    /// WebSocket permessage-deflate offered to the server, messages of at least `threshold`
    /// bytes compressed when it agrees (default on, 1024 bytes, as engine.io-client in
    /// Node; `None`: not offered).
    pub per_message_deflate: Option<crate::engine::deflate::PerMessageDeflate>,
}

impl Default for EngineClientConfig {
    fn default() -> Self {
        EngineClientConfig {
            url: "http://localhost".into(),
            path: "/engine.io/".into(),
            query: Vec::new(),
            extra_headers: Vec::new(),
            transports: vec![TransportKind::Polling, TransportKind::Websocket],
            upgrade: true,
            timestamp_requests: true,
            timeout: Duration::from_millis(20_000),
            tls: super::TlsOptions::default(),
            per_message_deflate: Some(crate::engine::deflate::PerMessageDeflate::default()),
        }
    }
}

/// Scheme, authority and base of the endpoint, derived from the config.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub secure: bool,
    pub authority: String,
    pub path: String,
}

impl Endpoint {
    pub(crate) fn parse(config: &EngineClientConfig) -> Result<Endpoint, String> {
        let uri: http::Uri = config.url.parse().map_err(|e| format!("{e}"))?;
        let secure = match uri.scheme_str() {
            Some("http" | "ws") | None => false,
            Some("https" | "wss") => true,
            Some(other) => return Err(format!("unsupported scheme {other}")),
        };
        let host = uri.host().ok_or("missing host")?;
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let mut path = config.path.clone();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(Endpoint { secure, authority: format!("{host}:{port}"), path })
    }

    /// `path?EIO=4&transport=..&sid=..&<query>&t=..`
    pub(crate) fn path_and_query(
        &self,
        config: &EngineClientConfig,
        transport: TransportKind,
        sid: Option<&str>,
    ) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &config.query {
            q.append_pair(k, v);
        }
        q.append_pair("EIO", "4");
        q.append_pair("transport", transport.as_str());
        if let Some(sid) = sid {
            q.append_pair("sid", sid);
        }
        if transport == TransportKind::Polling && config.timestamp_requests {
            q.append_pair("t", &crate::sid::generate()[..7]);
        }
        format!("{}?{}", self.path, q.finish())
    }
}
