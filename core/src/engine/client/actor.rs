//! The task that owns a client connection's transport(s).
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::WebSocketStream;

use super::config::{Endpoint, EngineClientConfig};
use super::http::{Http, RequestError};
use super::{ClientCloseReason, CloseDetails, Command, EngineEvent, HandshakeError, OpenInfo, Shared};
use crate::engine::server::TransportKind;
use crate::engine::{payload, Frame, Packet};

/// The client's WebSocket runs over TCP or TLS, with permessage-deflate under it or not.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}
type Ws = WebSocketStream<Box<dyn Io>>;
/// Where a WebSocket's writer records whether each message may be compressed (with
/// permessage-deflate on).
type WsHints = Option<Arc<crate::engine::deflate::Hints>>;
type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A packet kept between the handshake and the task (the handshake body may hold more).
pub(crate) enum Incoming {
    Text(String),
    Binary(Bytes),
}

/// The body of the handshake GET: the open packet first, then what the server queued
/// with it (kept for the connection task).
pub(crate) fn parse_polling_handshake(body: &[u8]) -> Result<(OpenInfo, Vec<Incoming>), HandshakeError> {
    let text = std::str::from_utf8(body).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let packets = payload::decode(text).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let mut packets = packets.into_iter();
    let Some(Packet::Open(json)) = packets.next() else {
        return Err(HandshakeError::Protocol(format!("expected an open packet, got {text:?}")));
    };
    let info = OpenInfo::parse(json)?;
    let leftovers = packets
        .map(|p| match p {
            Packet::Binary(b) => Incoming::Binary(b),
            other => Incoming::Text(match other.encode() {
                Frame::Text(t) => t.to_string(),
                Frame::Binary(_) => unreachable!("only binary packets encode to binary frames"),
            }),
        })
        .collect();
    Ok((info, leftovers))
}

/// The first text message of a WebSocket-first connection: the open packet.
pub(crate) fn parse_websocket_handshake(text: &str) -> Result<OpenInfo, HandshakeError> {
    let json = text.strip_prefix('0').ok_or_else(|| HandshakeError::Protocol(text.to_string()))?;
    OpenInfo::parse(json)
}

pub(crate) struct Opened {
    pub(crate) info: OpenInfo,
    ws: Option<Ws>,
    hints: WsHints,
    http: Http,
    config: EngineClientConfig,
    leftovers: Vec<Incoming>,
}

impl Opened {
    pub(crate) fn is_websocket(&self) -> bool {
        self.ws.is_some()
    }
}

async fn connect_ws(http: &Http, sid: Option<&str>) -> Result<(Ws, WsHints), String> {
    let mut req = http.ws_url(sid).into_client_request().map_err(|e| e.to_string())?;
    for (k, v) in http.extra_headers() {
        let name = http::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
        let value = http::HeaderValue::from_str(v).map_err(|e| e.to_string())?;
        req.headers_mut().insert(name, value);
    }
    let deflate = http.per_message_deflate();
    if deflate.is_some() {
        req.headers_mut().insert(
            http::header::SEC_WEBSOCKET_EXTENSIONS,
            http::HeaderValue::from_static(crate::engine::deflate::negotiate::CLIENT_OFFER),
        );
    }
    // A small read buffer (tungstenite zero-fills it before each read).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(crate::engine::WS_READ_BUFFER);
    let host = req.uri().host().ok_or("missing host")?.to_owned();
    let port = req.uri().port_u16().unwrap_or(if http.tls().is_some() { 443 } else { 80 });
    let tcp = TcpStream::connect(format!("{host}:{port}")).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    // TLS, then permessage-deflate, then tungstenite: the codec works on the WebSocket's
    // frames, so it sits under tungstenite and over the encrypted stream.
    let io: Box<dyn Io> = match http.tls() {
        Some(tls) => {
            let name =
                rustls_pki_types::ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
                    .map_err(|e| e.to_string())?;
            Box::new(tokio_rustls::TlsConnector::from(tls).connect(name, tcp).await.map_err(|e| e.to_string())?)
        }
        None => Box::new(tcp),
    };
    let (io, hints): (Box<dyn Io>, WsHints) = match deflate {
        Some(d) => {
            let limit = config.max_message_size.unwrap_or(usize::MAX);
            let stream = crate::engine::deflate::DeflateStream::client(io, d.threshold, limit);
            let hints = stream.hints();
            (Box::new(stream), Some(hints))
        }
        None => (io, None),
    };
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(req, io, Some(config)).await.map_err(|e| e.to_string())?;
    Ok((ws, hints))
}

pub(crate) async fn open(config: EngineClientConfig) -> Result<Opened, HandshakeError> {
    let endpoint = Endpoint::parse(&config).map_err(HandshakeError::InvalidUrl)?;
    let http = Http::new(config.clone(), endpoint).map_err(HandshakeError::InvalidUrl)?;
    let first = config.transports.first().copied().unwrap_or(TransportKind::Polling);
    match first {
        TransportKind::Websocket => {
            let (mut ws, hints) = connect_ws(&http, None).await.map_err(HandshakeError::Transport)?;
            loop {
                match ws.next().await {
                    Some(Ok(WsMessage::Text(t))) => {
                        let info = parse_websocket_handshake(t.as_str())?;
                        return Ok(Opened { info, ws: Some(ws), hints, http, config, leftovers: Vec::new() });
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Err(e)) => return Err(HandshakeError::Transport(e.to_string())),
                    _ => return Err(HandshakeError::Protocol("connection closed during handshake".into())),
                }
            }
        }
        TransportKind::Polling => {
            let body = http.get(None, super::http::HANDSHAKE_BODY_LIMIT).await.map_err(|e| match e {
                RequestError::Transport(e) => HandshakeError::Transport(e),
                RequestError::Status(s, b) => HandshakeError::Http(s, b),
            })?;
            let (info, leftovers) = parse_polling_handshake(&body)?;
            Ok(Opened { info, ws: None, hints: None, http, config, leftovers })
        }
    }
}

fn to_ws(frame: Frame) -> WsMessage {
    match frame {
        Frame::Text(t) => WsMessage::Text(t),
        Frame::Binary(b) => WsMessage::Binary(b),
    }
}

/// What handling one packet asks the loop to do.
enum Action {
    Nothing,
    Pong,
    Close(ClientCloseReason),
}

struct Conn {
    events: mpsc::UnboundedSender<EngineEvent>,
    shared: Arc<Shared>,
    info: OpenInfo,
    ping_deadline: tokio::time::Instant,
}

impl Conn {
    fn reset_ping(&mut self) {
        let window = self.info.ping_interval + self.info.ping_timeout;
        self.ping_deadline = tokio::time::Instant::now() + window;
        *self.shared.ping_deadline.lock().expect("deadline lock poisoned") = Instant::now() + window;
    }

    fn on_packet(&mut self, packet: Result<Packet<'_>, crate::engine::PacketError>) -> Action {
        match packet {
            Ok(Packet::Ping(_)) => {
                self.reset_ping();
                let _ = self.events.send(EngineEvent::Ping);
                let _ = self.events.send(EngineEvent::Pong);
                Action::Pong
            }
            Ok(Packet::Message(t)) => {
                let _ = self.events.send(EngineEvent::Text(t.to_owned()));
                Action::Nothing
            }
            Ok(Packet::Binary(b)) => {
                let _ = self.events.send(EngineEvent::Binary(b));
                Action::Nothing
            }
            Ok(Packet::Close) => Action::Close(ClientCloseReason::TransportClose),
            Ok(_) => Action::Nothing,
            Err(_) => Action::Close(ClientCloseReason::ParseError),
        }
    }

    fn finish(&self, reason: ClientCloseReason, details: Option<CloseDetails>) {
        self.shared.closed.store(true, Ordering::Release);
        let _ = self.events.send(EngineEvent::Close(reason, details));
    }
}

/// The details of a `transport close` (a close packet, the end of the stream); none for
/// the other reasons.
fn closed_by_server(reason: ClientCloseReason, description: &str, context: Option<String>) -> Option<CloseDetails> {
    match reason {
        ClientCloseReason::TransportClose => CloseDetails::new(description, context),
        _ => None,
    }
}

async fn opt<T>(f: &mut Option<BoxFut<T>>) -> T {
    match f {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn ws_next(ws: &mut Option<Ws>) -> Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>> {
    match ws {
        Some(ws) => ws.next().await,
        None => std::future::pending().await,
    }
}

/// Sends `frames` (each with whether it may be compressed) over a WebSocket, flushing once.
async fn ws_write(
    ws: &mut Ws,
    hints: &WsHints,
    frames: Vec<Queued>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    for (f, compress) in frames {
        if let Some(h) = hints {
            let len = match &f {
                Frame::Text(t) => t.len(),
                Frame::Binary(b) => b.len(),
            };
            h.push(compress, len);
        }
        ws.feed(to_ws(f)).await?;
    }
    ws.flush().await
}

/// A frame to send and whether it may be compressed (socket.io-client's `compress` flag).
type Queued = (Frame, bool);

/// The frames of `out`, for a polling request (which the client does not compress).
fn polling_body(out: Vec<Queued>) -> Bytes {
    payload::encode(&out.into_iter().map(|(f, _)| f).collect::<Vec<_>>())
}

pub(crate) async fn run(
    opened: Opened,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<EngineEvent>,
    shared: Arc<Shared>,
) {
    let Opened { info, mut ws, mut hints, http, config, leftovers } = opened;
    let sid = info.sid.clone();
    let mut conn = Conn { events, shared, info, ping_deadline: tokio::time::Instant::now() };
    conn.reset_ping();
    let mut out: Vec<Queued> = Vec::new();
    for p in &leftovers {
        let action = match p {
            Incoming::Text(t) => conn.on_packet(Packet::decode(t)),
            Incoming::Binary(b) => conn.on_packet(Ok(Packet::Binary(b.clone()))),
        };
        match action {
            Action::Pong => out.push((Frame::Text("3".into()), true)),
            Action::Close(r) => {
                let description =
                    if ws.is_some() { "websocket connection closed" } else { "transport closed by the server" };
                return conn.finish(r, closed_by_server(r, description, None));
            }
            Action::Nothing => {}
        }
    }

    let polling = ws.is_none();
    let limit = super::http::poll_body_limit(conn.info.max_payload);
    let mut get: Option<BoxFut<Result<Bytes, RequestError>>> = None;
    let mut post: Option<BoxFut<Result<(), RequestError>>> = None;
    let mut probe: Option<BoxFut<Result<(Ws, WsHints), String>>> = None;
    let mut probed: Option<(Ws, WsHints)> = None;
    if polling {
        let h = http.clone();
        let s = sid.clone();
        get = Some(Box::pin(async move { h.get(Some(&s), limit).await }));
        let upgrade_offered = conn.info.upgrades.iter().any(|u| u == "websocket");
        if config.upgrade && upgrade_offered && config.transports.contains(&TransportKind::Websocket) {
            let h = http.clone();
            let s = sid.clone();
            probe = Some(Box::pin(async move {
                let (mut ws, hints) = connect_ws(&h, Some(&s)).await?;
                ws_write(&mut ws, &hints, vec![(Frame::Text("2probe".into()), true)])
                    .await
                    .map_err(|e| e.to_string())?;
                loop {
                    match ws.next().await {
                        Some(Ok(WsMessage::Text(t))) if t.as_str() == "3probe" => return Ok((ws, hints)),
                        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                        other => return Err(format!("probe failed: {other:?}")),
                    }
                }
            }));
        }
    }

    loop {
        // Writes: one POST at a time while polling, direct writes on a WebSocket.
        if !out.is_empty() {
            if let Some(socket) = ws.as_mut() {
                if let Err(e) = ws_write(socket, &hints, std::mem::take(&mut out)).await {
                    return conn.finish(ClientCloseReason::TransportError, CloseDetails::new(e.to_string(), None));
                }
                let _ = conn.events.send(EngineEvent::Drain);
            } else if post.is_none() && probed.is_none() {
                let body = polling_body(std::mem::take(&mut out));
                let (h, s) = (http.clone(), sid.clone());
                post = Some(Box::pin(async move { h.post(&s, body).await }));
            }
        }
        // Upgrade: once polling is paused (no request in flight), switch to the probed socket.
        if probed.is_some() && get.is_none() && post.is_none() {
            let (mut socket, socket_hints) = probed.take().expect("checked above");
            hints = socket_hints;
            let mut frames = vec![(Frame::Text("5".into()), true)];
            frames.append(&mut out);
            if let Err(e) = ws_write(&mut socket, &hints, frames).await {
                return conn.finish(ClientCloseReason::TransportError, CloseDetails::new(e.to_string(), None));
            }
            ws = Some(socket);
            conn.shared.websocket.store(true, Ordering::Release);
            let _ = conn.events.send(EngineEvent::Upgrade(TransportKind::Websocket));
        }

        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Send(f, compress)) => out.push((f, compress)),
                Some(Command::Close) | None => {
                    // Like the reference, write what is queued first (e.g. a DISCONNECT).
                    while let Ok(Command::Send(f, compress)) = commands.try_recv() {
                        out.push((f, compress));
                    }
                    if let Some(mut socket) = ws.take() {
                        let _ = ws_write(&mut socket, &hints, std::mem::take(&mut out)).await;
                        let _ = socket.close(None).await;
                    } else {
                        // One POST at a time: let the one in flight land, flush the rest,
                        // then say goodbye in a request of its own (a server may act on a
                        // close packet before the packets sent with it, as the reference does).
                        if let Some(p) = post.take() {
                            let _ = p.await;
                        }
                        if !out.is_empty() {
                            let _ = http.post(&sid, polling_body(std::mem::take(&mut out))).await;
                        }
                        let _ = http.post(&sid, payload::encode(&[Frame::Text("1".into())])).await;
                    }
                    return conn.finish(ClientCloseReason::ForcedClose, None);
                }
            },
            r = opt(&mut get) => {
                get = None;
                let body = match r {
                    Ok(b) => b,
                    Err(e) => return conn.finish(ClientCloseReason::TransportError, CloseDetails::new(e.to_string(), None)),
                };
                let Ok(text) = std::str::from_utf8(&body) else {
                    return conn.finish(ClientCloseReason::ParseError, None);
                };
                let packets = match payload::decode(text) {
                    Ok(p) => p,
                    Err(_) => return conn.finish(ClientCloseReason::ParseError, None),
                };
                for p in packets {
                    match conn.on_packet(Ok(p)) {
                        Action::Pong => out.push((Frame::Text("3".into()), true)),
                        Action::Close(r) => return conn.finish(r, closed_by_server(r, "transport closed by the server", None)),
                        Action::Nothing => {}
                    }
                }
                if ws.is_none() && probed.is_none() {
                    let (h, s) = (http.clone(), sid.clone());
                    get = Some(Box::pin(async move { h.get(Some(&s), limit).await }));
                }
            }
            r = opt(&mut post) => {
                post = None;
                if let Err(e) = r {
                    return conn.finish(ClientCloseReason::TransportError, CloseDetails::new(e.to_string(), None));
                }
                if out.is_empty() {
                    let _ = conn.events.send(EngineEvent::Drain);
                }
            }
            r = opt(&mut probe) => {
                probe = None;
                match r {
                    Ok(socket) => probed = Some(socket),
                    Err(e) => tracing::debug!(error = %e, "upgrade probe failed; staying on polling"),
                }
            }
            msg = ws_next(&mut ws) => {
                let action = match msg {
                    Some(Ok(WsMessage::Text(t))) => conn.on_packet(Packet::decode(t.as_str())),
                    Some(Ok(WsMessage::Binary(b))) => conn.on_packet(Ok(Packet::Binary(b))),
                    Some(Ok(WsMessage::Close(frame))) => {
                        // As socket.io-client: what the close frame said is the context.
                        let context = frame.map(|f| format!("{} {}", u16::from(f.code), f.reason).trim_end().to_owned());
                        let details = CloseDetails::new("websocket connection closed", context);
                        return conn.finish(ClientCloseReason::TransportClose, details);
                    }
                    None => Action::Close(ClientCloseReason::TransportClose),
                    Some(Ok(_)) => Action::Nothing,
                    Some(Err(e)) => {
                        let details = CloseDetails::new("websocket connection closed", Some(e.to_string()));
                        return conn.finish(ClientCloseReason::TransportClose, details);
                    }
                };
                match action {
                    Action::Pong => out.push((Frame::Text("3".into()), true)),
                    Action::Close(r) => return conn.finish(r, closed_by_server(r, "websocket connection closed", None)),
                    Action::Nothing => {}
                }
            }
            _ = tokio::time::sleep_until(conn.ping_deadline) => {
                return conn.finish(ClientCloseReason::PingTimeout, None);
            }
        }
    }
}
