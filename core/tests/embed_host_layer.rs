//! The host-facing pieces of the embedding layer: engine connection events, dynamic namespaces named by the host with answers given
//! later (and refused when they never come).
mod support;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use sio_core::embed::{
    ClientOptions, Delivery, DynamicEvent, DynamicMatcher, EngineEvent, Event, HostRequest, HostResponse,
    ManagerConfig, Runtime, RuntimeOptions, Target, TransportKind,
};
use sio_core::server::ServerConfig;
use sio_core::Value;

use support::host::{next, runtime, WAIT};

fn get(port: u16) -> std::io::Result<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(WAIT))?;
    write!(s, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn engine_events_tell_a_session_opened_and_closed_and_the_listener_stops_with_the_server() {
    let rt = runtime();
    let srv = rt.server(ServerConfig::default()).unwrap();
    let (tx, engine) = mpsc::channel();
    srv.on_engine_events(move |ev| {
        let _ = tx.send(ev);
    });
    let port = srv.listen("127.0.0.1:0").unwrap().port();
    let open = get(port).unwrap();
    assert!(open.starts_with("HTTP/1.1 200"), "{open}");
    assert!(open.contains("\"sid\""), "an Engine.IO handshake: {open}");
    match engine.recv_timeout(WAIT).unwrap() {
        EngineEvent::Opened { transport, .. } => assert_eq!(transport, "polling"),
        other => panic!("{other:?}"),
    }
    srv.close().unwrap();
    match engine.recv_timeout(WAIT).unwrap() {
        EngineEvent::Closed { reason, .. } => assert_eq!(reason, "server shutting down"),
        other => panic!("{other:?}"),
    }
    let deadline = std::time::Instant::now() + WAIT;
    while get(port).is_ok() {
        assert!(std::time::Instant::now() < deadline, "the listener stops with the server");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!srv.close_conn("no-such-connection"));
    rt.shutdown();
}

#[test]
fn a_host_matcher_that_never_answers_refuses_and_one_that_does_creates_the_child() {
    let rt = runtime();
    let srv = rt.server(ServerConfig::default()).unwrap();
    let (tx, dynamic) = mpsc::channel();
    let timeout = Some(Duration::from_millis(200));
    srv.dynamic_namespace("rooms", DynamicMatcher::Host { timeout }, true, move |ev| {
        let _ = tx.send(ev);
    })
    .unwrap();
    assert!(srv.dynamic_namespace("rooms", DynamicMatcher::Pattern(".*".into()), false, |_| {}).is_err());
    let addr = srv.listen("127.0.0.1:0").unwrap();

    // Asked, never answered (the reply is kept, not dropped): refused at the timeout.
    let silent = rt.client(&format!("http://{addr}/silent"), ClientOptions::default()).unwrap();
    let kept = match dynamic.recv_timeout(WAIT).unwrap() {
        DynamicEvent::Match { parent, nsp, reply, .. } => {
            assert_eq!((parent.as_str(), nsp.as_str()), ("rooms", "/silent"));
            reply
        }
        other => panic!("{other:?}"),
    };
    match next(&rt) {
        Event::ClientConnectError { client, error, .. } => {
            assert_eq!(client, silent.id());
            assert_eq!(error.message, "Invalid namespace");
        }
        other => panic!("{other:?}"),
    }
    assert!(kept.is_answered(), "nobody waits for it any more");
    silent.close();

    // Answered: the middleware decision, then the connection, both naming the parent.
    let client = rt.client(&format!("http://{addr}/room-1"), ClientOptions::default()).unwrap();
    match dynamic.recv_timeout(WAIT).unwrap() {
        DynamicEvent::Match { mut reply, .. } => assert!(reply.send(true)),
        other => panic!("{other:?}"),
    }
    match dynamic.recv_timeout(WAIT).unwrap() {
        DynamicEvent::Middleware { parent, decision, .. } => {
            assert_eq!(parent, "rooms");
            decision.accept();
        }
        other => panic!("{other:?}"),
    }
    let socket = match dynamic.recv_timeout(WAIT).unwrap() {
        DynamicEvent::Connection { parent, socket } => {
            assert_eq!((parent.as_str(), socket.ns()), ("rooms", "/room-1"));
            socket
        }
        other => panic!("{other:?}"),
    };
    assert!(matches!(next(&rt), Event::ClientConnect { .. }));
    // The host's name reaches every child.
    srv.emit_to(&Target::namespace("rooms"), "hi", vec![Value::from(1)]).unwrap();
    match next(&rt) {
        Event::ClientMessage { name, args, .. } => assert_eq!((name.as_str(), args), ("hi", vec![Value::from(1)])),
        other => panic!("{other:?}"),
    }
    assert_eq!(srv.local_sockets(&Target::namespace("rooms")).len(), 1);
    srv.disconnect_socket(&socket, false);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match dynamic.recv_timeout(WAIT).unwrap() {
            DynamicEvent::Disconnecting { parent, reason, .. } | DynamicEvent::Disconnect { parent, reason, .. } => {
                assert_eq!((parent.as_str(), reason.as_str()), ("rooms", "server namespace disconnect"));
                seen.push(reason);
            }
            other => panic!("{other:?}"),
        }
    }
    drop(client);
    rt.shutdown();
}

#[test]
fn frames_queued_in_a_host_turn_go_out_in_order_when_the_turn_ends() {
    let rt = runtime();
    let srv = rt.server(ServerConfig::default()).unwrap();
    let addr = srv.listen("127.0.0.1:0").unwrap();
    // WebSocket only: once connected, the connection's writer sleeps until woken (a
    // polling upgrade in progress would have a request awake to carry the frames).
    let manager = ManagerConfig { transports: vec![TransportKind::Websocket], ..ManagerConfig::default() };
    let _client = rt.client(&format!("http://{addr}/"), ClientOptions { manager, ..ClientOptions::default() }).unwrap();
    let (mut socket, mut connected) = (None, false);
    while socket.is_none() || !connected {
        match next(&rt) {
            Event::Connection { socket: s, .. } => socket = Some(s),
            Event::ClientConnect { .. } => connected = true,
            _ => {}
        }
    }
    let socket = socket.expect("the server saw the connection");

    let turn = rt.turn();
    rt.begin_turn(); // turns nest: the inner end hands nothing over
    for i in 0..50i64 {
        srv.emit(&socket, "n", vec![Value::from(i)], false).unwrap();
    }
    rt.end_turn();
    while let Some(ev) = rt.next_event(Duration::from_millis(300)) {
        assert!(!matches!(ev, Event::ClientMessage { .. }), "held until the outermost turn ends: {ev:?}");
    }
    drop(turn);
    for i in 0..50i64 {
        match next(&rt) {
            Event::ClientMessage { name, args, .. } => assert_eq!((name.as_str(), args), ("n", vec![Value::from(i)])),
            other => panic!("{other:?}"),
        }
    }
    rt.end_turn(); // without a turn: nothing to do
    srv.emit(&socket, "after", vec![], false).unwrap();
    assert!(matches!(next(&rt), Event::ClientMessage { name, .. } if name == "after"), "outside a turn: at once");
    rt.shutdown();
}

#[test]
fn a_blocking_call_from_an_event_callback_completes_with_a_single_worker() {
    use sio_core::embed::{Delivery, EmbeddedServer, Runtime, RuntimeOptions};
    use std::sync::{Arc, OnceLock};

    let server: Arc<OnceLock<EmbeddedServer>> = Arc::default();
    let (tx, counted) = mpsc::channel();
    let in_callback = server.clone();
    let on_event = move |ev: Event| {
        if let (Event::Connection { .. }, Some(srv)) = (ev, in_callback.get()) {
            // Waits for a task of the very runtime whose only worker runs this callback.
            let _ = tx.send(srv.server_count());
        }
    };
    let rt = Runtime::new(RuntimeOptions { workers: 1, delivery: Delivery::Callback(Arc::new(on_event)) }).unwrap();
    let srv = rt.server(ServerConfig::default()).unwrap();
    let addr = srv.listen("127.0.0.1:0").unwrap();
    let _ = server.set(srv);
    let _client = rt.client(&format!("http://{addr}/"), ClientOptions::default()).unwrap();
    assert_eq!(counted.recv_timeout(WAIT).expect("no deadlock"), Ok(1));
    rt.shutdown();
}

/// A request over raw long-polling (`body` POSTed when given), the response body.
fn polling(port: u16, sid: &str, body: Option<&str>) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    match body {
        Some(b) => write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        ),
        None => write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    }
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn an_answer_from_a_plain_thread_that_overflows_the_queue_closes_the_slow_session() {
    let rt = runtime();
    let mut config = ServerConfig::default();
    config.engine.max_buffered_frames = 2;
    let srv = rt.server(config).unwrap();
    let port = srv.listen("127.0.0.1:0").unwrap().port();
    // A client that stops polling after connecting: what the server sends stays queued.
    let open = get(port).unwrap();
    let sid = open.split("\"sid\":\"").nth(1).and_then(|r| r.split('"').next()).expect("a sid").to_owned();
    assert!(polling(port, &sid, Some("40")).ends_with("ok"));
    assert!(polling(port, &sid, Some("421[\"ask\"]")).ends_with("ok"));
    let (socket, ack) = loop {
        if let Event::Message { socket, ack: Some(ack), .. } = next(&rt) {
            break (socket, ack);
        }
    };
    // Queued: the CONNECT answer and this emit; the answer does not fit.
    srv.emit(&socket, "fill", vec![], false).unwrap();
    let answered = std::thread::spawn(move || ack.send(vec![Value::from("late")])).join();
    assert!(matches!(answered, Ok(Err(sio_core::EmitError::Disconnected))), "{answered:?}");
    loop {
        if let Event::Disconnect { reason, .. } = next(&rt) {
            assert_eq!(reason.as_str(), "transport error");
            break;
        }
    }
    rt.shutdown();
}

/// What a host request answered, through `handle_http`.
fn host_get(
    srv: &sio_core::embed::EmbeddedServer,
    uri: String,
) -> (sio_core::embed::HostCall, mpsc::Receiver<HostResponse>) {
    let (tx, rx) = mpsc::channel();
    let req = HostRequest {
        method: "GET".into(),
        uri,
        headers: vec![("host".into(), "x".into())],
        remote: "127.0.0.1:1".parse().unwrap(),
        secure: false,
    };
    let call = srv
        .handle_http(req, bytes::Bytes::new(), move |res| {
            let _ = tx.send(res);
        })
        .unwrap();
    (call, rx)
}

#[test]
fn a_long_poll_cancelled_before_its_task_ran_ends_its_session_with_transport_error() {
    // One worker, held inside a second session's handshake (its engine callback waits)
    // while the host hands the first session's long poll over and cancels it: the poll's
    // task has not run when it is cancelled.
    let rt = Runtime::new(RuntimeOptions { workers: 1, delivery: Delivery::Queue }).unwrap();
    let srv = rt.server(ServerConfig::default()).unwrap();
    let (tx, engine) = mpsc::channel();
    let (hold_tx, hold) = mpsc::channel::<()>();
    let hold = std::sync::Mutex::new(hold);
    let (held_tx, held) = mpsc::channel::<()>();
    let opened = std::sync::atomic::AtomicUsize::new(0);
    srv.on_engine_events(move |ev| {
        if matches!(ev, EngineEvent::Opened { .. }) && opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            let _ = held_tx.send(());
            let _ = hold.lock().unwrap().recv_timeout(WAIT);
        }
        let _ = tx.send(ev);
    });
    let base = "/socket.io/?EIO=4&transport=polling".to_owned();
    let (_, open) = host_get(&srv, base.clone());
    let open = open.recv_timeout(WAIT).unwrap();
    let text = String::from_utf8(open.body.to_vec()).unwrap();
    let sid = text.split("\"sid\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    assert!(matches!(engine.recv_timeout(WAIT).unwrap(), EngineEvent::Opened { .. }));
    let (_second, _) = host_get(&srv, base.clone());
    held.recv_timeout(WAIT).expect("the worker is held in the second handshake");
    let (poll, answered) = host_get(&srv, format!("{base}&sid={sid}"));
    poll.cancel();
    hold_tx.send(()).unwrap();
    loop {
        match engine.recv_timeout(WAIT).expect("the first session ends") {
            EngineEvent::Closed { conn, reason } if conn == sid => {
                assert_eq!(reason, "transport error");
                break;
            }
            _ => continue,
        }
    }
    assert!(answered.try_recv().is_err(), "a cancelled request is not answered");
    rt.shutdown();
}
