//! The bench contract (bench/README.md) on the sio Rust API.
//!
//!     sio-bench-server --port P [--per-message-deflate]
//!
//! Namespace `/`: `echo` acks with the arguments it got; `join` (room) joins and acks;
//! `bcast` (room, payload) emits `b` (payload) to every socket in the room, sender included.
//! Prints `ready PORT` once listening. Reference defaults otherwise (pingInterval 25 s, ...).
use sio_core::engine::server::PerMessageDeflate;
use sio_core::server::Server;
use sio_core::Value;

/// Removes and returns the first argument as a string ("" if it is not one).
fn take_str(args: &mut Vec<Value>) -> String {
    if args.is_empty() {
        return String::new();
    }
    match args.remove(0) {
        Value::String(s) => s,
        _ => String::new(),
    }
}

/// On sio's recommended runtime ([`sio_core::runtime::builder`]): connections served in
/// turn under overload.
fn main() -> std::io::Result<()> {
    sio_core::runtime::builder().build()?.block_on(serve())
}

async fn serve() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 =
        args.iter().position(|a| a == "--port").and_then(|i| args.get(i + 1)).and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut builder = Server::builder();
    if args.iter().any(|a| a == "--per-message-deflate") {
        builder = builder.per_message_deflate(Some(PerMessageDeflate::default()));
    }
    let io = builder.build();
    let io2 = io.clone();
    io.on_connection(move |socket| {
        socket.on("echo", |_, args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(args);
            }
        });
        socket.on("join", |s, mut args, ack| {
            s.join([take_str(&mut args)]);
            if let Some(ack) = ack {
                let _ = ack.send(vec![]);
            }
        });
        let io = io2.clone();
        socket.on("bcast", move |_, mut args, _| {
            let room = take_str(&mut args);
            let _ = io.to(room).emit("b", args);
        });
    });
    let addr = io.listen(("127.0.0.1", port)).await?;
    println!("ready {}", addr.port());
    std::future::pending::<()>().await;
    Ok(())
}
