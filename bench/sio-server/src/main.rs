//! The bench contract (bench/README.md) on the sio Rust API.
//!
//!     sio-bench-server --port P [--per-message-deflate] [--redis redis://HOST:PORT]
//!
//! `--redis URL` joins a cluster through Redis with the adapter wire-compatible with
//! `@socket.io/redis-adapter` (`sio_redis::connect(url, ClusterAdapterKind::Redis)`): the
//! broadcasts of `bcast` then reach the sockets of every node.
//!
//! Namespace `/`: `echo` acks with the arguments it got; `join` (room) joins and acks;
//! `bcast` (room, payload) emits `b` (payload) to every socket in the room, sender included.
//! Prints `ready PORT` once listening. Reference defaults otherwise (pingInterval 25 s, ...).
use sio_core::embed::ClusterAdapterKind;
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

/// The value after `name` on the command line.
fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

async fn serve() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut builder = Server::builder();
    if args.iter().any(|a| a == "--per-message-deflate") {
        builder = builder.per_message_deflate(Some(PerMessageDeflate::default()));
    }
    if let Some(url) = arg(&args, "--redis") {
        let adapter = sio_redis::connect(url, ClusterAdapterKind::Redis)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        builder = builder.adapter(adapter);
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
