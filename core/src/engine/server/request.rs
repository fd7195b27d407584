//! What the server keeps of the request that opened a session.
use std::net::SocketAddr;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// Who sent a request: what a listener (or a host serving the request) knows of the
/// connection beyond the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The peer's address (`handshake.address`).
    pub remote: SocketAddr,
    /// Whether the connection is TLS (`handshake.secure`).
    pub secure: bool,
}

impl Peer {
    /// A peer at `remote` over plain TCP.
    pub fn plain(remote: SocketAddr) -> Peer {
        Peer { remote, secure: false }
    }
}

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
    pub(crate) fn new<B>(req: &http::Request<B>, peer: Peer) -> Self {
        let query =
            req.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
        RequestInfo {
            method: req.method().clone(),
            uri: owned_uri(req.uri()),
            headers: owned_headers(req.headers()),
            query,
            remote: peer.remote,
            secure: peer.secure,
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

// hyper parses a request's URI and header values as slices of its connection's read
// buffer (8 KiB): a clone kept for the session's lifetime would keep that buffer alive
// too, for every connection. These copies own just their bytes.

fn owned_uri(uri: &Uri) -> Uri {
    uri.to_string().parse().unwrap_or_else(|_| uri.clone())
}

fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let (Ok(name), Ok(mut copy)) =
            (HeaderName::from_bytes(name.as_str().as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
        else {
            continue;
        };
        copy.set_sensitive(value.is_sensitive());
        out.append(name, copy);
    }
    out
}
