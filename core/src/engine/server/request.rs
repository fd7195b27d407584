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

/// The handshake request as a session keeps it, for its lifetime: the method, URI and
/// headers as text in one allocation (a [`RequestInfo`] takes one per header value plus a
/// `HeaderMap`, ~1 KiB for a browser's request), expanded into a [`RequestInfo`] only
/// when someone asks for one.
#[derive(Debug)]
pub(crate) struct CompactRequest {
    /// `METHOD\nURI\nname:value\n...`: neither a method, a URI, a header name nor a
    /// header value holds a line feed, nor a header name a colon.
    text: Box<[u8]>,
    remote: SocketAddr,
    secure: bool,
    time: SystemTime,
}

impl CompactRequest {
    pub(crate) fn new(info: &RequestInfo) -> CompactRequest {
        let uri = info.uri.to_string();
        let mut text = Vec::with_capacity(
            info.method.as_str().len()
                + uri.len()
                + 2
                + info.headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 2).sum::<usize>(),
        );
        text.extend_from_slice(info.method.as_str().as_bytes());
        text.push(b'\n');
        text.extend_from_slice(uri.as_bytes());
        text.push(b'\n');
        for (name, value) in &info.headers {
            text.extend_from_slice(name.as_str().as_bytes());
            text.push(b':');
            text.extend_from_slice(value.as_bytes());
            text.push(b'\n');
        }
        CompactRequest { text: text.into(), remote: info.remote, secure: info.secure, time: info.time }
    }

    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let body = self.text.strip_suffix(b"\n").unwrap_or(&self.text);
        body.split(|b| *b == b'\n')
    }

    fn method(&self) -> &str {
        self.lines().next().and_then(|m| std::str::from_utf8(m).ok()).unwrap_or("GET")
    }

    /// The request URI (path and query).
    pub(crate) fn uri(&self) -> &str {
        self.lines().nth(1).and_then(|u| std::str::from_utf8(u).ok()).unwrap_or("/")
    }

    /// The headers in order, names lower-case.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.lines().skip(2).filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            Some((std::str::from_utf8(&line[..colon]).ok()?, &line[colon + 1..]))
        })
    }

    /// The first value of header `name` (lower-case).
    pub(crate) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The decoded query parameters, in order.
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        self.raw_query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
    }

    /// The first value of query parameter `key`.
    pub(crate) fn query_param(&self, key: &str) -> Option<String> {
        let q = self.raw_query()?;
        form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
    }

    fn raw_query(&self) -> Option<&str> {
        let uri = self.uri();
        uri.find('?').map(|at| &uri[at + 1..])
    }

    pub(crate) fn remote(&self) -> SocketAddr {
        self.remote
    }

    pub(crate) fn secure(&self) -> bool {
        self.secure
    }

    pub(crate) fn time(&self) -> SystemTime {
        self.time
    }

    /// The request as [`RequestInfo`] gives it.
    pub(crate) fn expand(&self) -> RequestInfo {
        let uri: Uri = self.uri().parse().unwrap_or_default();
        let query =
            uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
                headers.append(name, value);
            }
        }
        RequestInfo {
            method: self.method().parse().unwrap_or_default(),
            uri,
            headers,
            query,
            remote: self.remote,
            secure: self.secure,
            time: self.time,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compact_request_expands_to_the_same_request() {
        let req = http::Request::post("/socket.io/?EIO=4&transport=polling&a=b%20c&a=2")
            .header("host", "example.com:80")
            .header("x-custom", "one")
            .header("x-custom", "two: three")
            .header("cookie", HeaderValue::from_bytes(b"k=\xe9").unwrap())
            .body(())
            .unwrap();
        let info = RequestInfo::new(&req, Peer { remote: "10.0.0.1:5000".parse().unwrap(), secure: true });
        let compact = CompactRequest::new(&info);
        let back = compact.expand();
        assert_eq!(
            (&back.method, &back.uri, &back.headers, &back.query, back.remote, back.secure, back.time),
            (&info.method, &info.uri, &info.headers, &info.query, info.remote, info.secure, info.time)
        );
        assert_eq!(compact.uri(), "/socket.io/?EIO=4&transport=polling&a=b%20c&a=2");
        assert_eq!(compact.query_param("a").as_deref(), Some("b c"));
        assert_eq!(compact.query_param("missing"), None);
        assert_eq!(compact.query(), info.query);
        assert_eq!(compact.header("x-custom"), Some(&b"one"[..]));
        assert_eq!(compact.headers().count(), 4);
    }
}
