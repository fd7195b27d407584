//! A Socket.IO server with small, configurable resource limits, for the hardening
//! regression tests (tests/protocol/hardening.test.js). It answers on one port:
//!
//! - `/socket.io/`: namespace `/` echoes `message` as `message-back` (arguments
//!   unchanged), and `volatile` as a volatile `message-back`; namespaces `/a`, `/b`
//!   and `/c` accept anyone and do nothing.
//! - `GET /stats`: `{"rss", "fds", "sessions", "sockets", "all_sockets", "connections",
//!   "disconnects", "middlewares"}`: resident memory in bytes (VmRSS), open file
//!   descriptors, open Engine.IO sessions, sockets in `/`, sockets in all four
//!   namespaces, the `connection` / `disconnect` events fired so far (all namespaces),
//!   and the runs of the `SIO_CONNECT_DELAY_MS` middleware that completed.
//!
//! Usage: `limits-server [PORT]` (default 3000); prints `listening on PORT`. Limits come
//! from the environment (unset: the library default):
//!
//! | variable                   | option                                   |
//! |----------------------------|------------------------------------------|
//! | `SIO_MAX_HTTP_BUFFER_SIZE` | `max_http_buffer_size` (bytes)           |
//! | `SIO_MAX_BUFFERED_BYTES`   | `max_buffered_bytes` (bytes)             |
//! | `SIO_MAX_HEADER_SIZE`      | `max_header_size` (bytes)                |
//! | `SIO_HEADERS_TIMEOUT_MS`   | `headers_timeout`                        |
//! | `SIO_IDLE_TIMEOUT_MS`      | `idle_timeout`                           |
//! | `SIO_MAX_CONNECTIONS`      | `max_connections`                        |
//! | `SIO_PING_INTERVAL_MS`     | `ping_interval`                          |
//! | `SIO_PING_TIMEOUT_MS`      | `ping_timeout`                           |
//! | `SIO_CONNECT_DELAY_MS`     | an async middleware on `/` that waits    |
//!
//! CORS is `CorsOrigin::Any` with credentials allowed.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use sio_core::engine::server::{serve, Cors, CorsOrigin};
use sio_core::server::Server;

static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);
static DISCONNECTS: AtomicUsize = AtomicUsize::new(0);
static MIDDLEWARES: AtomicUsize = AtomicUsize::new(0);

fn env_num(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={v:?} is not a number"),
    }
}

fn env_ms(name: &str) -> Option<Duration> {
    env_num(name).map(Duration::from_millis)
}

/// VmRSS of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn stats(io: &Server) -> Response<Full<Bytes>> {
    let all_sockets: usize = ["/", "/a", "/b", "/c"].iter().map(|n| io.of(n).sockets().len()).sum();
    let body = serde_json::json!({
        "rss": rss(),
        "fds": fds(),
        "sessions": io.engine().session_count(),
        "sockets": io.of("/").sockets().len(),
        "all_sockets": all_sockets,
        "connections": CONNECTIONS.load(Ordering::SeqCst),
        "disconnects": DISCONNECTS.load(Ordering::SeqCst),
        "middlewares": MIDDLEWARES.load(Ordering::SeqCst),
    });
    Response::builder()
        .header("content-type", "application/json")
        .header("connection", "close")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts are valid")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3000);

    let mut builder = Server::builder().cors(Cors { origin: CorsOrigin::Any, credentials: true });
    if let Some(d) = env_ms("SIO_PING_INTERVAL_MS") {
        builder = builder.ping_interval(d);
    }
    if let Some(d) = env_ms("SIO_PING_TIMEOUT_MS") {
        builder = builder.ping_timeout(d);
    }
    if let Some(n) = env_num("SIO_MAX_HTTP_BUFFER_SIZE") {
        builder = builder.max_http_buffer_size(n as usize);
    }
    if let Some(n) = env_num("SIO_MAX_BUFFERED_BYTES") {
        builder = builder.max_buffered_bytes(n as usize);
    }
    if let Some(n) = env_num("SIO_MAX_HEADER_SIZE") {
        builder = builder.max_header_size(n as usize);
    }
    if let Some(d) = env_ms("SIO_HEADERS_TIMEOUT_MS") {
        builder = builder.headers_timeout(d);
    }
    if let Some(d) = env_ms("SIO_IDLE_TIMEOUT_MS") {
        builder = builder.idle_timeout(d);
    }
    if let Some(n) = env_num("SIO_MAX_CONNECTIONS") {
        builder = builder.max_connections(n as usize);
    }
    let io = builder.build();

    if let Some(delay) = env_ms("SIO_CONNECT_DELAY_MS") {
        io.of("/").use_middleware(move |_| async move {
            tokio::time::sleep(delay).await;
            MIDDLEWARES.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    for name in ["/", "/a", "/b", "/c"] {
        let s_io = io.clone();
        io.of(name).on_connection(move |socket| {
            CONNECTIONS.fetch_add(1, Ordering::SeqCst);
            socket.on_disconnect(|_, _| {
                DISCONNECTS.fetch_add(1, Ordering::SeqCst);
            });
            if name == "/" {
                socket.on("message", |s, args, _| {
                    let _ = s.emit("message-back", args);
                });
                socket.on("volatile", |s, args, _| {
                    let _ = s.volatile().emit("message-back", args);
                });
                // `big N`: one broadcast of an N-byte string to every socket of "/" (encoded
                // once, its bytes shared by every session's queue).
                let io = s_io.clone();
                socket.on("big", move |_, args, _| {
                    let n = args.first().and_then(sio_core::Value::as_i64).unwrap_or(0).clamp(0, 64 << 20) as usize;
                    let _ = io.emit("big", vec![sio_core::Value::from("x".repeat(n))]);
                });
            }
        });
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?.port());
    let limits = io.engine().config().listen_limits();
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let router = move |req: Request<hyper::body::Incoming>, peer| {
        let io = io.clone();
        async move {
            if req.uri().path() == "/stats" {
                stats(&io)
            } else if io.engine().matches(req.uri().path()) {
                io.handle_from(req, peer).await
            } else {
                sio_core::server::not_found()
            }
        }
    };
    serve(listener, limits, router, stop).await;
    Ok(())
}
