//! A host that owns the sockets (as uvicorn, aiohttp or Node's http server do): its own
//! hyper server reads each polling request whole and hands it to `Server::handle` as bytes,
//! and for WebSockets does the upgrade itself with tungstenite and moves messages through
//! `Server::accept_websocket`. The Rust client connects through it over each transport and
//! the upgrade; the engine's rules (unknown sids, message size) hold as on its own port.
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sio_core::client::{io, ClientOptions, ManagerConfig};
use sio_core::engine::server::{Peer, TransportKind, WsMessage};
use sio_core::server::Server;
use sio_core::Value;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

mod support;

use support::hosted::{client_options, echo_server, record_upgrades, upgrade_then_echo};

const WAIT: Duration = Duration::from_secs(10);

/// The host's handling of one request: bytes in, bytes out, or a WebSocket it runs itself.
async fn host(io: Server, mut req: Request<Incoming>, remote: SocketAddr) -> Response<Full<Bytes>> {
    let peer = Peer::plain(remote);
    let upgrade = req.headers().get("upgrade").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !upgrade {
        let (parts, body) = req.into_parts();
        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        return io.handle_from(Request::from_parts(parts, Full::new(bytes)), peer).await;
    }
    let key = req.headers().get("sec-websocket-key").map(|k| derive_accept_key(k.as_bytes()));
    let on_upgrade = hyper::upgrade::on(&mut req);
    // What the engine sees: the request without its body or hyper's upgrade machinery.
    let mut head = Request::builder().method(req.method()).uri(req.uri());
    for (name, value) in req.headers() {
        if name != "sec-websocket-key" {
            head = head.header(name, value);
        }
    }
    let ws = match io.accept_websocket(head.body(()).unwrap(), peer).await {
        Ok(ws) => ws,
        Err(res) => return res,
    };
    let mut res = Response::builder()
        .status(101)
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-accept", key.expect("a websocket key"));
    for (name, value) in &ws.headers {
        res = res.header(name, value);
    }
    tokio::spawn(async move {
        let upgraded = on_upgrade.await.expect("upgraded");
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let (mut sink, mut stream) = socket.split();
        let (incoming, mut outgoing) = (ws.incoming, ws.outgoing);
        let writer = tokio::spawn(async move {
            while let Some(m) = outgoing.recv().await {
                let m = match m {
                    WsMessage::Text(t) => Message::Text(t),
                    WsMessage::Binary(b) => Message::Binary(b),
                    WsMessage::Close(code) => {
                        let frame = code.map(|c| tokio_tungstenite::tungstenite::protocol::CloseFrame {
                            code: c.into(),
                            reason: "".into(),
                        });
                        let _ = sink.send(Message::Close(frame)).await;
                        return;
                    }
                };
                if sink.send(m).await.is_err() {
                    return;
                }
            }
        });
        while let Some(Ok(m)) = stream.next().await {
            let m = match m {
                Message::Text(t) => WsMessage::Text(t),
                Message::Binary(b) => WsMessage::Binary(b),
                Message::Close(_) => break,
                _ => continue,
            };
            if incoming.send(m).await.is_err() {
                break;
            }
        }
        let _ = incoming.send(WsMessage::Close(None)).await;
        let _ = writer.await;
    });
    res.body(Full::default()).unwrap()
}

/// Starts the host on a free port, serving `io`; returns the base URL.
async fn start_host(io: Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, remote)) = listener.accept().await {
            let io = io.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let io = io.clone();
                    async move { Ok::<_, Infallible>(host(io, req, remote).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

async fn connect_and_echo(url: &str, transports: &[TransportKind]) -> (String, String) {
    let socket = io(url, client_options(transports));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    socket.on("welcome", move |_, args, _| {
        let _ = tx.send(args);
    });
    let welcome = tokio::time::timeout(WAIT, rx.recv()).await.expect("welcome in time").unwrap();
    let args = vec![Value::from("hi"), Value::Binary(Bytes::from_static(&[1, 2, 3]))];
    let echo = tokio::time::timeout(WAIT, socket.emit_with_ack("echo", args.clone())).await.expect("ack").unwrap();
    assert_eq!(echo, args);
    socket.disconnect();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (text(&welcome[0]), text(&welcome[1]))
}

#[tokio::test]
async fn sessions_run_over_a_hosts_polling_and_websockets() {
    let url = start_host(echo_server(1_000_000)).await;
    let (address, transport) = connect_and_echo(&url, &[TransportKind::Polling]).await;
    assert_eq!((address.as_str(), transport.as_str()), ("127.0.0.1", "polling"));
    let (address, transport) = connect_and_echo(&url, &[TransportKind::Websocket]).await;
    assert_eq!((address.as_str(), transport.as_str()), ("127.0.0.1", "websocket"));
}

#[tokio::test]
async fn a_polling_session_upgrades_to_the_hosts_websocket() {
    let server = echo_server(1_000_000);
    let upgrades = record_upgrades(&server);
    let url = start_host(server).await;
    upgrade_then_echo(&url, upgrades).await;
}

#[tokio::test]
async fn unknown_sids_and_oversize_messages_are_refused_as_on_the_own_port() {
    let url = start_host(echo_server(1000)).await;
    support::hosted::refusals_and_limits_hold(&url.replace("http://", "ws://")).await;
}

#[tokio::test]
async fn heartbeats_time_out_a_silent_peer_of_the_host() {
    let io =
        Server::builder().ping_interval(Duration::from_millis(100)).ping_timeout(Duration::from_millis(100)).build();
    let (tx, mut reasons) = tokio::sync::mpsc::unbounded_channel();
    io.on_connection(move |socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |_, reason| {
            let _ = tx.send(reason.as_str().to_owned());
        });
    });
    let url = start_host(io).await.replace("http://", "ws://");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{url}/socket.io/?EIO=4&transport=websocket")).await.unwrap();
    ws.next().await.unwrap().unwrap(); // open
    ws.send(Message::Text("40".into())).await.unwrap();
    // Reads (so the pings arrive) but never answers them.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
    let reason = tokio::time::timeout(WAIT, reasons.recv()).await.expect("a disconnection in time").unwrap();
    assert_eq!(reason, "ping timeout");
    reader.abort();
}

#[tokio::test]
async fn a_session_recovers_across_the_hosts_websockets() {
    use sio_core::server::RecoveryConfig;
    let server = Server::builder()
        .connection_state_recovery(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(30),
            skip_middlewares: true,
        })
        .build();
    server.on_connection(|socket| {
        // An event first: recovery resumes from the offset of the last one received.
        let _ = socket.emit("welcome", vec![]);
        socket.on("join", |s, args, ack| {
            s.join([args[0].as_str().unwrap_or_default().to_owned()]);
            if let Some(ack) = ack {
                let _ = ack.send(vec![]);
            }
        });
        socket.on("to-room", |s, args, _| {
            let _ = s.to(args[0].as_str().unwrap_or_default().to_owned()).emit("news", args[1..].to_vec());
        });
    });
    let url = start_host(server).await;
    // Reconnects (with the session's id and offset: recovery), quickly.
    let reconnecting = ClientOptions {
        manager: ManagerConfig {
            transports: vec![TransportKind::Websocket],
            reconnection_delay: Duration::from_millis(50),
            reconnection_delay_max: Duration::from_millis(100),
            ..ManagerConfig::default()
        },
        force_new: true,
        ..ClientOptions::default()
    };
    let socket = io(&url, reconnecting);
    let (tx, mut connects) = tokio::sync::mpsc::unbounded_channel();
    socket.on_connect(move |s| {
        let _ = tx.send((s.id().unwrap_or_default(), s.recovered()));
    });
    let (welcome_tx, mut welcomes) = tokio::sync::mpsc::unbounded_channel();
    socket.on("welcome", move |_, _, _| {
        let _ = welcome_tx.send(());
    });
    let (first, _) = tokio::time::timeout(WAIT, connects.recv()).await.unwrap().unwrap();
    tokio::time::timeout(WAIT, welcomes.recv()).await.unwrap().unwrap();
    tokio::time::timeout(WAIT, socket.emit_with_ack("join", vec!["r".into()])).await.unwrap().unwrap();
    let other = io(&url, client_options(&[TransportKind::Websocket]));
    tokio::time::timeout(WAIT, other.emit_with_ack("join", vec!["elsewhere".into()])).await.unwrap().unwrap();
    let (news_tx, mut news) = tokio::sync::mpsc::unbounded_channel();
    socket.on("news", move |_, args, _| {
        let _ = news_tx.send(args);
    });
    let (gone_tx, mut gone) = tokio::sync::mpsc::unbounded_channel();
    socket.on_disconnect(move |_, reason| {
        let _ = gone_tx.send(reason.as_str().to_owned());
    });
    // The connection breaks (as a network loss would); events sent meanwhile are kept.
    socket.io().engine().unwrap().close();
    tokio::time::timeout(WAIT, gone.recv()).await.unwrap().unwrap();
    other.emit("to-room", vec!["r".into(), 1i64.into()]).unwrap();
    other.emit("to-room", vec!["r".into(), 2i64.into()]).unwrap();
    let (again, recovered) = tokio::time::timeout(WAIT, connects.recv()).await.unwrap().unwrap();
    assert_eq!((again.as_str(), recovered), (first.as_str(), true), "the same session, recovered");
    for n in [1i64, 2] {
        let args = tokio::time::timeout(WAIT, news.recv()).await.expect("missed event").unwrap();
        // (socket.io-client hands the offset over too, as the last argument)
        assert_eq!(args[0], Value::from(n), "missed events in order");
    }
    socket.disconnect();
    other.disconnect();
}
