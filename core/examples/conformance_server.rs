//! The server the Engine.IO and Socket.IO protocol test suites describe, on one port:
//! `/engine.io/` is a bare Engine.IO echo server, `/socket.io/` a Socket.IO server.
//!
//! Usage: `conformance-server [PORT]` (default 3000).
use std::sync::Arc;
use std::time::Duration;

use sio_core::engine::server::{
    serve, CloseReason, Cors, CorsOrigin, EngineConfig, EngineHandler, EngineServer, Message, Session,
};
use sio_core::engine::Frame;
use sio_core::server::{Server, ServerConfig};

/// Sends every message back to its sender.
struct Echo;

impl EngineHandler for Echo {
    fn on_open(&self, _: &Arc<Session>) {}
    fn on_message(&self, session: &Arc<Session>, message: Message<'_>) {
        let _ = match message {
            Message::Text(t) => session.send_text(t),
            Message::Binary(b) => session.send(Frame::Binary(b)),
        };
    }
    fn on_close(&self, _: &Arc<Session>, _: CloseReason) {}
}

fn engine_config(path: &str) -> EngineConfig {
    EngineConfig {
        path: path.into(),
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_payload: 1_000_000,
        cors: Some(Cors { origin: CorsOrigin::Any, credentials: false }),
        ..EngineConfig::default()
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3000);
    let echo = EngineServer::new(engine_config("/engine.io/"), Arc::new(Echo));
    let io = Server::new(ServerConfig {
        engine: engine_config("/socket.io/"),
        connect_timeout: Duration::from_millis(1000),
        ..ServerConfig::default()
    });
    for name in ["/", "/custom"] {
        let ns = io.of(name);
        let is_main = name == "/";
        ns.on_connection(move |socket| {
            let auth = socket.handshake().auth.clone();
            let _ = socket.emit("auth", vec![auth]);
            if is_main {
                socket.on("message", |s, args, _| {
                    let _ = s.emit("message-back", args);
                });
                socket.on("message-with-ack", |_, args, ack| {
                    if let Some(ack) = ack {
                        let _ = ack.send(args);
                    }
                });
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?.port());
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let limits = io.engine().config().listen_limits();
    serve(
        listener,
        limits,
        move |req, peer| {
            let (echo, io) = (echo.clone(), io.clone());
            async move {
                if echo.matches(req.uri().path()) {
                    echo.handle_from(req, peer).await
                } else if io.engine().matches(req.uri().path()) {
                    io.handle_from(req, peer).await
                } else {
                    sio_core::server::not_found()
                }
            }
        },
        stop,
    )
    .await;
    Ok(())
}
