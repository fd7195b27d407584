//! The demo: a chat server on `--port` (default 3000) serving a one-page UI that uses
//! the official browser client. Logs every connection, disconnect reason and room change.
//!
//! The client bundle is served from the `socket.io-client` npm package (installed by
//! `npm install --prefix tests`); set `SIO_CLIENT_BUNDLE` to use another file.
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use sio_core::engine::server::serve;
use sio_core::server::Server;
use sio_core::Value;

const PAGE: &str = include_str!("index.html");

fn bundle_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SIO_CLIENT_BUNDLE") {
        return Some(p.into());
    }
    let rel = "node_modules/socket.io-client/dist/socket.io.min.js";
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [PathBuf::from("tests").join(rel), manifest.join("../tests").join(rel), PathBuf::from(rel)]
        .into_iter()
        .find(|p| p.exists())
}

fn file(content_type: &str, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder().header("content-type", content_type).body(Full::new(body)).expect("valid response")
}

fn text(args: &[Value], i: usize) -> String {
    args.get(i).and_then(Value::as_str).unwrap_or_default().chars().take(500).collect()
}

/// On sio's runtime: connections served in turn under load (see `sio_core::runtime`).
fn main() -> std::io::Result<()> {
    sio_core::runtime::builder().build()?.block_on(run())
}

async fn run() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let bundle = match bundle_path() {
        Some(p) => Bytes::from(std::fs::read(&p)?),
        None => {
            eprintln!("socket.io-client bundle not found: run `npm install --prefix tests` or set SIO_CLIENT_BUNDLE");
            std::process::exit(2);
        }
    };

    let io = Server::builder().ping_interval(Duration::from_secs(10)).ping_timeout(Duration::from_secs(5)).build();
    // Upgrades belong to the connection and may finish before a namespace is joined.
    io.on_engine_connection(|conn| {
        let id = conn.id().to_owned();
        conn.on_event(move |ev| {
            if let sio_core::engine::server::ConnEvent::Upgrade(t) = ev {
                println!("upgrade connection {id} to {}", t.as_str());
            }
        });
    });
    io.on_connection(|socket| {
        let name = socket.handshake().auth.get("name").and_then(Value::as_str).unwrap_or("anonymous").to_owned();
        println!("connect {} as {:?} over {}", socket.id(), name, socket.conn().transport().as_str());
        socket.extensions().insert(name.clone());
        socket.join(["lobby"]);
        println!("room {} joined lobby", socket.id());
        let _ = socket.to("lobby").emit("system", vec![format!("{name} joined lobby").into()]);
        socket.on("chat message", |s, args, ack| {
            let user = s.extensions().get::<String>().unwrap_or_default();
            let room = text(&args, 1);
            let room = if room.is_empty() { "lobby".to_owned() } else { room };
            let msg =
                Value::from([("user", user.into()), ("text", text(&args, 0).into()), ("room", room.clone().into())]);
            let _ = s.to(room).emit("chat message", vec![msg.clone()]);
            if let Some(ack) = ack {
                let _ = ack.send(vec![msg]);
            }
        });
        socket.on("join", |s, args, ack| {
            let room = text(&args, 0);
            if !room.is_empty() {
                s.join([room.clone()]);
                println!("room {} joined {room}", s.id());
                let user = s.extensions().get::<String>().unwrap_or_default();
                let _ = s.to(room.clone()).emit("system", vec![format!("{user} joined {room}").into()]);
            }
            if let Some(ack) = ack {
                let mut rooms: Vec<String> = s.rooms().into_iter().filter(|r| r != s.id()).collect();
                rooms.sort();
                let _ = ack.send(vec![Value::Array(rooms.into_iter().map(Value::from).collect())]);
            }
        });
        socket.on("leave", |s, args, _| {
            let room = text(&args, 0);
            s.leave(&room);
            println!("room {} left {room}", s.id());
        });
        socket.on_disconnecting(|s, reason| {
            let user = s.extensions().get::<String>().unwrap_or_default();
            for room in s.rooms() {
                if room != s.id() {
                    let _ = s.to(room.clone()).emit("system", vec![format!("{user} left ({reason})").into()]);
                }
            }
        });
        socket.on_disconnect(|s, reason| println!("disconnect {} reason {:?}", s.id(), reason.as_str()));
    });

    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    println!("chat listening on http://localhost:{}", listener.local_addr()?.port());
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let limits = io.engine().config().listen_limits();
    serve(
        listener,
        limits,
        move |req, peer| {
            let (io, bundle) = (io.clone(), bundle.clone());
            async move {
                match req.uri().path() {
                    "/" | "/index.html" => file("text/html; charset=utf-8", Bytes::from_static(PAGE.as_bytes())),
                    "/socket.io/socket.io.min.js" | "/socket.io/socket.io.js" => file("application/javascript", bundle),
                    p if io.engine().matches(p) => io.handle_from(req, peer).await,
                    _ => sio_core::server::not_found(),
                }
            }
        },
        stop_rx,
    )
    .await;
    Ok(())
}
