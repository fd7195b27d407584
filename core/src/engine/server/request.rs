//! What the server keeps of the request that opened a session.
use std::net::SocketAddr;
use std::time::SystemTime;

use http::{HeaderMap, Method, Uri};

/// The handshake request of a session: the source of `socket.handshake`.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// Request method.
    pub method: Method,
    /// Request URI (path and query).
    pub uri: Uri,
    /// Request headers.
    pub headers: HeaderMap,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// When the request arrived.
    pub time: SystemTime,
}

impl RequestInfo {
    pub(crate) fn new<B>(req: &http::Request<B>, remote: SocketAddr, secure: bool) -> Self {
        let query = req
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        RequestInfo {
            method: req.method().clone(),
            uri: req.uri().clone(),
            headers: req.headers().clone(),
            query,
            remote,
            secure,
            time: SystemTime::now(),
        }
    }

    /// The first value of query parameter `key`.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of header `name`, if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
