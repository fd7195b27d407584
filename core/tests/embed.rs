//! The embedding layer from a host's point of view: blocking calls on a plain thread,
//! events by queue and by callback, acknowledgement completions, shutdown.
use std::sync::mpsc;
use std::time::Duration;

use sio_core::client::ClientOptions;
use sio_core::embed::{AckOutcome, Delivery, Event, Runtime, RuntimeOptions};
use sio_core::server::{DisconnectReason, ServerConfig};
use sio_core::{ConnectError, Value};

const WAIT: Duration = Duration::from_secs(10);

/// The next event, skipping transport upgrades (their timing is the network's).
fn next(rt: &Runtime) -> Event {
    loop {
        match rt.next_event(WAIT).expect("an event within the timeout") {
            Event::Upgrade { .. } => continue,
            ev => return ev,
        }
    }
}

#[test]
fn queue_mode_server_and_client_talk_with_acks_and_middleware() {
    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    server.namespace("/admin");
    server.enable_middleware("/admin");
    let addr = server.listen("127.0.0.1:0").unwrap();

    let refused = rt.client(&format!("http://{addr}/admin"), ClientOptions::default()).unwrap();
    match next(&rt) {
        Event::Middleware { decision, .. } => decision.refuse(ConnectError::with_data("nope", Value::from(1i64))),
        other => panic!("expected the middleware request, got {other:?}"),
    }
    match next(&rt) {
        Event::ClientConnectError { client, error, active } => {
            assert_eq!(client, refused.id());
            assert_eq!((error.message.as_str(), error.data), ("nope", Some(Value::from(1i64))));
            assert!(!active);
        }
        other => panic!("expected connect_error, got {other:?}"),
    }

    let client = rt.client(&format!("http://{addr}/"), ClientOptions::default()).unwrap();
    let mut socket = None;
    let mut connected = false;
    while socket.is_none() || !connected {
        match next(&rt) {
            Event::Connection { socket: s, server: id } => {
                assert_eq!(id, server.id());
                socket = Some(s);
            }
            Event::ClientConnect { client: id } => {
                assert_eq!(id, client.id());
                connected = true;
            }
            Event::Upgrade { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let socket = socket.unwrap();

    // client → server with an ack the host answers later
    let (tx, rx) = mpsc::channel();
    client.emit_with_ack("hello", vec![Value::from("x")], Some(WAIT), move |o| tx.send(o).unwrap()).unwrap();
    loop {
        match next(&rt) {
            Event::Message { name, args, ack, .. } => {
                // A text packet's arguments reach the host as the JSON text they came in.
                assert_eq!(args.as_text(), Some(r#"["x"]"#));
                assert_eq!((name.as_str(), args.into_values()), ("hello", vec![Value::from("x")]));
                ack.expect("the client asked for an ack").send(vec![Value::from("y")]).unwrap();
                break;
            }
            Event::Upgrade { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), AckOutcome::Answered(vec![Value::from("y")]));

    // server → client with an ack; then one the client never answers
    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    server.emit_with_ack(&socket, "question", vec![], Some(WAIT), move |o| t.send(o).unwrap()).unwrap();
    loop {
        match next(&rt) {
            Event::ClientMessage { name, ack, .. } => {
                assert_eq!(name, "question");
                assert!(ack.unwrap().send(vec![Value::from(42i64)]));
                break;
            }
            Event::Upgrade { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), AckOutcome::Answered(vec![Value::from(42i64)]));
    server
        .emit_with_ack(&socket, "ignored", vec![], Some(Duration::from_millis(100)), move |o| tx.send(o).unwrap())
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), AckOutcome::TimedOut);

    // an ack still pending at shutdown completes as cancelled or disconnected, exactly once
    let (tx, rx) = mpsc::channel();
    server.emit_with_ack(&socket, "ignored", vec![], None, move |o| tx.send(o).unwrap()).unwrap();
    rt.shutdown();
    let outcome = rx.recv_timeout(WAIT).unwrap();
    assert!(matches!(outcome, AckOutcome::Cancelled | AckOutcome::Disconnected), "{outcome:?}");
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "exactly once");
    assert!(rt.server(ServerConfig::default()).is_err(), "no new work after shutdown");
}

#[test]
fn callback_mode_delivers_disconnect_reasons_on_runtime_threads() {
    let (tx, rx) = mpsc::channel::<String>();
    let tx = std::sync::Mutex::new(tx);
    let rt = Runtime::new(RuntimeOptions {
        workers: 2,
        delivery: Delivery::Callback(std::sync::Arc::new(move |ev| {
            let line = match ev {
                Event::Connection { socket, .. } => {
                    socket.join(["room"]);
                    "connection".to_owned()
                }
                Event::Disconnecting { socket, reason, .. } => {
                    format!("disconnecting:{reason}:{}", socket.rooms().contains("room"))
                }
                Event::Disconnect { reason, .. } => format!("disconnect:{reason}"),
                Event::ClientConnect { .. } => "client-connect".into(),
                Event::ClientDisconnect { reason, active, .. } => {
                    format!("client-disconnect:{reason}:{active}")
                }
                _ => return,
            };
            assert!(std::thread::current().name().unwrap_or_default().starts_with("sio-runtime"));
            tx.lock().unwrap().send(line).unwrap();
        })),
    })
    .unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    let addr = server.listen("127.0.0.1:0").unwrap();
    let client = rt.client(&format!("http://{addr}"), ClientOptions::default()).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(rx.recv_timeout(WAIT).unwrap());
    }
    seen.sort();
    assert_eq!(seen, ["client-connect", "connection"]);
    client.disconnect();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(rx.recv_timeout(WAIT).unwrap());
    }
    assert!(seen.contains(&"client-disconnect:io client disconnect:false".to_owned()), "{seen:?}");
    let server_side: Vec<_> = seen.iter().filter(|l| !l.starts_with("client")).cloned().collect();
    assert_eq!(
        server_side,
        [
            format!("disconnecting:{}:true", DisconnectReason::ClientNamespaceDisconnect),
            format!("disconnect:{}", DisconnectReason::ClientNamespaceDisconnect)
        ]
    );
    rt.shutdown();
}

#[test]
fn middleware_on_a_dynamic_namespace_decides_for_each_matching_name() {
    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    assert!(server.enable_middleware_regex(r"^/dyn-\d+$").is_err(), "unknown pattern");
    server.namespace_regex(r"^/dyn-\d+$").unwrap();
    server.namespace_regex(r"^/dyn-\d+$").unwrap(); // the same parent again
    server.enable_middleware_regex(r"^/dyn-\d+$").unwrap();
    let addr = server.listen("127.0.0.1:0").unwrap();

    // refused: the decision sees the child namespace's name
    let refused = rt.client(&format!("http://{addr}/dyn-1"), ClientOptions::default()).unwrap();
    match next(&rt) {
        Event::Middleware { socket, decision, .. } => {
            assert_eq!(socket.ns(), "/dyn-1");
            decision.refuse(ConnectError::with_data("no", Value::from("dyn")));
        }
        other => panic!("expected the middleware request, got {other:?}"),
    }
    match next(&rt) {
        Event::ClientConnectError { client, error, active } => {
            assert_eq!(client, refused.id());
            assert_eq!((error.message.as_str(), error.data), ("no", Some(Value::from("dyn"))));
            assert!(!active);
        }
        other => panic!("expected connect_error, got {other:?}"),
    }

    // accepted: another child of the same parent connects (one decision, one connection)
    let accepted = rt.client(&format!("http://{addr}/dyn-22"), ClientOptions::default()).unwrap();
    match next(&rt) {
        Event::Middleware { socket, decision, .. } => {
            assert_eq!(socket.ns(), "/dyn-22");
            decision.accept();
        }
        other => panic!("expected the middleware request, got {other:?}"),
    }
    let (mut connection, mut connected) = (false, false);
    while !(connection && connected) {
        match next(&rt) {
            Event::Connection { socket, .. } => {
                assert_eq!(socket.ns(), "/dyn-22");
                connection = true;
            }
            Event::ClientConnect { client } => {
                assert_eq!(client, accepted.id());
                connected = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    rt.shutdown();
}

/// Waits for a connected client's `ClientConnect` (skipping the server's own events).
fn wait_connected(rt: &Runtime, pull: impl Fn(&Runtime) -> Vec<Event>) {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if pull(rt).iter().any(|ev| matches!(ev, Event::ClientConnect { .. })) {
            return;
        }
    }
    panic!("the client did not connect");
}

#[test]
fn bulk_pull_takes_a_burst_in_few_calls() {
    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    let addr = server.listen("127.0.0.1:0").unwrap();
    let client = rt.client(&format!("http://{addr}/"), ClientOptions::default()).unwrap();
    wait_connected(&rt, |rt| rt.next_events(64, WAIT));
    for i in 0..200i64 {
        client.emit("n", vec![Value::from(i)]).unwrap();
    }
    let (mut seen, mut calls) = (Vec::new(), 0);
    while seen.len() < 200 {
        let batch = rt.next_events(1000, WAIT);
        assert!(!batch.is_empty(), "events within the timeout ({} seen)", seen.len());
        calls += 1;
        for ev in batch {
            if let Event::Message { name, args, .. } = ev {
                assert_eq!(name, "n");
                seen.push(args.into_values()[0].as_i64().unwrap());
            }
        }
    }
    assert_eq!(seen, (0..200).collect::<Vec<_>>(), "in order");
    assert!(calls < 200, "one pull per event ({calls} pulls): no batching");
    assert!(rt.next_events(0, WAIT).is_empty());
}

#[test]
fn wake_delivery_wakes_the_host_once_per_batch() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let wakes = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<()>();
    let tx = std::sync::Mutex::new(tx);
    let w = wakes.clone();
    let delivery = Delivery::Wake(Arc::new(move || {
        w.fetch_add(1, Ordering::SeqCst);
        let _ = tx.lock().unwrap().send(());
    }));
    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    let addr = server.listen("127.0.0.1:0").unwrap();
    let client = rt.client(&format!("http://{addr}/"), ClientOptions::default()).unwrap();
    // The host loop: sleep until woken, then take everything.
    let pull = |rt: &Runtime| {
        let _ = rx.recv_timeout(WAIT);
        rt.take_events(usize::MAX)
    };
    wait_connected(&rt, pull);
    let before = wakes.load(Ordering::SeqCst);
    for i in 0..500i64 {
        client.emit("n", vec![Value::from(i)]).unwrap();
    }
    let mut seen = 0;
    while seen < 500 {
        for ev in pull(&rt) {
            if matches!(ev, Event::Message { .. }) {
                seen += 1;
            }
        }
    }
    let woken = wakes.load(Ordering::SeqCst) - before;
    assert!(woken < 500, "{woken} wake-ups for 500 events: not batched");
    // A taken queue re-arms: the next event wakes the host again.
    client.emit("n", vec![Value::from(500i64)]).unwrap();
    let again = pull(&rt);
    assert!(again.iter().any(|ev| matches!(ev, Event::Message { .. })) || !pull(&rt).is_empty());
}

#[test]
fn a_queued_disconnecting_keeps_the_socket_connected_until_the_host_drops_it() {
    use sio_core::embed::Target;
    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    let addr = server.listen("127.0.0.1:0").unwrap();
    let url = format!("http://{addr}");
    let leaver = rt.client(&url, ClientOptions::default()).unwrap();
    let mut joined = 0;
    let mut connected = 0;
    let stayer = rt.client(&url, ClientOptions::default()).unwrap();
    while joined < 2 || connected < 2 {
        match next(&rt) {
            Event::Connection { socket, .. } => {
                socket.join(["r"]);
                joined += 1;
            }
            Event::ClientConnect { .. } => connected += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    leaver.disconnect();
    let held = loop {
        match next(&rt) {
            ev @ Event::Disconnecting { .. } => break ev,
            Event::ClientDisconnect { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    let Event::Disconnecting { ref socket, ref rooms, .. } = held else { unreachable!() };
    let socket = socket.clone();
    assert!(rooms.contains(&"r".to_owned()));
    // The host's handler, run later from the queue: the socket is still connected, in its
    // rooms, and emits from it go out.
    assert!(socket.connected());
    assert!(socket.rooms().contains("r"));
    server.emit_to(&Target::broadcast_from(&socket).to(["r"]), "left", vec![socket.id().into()]).unwrap();
    match next(&rt) {
        Event::ClientMessage { client, name, args, .. } => {
            assert_eq!((client, name.as_str()), (stayer.id(), "left"));
            assert_eq!(args, vec![Value::from(socket.id())]);
        }
        other => panic!("no disconnect while the host holds disconnecting: {other:?}"),
    }
    drop(held);
    match next(&rt) {
        Event::Disconnect { socket: s, reason, .. } => {
            assert_eq!(reason, DisconnectReason::ClientNamespaceDisconnect);
            assert!(!s.connected());
            assert!(s.rooms().is_empty());
        }
        other => panic!("expected disconnect, got {other:?}"),
    }
    rt.shutdown();
}

/// A host hands over the TCP connection of an upgrade request (as Node's http.Server does):
/// the server takes a duplicate of the descriptor, answers on it and runs the WebSocket; the
/// host closes its own descriptor at once. A descriptor that is not a TCP socket is refused.
#[cfg(unix)]
#[test]
fn a_host_hands_over_the_connection_of_a_websocket_upgrade() {
    use std::io::Read;
    use std::os::fd::AsRawFd;

    use sio_core::embed::{EmbedError, HostRequest};
    use sio_core::engine::server::TransportKind;

    let rt = Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap();
    let server = rt.server(ServerConfig::default()).unwrap();
    let request = |remote| HostRequest {
        method: "GET".into(),
        uri: "/socket.io/?EIO=4&transport=websocket".into(),
        headers: vec![],
        remote,
        secure: false,
    };
    let bad = |fd| server.accept_websocket_fd(request("127.0.0.1:1".parse().unwrap()), fd, Default::default());
    assert!(matches!(bad(-1), Err(EmbedError::InvalidArgument(_))));
    let file = std::fs::File::open("/dev/null").unwrap();
    assert!(matches!(bad(file.as_raw_fd()), Err(EmbedError::InvalidArgument(_))));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ClientOptions {
        manager: sio_core::client::ManagerConfig { transports: vec![TransportKind::Websocket], ..Default::default() },
        ..ClientOptions::default()
    };
    let client = rt.client(&format!("http://{addr}/"), options).unwrap();
    let (mut tcp, remote) = listener.accept().unwrap();
    // The request head, read by hand; whatever came after it is `head`.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    let end = loop {
        let n = tcp.read(&mut chunk).unwrap();
        assert!(n > 0, "the client closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    let text = std::str::from_utf8(&buf[..end]).unwrap();
    let mut lines = text.split("\r\n");
    let uri = lines.next().unwrap().split(' ').nth(1).unwrap().to_owned();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    let req = HostRequest { uri, headers, ..request(remote) };
    server.accept_websocket_fd(req, tcp.as_raw_fd(), bytes::Bytes::copy_from_slice(&buf[end + 4..])).unwrap();
    drop(tcp);

    let (mut socket, mut connected) = (false, false);
    while !socket || !connected {
        match next(&rt) {
            Event::Connection { .. } => socket = true,
            Event::ClientConnect { client: id } => {
                assert_eq!(id, client.id());
                connected = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
