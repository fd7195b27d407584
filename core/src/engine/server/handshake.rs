//! Routing of one request: verification, handshake of new sessions, dispatch to a
//! transport for existing ones.
use std::sync::Arc;

use ::http::{header, Method, StatusCode};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};

use super::config::TransportKind;
use super::request::{Peer, RequestInfo};
use super::responses::{self, EngineHttpError};
use super::session::{CloseReason, Session};
use super::{polling, websocket, RequestBody, Shared};

pub(super) async fn route<B: RequestBody>(shared: &Arc<Shared>, req: Request<B>, peer: Peer) -> Response<Full<Bytes>> {
    let cors = shared.config.cors.clone();
    let req_headers = cors.as_ref().map(|_| req.headers().clone());
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight && cors.is_some() {
        responses::status(StatusCode::NO_CONTENT)
    } else {
        dispatch(shared, req, peer).await
    };
    if let (Some(cors), Some(h)) = (cors, req_headers) {
        responses::apply_cors(&cors, &h, res.headers_mut(), preflight);
    }
    res
}

async fn dispatch<B: RequestBody>(shared: &Arc<Shared>, req: Request<B>, peer: Peer) -> Response<Full<Bytes>> {
    // `secure` in the config: TLS ends in front of us (a proxy), so every request is secure.
    let peer = Peer { secure: peer.secure || shared.config.secure, ..peer };
    let info = RequestInfo::new(&req, peer);
    let transport = match info.query_param("transport").and_then(TransportKind::parse) {
        Some(t) if shared.config.transports.contains(&t) => t,
        _ => return EngineHttpError::UnknownTransport.response(None),
    };
    let is_ws_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if transport == TransportKind::Websocket && !is_ws_upgrade {
        return EngineHttpError::BadRequest.response(None);
    }

    if let Some(sid) = info.query_param("sid") {
        let Some(session) = shared.get(sid) else {
            return EngineHttpError::UnknownSid.response(None);
        };
        // A pong overdue by the clock is a timeout even if the timer task has not run yet.
        if session.expire_if_overdue() && session.close_reason() == Some(CloseReason::PingTimeout) {
            return EngineHttpError::UnknownSid.response(None);
        }
        return match (transport, session.transport()) {
            (TransportKind::Polling, TransportKind::Polling) => polling::handle(shared, &session, req).await,
            (TransportKind::Websocket, TransportKind::Polling)
                if shared.config.allow_upgrades && !session.is_closed() =>
            {
                // One upgrade per session: a second probe, while one is in progress or
                // after it succeeded, is accepted and closed at once, as the reference does.
                if session.probe_taken.swap(true, std::sync::atomic::Ordering::AcqRel) {
                    websocket::accept(shared, req, websocket::Mode::Refuse)
                } else {
                    websocket::accept(shared, req, websocket::Mode::Probe(session))
                }
            }
            (TransportKind::Websocket, TransportKind::Websocket) if !session.is_closed() => {
                websocket::accept(shared, req, websocket::Mode::Refuse)
            }
            _ => EngineHttpError::BadRequest.response(None),
        };
    }

    if req.method() != Method::GET {
        return EngineHttpError::BadHandshakeMethod.response(None);
    }
    let protocol = match info.query_param("EIO") {
        Some("4") => 4,
        Some("3") if shared.config.allow_eio3 => 3,
        _ => return EngineHttpError::UnsupportedProtocolVersion.response(None),
    };
    if let Some(allow) = &shared.config.allow_request {
        if let Err(message) = allow(&info) {
            return EngineHttpError::Forbidden.response(Some(&message));
        }
    }
    let session = Session::new(shared, info, transport, protocol);
    let cookie = shared.config.cookie.as_ref().map(|c| c.header_value(session.id()));
    let mut res = match transport {
        TransportKind::Websocket => websocket::accept(shared, req, websocket::Mode::New(session)),
        TransportKind::Polling => {
            register(shared, &session, false);
            let open = open_packet(shared, &session);
            session.send(open).expect("a new session has room for its open packet");
            shared.handler.on_open(&session);
            let accept = polling::accepted_coding(shared, req.headers());
            polling::respond(&session, &drain_now(&session), accept)
        }
    };
    // As engine.io, on the handshake response of either transport.
    if let Some(v) = cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Makes a new session reachable and starts its heartbeat; with `inline`, the caller runs
/// it instead (the WebSocket's task): returns when the first ping is due.
pub(super) fn register(shared: &Arc<Shared>, session: &Arc<Session>, inline: bool) -> Option<tokio::time::Instant> {
    shared.sessions.write().expect("session map lock poisoned").insert(session.id().to_owned(), session.clone());
    if inline {
        return Some(tokio::time::Instant::now() + shared.config.ping_interval);
    }
    if session.protocol() == 3 {
        session.spawn_heartbeat_v3(shared.config.ping_interval, shared.config.ping_timeout);
    } else {
        session.spawn_heartbeat(shared.config.ping_interval, shared.config.ping_timeout);
    }
    None
}

/// The `open` packet: `0{"sid","upgrades","pingInterval","pingTimeout","maxPayload"}`.
pub(super) fn open_packet(shared: &Shared, session: &Session) -> crate::engine::Frame {
    let upgrades: &[&str] = if session.transport() == TransportKind::Polling
        && shared.config.allow_upgrades
        && shared.config.transports.contains(&TransportKind::Websocket)
    {
        &["websocket"]
    } else {
        &[]
    };
    let json = serde_json::json!({
        "sid": session.id(),
        "upgrades": upgrades,
        "pingInterval": shared.config.ping_interval.as_millis() as u64,
        "pingTimeout": shared.config.ping_timeout.as_millis() as u64,
        "maxPayload": shared.config.max_payload,
    });
    crate::engine::Frame::Text(format!("0{json}").into())
}

/// Takes what is queued right now (the handshake response carries the open packet and
/// whatever the upper layer queued in `on_open`).
fn drain_now(session: &Session) -> Vec<crate::engine::Frame> {
    let mut out = Vec::new();
    if let Some(mut rx) = session.try_outbox() {
        while let Some((f, _)) = rx.try_recv() {
            out.push(f);
        }
    }
    out
}
