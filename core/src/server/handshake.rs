//! `socket.handshake`: details of the handshake that opened the connection.
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::utc::Utc;
use crate::engine::server::CompactRequest;
use crate::value::Value;

/// What the seeds list under `Socket#handshake`.
///
/// The request's parts (headers, query, URL) are shared by every socket of one
/// connection: joining more namespaces does not copy them again.
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// Headers of the first request (names lower-case).
    pub headers: Arc<[(String, String)]>,
    /// Query parameters of the first request.
    pub query: Arc<[(String, String)]>,
    /// The client's auth payload (`{}` when none).
    pub auth: Value,
    /// Creation date as JavaScript's `Date#toString()` gives it (UTC).
    pub time: String,
    /// Creation date, milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query).
    pub url: Arc<str>,
    /// The client's IP address.
    pub address: String,
    /// Whether the request was cross-domain (had an `Origin`).
    pub xdomain: bool,
    /// Whether the connection is secure (TLS).
    pub secure: bool,
}

/// The parts of a handshake that come from the connection's first request, built once.
#[derive(Debug, Clone)]
pub(crate) struct RequestParts {
    headers: Arc<[(String, String)]>,
    query: Arc<[(String, String)]>,
    url: Arc<str>,
}

impl RequestParts {
    pub(crate) fn new(req: &CompactRequest) -> RequestParts {
        RequestParts {
            headers: req.headers().map(|(k, v)| (k.to_owned(), String::from_utf8_lossy(v).into_owned())).collect(),
            query: req.query().into(),
            url: req.uri().into(),
        }
    }
}

impl Handshake {
    pub(crate) fn new(req: &CompactRequest, parts: &RequestParts, auth: Value) -> Handshake {
        let issued = req.time().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        Handshake {
            headers: parts.headers.clone(),
            query: parts.query.clone(),
            auth,
            time: http_date(req.time()),
            issued,
            url: parts.url.clone(),
            address: req.remote().ip().to_string(),
            xdomain: req.header("origin").is_some(),
            secure: req.secure(),
        }
    }

    /// Query parameter `key`.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The handshake as one JSON-like value, keys in the reference's order.
    pub fn to_value(&self) -> Value {
        let map = |pairs: &[(String, String)]| {
            Value::Object(pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
        };
        Value::from([
            ("headers", map(&self.headers[..])),
            ("time", self.time.clone().into()),
            ("address", self.address.clone().into()),
            ("xdomain", self.xdomain.into()),
            ("secure", self.secure.into()),
            ("issued", self.issued.into()),
            ("url", Value::from(&*self.url)),
            ("query", map(&self.query[..])),
            ("auth", self.auth.clone()),
        ])
    }
}

/// The date as JavaScript's `Date#toString()` prints it in UTC
/// (`Sun Nov 22 2020 00:33:46 GMT+0000 (Coordinated Universal Time)`).
fn http_date(t: SystemTime) -> String {
    const WEEK: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let u = Utc::of(t);
    format!(
        "{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        WEEK[u.days.rem_euclid(7) as usize],
        MONTHS[(u.month - 1) as usize],
        u.day,
        u.year,
        u.hour,
        u.minute,
        u.second
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_http_dates() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_606_005_226);
        assert_eq!(super::http_date(t), "Sun Nov 22 2020 00:33:46 GMT+0000 (Coordinated Universal Time)");
    }
}
