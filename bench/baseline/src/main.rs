//! The physical baseline of the benchmarks: tokio + tokio-tungstenite and nothing else.
//!
//!     ws-baseline --port P [--read-buffer BYTES (default 4096; 0: tungstenite's 128 KiB)]
//!
//! Answers the bench contract (bench/README.md) by splicing frames as text, without any
//! Socket.IO machinery: a fixed open packet, `40` → `40{"sid":..}`, `42<id>["echo",X]` →
//! `43<id>[X]` (binary: `451-<id>["echo",P]` + frame → `461-<id>[P]` + the same frame),
//! `["join",room]` → `43<id>[]`, `["bcast",room,X]` → `42["b",X]` encoded once and the same
//! bytes queued to every member. No heartbeat, no namespaces, no parsing of arguments:
//! what the same stack costs when it does nearly nothing. WebSocket settings are
//! tungstenite's defaults except a 4 KiB read buffer, as sio configures it (tungstenite
//! zero-fills the whole read buffer before every read: bench/PROFILE.md).
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[derive(Default)]
struct Hub {
    next_id: AtomicU64,
    /// Outgoing queue of every connected client.
    conns: Mutex<HashMap<u64, mpsc::UnboundedSender<Message>>>,
    rooms: Mutex<HashMap<String, HashSet<u64>>>,
}

impl Hub {
    fn broadcast(&self, room: &str, frame: Message) {
        let rooms = self.rooms.lock().expect("not poisoned");
        let Some(members) = rooms.get(room) else {
            return;
        };
        let conns = self.conns.lock().expect("not poisoned");
        for id in members {
            if let Some(tx) = conns.get(id) {
                let _ = tx.send(frame.clone()); // a reference count, not a copy
            }
        }
    }

    fn forget(&self, id: u64) {
        self.conns.lock().expect("not poisoned").remove(&id);
        for members in self.rooms.lock().expect("not poisoned").values_mut() {
            members.remove(&id);
        }
    }
}

/// `<digits><rest>` → (digits, rest).
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// The first JSON string of `s` (which starts with `"`) and what follows its closing quote.
fn json_str(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let end = s.find('"')?;
    Some((&s[..end], &s[end + 1..]))
}

struct Conn {
    hub: Arc<Hub>,
    id: u64,
    /// Binary frames still to send back for the current binary echo.
    forward: u64,
}

impl Conn {
    /// Frames to answer `text` with (in order).
    fn on_text(&mut self, text: &str, tx: &mpsc::UnboundedSender<Message>) -> Vec<Message> {
        if text == "40" {
            self.hub.conns.lock().expect("not poisoned").insert(self.id, tx.clone());
            return vec![Message::text(format!("40{{\"sid\":\"s{}\"}}", self.id))];
        }
        if let Some(rest) = text.strip_prefix("451-") {
            // binary echo: 451-<id>["echo",<placeholder>]
            let (ack, body) = split_digits(rest);
            if let Some(arg) = body.strip_prefix("[\"echo\",") {
                self.forward = 1;
                return vec![Message::text(format!("461-{ack}[{arg}"))];
            }
            return vec![];
        }
        let Some(rest) = text.strip_prefix("42") else {
            return vec![];
        };
        let (ack, body) = split_digits(rest);
        let Some(body) = body.strip_prefix('[') else {
            return vec![];
        };
        let Some((event, args)) = json_str(body) else {
            return vec![];
        };
        let args = args.strip_prefix(',').unwrap_or(args); // `X]`, or `]` without arguments
        match event {
            "echo" if !ack.is_empty() => vec![Message::text(format!("43{ack}[{args}"))],
            "join" => {
                if let Some((room, _)) = json_str(args) {
                    self.hub.rooms.lock().expect("not poisoned").entry(room.to_owned()).or_default().insert(self.id);
                }
                if ack.is_empty() {
                    vec![]
                } else {
                    vec![Message::text(format!("43{ack}[]"))]
                }
            }
            "bcast" => {
                if let Some((room, payload)) = json_str(args) {
                    let payload = payload.strip_prefix(',').unwrap_or(payload);
                    let frame = Message::Text(Utf8Bytes::from(format!("42[\"b\",{payload}")));
                    self.hub.broadcast(room, frame);
                }
                vec![]
            }
            _ => vec![],
        }
    }
}

async fn serve(hub: Arc<Hub>, tcp: TcpStream, config: WebSocketConfig) {
    let _ = tcp.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    let open = format!(
        "0{{\"sid\":\"e{id}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
    );
    if ws.send(Message::text(open)).await.is_err() {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let mut conn = Conn { hub: hub.clone(), id, forward: 0 };
    loop {
        tokio::select! {
            m = ws.next() => {
                let replies = match m {
                    Some(Ok(Message::Text(t))) => conn.on_text(t.as_str(), &tx),
                    Some(Ok(Message::Binary(b))) if conn.forward > 0 => {
                        conn.forward -= 1;
                        vec![Message::Binary(b)]
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => vec![],
                };
                let n = replies.len();
                let mut failed = false;
                for (i, r) in replies.into_iter().enumerate() {
                    let res = if i + 1 == n { ws.send(r).await } else { ws.feed(r).await };
                    failed |= res.is_err();
                }
                if failed {
                    break;
                }
            }
            Some(frame) = rx.recv() => {
                if ws.send(frame).await.is_err() {
                    break;
                }
            }
        }
    }
    hub.forget(id);
}

/// The runtime sio's bench server runs on (`sio_core::runtime::builder`: tokio's scheduler
/// taking at most 16 ready sockets per visit of the I/O driver, which serves connections in
/// turn under overload), so the bench compares servers, not scheduler settings.
fn main() -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().max_io_events_per_tick(16).build()?.block_on(run())
}

async fn run() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse::<usize>().ok())
    };
    let port = arg("--port").unwrap_or(0) as u16;
    let mut config = WebSocketConfig::default();
    match arg("--read-buffer").unwrap_or(4096) {
        0 => {}
        n => config = config.read_buffer_size(n),
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ready {}", listener.local_addr()?.port());
    let hub = Arc::new(Hub::default());
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(hub.clone(), tcp, config));
    }
}
