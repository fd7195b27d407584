//! One simulated Socket.IO client: a WebSocket (`EIO=4&transport=websocket`), the Engine.IO
//! open packet, CONNECT to `/`, then whatever the current phase asks for. Each client is one
//! tokio task owning its stream; there is no per-client histogram or channel (except for the
//! broadcast sender), so 10k of them cost little.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use sio_core::engine::deflate::{DeflateStream, CLIENT_OFFER};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{client_async_with_config, WebSocketStream};

use crate::pace::{self, Pace};
use crate::proto;
use crate::stats::{histogram, Errors};

/// A client's connection: plain, or with permessage-deflate under tungstenite (`--deflate`).
pub enum Conn {
    Plain(TcpStream),
    Deflate(Box<DeflateStream<TcpStream>>),
}

macro_rules! conn_dispatch {
    ($self:ident, $method:ident($($arg:expr),*)) => {
        match $self.get_mut() {
            Conn::Plain(s) => Pin::new(s).$method($($arg),*),
            Conn::Deflate(s) => Pin::new(&mut **s).$method($($arg),*),
        }
    };
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        conn_dispatch!(self, poll_read(cx, buf))
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        conn_dispatch!(self, poll_write(cx, buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        conn_dispatch!(self, poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        conn_dispatch!(self, poll_shutdown(cx))
    }
}

type Ws = WebSocketStream<Conn>;

/// What every client is asked to do; clients follow changes at once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Stay connected, answer pings.
    Idle,
    /// Join the bench room (acked), then stay idle.
    Join,
    /// Send echo requests in a closed loop: the next one when the previous ack arrived; or,
    /// with `Shared::pace`, one at each scheduled time (the previous ack permitting).
    Echo,
    /// Close.
    Stop,
}

/// State shared by the coordinator and every client.
pub struct Shared {
    /// Origin of every timestamp (microseconds since).
    pub epoch: Instant,
    /// The servers' addresses (several with `--port A,B`: the nodes of a cluster); client
    /// `i` connects to node `i % addrs.len()`, so client 0, the broadcast sender, to the first.
    pub addrs: Vec<SocketAddr>,
    /// `ws://host:port/socket.io/?EIO=4&transport=websocket`, per node.
    pub urls: Vec<String>,
    /// Echo with this binary attachment instead of the JSON payload.
    pub binary: Option<Bytes>,
    /// The JSON argument of each echo.
    pub payload: String,
    /// Offer permessage-deflate (messages of 1024 bytes or more compressed, as engine.io-client).
    pub deflate: bool,
    /// Handshake deadline.
    pub timeout: Duration,
    /// The phase clients follow.
    pub phase: watch::Sender<Phase>,
    /// Clients that completed the Socket.IO handshake.
    pub connected: AtomicU64,
    /// Clients whose handshake failed.
    pub failed: AtomicU64,
    /// When the latest handshake completed (µs since epoch).
    pub last_connect_us: AtomicU64,
    /// Clients whose join was acked.
    pub joined: AtomicU64,
    /// Paced echo (`--rate`): each client sends one echo per this interval; `None`: closed loop.
    pub pace: Option<Duration>,
    /// Whether round trips are being counted and timed.
    pub recording: AtomicBool,
    /// Echo round trips completed while recording.
    pub round_trips: AtomicU64,
    /// The same, per client (by spawn order): how evenly the server serves them.
    pub per_client: Vec<AtomicU64>,
    /// Paced echoes sent after their scheduled time, because the previous ack was pending then.
    pub late: AtomicU64,
    /// Broadcast deliveries received (reset per broadcast by the coordinator).
    pub delivered: AtomicU64,
    /// Deliveries of each numbered broadcast of a stream, by sequence number.
    pub seq_delivered: Vec<AtomicU64>,
    /// Numbered broadcasts a client received after a later one (its order broken).
    pub reordered: AtomicU64,
    /// Clients connected, per node.
    pub connected_per_node: Vec<AtomicU64>,
    /// Broadcast deliveries received over the whole run, per node.
    pub delivered_per_node: Vec<AtomicU64>,
    /// When the latest delivery arrived (µs since epoch).
    pub last_delivery_us: AtomicU64,
    /// Errors by kind.
    pub errors: Errors,
    /// Handshake latency (TCP connect to CONNECT reply), µs.
    pub handshake: Mutex<Histogram<u64>>,
    /// Echo round-trip latency, µs.
    pub rtt: Mutex<Histogram<u64>>,
    /// Paced echo: how long after the scheduled time the timer woke the client, µs (the
    /// generator's own lag, not counted in `rtt`; tokio's timers tick per millisecond).
    pub timer_lag: Mutex<Histogram<u64>>,
    /// Broadcast delivery latency (send of the request to arrival), µs, per node.
    pub delivery: Vec<Mutex<Histogram<u64>>>,
}

/// How many per-client and per-broadcast counters a run needs.
pub struct Counters {
    /// Clients (one round-trip counter each).
    pub clients: usize,
    /// Numbered broadcasts (one delivery counter each).
    pub streamed: usize,
}

impl Shared {
    /// Fresh state for the servers at `addrs` (at least one).
    pub fn new(
        addrs: Vec<SocketAddr>,
        path: &str,
        binary: Option<Bytes>,
        payload: String,
        deflate: bool,
        timeout: Duration,
        Counters { clients, streamed }: Counters,
    ) -> Shared {
        let nodes = addrs.len();
        let per_node = || (0..nodes).map(|_| AtomicU64::new(0)).collect();
        Shared {
            epoch: Instant::now(),
            urls: addrs.iter().map(|addr| format!("ws://{addr}{path}?EIO=4&transport=websocket")).collect(),
            addrs,
            binary,
            payload,
            deflate,
            timeout,
            phase: watch::channel(Phase::Idle).0,
            connected: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_connect_us: AtomicU64::new(0),
            joined: AtomicU64::new(0),
            pace: None,
            recording: AtomicBool::new(false),
            round_trips: AtomicU64::new(0),
            per_client: (0..clients).map(|_| AtomicU64::new(0)).collect(),
            late: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            seq_delivered: (0..streamed).map(|_| AtomicU64::new(0)).collect(),
            reordered: AtomicU64::new(0),
            connected_per_node: per_node(),
            delivered_per_node: per_node(),
            last_delivery_us: AtomicU64::new(0),
            errors: Errors::default(),
            handshake: Mutex::new(histogram()),
            rtt: Mutex::new(histogram()),
            timer_lag: Mutex::new(histogram()),
            delivery: (0..nodes).map(|_| Mutex::new(histogram())).collect(),
        }
    }

    /// Microseconds since the epoch.
    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// The node client `index` connects to.
    pub fn node_of(&self, index: usize) -> usize {
        index % self.addrs.len()
    }
}

fn record(h: &Mutex<Histogram<u64>>, us: u64) {
    h.lock().expect("not poisoned").saturating_record(us.max(1));
}

/// Opens the WebSocket to `node`, reads the open packet, joins namespace `/`.
async fn handshake(sh: &Shared, node: usize) -> Result<Ws, String> {
    let tcp = TcpStream::connect(sh.addrs[node]).await.map_err(|e| format!("tcp connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    // Small read buffer: the default (128 KiB each) adds up over 10k clients.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let mut req = sh.urls[node].as_str().into_client_request().map_err(|e| format!("request: {e}"))?;
    let conn = if sh.deflate {
        req.headers_mut().insert("sec-websocket-extensions", CLIENT_OFFER.parse().expect("a valid header value"));
        Conn::Deflate(Box::new(DeflateStream::client(tcp, 1024, 64 << 20)))
    } else {
        Conn::Plain(tcp)
    };
    let (mut ws, _) =
        client_async_with_config(req, conn, Some(config)).await.map_err(|e| format!("websocket upgrade: {e}"))?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with('0') {
        return Err(format!("expected the open packet, got {}", clip(&open)));
    }
    ws.send(Message::text("40")).await.map_err(|e| format!("send CONNECT: {e}"))?;
    loop {
        let t = next_text(&mut ws).await?;
        if t.starts_with("40") {
            return Ok(ws);
        } else if t == "2" {
            ws.send(Message::text("3")).await.map_err(|e| format!("send pong: {e}"))?;
        } else if t.starts_with("44") {
            return Err(format!("CONNECT refused: {}", clip(&t)));
        } else {
            return Err(format!("unexpected packet before the CONNECT reply: {}", clip(&t)));
        }
    }
}

async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => return Err(format!("unexpected frame {other:?}").chars().take(80).collect()),
            Some(Err(e)) => return Err(format!("websocket: {e}")),
            None => return Err("closed during the handshake".into()),
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// A request waiting for its ack.
enum Pending {
    /// `sent`: where its round trip counts from (a paced echo sent late: its scheduled time).
    Echo {
        id: u64,
        sent: Instant,
    },
    Join {
        id: u64,
    },
}

/// Per-client state after the handshake.
struct Client {
    sh: Arc<Shared>,
    /// Index into `Shared::per_client`; its node is `Shared::node_of(index)`.
    index: usize,
    /// Sequence number of the latest numbered broadcast received.
    last_seq: Option<u64>,
    next_id: u64,
    pending: Option<Pending>,
    /// Binary frames still expected for the current BINARY_ACK.
    attachments: u64,
    /// Id of that BINARY_ACK.
    attachments_for: u64,
    phase: Phase,
    /// The echo schedule in a paced echo (from the Echo phase on).
    pace: Option<Pace>,
}

/// What to do after a frame.
enum Flow {
    Continue,
    Close,
}

impl Client {
    /// Sends an echo whose round trip counts from `from`.
    async fn send_echo(&mut self, ws: &mut Ws, from: Instant) -> Result<(), String> {
        let id = self.next_id;
        self.next_id += 1;
        self.pending = Some(Pending::Echo { id, sent: from });
        let res = match &self.sh.binary {
            Some(bin) => {
                let bin = bin.clone();
                match ws.feed(Message::text(proto::echo_binary(id))).await {
                    Ok(()) => ws.send(Message::Binary(bin)).await,
                    Err(e) => Err(e),
                }
            }
            None => ws.send(Message::text(proto::echo_text(id, &self.sh.payload))).await,
        };
        res.map_err(|e| format!("send echo: {e}"))
    }

    async fn on_phase(&mut self, ws: &mut Ws, phase: Phase) -> Result<(), String> {
        self.phase = phase;
        match phase {
            Phase::Join => {
                let id = self.next_id;
                self.next_id += 1;
                self.pending = Some(Pending::Join { id });
                ws.send(Message::text(proto::join(id))).await.map_err(|e| format!("send join: {e}"))
            }
            Phase::Echo if self.sh.pace.is_some() => {
                let interval = self.sh.pace.expect("paced");
                self.pace = Some(Pace::new(interval, self.index, self.sh.per_client.len(), self.sh.epoch));
                Ok(())
            }
            Phase::Echo if self.pending.is_none() => self.send_echo(ws, Instant::now()).await,
            _ => Ok(()),
        }
    }

    /// An ack for `id` arrived (with all its attachments).
    async fn on_ack(&mut self, ws: &mut Ws, id: u64) -> Result<(), String> {
        let sh = self.sh.clone();
        match self.pending.take() {
            Some(Pending::Echo { id: want, sent }) if want == id => {
                if sh.recording.load(Ordering::Relaxed) {
                    record(&sh.rtt, sent.elapsed().as_micros() as u64);
                    sh.round_trips.fetch_add(1, Ordering::Relaxed);
                    if let Some(n) = sh.per_client.get(self.index) {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if self.phase == Phase::Echo {
                    match &mut self.pace {
                        None => self.send_echo(ws, Instant::now()).await?,
                        Some(p) if p.due() <= tokio::time::Instant::now() => {
                            // The next echo's time came while this ack was pending: it goes
                            // now, and its round trip counts from its scheduled time, so the
                            // wait shows in the latency (no coordinated omission).
                            let scheduled = p.take().into_std();
                            if sh.recording.load(Ordering::Relaxed) {
                                sh.late.fetch_add(1, Ordering::Relaxed);
                            }
                            self.send_echo(ws, scheduled).await?;
                        }
                        Some(_) => {} // the timer sends it (`on_due`)
                    }
                }
            }
            Some(Pending::Join { id: want }) if want == id => {
                sh.joined.fetch_add(1, Ordering::Relaxed);
            }
            other => {
                self.pending = other;
                sh.errors.add(&sh.errors.protocol, || format!("ack {id} matches no request"));
            }
        }
        Ok(())
    }

    /// Whether the pace timer is what the next echo waits for (no ack pending).
    fn awaits_timer(&self) -> bool {
        self.phase == Phase::Echo && self.pace.is_some() && self.pending.is_none()
    }

    /// The pace timer fired with no ack pending: the scheduled echo goes now. Its round trip
    /// counts from now: the timer's lag behind the scheduled time (up to a millisecond of
    /// tick, more when the generator is busy) is the generator's, and is recorded apart.
    async fn on_due(&mut self, ws: &mut Ws) -> Result<(), String> {
        let now = Instant::now();
        let scheduled = self.pace.as_mut().expect("paced").take().into_std();
        if self.sh.recording.load(Ordering::Relaxed) {
            record(&self.sh.timer_lag, now.saturating_duration_since(scheduled).as_micros() as u64);
        }
        self.send_echo(ws, now).await
    }

    async fn on_text(&mut self, ws: &mut Ws, t: &str) -> Result<Flow, String> {
        let sh = self.sh.clone();
        if t == "2" {
            ws.send(Message::text("3")).await.map_err(|e| format!("send pong: {e}"))?;
        } else if let Some(sent) = proto::bcast_time(t) {
            let now = sh.now_us();
            let node = sh.node_of(self.index);
            record(&sh.delivery[node], now.saturating_sub(sent));
            sh.delivered.fetch_add(1, Ordering::Relaxed);
            sh.delivered_per_node[node].fetch_add(1, Ordering::Relaxed);
            sh.last_delivery_us.fetch_max(now, Ordering::Relaxed);
            if let Some(seq) = proto::bcast_seq_of(t) {
                if self.last_seq.is_some_and(|last| seq < last) {
                    sh.reordered.fetch_add(1, Ordering::Relaxed);
                }
                self.last_seq = self.last_seq.max(Some(seq));
                if let Some(n) = sh.seq_delivered.get(seq as usize) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        } else if let Some((id, body)) = proto::ack(t) {
            let echo = matches!(self.pending, Some(Pending::Echo { .. }));
            if echo && sh.binary.is_none() && !proto::same_args(body, &sh.payload) {
                sh.errors.add(&sh.errors.mismatch, || format!("echo ack differs: {}", clip(t)));
            }
            self.on_ack(ws, id).await?;
        } else if let Some((n, id, _)) = proto::binary_ack(t) {
            if n == 0 {
                self.on_ack(ws, id).await?;
            } else {
                self.attachments = n;
                self.attachments_for = id;
            }
        } else if t.starts_with("41") || t == "1" {
            if self.phase != Phase::Stop {
                sh.errors.add(&sh.errors.closed, || format!("server disconnected the client: {}", clip(t)));
            }
            return Ok(Flow::Close);
        } else if t != "6" {
            sh.errors.add(&sh.errors.protocol, || format!("unexpected packet: {}", clip(t)));
        }
        Ok(Flow::Continue)
    }

    async fn on_binary(&mut self, ws: &mut Ws, b: Bytes) -> Result<(), String> {
        let sh = self.sh.clone();
        if self.attachments == 0 {
            sh.errors.add(&sh.errors.protocol, || format!("unexpected binary frame of {} bytes", b.len()));
            return Ok(());
        }
        if sh.binary.as_ref() != Some(&b) {
            sh.errors.add(&sh.errors.mismatch, || format!("binary attachment differs ({} bytes back)", b.len()));
        }
        self.attachments -= 1;
        if self.attachments == 0 {
            let id = self.attachments_for;
            self.on_ack(ws, id).await?;
        }
        Ok(())
    }
}

async fn recv(cmd: &mut Option<mpsc::UnboundedReceiver<String>>) -> Option<String> {
    match cmd {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs client number `index` until the phase is `Stop` or the server closes it. At most `permits`
/// handshakes are in flight; `cmd` (the broadcast sender only) carries frames to send.
pub async fn run(
    sh: Arc<Shared>,
    index: usize,
    permits: Arc<Semaphore>,
    mut cmd: Option<mpsc::UnboundedReceiver<String>>,
) {
    let permit = permits.acquire().await.expect("semaphore never closed");
    let started = Instant::now();
    let node = sh.node_of(index);
    let mut ws = match tokio::time::timeout(sh.timeout, handshake(&sh, node)).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            sh.errors.add(&sh.errors.connect, || e);
            sh.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Err(_) => {
            sh.errors.add(&sh.errors.connect, || "handshake timed out".into());
            sh.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    drop(permit);
    record(&sh.handshake, started.elapsed().as_micros() as u64);
    sh.last_connect_us.fetch_max(sh.now_us(), Ordering::Relaxed);
    sh.connected.fetch_add(1, Ordering::Relaxed);
    sh.connected_per_node[node].fetch_add(1, Ordering::Relaxed);

    let mut phase_rx = sh.phase.subscribe();
    let mut c = Client {
        sh: sh.clone(),
        index,
        last_seq: None,
        next_id: 0,
        pending: None,
        attachments: 0,
        attachments_for: 0,
        phase: Phase::Idle,
        pace: None,
    };
    let current = *phase_rx.borrow_and_update();
    let mut res = if current == Phase::Idle { Ok(()) } else { c.on_phase(&mut ws, current).await };
    while res.is_ok() {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => match c.on_text(&mut ws, t.as_str()).await {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Close) => return,
                    Err(e) => res = Err(e),
                },
                Some(Ok(Message::Binary(b))) => res = c.on_binary(&mut ws, b).await,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => res = Err("connection closed by the server".into()),
                Some(Err(e)) => res = Err(format!("websocket: {e}")),
            },
            changed = phase_rx.changed() => {
                let phase = if changed.is_ok() { *phase_rx.borrow_and_update() } else { Phase::Stop };
                if phase == Phase::Stop {
                    let _ = ws.close(None).await;
                    return;
                }
                res = c.on_phase(&mut ws, phase).await;
            }
            () = pace::fired(&mut c.pace), if c.awaits_timer() => res = c.on_due(&mut ws).await,
            Some(frame) = recv(&mut cmd) => {
                res = ws.send(Message::text(frame)).await.map_err(|e| format!("send: {e}"));
            }
        }
    }
    if let Err(e) = res {
        if c.phase != Phase::Stop && *sh.phase.borrow() != Phase::Stop {
            sh.errors.add(&sh.errors.closed, || e);
        }
    }
}
