//! The Rust server API over a raw protocol client: rooms, broadcasts, acks, middlewares,
//! reserved names, fetch_sockets, dynamic namespaces, connection state recovery.
mod support;

use std::time::Duration;

use sio_core::server::{AckError, ConnectError, EmitError, RecoveryConfig, Server};
use sio_core::Value;
use support::{server_with, RawClient};

#[tokio::test]
async fn broadcast_to_room_excludes_sender_and_encodes_binary() {
    let (_io, addr, _) = server_with(Server::builder(), |s| {
        s.on("join", |s, args, ack| {
            s.join([args[0].as_str().unwrap().to_owned()]);
            ack.unwrap().send(vec![]).unwrap();
        });
        s.on("shout", |s, args, _| {
            let _ = s.to("r").emit("heard", args);
        });
    })
    .await;
    let (mut a, _) = RawClient::connected(addr).await;
    let (mut b, _) = RawClient::connected(addr).await;
    for c in [&mut a, &mut b] {
        c.send("421[\"join\",\"r\"]").await;
        assert_eq!(c.recv_non_ping().await, "431[]");
    }
    a.send("451-[\"shout\",{\"_placeholder\":true,\"num\":0}]").await;
    a.send_binary(&[9, 8, 7]).await;
    assert_eq!(b.recv_non_ping().await, "451-[\"heard\",{\"_placeholder\":true,\"num\":0}]");
    match b.recv().await {
        Some(tokio_tungstenite::tungstenite::Message::Binary(d)) => assert_eq!(&d[..], &[9, 8, 7]),
        other => panic!("expected the attachment, got {other:?}"),
    }
    // The sender got nothing: the next thing it receives is the answer to a later ack.
    a.send("422[\"join\",\"r\"]").await;
    assert_eq!(a.recv_non_ping().await, "432[]");
}

#[tokio::test]
async fn server_to_client_ack_with_timeout() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_io, addr, _) = server_with(Server::builder(), move |s| {
        let (s, tx) = (s.clone(), tx.clone());
        tokio::spawn(async move {
            let answered = s.timeout(Duration::from_secs(2)).emit_with_ack("q", vec![1i64.into()]).await;
            let unanswered = s.timeout(Duration::from_millis(100)).emit_with_ack("q2", vec![]).await;
            let _ = tx.send((answered, unanswered));
        });
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    let q = c.recv_non_ping().await;
    assert!(q.starts_with("42") && q.ends_with("[\"q\",1]"), "{q}");
    let id: String = q[2..].chars().take_while(char::is_ascii_digit).collect();
    c.send(&format!("43{id}[\"yes\",{{\"n\":2}}]")).await;
    let (answered, unanswered) = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
    assert_eq!(answered.unwrap(), vec![Value::from("yes"), Value::from([("n", 2i64.into())])]);
    assert!(matches!(unanswered, Err(AckError::Timeout { .. })));
}

#[tokio::test]
async fn broadcast_ack_collects_every_answer() {
    let io = Server::builder().build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let (mut a, _) = RawClient::connected(addr).await;
    let (mut b, _) = RawClient::connected(addr).await;
    let io2 = io.clone();
    let all = tokio::spawn(async move { io2.timeout(Duration::from_secs(2)).emit_with_ack("count", vec![]).await });
    for (c, n) in [(&mut a, 1), (&mut b, 2)] {
        let q = c.recv_non_ping().await;
        let id: String = q[2..].chars().take_while(char::is_ascii_digit).collect();
        c.send(&format!("43{id}[{n}]")).await;
    }
    let mut answers = all.await.unwrap().unwrap();
    answers.sort_by_key(|a| a[0].as_i64());
    assert_eq!(answers, vec![vec![Value::from(1i64)], vec![Value::from(2i64)]]);
}

#[tokio::test]
async fn reserved_names_cannot_be_emitted() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (io, addr, _) = server_with(Server::builder(), move |s| {
        for name in sio_core::server::RESERVED_EVENTS {
            let _ = tx.send(s.emit(name, vec![]));
        }
    })
    .await;
    let _c = RawClient::connected(addr).await;
    for name in sio_core::server::RESERVED_EVENTS {
        assert_eq!(rx.recv().await.unwrap(), Err(EmitError::Reserved(name.to_owned())));
    }
    assert!(matches!(io.emit("disconnect", vec![]), Err(EmitError::Reserved(_))));
}

#[tokio::test]
async fn middleware_refusal_becomes_connect_error_with_data() {
    let io = Server::builder().build();
    io.of("/admin").use_middleware(|_| async {
        Err(ConnectError::with_data("unauthorized", Value::from([("reason", "bad token".into())])))
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut c = RawClient::engine(addr).await;
    c.send("40/admin,{\"token\":\"x\"}").await;
    assert_eq!(c.recv_non_ping().await, "44/admin,{\"message\":\"unauthorized\",\"data\":{\"reason\":\"bad token\"}}");
    c.send("40/nope,").await;
    assert_eq!(c.recv_non_ping().await, "44/nope,{\"message\":\"Invalid namespace\"}");
}

#[tokio::test]
async fn fetch_sockets_sees_data_and_dynamic_namespaces_share_handlers() {
    let io = Server::builder().build();
    io.of_regex(regex::Regex::new(r"^/dyn-\d+$").unwrap()).on_connection(|s| {
        s.set_data(Value::from([("user", "alice".into())]));
        s.join(["r1"]);
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut c = RawClient::engine(addr).await;
    c.send("40/dyn-42,").await;
    let reply = c.recv_non_ping().await;
    assert!(reply.starts_with("40/dyn-42,{\"sid\":"), "{reply}");
    let sockets = io.of("/dyn-42").fetch_sockets().await;
    assert_eq!(sockets.len(), 1);
    assert_eq!(sockets[0].data, Value::from([("user", "alice".into())]));
    assert!(sockets[0].rooms.contains("r1"));
    c.send("40/dyn-x,").await;
    assert_eq!(c.recv_non_ping().await, "44/dyn-x,{\"message\":\"Invalid namespace\"}");
}

#[tokio::test]
async fn an_async_matcher_holds_only_its_own_connection() {
    let io = Server::builder().build();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(String, tokio::sync::oneshot::Sender<bool>)>();
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    io.of_dynamic_async(move |name, _| {
        let (answer, decided) = tokio::sync::oneshot::channel();
        let _ = tx.send((name.to_owned(), answer));
        Box::pin(async move { decided.await.unwrap_or(false) })
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut held = RawClient::engine(addr).await;
    held.send("40/later,").await;
    let (name, answer) = rx.lock().await.recv().await.unwrap();
    assert_eq!(name, "/later");
    // While that answer is outstanding, another connection goes through.
    let (_other, _) = RawClient::connected(addr).await;
    answer.send(true).unwrap();
    assert!(held.recv_non_ping().await.starts_with("40/later,{\"sid\":"));
    held.send("40/never,").await;
    let (_, answer) = rx.lock().await.recv().await.unwrap();
    answer.send(false).unwrap();
    assert_eq!(held.recv_non_ping().await, "44/never,{\"message\":\"Invalid namespace\"}");
}

#[tokio::test]
async fn connection_state_recovery_restores_id_rooms_data_and_missed_packets() {
    let io = Server::builder()
        .connection_state_recovery(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(10),
            skip_middlewares: true,
        })
        .build();
    io.on_connection(|s| {
        if !s.recovered() {
            s.join(["room"]);
            s.set_data(Value::from("kept"));
            let _ = s.emit("hello", vec![]);
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut c = RawClient::engine(addr).await;
    c.send("40").await;
    let reply: serde_json::Value = serde_json::from_str(&c.recv_non_ping().await[2..]).unwrap();
    let (sid, pid) = (reply["sid"].as_str().unwrap().to_owned(), reply["pid"].as_str().unwrap().to_owned());
    let hello: serde_json::Value = serde_json::from_str(&c.recv_non_ping().await[2..]).unwrap();
    let offset = hello[1].as_str().expect("events carry their offset").to_owned();
    drop(c); // abrupt: transport close, a recoverable reason
    while io.of("/").socket(&sid).is_some() {
        tokio::task::yield_now().await;
    }
    io.to("room").emit("missed", vec![1i64.into()]).unwrap();
    io.to("other").emit("not-for-you", vec![]).unwrap();
    let mut c = RawClient::engine(addr).await;
    c.send(&format!("40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}")).await;
    let missed = c.recv_non_ping().await;
    assert!(missed.starts_with("42[\"missed\",1,"), "{missed}");
    let reply: serde_json::Value = serde_json::from_str(&c.recv_non_ping().await[2..]).unwrap();
    assert_eq!(reply["sid"], sid.as_str());
    let s = io.of("/").socket(&sid).expect("same id");
    assert!(s.recovered());
    assert!(s.rooms().contains("room"));
    assert_eq!(s.data(), Value::from("kept"));
}

#[tokio::test]
async fn allow_request_refuses_with_403_and_its_message() {
    let io = Server::builder()
        .allow_request(std::sync::Arc::new(|req| match req.header("x-token") {
            Some("ok") => Ok(()),
            _ => Err("no token".to_owned()),
        }))
        .build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 403);
            let body: serde_json::Value = serde_json::from_slice(res.body().as_deref().unwrap()).unwrap();
            assert_eq!(body, serde_json::json!({"code": 4, "message": "no token"}));
        }
        other => panic!("expected 403, got {other:?}"),
    }
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("x-token", "ok".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
}

/// One HTTP/1.1 exchange over a fresh connection (`Connection: close`), as raw text.
async fn http_exchange(addr: std::net::SocketAddr, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(format!("{head}\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn served_files_answer_get_head_and_revalidation() {
    let io = Server::builder().build();
    io.serve_file("/socket.io/socket.io.js", "application/javascript", bytes::Bytes::from_static(b"var io;"));
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let get = http_exchange(addr, "GET /socket.io/socket.io.js HTTP/1.1").await;
    assert!(get.starts_with("HTTP/1.1 200"), "{get}");
    assert!(get.contains("content-type: application/javascript"), "{get}");
    assert!(get.ends_with("\r\n\r\nvar io;"), "{get}");
    let etag = get.lines().find_map(|l| l.strip_prefix("etag: ")).expect("an etag").to_owned();
    let head = http_exchange(addr, "HEAD /socket.io/socket.io.js HTTP/1.1").await;
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("content-length: 7") && !head.contains("var io;"),
        "{head}"
    );
    let again = http_exchange(addr, &format!("GET /socket.io/socket.io.js HTTP/1.1\r\nIf-None-Match: {etag}")).await;
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    // Other paths under the endpoint still reach Engine.IO (a handshake without EIO: 400).
    let engine = http_exchange(addr, "GET /socket.io/other.js HTTP/1.1").await;
    assert!(engine.starts_with("HTTP/1.1 400"), "{engine}");
}

#[tokio::test]
async fn conn_events_extensions_and_outgoing_listeners() {
    use sio_core::engine::server::ConnEvent;
    #[derive(Clone, PartialEq, Debug)]
    struct User(&'static str);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let io = Server::builder().build();
    io.of("/").use_middleware(|s| async move {
        s.extensions().insert(User("alice"));
        Ok(())
    });
    io.on_connection(move |s| {
        assert_eq!(s.extensions().get::<User>(), Some(User("alice")), "set in the middleware");
        let t = tx.clone();
        s.conn().on_event(move |ev| {
            let line = match ev {
                ConnEvent::Packet(p) => format!("packet:{p:?}"),
                ConnEvent::PacketCreate(f) => format!("packetCreate:{:?}", f.kind()),
                ConnEvent::Drain => "drain".into(),
                ConnEvent::Close(r) => format!("close:{}", r.as_str()),
                ConnEvent::Upgrade(t) => format!("upgrade:{}", t.as_str()),
            };
            let _ = t.send(line);
        });
        let t = tx.clone();
        s.on_any_outgoing(move |_, event, _| {
            let _ = t.send(format!("outgoing:{event}"));
        });
        s.on("hi", |s, _, _| {
            let _ = s.emit("hello", vec![]);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42[\"hi\"]").await;
    assert_eq!(c.recv_non_ping().await, "42[\"hello\"]");
    drop(c);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.starts_with("close:")) {
        seen.push(tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap());
    }
    let pos = |p: &str| seen.iter().position(|l| l.starts_with(p)).unwrap_or_else(|| panic!("no {p} in {seen:?}"));
    assert!(pos("packet:Message(\"2[\\\"hi\\\"]\")") < pos("outgoing:hello"));
    assert!(pos("outgoing:hello") < pos("packetCreate:Some('4')"));
    assert!(seen.contains(&"drain".to_owned()), "{seen:?}");
    assert_eq!(seen.last().unwrap(), "close:transport close");
}

#[tokio::test]
async fn server_side_emit_goes_through_the_adapter() {
    let io = Server::builder().build();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    io.on_server_side("sync", move |args| {
        let _ = tx.send(args.to_vec());
    });
    // The in-memory adapter has no peers to reach.
    assert_eq!(io.server_side_emit("sync", vec![1i64.into()]), Ok(0));
    assert!(matches!(io.server_side_emit("disconnect", vec![]), Err(EmitError::Reserved(_))));
    // What a cluster adapter does when another node's event arrives.
    io.receive_server_side("sync", &[Value::from("from-peer")]);
    assert_eq!(rx.recv().await.unwrap(), vec![Value::from("from-peer")]);
}

#[tokio::test]
async fn catch_all_families_prepend_remove_one_and_list() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let io = Server::builder().build();
    io.on_connection(move |s| {
        for name in ["a", "b"] {
            let t = tx.clone();
            s.on_any(move |_, event, _| {
                let _ = t.send(format!("{name}:{event}"));
            });
        }
        let t = tx.clone();
        s.prepend_any(move |_, event, _| {
            let _ = t.send(format!("first:{event}"));
        });
        let listeners = s.listeners_any();
        assert_eq!(listeners.len(), 3);
        s.off_any_listener(&listeners[1]); // "a"
        assert_eq!(s.listeners_any().len(), 2);
        for name in ["out", "out-first"] {
            let t = tx.clone();
            let f = move |_: &sio_core::server::Socket, event: &str, _: &[Value]| {
                let _ = t.send(format!("{name}:{event}"));
            };
            if name == "out" {
                s.on_any_outgoing(f);
            } else {
                s.prepend_any_outgoing(f);
            }
        }
        s.on("hi", |s, _, _| {
            let _ = s.emit("hello", vec![]);
            let first = s.listeners_any_outgoing()[0].clone();
            s.off_any_outgoing_listener(&first);
            s.off_any();
            assert!(s.listeners_any().is_empty() && s.listeners_any_outgoing().len() == 1);
        });
        s.on("again", |s, _, _| {
            let _ = s.emit("bye", vec![]);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42[\"hi\"]").await;
    assert_eq!(c.recv_non_ping().await, "42[\"hello\"]");
    c.send("42[\"again\"]").await;
    assert_eq!(c.recv_non_ping().await, "42[\"bye\"]");
    let mut seen = Vec::new();
    while let Ok(Some(line)) = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await {
        seen.push(line);
    }
    assert_eq!(seen, ["first:hi", "b:hi", "out-first:hello", "out:hello", "out:bye"]);
}

#[tokio::test]
async fn disconnecting_handlers_see_a_connected_socket_that_can_still_emit() {
    use std::sync::{Arc, Mutex};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let held: Arc<Mutex<Option<sio_core::server::CloseDeferral>>> = Arc::default();
    let h = held.clone();
    let (_io, addr, _) = server_with(Server::builder(), move |s| {
        s.join(["r".to_owned()]);
        let (tx1, h) = (tx.clone(), h.clone());
        s.on_disconnecting(move |s, reason| {
            let own = s.emit("bye", vec![]);
            let others = s.to("r").emit("left", vec![s.id().into()]);
            *h.lock().unwrap() = s.defer_close();
            let _ = tx1.send(format!(
                "disconnecting {reason} connected={} in_r={} own={own:?} others={others:?}",
                s.connected(),
                s.rooms().contains("r")
            ));
        });
        let tx = tx.clone();
        s.on_disconnect(move |s, reason| {
            let _ = tx.send(format!("disconnect {reason} connected={} rooms={}", s.connected(), s.rooms().len()));
        });
    })
    .await;
    let (mut a, a_id) = RawClient::connected(addr).await;
    let (mut b, _) = RawClient::connected(addr).await;
    a.send("41").await;
    let got = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
    assert_eq!(got, "disconnecting client namespace disconnect connected=true in_r=true own=Ok(()) others=Ok(())");
    assert_eq!(b.recv_non_ping().await, format!("42[\"left\",\"{a_id}\"]"));
    // Held by the deferral: the socket has not left (nothing else was sent on the channel).
    assert!(rx.try_recv().is_err(), "disconnect ran while a deferral was held");
    assert!(held.lock().unwrap().is_some(), "defer_close gives a deferral inside disconnecting");
    held.lock().unwrap().take();
    let got = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
    assert_eq!(got, "disconnect client namespace disconnect connected=false rooms=0");
}

/// One polling request; the response body.
async fn poll_http(addr: std::net::SocketAddr, method: &str, sid: Option<&str>, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sid = sid.map(|s| format!("&sid={s}")).unwrap_or_default();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} /socket.io/?EIO=4&transport=polling{sid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(support::WAIT, tcp.read_to_end(&mut out)).await.expect("an answer").unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn volatile_packets_are_dropped_while_the_transport_is_not_writable() {
    let (_io, addr, _) = server_with(Server::builder(), |s| {
        s.on("vol-please", |s, _, ack| {
            let _ = s.volatile().emit("vol", vec![]);
            if let Some(ack) = ack {
                ack.send(vec![]).unwrap();
            }
        });
    })
    .await;
    // Polling with no GET waiting (engine.io: not writable): the volatile packet is
    // dropped; the acknowledgement, not volatile, waits for the next poll.
    let open = poll_http(addr, "GET", None, "").await;
    let sid = open.split("\"sid\":\"").nth(1).and_then(|r| r.split('"').next()).expect("sid").to_owned();
    assert_eq!(poll_http(addr, "POST", Some(&sid), "40").await, "ok");
    assert!(poll_http(addr, "GET", Some(&sid), "").await.starts_with("40{"), "CONNECT answered");
    assert_eq!(poll_http(addr, "POST", Some(&sid), "421[\"vol-please\"]").await, "ok");
    assert_eq!(poll_http(addr, "GET", Some(&sid), "").await, "431[]");
    // A WebSocket with nothing waiting to be written: it goes out.
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42[\"vol-please\"]").await;
    assert_eq!(c.recv_non_ping().await, "42[\"vol\"]");
}

#[tokio::test]
async fn every_handler_of_an_event_gets_its_arguments_and_the_ack() {
    // Handlers run in order; each gets the arguments (the last one takes them, the others
    // copies) and the ack sender; the first answer is the one sent. Events without a handler
    // reach every unhandled handler alike.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<Value>)>();
    let (_io, addr, _) = server_with(Server::builder(), move |s| {
        for tag in ["first", "second"] {
            let tx = tx.clone();
            s.on("e", move |_, args, ack| {
                let _ = tx.send((tag.to_owned(), args));
                if let Some(ack) = ack {
                    let _ = ack.send(vec![Value::from(tag)]);
                }
            });
        }
        for tag in ["unhandled 1", "unhandled 2"] {
            let tx = tx.clone();
            s.on_unhandled(move |_, name, args, _| {
                let _ = tx.send((format!("{tag}: {name}"), args.into_values()));
            });
        }
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("427[\"e\",{\"n\":1},[2]]").await;
    c.send("42[\"other\",3]").await;
    let expected = [
        ("first", vec![Value::from([("n", 1i64.into())]), Value::Array(vec![2i64.into()])]),
        ("second", vec![Value::from([("n", 1i64.into())]), Value::Array(vec![2i64.into()])]),
        ("unhandled 1: other", vec![3i64.into()]),
        ("unhandled 2: other", vec![3i64.into()]),
    ];
    for (tag, args) in expected {
        let got = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
        assert_eq!(got, (tag.to_owned(), args));
    }
    assert_eq!(c.recv_non_ping().await, "437[\"first\"]");
}

#[tokio::test]
async fn unhandled_events_keep_their_argument_text_when_asked() {
    // With `event_args_as_text`, a text event nothing else reads reaches `on_unhandled` as
    // the JSON text it came in (whitespace and all); without it, as values.
    for as_text in [true, false] {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Option<String>, Vec<Value>)>();
        let builder = Server::builder().event_args_as_text(as_text);
        let (_io, addr, _) = server_with(builder, move |s| {
            s.on("handled", |_, _, _| {});
            let tx = tx.clone();
            s.on_unhandled(move |_, name, args, _| {
                let text = args.as_text().map(str::to_owned);
                let _ = tx.send((name.to_owned(), text, args.into_values()));
            });
        })
        .await;
        let (mut c, _) = RawClient::connected(addr).await;
        c.send("42[\"raw\", {\"a\" : [1, \"\\u00e9\"]} ,2 ]").await;
        c.send("42[\"none\"]").await;
        let values = vec![Value::from([("a", Value::Array(vec![1i64.into(), "é".into()]))]), 2i64.into()];
        let got = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
        let text = as_text.then(|| "[ {\"a\" : [1, \"\\u00e9\"]} ,2 ]".to_owned());
        assert_eq!(got, ("raw".to_owned(), text, values));
        let got = tokio::time::timeout(support::WAIT, rx.recv()).await.unwrap().unwrap();
        assert_eq!(got, ("none".to_owned(), as_text.then(|| "[]".to_owned()), vec![]));
    }
}
