//! Load generator for the Socket.IO benchmarks (bench/README.md).
//!
//!     loadgen --port P --scenario idle|connect|echo|bcast|stream|paced [options]
//!     loadgen --port A,B --pid PA,PB --scenario bcast [options]   (the nodes of a cluster)
//!     loadgen --port P --scenario echo --rate R [options]   (paced echo: R round trips/s offered)
//!
//! Speaks the public protocol only (Engine.IO 4 over WebSocket, Socket.IO 5, namespace `/`),
//! so the same generator drives every server of the bench contract. Prints one JSON object
//! on stdout; exits 0 when the scenario completed (every client connected and the scenario
//! did its work), 2 otherwise (the JSON says what is missing).
mod client;
mod pace;
mod proto;
mod stats;
mod stream;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Bytes;

use client::{Counters, Phase, Shared};
use stats::{spread, summary, CpuMark};

const USAGE: &str = "usage: loadgen --port P[,P2..] --scenario idle|connect|echo|bcast|stream|paced [--host 127.0.0.1] [--path /socket.io/]
  [--clients N] [--steps 1000,10000 (idle)] [--concurrency 100] [--warmup 1] [--duration 5]
  [--binary BYTES (echo)] [--json BYTES (echo: a JSON payload of that size)] [--deflate] [--broadcasts 10] [--pad 100 (bcast)] [--window 4 (stream)] [--rate 20 (paced: broadcasts/s)] [--rate R (echo: round trips/s offered over all clients, each sending one every clients/R s; default: closed loop)] [--settle 2] [--timeout 60] [--pid SERVER_PID[,PID2..]]
  Several ports: the nodes of one cluster; client i connects to node i % nodes (client 0, the
  broadcast sender, to the first); --pid then lists every node's process (CPU and RSS added up).";

struct Args {
    /// One address per node (`--port A,B`).
    addrs: Vec<SocketAddr>,
    path: String,
    scenario: String,
    clients: u64,
    steps: Vec<u64>,
    concurrency: usize,
    warmup: f64,
    duration: f64,
    binary: Option<usize>,
    json: Option<usize>,
    deflate: bool,
    broadcasts: u64,
    /// Broadcasts in flight (`stream`).
    window: u64,
    /// Broadcasts per second (`paced`, default 20), or echo round trips per second offered
    /// over all clients (`echo`; absent: the closed loop).
    rate: Option<f64>,
    pad: usize,
    settle: f64,
    timeout: f64,
    /// The server processes whose CPU time and RSS are read (one per node).
    pids: Vec<u32>,
}

fn parse_args() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "-h" || a == "--help") {
        return Err(USAGE.into());
    }
    let get = |name: &str| -> Option<&str> {
        argv.iter().position(|a| a == name).and_then(|i| argv.get(i + 1)).map(String::as_str)
    };
    fn num<T: std::str::FromStr>(v: Option<&str>, name: &str, default: T) -> Result<T, String> {
        match v {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| format!("{name}: not a number: {s}")),
        }
    }
    /// A comma-separated list of numbers (empty when the option is absent).
    fn list<T: std::str::FromStr>(v: Option<&str>, name: &str) -> Result<Vec<T>, String> {
        v.map_or(Ok(vec![]), |s| s.split(',').map(|n| n.trim().parse().map_err(|_| format!("{name}: {s}"))).collect())
    }
    let host = get("--host").unwrap_or("127.0.0.1");
    let ports: Vec<u16> = list(get("--port"), "--port")?;
    if ports.is_empty() || ports.contains(&0) {
        return Err(format!("--port is required\n{USAGE}"));
    }
    let addrs = ports
        .iter()
        .map(|&port| {
            (host, port).to_socket_addrs().map_err(|e| format!("{host}: {e}"))?.next().ok_or("no address".into())
        })
        .collect::<Result<Vec<SocketAddr>, String>>()?;
    let scenario = get("--scenario").ok_or(format!("--scenario is required\n{USAGE}"))?.to_owned();
    if !["idle", "connect", "echo", "bcast", "stream", "paced"].contains(&scenario.as_str()) {
        return Err(format!("unknown scenario {scenario}\n{USAGE}"));
    }
    let mut steps = list(get("--steps"), "--steps")?;
    if steps.is_empty() {
        steps = vec![1000, 10000];
    }
    Ok(Args {
        addrs,
        path: get("--path").unwrap_or("/socket.io/").to_owned(),
        scenario,
        clients: num(get("--clients"), "--clients", 1000)?,
        steps,
        concurrency: num(get("--concurrency"), "--concurrency", 100)?,
        warmup: num(get("--warmup"), "--warmup", 1.0)?,
        duration: num(get("--duration"), "--duration", 5.0)?,
        binary: get("--binary").map(|s| s.parse().map_err(|_| format!("--binary: {s}"))).transpose()?,
        json: get("--json").map(|s| s.parse().map_err(|_| format!("--json: {s}"))).transpose()?,
        deflate: argv.iter().any(|a| a == "--deflate"),
        broadcasts: num(get("--broadcasts"), "--broadcasts", 10)?,
        window: num(get("--window"), "--window", 4)?,
        rate: match get("--rate") {
            None => None,
            Some(s) => {
                Some(s.parse::<f64>().ok().filter(|r| *r > 0.0).ok_or(format!("--rate: not a positive number: {s}"))?)
            }
        },
        pad: num(get("--pad"), "--pad", 100)?,
        settle: num(get("--settle"), "--settle", 2.0)?,
        timeout: num(get("--timeout"), "--timeout", 60.0)?,
        pids: list(get("--pid"), "--pid")?,
    })
}

/// The coordinator: grows the client population and moves it through phases.
struct Bench {
    args: Args,
    sh: Arc<Shared>,
    permits: Arc<Semaphore>,
    spawned: u64,
    /// Frames for client 0, the broadcast sender.
    sender: Option<mpsc::UnboundedSender<String>>,
}

async fn sleep_s(s: f64) {
    tokio::time::sleep(Duration::from_secs_f64(s)).await;
}

impl Bench {
    fn connected(&self) -> u64 {
        self.sh.connected.load(Ordering::Relaxed)
    }

    /// Starts clients until `target` exist and waits until each has connected or failed
    /// (or the timeout). Returns the seconds from the start to the last handshake.
    async fn grow(&mut self, target: u64) -> f64 {
        let start_us = self.sh.now_us();
        while self.spawned < target {
            let cmd = if self.spawned == 0 {
                let (tx, rx) = mpsc::unbounded_channel();
                self.sender = Some(tx);
                Some(rx)
            } else {
                None
            };
            tokio::spawn(client::run(self.sh.clone(), self.spawned as usize, self.permits.clone(), cmd));
            self.spawned += 1;
        }
        let deadline = Instant::now() + Duration::from_secs_f64(self.args.timeout);
        while self.connected() + self.sh.failed.load(Ordering::Relaxed) < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.sh.last_connect_us.load(Ordering::Relaxed).saturating_sub(start_us) as f64 / 1e6
    }

    fn set_phase(&self, phase: Phase) {
        self.sh.phase.send_replace(phase);
    }

    fn rss(&self) -> Option<u64> {
        stats::total_rss_kib(&self.args.pids)
    }

    async fn idle(&mut self) -> (bool, Value) {
        sleep_s(self.args.settle.min(1.0)).await;
        let base = self.rss();
        let mut steps = vec![];
        let mut ok = true;
        for &n in &self.args.steps.clone() {
            let secs = self.grow(n).await;
            let connected = self.connected();
            ok &= connected == n;
            sleep_s(self.args.settle).await;
            let rss = self.rss();
            let per_conn = match (base, rss) {
                (Some(b), Some(r)) if connected > 0 => {
                    Some(((r as f64 - b as f64) * 1024.0 / connected as f64).round())
                }
                _ => None,
            };
            steps.push(json!({"clients": n, "connected": connected, "connect_s": secs, "rss_kib": rss, "per_conn_bytes": per_conn}));
            if connected < n {
                break;
            }
        }
        (ok, json!({"base_rss_kib": base, "steps": steps}))
    }

    async fn connect(&mut self) -> (bool, Value) {
        let n = self.args.clients;
        let mark = CpuMark::now(&self.args.pids);
        let secs = self.grow(n).await;
        let connected = self.connected();
        let cpu = mark.since(&self.args.pids, connected);
        let rate = if secs > 0.0 { (connected as f64 / secs).round() } else { 0.0 };
        let hs = summary(&self.sh.handshake.lock().expect("not poisoned"));
        let rss = self.rss();
        (
            connected == n,
            json!({"connected": connected, "seconds": secs, "handshakes_per_s": rate, "handshake": hs, "cpu": cpu, "rss_kib": rss}),
        )
    }

    async fn echo(&mut self) -> (bool, Value) {
        let n = self.args.clients;
        self.grow(n).await;
        let connected = self.connected();
        if connected < n {
            return (false, json!({"connected": connected}));
        }
        sleep_s(0.5).await;
        self.set_phase(Phase::Echo);
        sleep_s(self.args.warmup).await;
        self.sh.round_trips.store(0, Ordering::Relaxed);
        self.sh.per_client.iter().for_each(|n| n.store(0, Ordering::Relaxed));
        self.sh.rtt.lock().expect("not poisoned").reset();
        self.sh.late.store(0, Ordering::Relaxed);
        self.sh.timer_lag.lock().expect("not poisoned").reset();
        let mark = CpuMark::now(&self.args.pids);
        self.sh.recording.store(true, Ordering::Relaxed);
        sleep_s(self.args.duration).await;
        self.sh.recording.store(false, Ordering::Relaxed);
        let ops = self.sh.round_trips.load(Ordering::Relaxed);
        let cpu = mark.since(&self.args.pids, ops);
        let wall = cpu["wall_s"].as_f64().unwrap_or(self.args.duration);
        let rss = self.rss();
        self.set_phase(Phase::Stop);
        let rtt = summary(&self.sh.rtt.lock().expect("not poisoned"));
        let per_client = spread(&self.sh.per_client);
        let mut result = json!({"connected": connected, "round_trips": ops, "round_trips_per_s": (ops as f64 / wall).round(), "rtt": rtt, "per_client": per_client, "cpu": cpu, "rss_kib": rss});
        if let Some(rate) = self.args.rate {
            // Paced: what was offered, the sends that waited for the previous ack (their
            // wait is in `rtt`) and how late the timers woke the clients (not in `rtt`).
            result["offered_per_s"] = json!(rate);
            result["late_sends"] = json!(self.sh.late.load(Ordering::Relaxed));
            result["timer_lag"] = summary(&self.sh.timer_lag.lock().expect("not poisoned"));
        }
        (ops > 0, result)
    }

    /// Connects every client and joins them to the bench room; `Err` holds the failure's
    /// result when some did not make it.
    async fn join_all(&mut self) -> Result<mpsc::UnboundedSender<String>, Value> {
        let n = self.args.clients;
        self.grow(n).await;
        let connected = self.connected();
        let Some(sender) = self.sender.clone().filter(|_| connected == n) else {
            return Err(json!({"connected": connected}));
        };
        self.set_phase(Phase::Join);
        let deadline = Instant::now() + Duration::from_secs_f64(self.args.timeout);
        while self.sh.joined.load(Ordering::Relaxed) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let joined = self.sh.joined.load(Ordering::Relaxed);
        if joined < n {
            return Err(json!({"connected": connected, "joined": joined}));
        }
        sleep_s(0.5).await;
        Ok(sender)
    }

    async fn bcast(&mut self) -> (bool, Value) {
        let n = self.args.clients;
        let connected = n;
        let sender = match self.join_all().await {
            Ok(sender) => sender,
            Err(failed) => return (false, failed),
        };
        let (mut delivered_total, mut fanout_s, mut complete, mut missing) = (0u64, 0f64, 0u64, 0u64);
        let mut fanouts = vec![];
        let mark = CpuMark::now(&self.args.pids);
        for _ in 0..self.args.broadcasts {
            self.sh.delivered.store(0, Ordering::Relaxed);
            self.sh.last_delivery_us.store(0, Ordering::Relaxed);
            let sent = self.sh.now_us();
            if sender.send(proto::bcast(sent, self.args.pad)).is_err() {
                break; // client 0 is gone (counted as an error)
            }
            let deadline = Instant::now() + Duration::from_secs_f64(self.args.timeout);
            while self.sh.delivered.load(Ordering::Relaxed) < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let delivered = self.sh.delivered.load(Ordering::Relaxed);
            let took = self.sh.last_delivery_us.load(Ordering::Relaxed).saturating_sub(sent) as f64 / 1e6;
            delivered_total += delivered;
            missing += n - delivered.min(n);
            if delivered >= n {
                complete += 1;
                fanout_s += took;
                fanouts.push(took * 1000.0);
            }
            sleep_s(0.1).await;
        }
        let cpu = mark.since(&self.args.pids, delivered_total);
        let rss = self.rss();
        self.set_phase(Phase::Stop);
        fanouts.sort_by(f64::total_cmp);
        let median_fanout = fanouts.get(fanouts.len() / 2).copied();
        let rate = if fanout_s > 0.0 { (complete as f64 * n as f64 / fanout_s).round() } else { 0.0 };
        let lat = summary(&self.delivery_histogram());
        (
            complete == self.args.broadcasts,
            json!({
                "connected": connected, "broadcasts": self.args.broadcasts, "complete": complete,
                "deliveries": delivered_total, "missing": missing,
                "deliveries_per_s": rate, "fanout_ms_median": median_fanout, "fanout_s": (fanout_s * 1e6).round() / 1e6,
                "delivery": lat, "cpu": cpu, "rss_kib": rss, "nodes": self.per_node(),
            }),
        )
    }

    /// Every node's deliveries in one histogram.
    fn delivery_histogram(&self) -> hdrhistogram::Histogram<u64> {
        let mut all = stats::histogram();
        for h in &self.sh.delivery {
            all.add(&*h.lock().expect("not poisoned")).expect("histograms of the same bounds");
        }
        all
    }

    /// Per node (several with `--port A,B`): its port, clients, the deliveries they got
    /// over every broadcast, the ones they missed and their delivery latency.
    fn per_node(&self) -> Value {
        let sh = &self.sh;
        let nodes = (0..sh.addrs.len()).map(|i| {
            let clients = sh.connected_per_node[i].load(Ordering::Relaxed);
            let delivered = sh.delivered_per_node[i].load(Ordering::Relaxed);
            json!({
                "port": sh.addrs[i].port(),
                "clients": clients,
                "deliveries": delivered,
                "missing": (clients * self.args.broadcasts).saturating_sub(delivered),
                "delivery": summary(&sh.delivery[i].lock().expect("not poisoned")),
            })
        });
        Value::Array(nodes.collect())
    }
}

async fn run(args: Args) -> (bool, Value) {
    let binary = args.binary.map(|n| Bytes::from((0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>()));
    let payload = args.json.map_or_else(|| proto::ECHO_PAYLOAD.to_owned(), proto::json_payload);
    let timeout = Duration::from_secs_f64(args.timeout);
    let streamed = if ["stream", "paced"].contains(&args.scenario.as_str()) { stream::MAX_BROADCASTS } else { 0 };
    let counters = Counters { clients: args.clients as usize, streamed };
    let mut shared = Shared::new(args.addrs.clone(), &args.path, binary, payload, args.deflate, timeout, counters);
    if args.scenario == "echo" {
        // Each client's share of the offered rate: one echo per clients / rate seconds.
        shared.pace = args.rate.map(|rate| Duration::from_secs_f64(args.clients as f64 / rate));
    }
    let sh = Arc::new(shared);
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut bench = Bench { args, sh, permits, spawned: 0, sender: None };
    let started = Instant::now();
    let (ok, detail) = match bench.args.scenario.as_str() {
        "idle" => bench.idle().await,
        "connect" => bench.connect().await,
        "echo" => bench.echo().await,
        "stream" => bench.stream().await,
        "paced" => bench.paced().await,
        _ => bench.bcast().await,
    };
    bench.set_phase(Phase::Stop);
    // Let the clients send their close frames.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let a = &bench.args;
    let result = json!({
        "scenario": a.scenario,
        "ok": ok,
        "clients": if a.scenario == "idle" { a.steps.last().copied().unwrap_or(0) } else { a.clients },
        "binary": a.binary,
        "json": a.json,
        "deflate": a.deflate,
        "errors": bench.sh.errors.to_json(),
        "error_count": bench.sh.errors.total(),
        "elapsed_s": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "result": detail,
    });
    (ok, result)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(64);
        }
    };
    // One thread: the generator is pinned to one core and 10k clients are cheap tasks.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let (ok, result) = rt.block_on(run(args));
    println!("{result}");
    // Exit without waiting for the remaining client tasks.
    std::process::exit(if ok { 0 } else { 2 });
}
