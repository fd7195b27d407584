//! A host that hands over its connections (as Node's `http.Server` does on plain TCP): it
//! reads each request head itself; an upgrade of the server's path goes to
//! `Server::accept_websocket_stream` with the TCP stream and the bytes read past the head,
//! and the engine answers and runs the WebSocket on it; polling requests are served by hyper
//! (the head read so far put back in front of the stream). The Rust client connects over
//! WebSocket only and with the upgrade of a polling session; the engine's rules hold.
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_util::StreamExt;
use hyper::Request;
use hyper_util::rt::TokioIo;
use sio_core::client::io;
use sio_core::engine::server::{Peer, TransportKind};
use sio_core::server::Server;
use sio_core::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

mod support;

use support::hosted::{client_options, echo_server, record_upgrades, upgrade_then_echo};

const WAIT: Duration = Duration::from_secs(10);

/// A stream with bytes already read put back in front.
struct Prefixed {
    head: Bytes,
    io: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.head.is_empty() {
            let n = self.head.len().min(buf.remaining());
            buf.put_slice(&self.head[..n]);
            self.head.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Reads until the end of a request (or response) head: the head, and what came after it.
async fn read_head(tcp: &mut TcpStream) -> Option<(Vec<u8>, Bytes)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = Bytes::copy_from_slice(&buf[end + 4..]);
            buf.truncate(end + 4);
            return Some((buf, rest));
        }
        let n = tcp.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The request of a head, parsed by hand (method, target, headers; no body).
fn parse(head: &[u8]) -> Request<()> {
    let text = std::str::from_utf8(head).expect("an ASCII head");
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap().split(' ');
    let mut req = Request::builder().method(first.next().unwrap()).uri(first.next().unwrap());
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').expect("a header line");
        req = req.header(name.trim(), value.trim());
    }
    req.body(()).unwrap()
}

/// One connection of the host: an upgrade goes to the engine with the stream itself.
async fn host(io: Server, mut tcp: TcpStream, remote: SocketAddr) {
    let Some((head, rest)) = read_head(&mut tcp).await else { return };
    let req = parse(&head);
    let upgrade = req.headers().get("upgrade").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if upgrade {
        return io.accept_websocket_stream(req, Peer::plain(remote), tcp, rest).await;
    }
    // Polling: hyper reads the head again (the rest of this connection too).
    let mut again = head;
    again.extend_from_slice(&rest);
    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let io = io.clone();
        async move { Ok::<_, Infallible>(io.handle_from(req, Peer::plain(remote)).await) }
    });
    let stream = Prefixed { head: again.into(), io: tcp };
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
}

/// Starts the host on a free port, serving `io`; returns its address.
async fn start_host(io: Server) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, remote)) = listener.accept().await {
            tokio::spawn(host(io.clone(), tcp, remote));
        }
    });
    addr
}

#[tokio::test]
async fn a_websocket_runs_in_the_engine_over_the_hosts_connection() {
    let addr = start_host(echo_server(1000)).await;
    let socket = io(&format!("http://{addr}"), client_options(&[TransportKind::Websocket]));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    socket.on("welcome", move |_, args, _| {
        let _ = tx.send(args);
    });
    let welcome = tokio::time::timeout(WAIT, rx.recv()).await.expect("welcome in time").unwrap();
    assert_eq!(welcome[0].as_str(), Some("127.0.0.1"));
    let args = vec![Value::from("hi"), Value::Binary(Bytes::from_static(&[1, 2, 3]))];
    let echo = tokio::time::timeout(WAIT, socket.emit_with_ack("echo", args.clone())).await.expect("ack").unwrap();
    assert_eq!(echo, args);
    socket.disconnect();
}

#[tokio::test]
async fn a_polling_session_upgrades_to_the_handed_over_connection() {
    let server = echo_server(1000);
    let upgrades = record_upgrades(&server);
    let addr = start_host(server).await;
    upgrade_then_echo(&format!("http://{addr}"), upgrades).await;
}

/// The request and the first frame in one write: the host reads both, and the engine
/// reads the frame from `head` before the stream.
#[tokio::test]
async fn bytes_read_past_the_request_are_the_first_frames() {
    let addr = start_host(echo_server(1000)).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut out = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes();
    // A masked text frame "40" (a zero mask leaves the payload as is): CONNECT to `/`.
    out.extend_from_slice(&[0x81, 0x82, 0, 0, 0, 0, b'4', b'0']);
    tcp.write_all(&out).await.unwrap();
    let (head, rest) = read_head(&mut tcp).await.expect("an answer");
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"), "{head}");
    let mut ws = WebSocketStream::from_partially_read(tcp, rest.to_vec(), Role::Client, None).await;
    let mut texts = Vec::new();
    while texts.len() < 2 {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(t))) => texts.push(t.to_string()),
            other => panic!("expected text, got {other:?}"),
        }
    }
    assert!(texts[0].starts_with("0{"), "open packet: {}", texts[0]);
    assert!(texts[1].starts_with("40{\"sid\""), "connect answer: {}", texts[1]);
    let _ = ws.close(None).await;
}

#[tokio::test]
async fn refusals_are_written_on_the_connection_and_limits_hold() {
    let addr = start_host(echo_server(1000)).await;
    support::hosted::refusals_and_limits_hold(&format!("ws://{addr}")).await;
}
