//! The bench contract (bench/README.md) on socketioxide.
//!
//!     socketioxide-bench-server --port P
//!
//! Namespace `/`: `echo` acks with the argument it got (JSON or binary, as `rmpv::Value`,
//! which socketioxide's docs recommend for generic data with binary); `join` (room) joins
//! and acks; `bcast` (room, payload) emits `b` (payload) to every socket in the room, sender
//! included. Prints `ready PORT` once listening. socketioxide's defaults otherwise; its
//! handlers are async (each call runs as a task), as version 0.18 requires.
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;
use tokio::net::TcpListener;

async fn on_connect(socket: SocketRef) {
    socket.on("echo", async |ack: AckSender, Data::<rmpv::Value>(data)| {
        let _ = ack.send(&data);
    });
    socket.on("join", async |s: SocketRef, ack: AckSender, Data::<String>(room)| {
        s.join(room);
        let _ = ack.send(&());
    });
    socket.on("bcast", async |s: SocketRef, Data::<(String, serde_json::Value)>((room, payload))| {
        let _ = s.within(room).emit("b", &payload).await;
    });
}

/// The runtime sio's bench server runs on (`sio_core::runtime::builder`: tokio's scheduler
/// taking at most 16 ready sockets per visit of the I/O driver, which serves connections in
/// turn under overload), so the bench compares servers, not scheduler settings.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    tokio::runtime::Builder::new_multi_thread().enable_all().max_io_events_per_tick(16).build()?.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 =
        args.iter().position(|a| a == "--port").and_then(|i| args.get(i + 1)).and_then(|p| p.parse().ok()).unwrap_or(0);
    let (svc, io) = SocketIo::new_svc();
    io.ns("/", on_connect);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ready {}", listener.local_addr()?.port());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).with_upgrades().await;
        });
    }
}
