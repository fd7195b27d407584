//! HTTP responses of the Engine.IO endpoint: errors as the reference gives them, CORS.
use ::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use http_body_util::Full;

use super::config::{Cors, CorsOrigin};

/// The Engine.IO HTTP error codes (`{"code":N,"message":"..."}` bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EngineHttpError {
    /// 0: the `transport` parameter is missing or not enabled.
    #[error("Transport unknown")]
    UnknownTransport,
    /// 1: no open session has this `sid`.
    #[error("Session ID unknown")]
    UnknownSid,
    /// 2: a handshake must be a GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// 3: the request does not fit the session (wrong transport, overlapping upgrade...).
    #[error("Bad request")]
    BadRequest,
    /// 4: refused by the `allow_request` hook.
    #[error("Forbidden")]
    Forbidden,
    /// 5: `EIO` is not 4.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
}

impl EngineHttpError {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            EngineHttpError::UnknownTransport => 0,
            EngineHttpError::UnknownSid => 1,
            EngineHttpError::BadHandshakeMethod => 2,
            EngineHttpError::BadRequest => 3,
            EngineHttpError::Forbidden => 4,
            EngineHttpError::UnsupportedProtocolVersion => 5,
        }
    }

    pub(super) fn response(self, message: Option<&str>) -> Response<Full<Bytes>> {
        let status = if self == EngineHttpError::Forbidden { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
        let body = serde_json::json!({ "code": self.code(), "message": message.unwrap_or(&self.to_string()) });
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("static response parts are valid")
    }
}

pub(super) fn status(code: StatusCode) -> Response<Full<Bytes>> {
    Response::builder().status(code).body(Full::default()).expect("static response parts are valid")
}

pub(super) fn text(body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; charset=UTF-8")
        .body(Full::new(body))
        .expect("static response parts are valid")
}

/// A polling response of binary records (Engine.IO 3 clients that take binary).
pub(super) fn binary(body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Full::new(body))
        .expect("static response parts are valid")
}

pub(super) fn ok() -> Response<Full<Bytes>> {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html")
        .body(Full::new(Bytes::from_static(b"ok")))
        .expect("static response parts are valid")
}

/// Adds the CORS headers for a request with these headers; `preflight` adds the
/// method/header allowances of an OPTIONS answer.
pub(super) fn apply_cors(cors: &Cors, req: &HeaderMap, res: &mut HeaderMap, preflight: bool) {
    let origin = req.get(header::ORIGIN);
    let allow = match (&cors.origin, origin) {
        (CorsOrigin::Any, _) => Some(HeaderValue::from_static("*")),
        (CorsOrigin::Reflect, Some(o)) => Some(o.clone()),
        (CorsOrigin::Reflect, None) => None,
        (CorsOrigin::List(list), Some(o)) => o.to_str().ok().filter(|o| list.iter().any(|a| a == o)).map(|_| o.clone()),
        (CorsOrigin::List(_), None) => None,
    };
    let Some(allow) = allow else { return };
    res.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
    if !matches!(cors.origin, CorsOrigin::Any) {
        res.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if cors.credentials {
        res.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    if preflight {
        res.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"));
        if let Some(h) = req.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            res.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, h.clone());
            res.append(header::VARY, HeaderValue::from_static("Access-Control-Request-Headers"));
        }
    }
}
