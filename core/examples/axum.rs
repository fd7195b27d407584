//! Socket.IO inside an axum 0.8 app, on one port: axum's routes, and the server mounted as a
//! tower layer (`SocketIoLayer`) serving `/socket.io/` over both transports.
//!
//!   cargo run -p sio-core --example axum -- --port 3000
//!   curl localhost:3000/              # axum's route
//!   node -e "require('socket.io-client').io('http://localhost:3000').emit('echo', 1, console.log)"
//!
//! Each client gets `welcome` with its `handshake.address`; `echo` acks its arguments as one array.
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::routing::get;
use axum::Router;
use sio_core::server::tower::SocketIoLayer;
use sio_core::server::Server;
use sio_core::Value;

/// Copies axum's peer address where the layer looks for it (`handshake.address`).
async fn peer_address(ConnectInfo(addr): ConnectInfo<SocketAddr>, mut req: Request) -> Request {
    req.extensions_mut().insert(addr);
    req
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .skip_while(|a| a != "--port")
        .nth(1)
        .map(|p| p.parse().expect("--port takes a number"))
        .unwrap_or(3000);

    let io = Server::builder().build();
    io.on_connection(|socket| {
        let hs = socket.handshake();
        let hello = serde_json::json!({ "address": hs.address, "secure": hs.secure });
        let _ = socket.emit("welcome", vec![Value::from(hello)]);
        socket.on("echo", |_, args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(vec![Value::Array(args)]);
            }
        });
    });

    let app = Router::new()
        .route("/", get(|| async { "hello from axum" }))
        .layer(SocketIoLayer::new(io))
        .layer(axum::middleware::map_request(peer_address));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?.port());
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
}
