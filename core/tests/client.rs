//! The Rust client against the official Node `socket.io@4` server (started as a separate
//! process) and against our own server (`interop-server`): every scenario runs on both.
mod support;

use std::time::{Duration, Instant};

use sio_core::client::{io, Auth, ClientOptions, DisconnectReason, Manager, ManagerConfig, ManagerEvent, SocketConfig};
use sio_core::engine::server::TransportKind;
use sio_core::proto::Parser;
use sio_core::{AckError, EmitError, Value};
use support::peer::{free_port, Kind, Peer};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

/// Lifecycle events as strings, in order.
struct Recorder {
    rx: mpsc::UnboundedReceiver<String>,
}

impl Recorder {
    async fn next(&mut self) -> String {
        tokio::time::timeout(WAIT, self.rx.recv()).await.expect("event within timeout").expect("open channel")
    }

    /// Skips events until one starts with `prefix`.
    async fn until(&mut self, prefix: &str) -> String {
        loop {
            let e = self.next().await;
            if e.starts_with(prefix) {
                return e;
            }
        }
    }
}

fn record(socket: &sio_core::client::Socket) -> Recorder {
    let (tx, rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    socket.on_connect(move |s| {
        let _ = t.send(format!("connect:{}", s.id().unwrap_or_default()));
    });
    let t = tx.clone();
    socket.on_connect_error(move |s, e| {
        let data = e.data.as_ref().map(|d| d.to_json_lossy().to_string()).unwrap_or_default();
        let _ = t.send(format!("connect_error:{}:{}:active={}", e.message, data, s.active()));
    });
    let t = tx.clone();
    socket.on_disconnect(move |s, r| {
        let _ = t.send(format!("disconnect:{}:active={}", r.as_str(), s.active()));
    });
    let t = tx.clone();
    socket.io().on(move |_, ev| {
        let line = match ev {
            ManagerEvent::ReconnectAttempt(n) => format!("reconnect_attempt:{n}"),
            ManagerEvent::Reconnect(n) => format!("reconnect:{n}"),
            ManagerEvent::ReconnectError(_) => "reconnect_error".into(),
            ManagerEvent::ReconnectFailed => "reconnect_failed".into(),
            ManagerEvent::Engine(sio_core::engine::client::EngineEvent::Upgrade(t)) => {
                format!("upgrade:{}", t.as_str())
            }
            _ => return,
        };
        let _ = t.send(line);
    });
    Recorder { rx }
}

fn options(transports: &[TransportKind]) -> ClientOptions {
    ClientOptions {
        manager: ManagerConfig {
            transports: transports.to_vec(),
            reconnection_delay: Duration::from_millis(100),
            reconnection_delay_max: Duration::from_millis(400),
            ..ManagerConfig::default()
        },
        force_new: true,
        ..ClientOptions::default()
    }
}

async fn welcome(socket: &sio_core::client::Socket) -> Value {
    let mut rx = welcome_rx(socket);
    tokio::time::timeout(WAIT, rx.recv()).await.expect("welcome").unwrap()
}

/// The first argument of each `event`.
fn welcome_rx_named(socket: &sio_core::client::Socket, event: &str) -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    socket.on(event, move |_, args, _| {
        let _ = tx.send(args.into_iter().next().unwrap_or_default());
    });
    rx
}

fn welcome_rx(socket: &sio_core::client::Socket) -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    socket.on("welcome", move |_, args, _| {
        let _ = tx.send(args.into_iter().next().unwrap_or_default());
    });
    rx
}

async fn connects_over_each_transport_to_the_reference_server(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    for transports in [
        vec![TransportKind::Polling],
        vec![TransportKind::Websocket],
        vec![TransportKind::Polling, TransportKind::Websocket],
    ] {
        let mut opts = options(&transports);
        opts.socket.auth = Auth::Static(Value::from([("token", "abc".into())]));
        let socket = io(&server.url(), opts);
        let mut ev = record(&socket);
        let w = welcome(&socket).await;
        let connected = ev.until("connect:").await;
        assert_eq!(connected, format!("connect:{}", w.get("id").unwrap().as_str().unwrap()));
        assert_eq!(w.get("auth"), Some(&Value::from([("token", "abc".into())])));
        if transports.len() == 2 {
            // The upgrade may complete before `connect` (then `until` above skipped it).
            if socket.io().engine().unwrap().transport() != TransportKind::Websocket {
                assert_eq!(ev.until("upgrade:").await, "upgrade:websocket");
            }
            let t = socket.emit_with_ack("transport", vec![]).await.unwrap();
            assert_eq!(t, vec![Value::from("websocket")]);
        } else {
            let t = socket.emit_with_ack("transport", vec![]).await.unwrap();
            assert_eq!(t, vec![Value::from(transports[0].as_str())]);
        }
        socket.disconnect();
    }
}

async fn namespaces_share_one_engine_connection(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let manager = Manager::new(ManagerConfig {
        url: server.url(),
        transports: vec![TransportKind::Websocket],
        auto_connect: false,
        ..ManagerConfig::default()
    });
    let main = manager.socket("/", SocketConfig::default());
    let dynamic = manager.socket("/dyn-42", SocketConfig::default());
    let (mut rm, mut rd) = (welcome_rx(&main), welcome_rx(&dynamic));
    main.connect();
    dynamic.connect();
    let wm = tokio::time::timeout(WAIT, rm.recv()).await.unwrap().unwrap();
    let wd = tokio::time::timeout(WAIT, rd.recv()).await.unwrap().unwrap();
    assert_eq!(wd.get("ns"), Some(&Value::from("/dyn-42")));
    assert_ne!(wm.get("id"), wd.get("id"));
    // One Engine.IO session: the server saw a single connection for both.
    assert!(manager.engine().is_some());
    let sid = manager.engine().unwrap().sid().to_owned();
    assert_eq!(main.io().engine().unwrap().sid(), sid);
    assert_eq!(dynamic.io().engine().unwrap().sid(), sid);
    main.disconnect();
    assert!(dynamic.connected(), "the other namespace stays connected");
    dynamic.disconnect();
}

async fn binary_and_acks_both_ways_against_the_reference(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    welcome(&socket).await;
    // client → server ack, with binary at top level and nested
    let args = vec![
        Value::from(1i64),
        Value::Binary(vec![1u8, 2, 3].into()),
        Value::from([("nested", Value::Binary(vec![9u8].into()))]),
    ];
    let back = socket.emit_with_ack("echo", args.clone()).await.unwrap();
    assert_eq!(back, args);
    // server → client ack: the handler answers through its AckSender
    socket.on("question", |_, args, ack| {
        assert!(ack.unwrap().send(vec![Value::from("answer"), args[0].clone()]));
    });
    let res = socket.emit_with_ack("ask", vec!["question".into(), Value::Binary(vec![7u8].into())]).await.unwrap();
    assert_eq!(res, vec![Value::Null, Value::Array(vec!["answer".into(), Value::Binary(vec![7u8].into())])]);
    // an unanswered ack times out
    let t0 = Instant::now();
    let res = socket.timeout(Duration::from_millis(200)).emit_with_ack("no-such-handler", vec![]).await;
    assert!(matches!(res, Err(AckError::Timeout { .. })), "{res:?}");
    assert!(t0.elapsed() >= Duration::from_millis(200));
    // reserved names are refused locally
    assert_eq!(socket.emit("disconnecting", vec![]), Err(EmitError::Reserved("disconnecting".into())));
    socket.disconnect();
}

/// socket.io-msgpack-parser on both sides: buffers travel inside the MessagePack payload,
/// acks both ways, a refused namespace's error data, over each transport and the upgrade.
async fn msgpack_parser_against_the_reference(kind: Kind) {
    let server = Peer::start(kind, free_port(), &["--parser", "msgpack"]);
    for transports in [
        &[TransportKind::Polling][..],
        &[TransportKind::Websocket],
        &[TransportKind::Polling, TransportKind::Websocket],
    ] {
        let mut opts = options(transports);
        opts.manager.parser = Parser::Msgpack;
        let socket = io(&server.url(), opts);
        let w = welcome(&socket).await;
        assert_eq!(w.get("ns"), Some(&Value::from("/")));
        let args = vec![
            Value::from(-1.5),
            Value::from(u64::from(u32::MAX) + 1),
            Value::Binary(vec![0u8, 255].into()),
            Value::from([("nested", Value::Array(vec![Value::Binary(vec![9u8].into()), Value::Null]))]),
            Value::from("ünïcødé"),
        ];
        let back = socket.emit_with_ack("echo", args.clone()).await.unwrap();
        assert_eq!(back, args, "over {transports:?}");
        socket.on("question", |_, args, ack| {
            assert!(ack.unwrap().send(vec![Value::from("answer"), args[0].clone()]));
        });
        let res = socket.emit_with_ack("ask", vec!["question".into(), Value::Binary(vec![7u8].into())]).await.unwrap();
        assert_eq!(res, vec![Value::Null, Value::Array(vec!["answer".into(), Value::Binary(vec![7u8].into())])]);
        socket.disconnect();
    }
    let mut opts = options(&[TransportKind::Websocket]);
    opts.manager.parser = Parser::Msgpack;
    let admin = io(&format!("{}/admin", server.url()), opts);
    let mut ev = record(&admin);
    assert_eq!(ev.until("connect_error").await, "connect_error:unauthorized:{\"reason\":\"bad token\"}:active=false");
    let mut welcomed = welcome_rx(&admin);
    admin.set_auth(Auth::Static(Value::from([("token", "secret".into())])));
    admin.connect();
    let w = tokio::time::timeout(WAIT, welcomed.recv()).await.expect("welcome after set_auth").unwrap();
    assert_eq!(w.get("auth"), Some(&Value::from([("token", "secret".into())])));
    admin.disconnect();
    // A client of the default parser: its CONNECT makes the server cut the connection, and
    // the socket hears it as socket.io-client's does (`disconnect`, still connecting).
    let mut opts = options(&[TransportKind::Websocket]);
    opts.manager.reconnection = false;
    let wrong = io(&server.url(), opts);
    let mut ev = record(&wrong);
    assert_eq!(ev.until("disconnect").await, "disconnect:transport close:active=true");
    assert!(!wrong.connected());
    wrong.disconnect();
}

async fn retries_resend_until_acknowledged_then_give_up(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let mut opts = options(&[TransportKind::Websocket]);
    opts.socket.retries = Some(2);
    opts.socket.ack_timeout = Some(Duration::from_millis(150));
    let socket = io(&server.url(), opts);
    welcome(&socket).await;
    let ok = socket.emit_with_ack("echo", vec!["once".into()]).await.unwrap();
    assert_eq!(ok, vec![Value::from("once")]);
    let t0 = Instant::now();
    let res = socket.emit_with_ack("never-acked", vec![]).await;
    assert!(matches!(res, Err(AckError::Timeout { .. })), "{res:?}");
    // 1 try + 2 retries, each waiting the ack timeout
    assert!(t0.elapsed() >= Duration::from_millis(450), "{:?}", t0.elapsed());
    let sent = server.logs.lock().unwrap().iter().filter(|l| l.contains("\"event\":\"never-acked\"")).count();
    assert_eq!(sent, 3, "sent once and retried twice");
    socket.disconnect();
}

async fn middleware_refusal_is_final_and_carries_data(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let socket = io(&format!("{}/admin", server.url()), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    assert_eq!(ev.until("connect_error").await, "connect_error:unauthorized:{\"reason\":\"bad token\"}:active=false");
    assert!(!socket.active());
    // socket.auth = {token}; socket.connect(): the new payload goes with the next CONNECT
    let mut welcomed = welcome_rx(&socket);
    socket.set_auth(Auth::Static(Value::from([("token", "secret".into())])));
    socket.connect();
    let w = tokio::time::timeout(WAIT, welcomed.recv()).await.expect("welcome after set_auth").unwrap();
    assert_eq!(w.get("auth"), Some(&Value::from([("token", "secret".into())])));
    socket.disconnect();
    let mut opts = options(&[TransportKind::Websocket]);
    opts.socket.auth = Auth::Dynamic(std::sync::Arc::new(|| Value::from([("token", "secret".into())])));
    let ok = io(&format!("{}/admin", server.url()), opts);
    assert_eq!(welcome(&ok).await.get("ns"), Some(&Value::from("/admin")));
    ok.disconnect();
    // A payload computed later (socket.io-client's `auth(cb)`): CONNECT waits for it.
    let (give, token) = tokio::sync::oneshot::channel::<Value>();
    let token = std::sync::Mutex::new(Some(token));
    let mut opts = options(&[TransportKind::Websocket]);
    opts.socket.auth = Auth::Deferred(std::sync::Arc::new(move || {
        let token = token.lock().unwrap().take();
        Box::pin(async move {
            match token {
                Some(t) => t.await.unwrap_or(Value::Null),
                None => Value::Null,
            }
        })
    }));
    let later = io(&format!("{}/admin", server.url()), opts);
    let mut welcomed = welcome_rx(&later);
    // The reference refuses a CONNECT without the token: a welcome shows CONNECT waited.
    give.send(Value::from([("token", "secret".into())])).unwrap();
    let w = tokio::time::timeout(WAIT, welcomed.recv()).await.expect("welcome").unwrap();
    assert_eq!(w.get("ns"), Some(&Value::from("/admin")));
    later.disconnect();
}

async fn low_level_failure_stays_active_and_connects_once_the_server_starts(kind: Kind) {
    let port = free_port();
    let socket = io(&format!("http://127.0.0.1:{port}"), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    let err = ev.until("connect_error").await;
    assert!(err.ends_with("active=true"), "{err}");
    let _server = Peer::start(kind, port, &[]);
    ev.until("connect:").await;
    assert!(socket.connected());
    socket.disconnect();
}

async fn io_server_disconnect_does_not_reconnect(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    ev.until("connect:").await;
    socket.emit("disconnect-me", vec![]).unwrap();
    assert_eq!(ev.until("disconnect").await, "disconnect:io server disconnect:active=false");
    assert!(!DisconnectReason::IoServerDisconnect.reconnects());
    // Nothing follows: no reconnection attempt within a few backoff periods.
    assert!(tokio::time::timeout(Duration::from_millis(600), ev.next()).await.is_err());
    // connect() brings it back manually
    socket.connect();
    ev.until("connect:").await;
    socket.disconnect();
}

async fn io_client_disconnect_does_not_reconnect(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    let id = ev.until("connect:").await[8..].to_owned();
    socket.disconnect();
    assert_eq!(ev.until("disconnect").await, "disconnect:io client disconnect:active=false");
    assert_eq!(socket.disconnect_details(), None, "details only for transport close / error");
    server.wait_log(&["\"disconnect\"", &id, "client namespace disconnect"]).await;
    assert!(tokio::time::timeout(Duration::from_millis(500), ev.next()).await.is_err());
}

async fn transport_close_reconnects_with_manager_events(kind: Kind) {
    let port = free_port();
    let mut server = Peer::start(kind, port, &[]);
    let socket = io(&format!("http://127.0.0.1:{port}"), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    let first = ev.until("connect:").await;
    server.kill();
    assert_eq!(ev.until("disconnect").await, "disconnect:transport close:active=true");
    // socket.io-client's `details` of a WebSocket that closed
    let details = socket.disconnect_details().expect("details with transport close");
    assert_eq!(details.description, "websocket connection closed");
    assert_eq!(ev.until("reconnect_attempt").await, "reconnect_attempt:1");
    let _server = Peer::start(kind, port, &[]);
    let reconnect = ev.until("reconnect:").await;
    assert!(reconnect.starts_with("reconnect:"), "{reconnect}");
    let second = ev.until("connect:").await;
    assert_ne!(first, second, "a new session without recovery");
    socket.disconnect();
}

async fn ping_timeout_when_the_server_freezes(kind: Kind) {
    let server = Peer::start(kind, free_port(), &["--ping-interval", "200", "--ping-timeout", "200"]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    ev.until("connect:").await;
    server.signal("STOP");
    assert_eq!(ev.until("disconnect").await, "disconnect:ping timeout:active=true");
    ev.until("reconnect_attempt").await;
    server.signal("CONT");
    ev.until("connect:").await;
    socket.disconnect();
}

#[tokio::test]
async fn reconnect_failed_after_the_attempts_and_delays_follow_the_backoff() {
    let port = free_port();
    let mut opts = options(&[TransportKind::Websocket]);
    opts.manager.reconnection_attempts = Some(3);
    opts.manager.reconnection_delay = Duration::from_millis(100);
    opts.manager.reconnection_delay_max = Duration::from_millis(300);
    opts.manager.randomization_factor = 0.0;
    let socket = io(&format!("http://127.0.0.1:{port}"), opts);
    let mut ev = record(&socket);
    let mut stamps = Vec::new();
    let t0 = Instant::now();
    for n in 1..=3 {
        assert_eq!(ev.until("reconnect_attempt").await, format!("reconnect_attempt:{n}"));
        stamps.push(t0.elapsed());
    }
    ev.until("reconnect_failed").await;
    // Delays 100, 200, 300 (capped), each after the previous attempt failed.
    let gaps = [stamps[0], stamps[1] - stamps[0], stamps[2] - stamps[1]];
    for (gap, expected) in gaps.iter().zip([100u64, 200, 300]) {
        let ms = gap.as_millis() as u64;
        assert!(ms >= expected && ms < expected + 250, "gap {ms} ms, expected about {expected} ms ({gaps:?})");
    }
    socket.disconnect();
}

async fn connection_state_recovery_against_the_reference(kind: Kind) {
    let server = Peer::start(kind, free_port(), &["--recovery"]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    let w = welcome(&socket).await;
    let id = w.get("id").unwrap().as_str().unwrap().to_owned();
    assert_eq!(socket.emit_with_ack("join", vec!["room1".into()]).await.unwrap().len(), 1);
    let other = io(&server.url(), options(&[TransportKind::Websocket]));
    welcome(&other).await;
    let (tx, mut missed) = mpsc::unbounded_channel();
    socket.on("news", move |_, args, _| {
        let _ = tx.send(args);
    });
    // Break the transport abruptly (as a network loss would).
    socket.io().engine().unwrap().close();
    ev.until("disconnect").await;
    other.emit("to-room", vec!["room1".into(), "news".into(), 1i64.into()]).unwrap();
    other.emit("to-room", vec!["room1".into(), "news".into(), 2i64.into()]).unwrap();
    let again = ev.until("connect:").await;
    assert_eq!(again, format!("connect:{id}"));
    assert!(socket.recovered());
    for n in [1i64, 2] {
        let args = tokio::time::timeout(WAIT, missed.recv()).await.unwrap().unwrap();
        assert_eq!(args[0], Value::from(n), "missed events in order");
    }
    socket.disconnect();
    other.disconnect();
}

async fn offline_emits_are_buffered_and_flushed_in_order(kind: Kind) {
    let port = free_port();
    let socket = io(&format!("http://127.0.0.1:{port}"), options(&[TransportKind::Websocket]));
    let (tx, mut echoes) = mpsc::unbounded_channel();
    socket.on("echo", move |_, args, _| {
        let _ = tx.send(args);
    });
    for n in 0..5i64 {
        socket.emit("echo", vec![n.into()]).unwrap();
    }
    let _server = Peer::start(kind, port, &[]);
    for n in 0..5i64 {
        let args = tokio::time::timeout(WAIT, echoes.recv()).await.unwrap().unwrap();
        assert_eq!(args, vec![Value::from(n)]);
    }
    socket.disconnect();
}

/// A self-signed certificate for 127.0.0.1, written to a temporary directory.
fn self_signed() -> (tempdir::Dir, Vec<u8>) {
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let dir = tempdir::Dir::new();
    let cert_pem = key.cert.pem();
    std::fs::write(dir.path.join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.path.join("key.pem"), key.signing_key.serialize_pem()).unwrap();
    (dir, cert_pem.into_bytes())
}

mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Dir {
            let path = std::env::temp_dir().join(format!("sio-tls-{}-{}", std::process::id(), super::free_port()));
            std::fs::create_dir_all(&path).unwrap();
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[tokio::test]
async fn tls_with_a_custom_ca_and_without_verification() {
    let (dir, ca) = self_signed();
    let (cert, key) = (dir.path.join("cert.pem"), dir.path.join("key.pem"));
    let server = Peer::reference(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    let url = format!("https://127.0.0.1:{}", server.port);
    // Trusted through the extra CA: polling over https, then the upgrade to wss.
    let mut opts = options(&[TransportKind::Polling, TransportKind::Websocket]);
    opts.manager.tls.ca_pem = Some(ca);
    let socket = io(&url, opts);
    let mut ev = record(&socket);
    ev.until("connect:").await;
    if socket.io().engine().unwrap().transport() != TransportKind::Websocket {
        assert_eq!(ev.until("upgrade:").await, "upgrade:websocket");
    }
    assert_eq!(socket.emit_with_ack("echo", vec!["secure".into()]).await.unwrap(), vec![Value::from("secure")]);
    socket.disconnect();
    // Untrusted: a connect_error, and the socket keeps retrying.
    let untrusted = io(&url, options(&[TransportKind::Websocket]));
    let mut ev = record(&untrusted);
    let err = ev.until("connect_error").await;
    assert!(err.ends_with("active=true"), "{err}");
    untrusted.disconnect();
    // reject_unauthorized = false accepts it.
    let mut opts = options(&[TransportKind::Websocket]);
    opts.manager.tls.reject_unauthorized = false;
    let insecure = io(&url, opts);
    let mut ev = record(&insecure);
    ev.until("connect:").await;
    insecure.disconnect();
}

async fn query_headers_and_upgrade_false_reach_the_server(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let mut opts = options(&[TransportKind::Polling, TransportKind::Websocket]);
    opts.manager.upgrade = false;
    opts.manager.query = vec![("room".into(), "blue".into())];
    opts.manager.extra_headers = vec![("x-custom".into(), "yes".into())];
    let socket = io(&server.url(), opts);
    let w = welcome(&socket).await;
    assert_eq!(w.get("query").and_then(|q| q.get("room")), Some(&Value::from("blue")));
    let hs = socket.emit_with_ack("handshake", vec![]).await.unwrap();
    assert_eq!(hs[0].get("headers").and_then(|h| h.get("x-custom")), Some(&Value::from("yes")));
    assert_eq!(hs[0].get("query").and_then(|q| q.get("EIO")), Some(&Value::from("4")));
    // upgrade: false keeps polling even though the server offers websocket
    assert_eq!(socket.emit_with_ack("transport", vec![]).await.unwrap(), vec![Value::from("polling")]);
    assert_eq!(socket.io().engine().unwrap().transport(), TransportKind::Polling);
    socket.disconnect();
}

async fn catch_all_listeners_and_the_receive_buffer(kind: Kind) {
    let server = Peer::start(kind, free_port(), &[]);
    let socket = io(&server.url(), options(&[TransportKind::Websocket]));
    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    let t = tx.clone();
    socket.on_any(move |_, event, _| {
        let _ = t.send(format!("any:{event}"));
    });
    let t = tx.clone();
    socket.prepend_any(move |_, event, _| {
        let _ = t.send(format!("first:{event}"));
    });
    let t = tx.clone();
    socket.on_any_outgoing(move |_, event, _| {
        let _ = t.send(format!("out:{event}"));
    });
    // welcome arrives right after CONNECT: it goes through the receive buffer logic and
    // reaches the catch-all listeners, prepended one first.
    assert_eq!(next_line(&mut seen).await, "first:welcome");
    assert_eq!(next_line(&mut seen).await, "any:welcome");
    socket.emit("echo", vec![1i64.into()]).unwrap();
    assert_eq!(next_line(&mut seen).await, "out:echo");
    assert_eq!(next_line(&mut seen).await, "first:echo");
    assert_eq!(next_line(&mut seen).await, "any:echo");
    // One listener removed as listeners_any gave it; an outgoing one prepended, then removed.
    let listeners = socket.listeners_any();
    assert_eq!(listeners.len(), 2);
    socket.off_any_listener(&listeners[0]);
    let t = tx.clone();
    socket.prepend_any_outgoing(move |_, event, _| {
        let _ = t.send(format!("out-first:{event}"));
    });
    socket.emit("echo", vec![5i64.into()]).unwrap();
    assert_eq!(next_line(&mut seen).await, "out-first:echo");
    assert_eq!(next_line(&mut seen).await, "out:echo");
    assert_eq!(next_line(&mut seen).await, "any:echo");
    let outgoing = socket.listeners_any_outgoing();
    socket.off_any_outgoing_listener(&outgoing[0]);
    assert_eq!(socket.listeners_any_outgoing().len(), 1);
    socket.off_any();
    socket.emit("echo", vec![2i64.into()]).unwrap();
    assert_eq!(next_line(&mut seen).await, "out:echo");
    socket.emit("volatile", vec!["v".into(), 3i64.into()]).unwrap();
    assert_eq!(next_line(&mut seen).await, "out:volatile");
    assert!(tokio::time::timeout(Duration::from_millis(300), seen.recv()).await.is_err(), "off_any removed them");
    // volatile emits while disconnected are dropped, not buffered
    socket.disconnect();
    socket.volatile().emit("echo", vec!["dropped".into()]).unwrap();
    socket.emit("echo", vec!["buffered".into()]).unwrap();
    let (etx, mut echoes) = mpsc::unbounded_channel();
    socket.on("echo", move |_, args, _| {
        let _ = etx.send(args);
    });
    socket.connect();
    let first = tokio::time::timeout(WAIT, echoes.recv()).await.unwrap().unwrap();
    assert_eq!(first, vec![Value::from("buffered")]);
    socket.disconnect();
}

async fn next_line(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("event within timeout").expect("open channel")
}

async fn transport_error_when_a_polling_server_dies(kind: Kind) {
    let port = free_port();
    let mut server = Peer::start(kind, port, &[]);
    let socket = io(&format!("http://127.0.0.1:{port}"), options(&[TransportKind::Polling]));
    let mut ev = record(&socket);
    ev.until("connect:").await;
    server.kill();
    let reason = ev.until("disconnect").await;
    assert_eq!(reason, "disconnect:transport error:active=true");
    assert!(DisconnectReason::TransportError.reconnects());
    ev.until("reconnect_attempt").await;
    socket.disconnect();
}

#[tokio::test]
async fn parse_error_on_an_invalid_packet_from_the_server_then_reconnects() {
    use sio_core::engine::server::{CloseReason, EngineConfig, EngineHandler, EngineServer, Message, Session};
    use std::sync::Arc;
    /// A broken server: answers CONNECT, then sends a packet that is not Socket.IO.
    struct Broken;
    impl EngineHandler for Broken {
        fn on_open(&self, _: &Arc<Session>) {}
        fn on_message(&self, s: &Arc<Session>, m: Message<'_>) {
            if m == Message::Text("0") {
                let _ = s.send_text("0{\"sid\":\"abcdefghijklmnopqrst\"}");
                let _ = s.send_text("2[\"unterminated\"");
            }
        }
        fn on_close(&self, _: &Arc<Session>, _: CloseReason) {}
    }
    let engine =
        EngineServer::new(EngineConfig { path: "/socket.io/".into(), ..EngineConfig::default() }, Arc::new(Broken));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(sio_core::engine::server::serve(
        listener,
        Default::default(),
        move |req, peer| {
            let engine = engine.clone();
            async move { engine.handle_from(req, peer).await }
        },
        stop_rx,
    ));
    let socket = io(&format!("http://127.0.0.1:{port}"), options(&[TransportKind::Websocket]));
    let mut ev = record(&socket);
    ev.until("connect:").await;
    assert_eq!(ev.until("disconnect").await, "disconnect:parse error:active=true");
    assert_eq!(ev.until("reconnect_attempt").await, "reconnect_attempt:1");
    socket.disconnect();
}

/// A malicious server over raw TCP: answers the handshake GET properly when `open` is set,
/// then answers every other GET with a body that never ends (chunks of 64 KiB). Returns
/// the port and a counter of body bytes it managed to send.
async fn endless_body_server(open: bool) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let polls = std::sync::Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let (sent, polls) = (counter.clone(), polls.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                loop {
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tcp.read(&mut buf).await {
                            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    if open && !head.contains("sid=") {
                        let body = "0{\"sid\":\"abcdefghijklmnopqrst\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000}";
                        let res = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                        if tcp.write_all(res.as_bytes()).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    // The first poll answers the namespace CONNECT; the next ones never end.
                    if open && head.starts_with("GET") && polls.fetch_add(1, Ordering::SeqCst) == 0 {
                        let body = "40{\"sid\":\"ABCDEFGHIJKLMNOPQRST\"}";
                        let res = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                        if tcp.write_all(res.as_bytes()).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    if head.starts_with("POST") {
                        let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
                        continue;
                    }
                    let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await;
                    let chunk = format!("10000\r\n{}\r\n", "4".repeat(0x10000));
                    while tcp.write_all(chunk.as_bytes()).await.is_ok() {
                        sent.fetch_add(0x10000, Ordering::Relaxed);
                    }
                    return;
                }
            });
        }
    });
    (port, sent)
}

#[tokio::test]
async fn endless_handshake_body_fails_the_attempt_with_a_transport_error() {
    let (port, sent) = endless_body_server(false).await;
    let mut opts = options(&[TransportKind::Polling]);
    opts.manager.reconnection = false;
    let socket = io(&format!("http://127.0.0.1:{port}"), opts);
    let mut ev = record(&socket);
    let err = ev.until("connect_error").await;
    assert!(err.starts_with("connect_error:"), "{err}");
    // The client stopped reading near the handshake limit (128 KiB), not gigabytes later.
    let read = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read < 16 << 20, "the server could push {read} bytes");
    socket.disconnect();
}

#[tokio::test]
async fn endless_poll_body_closes_with_transport_error() {
    let (port, sent) = endless_body_server(true).await;
    let mut opts = options(&[TransportKind::Polling]);
    opts.manager.reconnection = false;
    let socket = io(&format!("http://127.0.0.1:{port}"), opts);
    let mut ev = record(&socket);
    ev.until("connect:").await;
    assert!(ev.until("disconnect").await.starts_with("disconnect:transport error:"));
    // maxPayload is 1000 bytes: the body is cut at 4 × that (at least 128 KiB).
    let read = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read < 16 << 20, "the server could push {read} bytes");
    socket.disconnect();
}

async fn io_multiplexes_and_the_manager_reports_its_events(kind: Kind) {
    let server = Peer::start(kind, free_port(), &["--ping-interval", "100", "--ping-timeout", "1000"]);
    let url = server.url();
    let mut opts = options(&[TransportKind::Websocket]);
    opts.force_new = false;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let main = io(&format!("{url}/"), opts.clone());
    main.io().on(move |_, ev| {
        let line = match ev {
            ManagerEvent::Open => "open".to_owned(),
            ManagerEvent::Ping => "ping".into(),
            ManagerEvent::Packet(p) => format!("packet:{}", p.nsp),
            ManagerEvent::PacketCreate(_) => "packetCreate".into(),
            ManagerEvent::Close(r) => format!("close:{r}"),
            _ => return,
        };
        let _ = tx.send(line);
    });
    let other = io(&format!("{url}/dyn-3"), opts.clone());
    assert!(std::ptr::eq(main.io().config(), other.io().config()), "io() shares one Manager per server");
    let mut seen = Vec::new();
    while !(seen.contains(&"ping".to_owned()) && seen.contains(&"packet:/dyn-3".to_owned())) {
        seen.push(tokio::time::timeout(WAIT, rx.recv()).await.unwrap().unwrap());
    }
    assert_eq!(seen[0], "open");
    assert!(seen.contains(&"packetCreate".to_owned()) && seen.contains(&"packet:/".to_owned()), "{seen:?}");
    let mut forced = opts.clone();
    forced.force_new = true;
    let separate = io(&format!("{url}/"), forced);
    assert!(!std::ptr::eq(main.io().config(), separate.io().config()), "force_new makes its own Manager");
    main.disconnect();
    other.disconnect();
    separate.disconnect();
    while !seen.last().is_some_and(|l| l.starts_with("close:")) {
        seen.push(tokio::time::timeout(WAIT, rx.recv()).await.unwrap().unwrap());
    }
    assert_eq!(seen.last().unwrap(), "close:forced close", "the last socket leaving closes the manager");
}

/// A WebSocket frame seen on the wire: from the server, RSV1 (compressed), opcode.
type Seen = (bool, bool, u8);

/// Records the frames of one direction of a proxied connection into `seen`.
async fn tap_direction(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    down: bool,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut buf, mut chunk, mut head_done) = (Vec::new(), vec![0u8; 16384], false);
    while let Ok(n) = from.read(&mut chunk).await {
        if n == 0 || to.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if !head_done {
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            // Polling requests go through here too: only an upgrade is followed by frames.
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if !(head.starts_with("http/1.1 101") || head.contains("upgrade: websocket")) {
                buf.clear();
                continue;
            }
            head_done = true;
            buf.drain(..end + 4);
        }
        loop {
            if buf.len() < 2 {
                break;
            }
            let (len, mut at) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize, 10),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if buf[1] & 0x80 != 0 {
                at += 4;
            }
            if buf.len() < at + len {
                break;
            }
            seen.lock().unwrap().push((down, buf[0] & 0x40 != 0, buf[0] & 0x0f));
            buf.drain(..at + len);
        }
    }
}

/// A TCP proxy to `port` that records the WebSocket frames both ways.
async fn frame_tap(port: u16) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tap_port = listener.local_addr().unwrap().port();
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = frames.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(tap_direction(cr, sw, false, seen.clone()));
            tokio::spawn(tap_direction(sr, cw, true, seen.clone()));
        }
    });
    (tap_port, frames)
}

/// permessage-deflate, offered by the client by default: a server that compresses every
/// message (threshold 0) is understood, large JSON and binary go both ways; a client with
/// it turned off gets nothing compressed.
async fn per_message_deflate_both_ways(kind: Kind) {
    let port = free_port();
    let _server = Peer::start(kind, port, &["--per-message-deflate=0"]);
    let big = Value::from([("text", Value::from("deflate me ".repeat(5000)))]);
    let blob = Value::Binary((0..100_000u32).map(|i| (i % 7) as u8).collect::<Vec<u8>>().into());
    for (offer, transports) in [
        (true, vec![TransportKind::Websocket]),
        (true, vec![TransportKind::Polling, TransportKind::Websocket]),
        (false, vec![TransportKind::Websocket]),
    ] {
        let (tap, frames) = frame_tap(port).await;
        let mut opts = options(&transports);
        if !offer {
            opts.manager.per_message_deflate = None;
        }
        let socket = io(&format!("http://127.0.0.1:{tap}"), opts);
        let mut ev = record(&socket);
        welcome(&socket).await;
        if transports.len() == 2 && socket.io().engine().unwrap().transport() != TransportKind::Websocket {
            assert_eq!(ev.until("upgrade:").await, "upgrade:websocket");
        }
        let args = vec![big.clone(), blob.clone()];
        let back = socket.emit_with_ack("echo", args.clone()).await.unwrap();
        assert_eq!(back, args);
        let compressed = |down: bool| {
            let seen = frames.lock().unwrap();
            seen.iter().filter(|(d, rsv1, op)| *d == down && *rsv1 && (*op == 1 || *op == 2)).count()
        };
        let (down, up) = (compressed(true), compressed(false));
        assert_eq!((down > 0, up > 0), (offer, offer), "offer {offer}, {transports:?}: {down} down, {up} up");
        // compress(false): the client sends the large event as it is.
        frames.lock().unwrap().clear();
        let mut echoes = welcome_rx_named(&socket, "plain");
        socket.compress(false).emit("uncompressed", vec!["plain".into(), big.clone()]).unwrap();
        tokio::time::timeout(WAIT, echoes.recv()).await.expect("the plain event comes back");
        let up = frames.lock().unwrap().iter().filter(|(d, rsv1, _)| !*d && *rsv1).count();
        assert_eq!(up, 0, "compress(false) went compressed");
        socket.disconnect();
    }
}

/// Runs each scenario against the reference server and against ours.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod reference {
            $(#[tokio::test] async fn $name() { super::$name(super::Kind::Reference).await })*
        }
        mod ours {
            $(#[tokio::test] async fn $name() { super::$name(super::Kind::Ours).await })*
        }
    };
}

both!(
    io_multiplexes_and_the_manager_reports_its_events,
    transport_error_when_a_polling_server_dies,
    catch_all_listeners_and_the_receive_buffer,
    query_headers_and_upgrade_false_reach_the_server,
    connects_over_each_transport_to_the_reference_server,
    namespaces_share_one_engine_connection,
    binary_and_acks_both_ways_against_the_reference,
    msgpack_parser_against_the_reference,
    retries_resend_until_acknowledged_then_give_up,
    middleware_refusal_is_final_and_carries_data,
    low_level_failure_stays_active_and_connects_once_the_server_starts,
    io_server_disconnect_does_not_reconnect,
    io_client_disconnect_does_not_reconnect,
    transport_close_reconnects_with_manager_events,
    ping_timeout_when_the_server_freezes,
    connection_state_recovery_against_the_reference,
    offline_emits_are_buffered_and_flushed_in_order,
    per_message_deflate_both_ways,
);
