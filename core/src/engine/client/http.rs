//! The long-polling requests of the client (hyper's pooled HTTP/1 client).
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::config::{EngineClientConfig, Endpoint};
use crate::engine::server::TransportKind;

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

    async fn send(&self, req: http::Request<Full<Bytes>>) -> Result<Bytes, RequestError> {
        let res = self.client.request(req).await.map_err(|e| RequestError::Transport(e.to_string()))?;
        let status = res.status();
        let body = res.into_body().collect().await.map_err(|e| RequestError::Transport(e.to_string()))?.to_bytes();
        if !status.is_success() {
            return Err(RequestError::Status(status.as_u16(), String::from_utf8_lossy(&body).into_owned()));
        }
        Ok(body)
    }

    pub(crate) async fn get(&self, sid: Option<&str>) -> Result<Bytes, RequestError> {
        self.send(self.request(http::Method::GET, sid, Bytes::new())).await
    }

    pub(crate) async fn post(&self, sid: &str, body: Bytes) -> Result<(), RequestError> {
        self.send(self.request(http::Method::POST, Some(sid), body)).await.map(|_| ())
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

    pub(crate) fn extra_headers(&self) -> &[(String, String)] {
        &self.config.extra_headers
    }
}
