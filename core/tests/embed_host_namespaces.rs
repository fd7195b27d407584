//! What a face that sets up namespaces before connecting needs from the embedding layer
//! (Python's `sio.Client(namespaces=[..])`, its dynamic parents): idle namespaces on one
//! connection, ordered connect/disconnect, client options checked once in the core, and
//! the core's answer to "which dynamic parent made this namespace".
mod support;

use std::sync::mpsc;
use std::time::Duration;

use sio_core::embed::{AckOutcome, ClientOptions, EmbedError, Event, ManagerConfig, SocketConfig};
use sio_core::server::ServerConfig;
use sio_core::Value;

use support::host::{next, runtime, WAIT};

fn idle() -> ClientOptions {
    let manager = ManagerConfig { auto_connect: false, ..ManagerConfig::default() };
    ClientOptions { manager, ..ClientOptions::default() }
}

#[test]
fn invalid_client_options_are_refused_before_anything_connects() {
    let rt = runtime();
    let jitter = ManagerConfig { randomization_factor: 1.5, ..ManagerConfig::default() };
    let err = rt.client("http://127.0.0.1:1", ClientOptions { manager: jitter, ..ClientOptions::default() });
    assert_eq!(err.unwrap_err(), EmbedError::InvalidArgument("randomization_factor must be between 0 and 1".into()));
    let none = ManagerConfig { transports: vec![], ..ManagerConfig::default() };
    let err = rt.client("http://127.0.0.1:1", ClientOptions { manager: none, ..ClientOptions::default() });
    assert_eq!(err.unwrap_err(), EmbedError::InvalidArgument("transports must not be empty".into()));
    rt.shutdown();
}

#[test]
fn idle_namespaces_connect_when_asked_and_keep_the_order_of_commands() {
    let rt = runtime();
    let server = rt.server(ServerConfig::default()).unwrap();
    server.namespace("/a");
    let addr = server.listen("127.0.0.1:0").unwrap();

    let root = rt.client(&format!("http://{addr}/"), idle()).unwrap();
    let a = root.open_namespace_idle("/a", SocketConfig::default()).unwrap();
    assert!(root.open_namespace_idle("/a", SocketConfig::default()).is_err(), "already open");
    // Buffered while idle, sent once connected.
    a.emit("early", vec![Value::from(1i64)]).unwrap();
    assert!(rt.next_event(Duration::from_millis(300)).is_none(), "nothing connects before connect()");

    // A reserved name is refused without completing the acknowledgement.
    let (tx, rx) = mpsc::channel();
    assert!(a.emit_with_ack("connect", vec![], None, move |o| tx.send(o).unwrap()).is_err());
    assert_eq!(rx.recv_timeout(Duration::from_millis(200)), Err(mpsc::RecvTimeoutError::Disconnected));

    root.connect();
    a.connect();
    let (mut connected, mut early) = (Vec::new(), false);
    while connected.len() < 2 || !early {
        match next(&rt) {
            Event::ClientConnect { client } => connected.push(client),
            Event::Message { socket, name, .. } => {
                assert_eq!((socket.ns(), name.as_str()), ("/a", "early"));
                early = true;
            }
            Event::Connection { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    connected.sort();
    assert_eq!(connected, [root.id(), a.id()]);

    // disconnect then connect at once: runs in that order, so /a ends connected.
    a.disconnect();
    a.connect();
    let (mut seen, mut socket) = (Vec::new(), None);
    while !seen.contains(&"client-connect") || socket.is_none() {
        seen.push(match next(&rt) {
            Event::ClientDisconnect { client, .. } if client == a.id() => "client-disconnect",
            Event::ClientConnect { client } if client == a.id() => "client-connect",
            Event::Connection { socket: s, .. } if s.ns() == "/a" => {
                socket = Some(s);
                continue;
            }
            _ => continue,
        });
    }
    assert_eq!(seen, ["client-disconnect", "client-connect"]);

    // The server asks, the host answers through the client.
    let (tx, rx) = mpsc::channel();
    server.emit_with_ack(&socket.unwrap(), "question", vec![], Some(WAIT), move |o| tx.send(o).unwrap()).unwrap();
    loop {
        if let Event::ClientMessage { client, name, ack: Some(ack), .. } = next(&rt) {
            assert_eq!((client, name.as_str()), (a.id(), "question"));
            assert!(a.answer(&ack, vec![Value::from(42i64)]));
            assert!(!a.answer(&ack, vec![]), "answered once");
            break;
        }
    }
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), AckOutcome::Answered(vec![Value::from(42i64)]));
    let (tx, rx) = mpsc::channel();
    a.emit_with_ack("still-there", vec![], Some(WAIT), move |o| tx.send(o).unwrap()).unwrap();
    loop {
        if let Event::Message { name, ack: Some(ack), .. } = next(&rt) {
            assert_eq!(name, "still-there");
            assert_eq!(server.answer(&ack, vec![Value::from("yes")]), Ok(true));
            break;
        }
    }
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), AckOutcome::Answered(vec![Value::from("yes")]));
    rt.shutdown();
}

#[test]
fn a_child_namespace_names_the_dynamic_parent_that_made_it() {
    let rt = runtime();
    let server = rt.server(ServerConfig::default()).unwrap();
    server.namespace("/static-1");
    server.namespace_regex(r"^/static-\d+$").unwrap();
    server.namespace_regex(r"^/dyn-\d+$").unwrap();
    server.namespace_regex(r"^/dyn-").unwrap(); // also matches, but registered later
    let addr = server.listen("127.0.0.1:0").unwrap();
    assert_eq!(server.dynamic_parent("/dyn-7"), None, "no client has asked for it yet");

    let _client = rt.client(&format!("http://{addr}/dyn-7"), ClientOptions::default()).unwrap();
    let _other = rt.client(&format!("http://{addr}/static-1"), ClientOptions::default()).unwrap();
    let mut connections = 0;
    while connections < 2 {
        if let Event::Connection { .. } = next(&rt) {
            connections += 1;
        }
    }
    assert_eq!(server.dynamic_parent("/dyn-7").as_deref(), Some(r"^/dyn-\d+$"), "the first pattern that matched");
    assert_eq!(server.dynamic_parent("/static-1"), None, "a static namespace has no parent");
    assert_eq!(server.dynamic_parent("/"), None);
    rt.shutdown();
}
