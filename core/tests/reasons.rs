//! Every server-side disconnect reason of the v4 seed, reached through the public API
//! with a raw client that can misbehave on purpose.
mod support;

use std::time::Duration;

use sio_core::server::{DisconnectReason, Server};
use support::{next_reason, server_with, RawClient};

#[tokio::test]
async fn server_namespace_disconnect() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |s| {
        s.on("bye", |s, _, _| s.disconnect(false));
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42[\"bye\"]").await;
    assert_eq!(c.recv_non_ping().await, "41");
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ServerNamespaceDisconnect);
}

#[tokio::test]
async fn disconnect_with_close_sends_disconnect_then_closes_the_connection() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |s| {
        s.on("bye", |s, _, _| s.disconnect(true));
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42[\"bye\"]").await;
    let seen = c.until_closed().await;
    assert!(seen.contains(&"41".to_owned()), "got {seen:?}");
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ServerNamespaceDisconnect);
}

#[tokio::test]
async fn client_namespace_disconnect() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("41").await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ClientNamespaceDisconnect);
}

#[tokio::test]
async fn server_shutting_down() {
    let (io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    io.close();
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ServerShuttingDown);
    c.until_closed().await;
}

#[tokio::test]
async fn ping_timeout() {
    let builder = Server::builder().ping_interval(Duration::from_millis(100)).ping_timeout(Duration::from_millis(100));
    let (_io, addr, mut reasons) = server_with(builder, |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    // Never answer: the first ping must go unanswered.
    assert_eq!(c.recv_text().await, "2");
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::PingTimeout);
}

#[tokio::test]
async fn heartbeat_keeps_an_answering_client() {
    let builder = Server::builder().ping_interval(Duration::from_millis(50)).ping_timeout(Duration::from_millis(100));
    let (_io, addr, mut reasons) = server_with(builder, |s| {
        s.on("ping-me", |s, _, _| {
            let _ = s.emit("pong-you", vec![]);
        });
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    for _ in 0..5 {
        assert_eq!(c.recv_text().await, "2");
        c.send("3").await;
    }
    c.send("42[\"ping-me\"]").await;
    assert_eq!(c.recv_non_ping().await, "42[\"pong-you\"]");
    assert!(reasons.try_recv().is_err(), "no disconnect while pongs arrive");
}

#[tokio::test]
async fn transport_close_on_dropped_connection() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (c, _) = RawClient::connected(addr).await;
    drop(c);
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::TransportClose);
}

#[tokio::test]
async fn transport_close_on_engine_close_packet() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("1").await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::TransportClose);
}

#[tokio::test]
async fn transport_error_on_oversize_message() {
    let (_io, addr, mut reasons) = server_with(Server::builder().max_http_buffer_size(100), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send(&format!("42[\"big\",\"{}\"]", "x".repeat(200))).await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::TransportError);
}

#[tokio::test]
async fn parse_error_on_invalid_engine_packet() {
    let (io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("x-not-a-packet").await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ParseError);
    // The server keeps serving others.
    let (_c2, sid) = RawClient::connected(addr).await;
    assert!(io.of("/").socket(&sid).is_some());
}

#[tokio::test]
async fn forced_close_on_invalid_socketio_packet_fires_error_first() {
    let (errors_tx, mut errors) = tokio::sync::mpsc::unbounded_channel();
    let (_io, addr, mut reasons) = server_with(Server::builder(), move |s| {
        let tx = errors_tx.clone();
        s.on_error(move |_, msg| {
            let _ = tx.send(msg.to_owned());
        });
    })
    .await;
    let (mut c, _) = RawClient::connected(addr).await;
    c.send("42{\"not\":\"an array\"}").await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ForcedClose);
    let msg = errors.try_recv().expect("error event before disconnect");
    assert!(msg.contains("invalid payload"), "{msg}");
}

#[tokio::test]
async fn forced_close_on_protocol_state_violation_over_websocket() {
    let (_io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let (mut c, _) = RawClient::connected(addr).await;
    // A second CONNECT to a namespace already joined breaks the protocol's state rules.
    c.send("40").await;
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ForcedClose);
}

#[tokio::test]
async fn forced_server_close_on_protocol_state_violation_over_polling() {
    use sio_core::engine::client::{EngineClient, EngineClientConfig, EngineEvent};
    use sio_core::engine::server::TransportKind;
    use sio_core::engine::Frame;
    let (_io, addr, mut reasons) = server_with(Server::builder(), |_| {}).await;
    let config = EngineClientConfig {
        url: format!("http://{addr}"),
        path: "/socket.io/".into(),
        transports: vec![TransportKind::Polling],
        upgrade: false,
        ..EngineClientConfig::default()
    };
    let (engine, mut events) = EngineClient::connect(config).await.unwrap();
    engine.send(Frame::message("0"));
    loop {
        match tokio::time::timeout(support::WAIT, events.recv()).await.unwrap() {
            Some(EngineEvent::Text(t)) => break assert!(t.starts_with("0{\"sid\""), "{t}"),
            Some(EngineEvent::Drain) => continue,
            other => panic!("expected the CONNECT reply, got {other:?}"),
        }
    }
    engine.send(Frame::message("0"));
    assert_eq!(next_reason(&mut reasons).await, DisconnectReason::ForcedServerClose);
}

#[tokio::test]
async fn connect_timeout_closes_a_connection_that_joins_nothing() {
    let io = Server::builder().connect_timeout(Duration::from_millis(100)).build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut c = RawClient::engine(addr).await;
    assert_eq!(io.engine().session_count(), 1);
    c.until_closed().await;
    assert_eq!(io.engine().session_count(), 0);
}

#[test]
fn reason_strings_match_the_seed() {
    let all: Vec<&str> = DisconnectReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        all,
        [
            "server namespace disconnect",
            "client namespace disconnect",
            "server shutting down",
            "ping timeout",
            "transport close",
            "transport error",
            "parse error",
            "forced close",
            "forced server close"
        ]
    );
}
