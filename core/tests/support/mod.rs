//! A raw Engine.IO/Socket.IO client over WebSocket for byte-level tests of the server.
#![allow(dead_code)]
pub mod host;
pub mod hosted;
pub mod peer;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_core::server::{DisconnectReason, Server, Socket};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(5);

pub struct RawClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub open: serde_json::Value,
}

impl RawClient {
    /// Opens an Engine.IO session over WebSocket and reads the open packet.
    pub async fn engine(addr: SocketAddr) -> RawClient {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        let mut c = RawClient { ws, open: serde_json::Value::Null };
        let open = c.recv_text().await;
        c.open = serde_json::from_str(open.strip_prefix('0').expect("open packet")).expect("open json");
        c
    }

    /// Opens a session and joins `/`; returns the client and the socket id.
    pub async fn connected(addr: SocketAddr) -> (RawClient, String) {
        let mut c = RawClient::engine(addr).await;
        c.send("40").await;
        let reply = c.recv_non_ping().await;
        let json: serde_json::Value = serde_json::from_str(reply.strip_prefix("40").expect("CONNECT reply")).unwrap();
        let sid = json["sid"].as_str().expect("sid").to_owned();
        (c, sid)
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    pub async fn send_binary(&mut self, data: &[u8]) {
        self.ws.send(Message::Binary(data.to_vec().into())).await.expect("send");
    }

    /// The next message, text or binary (binary as `<binary N bytes>`), or `None` at close.
    pub async fn recv(&mut self) -> Option<Message> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await.expect("message within timeout") {
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => return Some(m),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Some(Message::Text(t)) => t.to_string(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// The next text message that is not a ping (pings are answered).
    pub async fn recv_non_ping(&mut self) -> String {
        loop {
            let t = self.recv_text().await;
            if t == "2" {
                self.send("3").await;
                continue;
            }
            return t;
        }
    }

    /// Reads until the server closes the connection; returns what arrived before.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        while let Some(m) = self.recv().await {
            if let Message::Text(t) = m {
                seen.push(t.to_string());
            }
        }
        seen
    }
}

/// A server on a free port whose sockets report their disconnect reasons on a channel.
pub async fn server_with(
    builder: sio_core::server::ServerBuilder,
    setup: impl Fn(&Socket) + Send + Sync + 'static,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<DisconnectReason>) {
    let io = builder.build();
    let (tx, rx) = mpsc::unbounded_channel();
    io.on_connection(move |socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |_, reason| {
            let _ = tx.send(reason);
        });
        setup(&socket);
    });
    let addr = io.listen("127.0.0.1:0").await.expect("listen");
    (io, addr, rx)
}

pub async fn next_reason(rx: &mut mpsc::UnboundedReceiver<DisconnectReason>) -> DisconnectReason {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("disconnect within timeout").expect("channel open")
}
