//! The long-polling requests of the client (hyper's pooled HTTP/1 client).
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::config::{Endpoint, EngineClientConfig};
use crate::engine::server::TransportKind;

/// The most the handshake response may hold: the open packet and a few queued packets.
pub(crate) const HANDSHAKE_BODY_LIMIT: usize = 128 * 1024;

/// The most one poll response may hold: the server's `maxPayload`, with room for base64
/// and for several queued messages (servers answer a poll with everything queued).
pub(crate) fn poll_body_limit(max_payload: usize) -> usize {
    max_payload.saturating_mul(4).max(HANDSHAKE_BODY_LIMIT)
}

#[derive(Clone)]
pub(crate) struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: Endpoint,
    config: EngineClientConfig,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

/// A failed request: no answer, or an HTTP error status with its body.
#[derive(Debug)]
pub(crate) enum RequestError {
    Transport(String),
    Status(u16, String),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Transport(e) => write!(f, "{e}"),
            RequestError::Status(s, body) => write!(f, "HTTP {s}: {body}"),
        }
    }
}

impl Http {
    pub(crate) fn new(config: EngineClientConfig, endpoint: Endpoint) -> Result<Http, String> {
        let tls = if endpoint.secure { Some(super::tls::client_config(&config.tls)?) } else { None };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let tls_config = match &tls {
            Some(c) => (**c).clone(),
            None => super::tls::client_config(&super::TlsOptions::default())?.as_ref().clone(),
        };
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Http { client, endpoint, config, tls })
    }

    fn request(&self, method: http::Method, sid: Option<&str>, body: Bytes) -> http::Request<Full<Bytes>> {
        let scheme = if self.endpoint.secure { "https" } else { "http" };
        let uri = format!(
            "{scheme}://{}{}",
            self.endpoint.authority,
            self.endpoint.path_and_query(&self.config, TransportKind::Polling, sid)
        );
        let mut req = http::Request::builder().method(method).uri(uri);
        for (k, v) in &self.config.extra_headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if !body.is_empty() {
            req = req.header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        }
        req.body(Full::new(body)).expect("request parts come from a parsed endpoint")
    }

    /// Sends `req` and reads at most `limit` bytes of the answer: a server that sends more
    /// fails the request (a transport error) instead of filling the client's memory.
    async fn send(&self, req: http::Request<Full<Bytes>>, limit: usize) -> Result<Bytes, RequestError> {
        let res = self.client.request(req).await.map_err(|e| RequestError::Transport(e.to_string()))?;
        let status = res.status();
        let body = http_body_util::Limited::new(res.into_body(), limit)
            .collect()
            .await
            .map_err(|e| RequestError::Transport(format!("response body: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(RequestError::Status(status.as_u16(), String::from_utf8_lossy(&body).into_owned()));
        }
        Ok(body)
    }

    /// A poll (or, without `sid`, the handshake), reading at most `limit` bytes.
    pub(crate) async fn get(&self, sid: Option<&str>, limit: usize) -> Result<Bytes, RequestError> {
        self.send(self.request(http::Method::GET, sid, Bytes::new()), limit).await
    }

    pub(crate) async fn post(&self, sid: &str, body: Bytes) -> Result<(), RequestError> {
        // The answer to a POST is `ok`; anything long is not a server we understand.
        self.send(self.request(http::Method::POST, Some(sid), body), HANDSHAKE_BODY_LIMIT).await.map(|_| ())
    }

    pub(crate) fn ws_url(&self, sid: Option<&str>) -> String {
        let scheme = if self.endpoint.secure { "wss" } else { "ws" };
        format!(
            "{scheme}://{}{}",
            self.endpoint.authority,
            self.endpoint.path_and_query(&self.config, TransportKind::Websocket, sid)
        )
    }

    /// The TLS configuration for `wss://` (None for plain connections).
    pub(crate) fn tls(&self) -> Option<std::sync::Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    pub(crate) fn per_message_deflate(&self) -> Option<crate::engine::deflate::PerMessageDeflate> {
        self.config.per_message_deflate
    }

    pub(crate) fn extra_headers(&self) -> &[(String, String)] {
        &self.config.extra_headers
    }
}
