//! What the tests of hosts that own their sockets (`host_transport.rs`: the host upgrades
//! and moves messages; `host_stream.rs`: the host hands its connection over) share: the
//! server they serve, the client's options, and the engine's refusals and limits.
use futures_util::{SinkExt, StreamExt};
use sio_core::client::{io, ClientOptions, ManagerConfig};
use sio_core::engine::server::{ConnEvent, TransportKind};
use sio_core::server::Server;
use sio_core::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::WAIT;

/// Welcomes each socket with `[handshake.address, transport]`; `echo` acks its arguments.
pub fn echo_server(max_payload: usize) -> Server {
    let io = Server::builder().max_http_buffer_size(max_payload).build();
    io.on_connection(|socket| {
        let address = socket.handshake().address.clone();
        let _ = socket.emit("welcome", vec![Value::from(address), Value::from(socket.conn().transport().as_str())]);
        socket.on("echo", |_, args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(args);
            }
        });
    });
    io
}

/// A client of its own connection over `transports`, not reconnecting.
pub fn client_options(transports: &[TransportKind]) -> ClientOptions {
    ClientOptions {
        manager: ManagerConfig { transports: transports.to_vec(), reconnection: false, ..ManagerConfig::default() },
        force_new: true,
        ..ClientOptions::default()
    }
}

/// The transports `server`'s connections upgrade to, as they do.
pub fn record_upgrades(server: &Server) -> mpsc::UnboundedReceiver<TransportKind> {
    let (tx, rx) = mpsc::unbounded_channel();
    server.on_engine_connection(move |conn| {
        let tx = tx.clone();
        conn.on_event(move |ev| {
            if let ConnEvent::Upgrade(t) = ev {
                let _ = tx.send(*t);
            }
        });
    });
    rx
}

/// A client of the [`echo_server`] at `url` starts on polling, upgrades to WebSocket (as
/// `upgrades`, from [`record_upgrades`], sees on the server) and echoes over it.
pub async fn upgrade_then_echo(url: &str, mut upgrades: mpsc::UnboundedReceiver<TransportKind>) {
    let socket = io(url, client_options(&[TransportKind::Polling, TransportKind::Websocket]));
    let upgraded = tokio::time::timeout(WAIT, upgrades.recv()).await.expect("upgrade in time").unwrap();
    assert_eq!(upgraded, TransportKind::Websocket);
    let echo = tokio::time::timeout(WAIT, socket.emit_with_ack("echo", vec![Value::from(1)])).await.unwrap().unwrap();
    assert_eq!(echo, vec![Value::from(1)]);
    socket.disconnect();
}

/// Through a host at `ws_base` (`ws://host:port`) of an [`echo_server`] with a 1000-byte
/// limit: an unknown sid gets the engine's 400 and its body instead of an upgrade, and a
/// message over the limit closes the WebSocket with 1009, as on the server's own port.
pub async fn refusals_and_limits_hold(ws_base: &str) {
    let err = tokio_tungstenite::connect_async(format!("{ws_base}/socket.io/?EIO=4&transport=websocket&sid=nope"))
        .await
        .expect_err("no upgrade for an unknown sid");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => {
            assert_eq!(res.status(), 400);
            let body = String::from_utf8(res.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("Session ID unknown"), "{body}");
        }
        other => panic!("expected an HTTP error, got {other}"),
    }
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/socket.io/?EIO=4&transport=websocket")).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "open packet: {open}");
    ws.send(Message::Text(format!("4{}", "x".repeat(2000)).into())).await.unwrap();
    let close = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("close in time");
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1009));
}
