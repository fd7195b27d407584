//! Counters shared by the client tasks, latency histograms and what /proc says about a process.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// Latencies in microseconds, 1 µs .. 10 min, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// p50/p90/p99/max in milliseconds (3 decimals), and the count.
pub fn summary(h: &Histogram<u64>) -> Value {
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        return json!({"count": 0});
    }
    json!({
        "count": h.len(),
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p90_ms": ms(h.value_at_quantile(0.90)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
        "mean_ms": (h.mean()).round() / 1000.0,
    })
}

/// How evenly round trips were shared among clients: min, p1, p50, p99 and max of the
/// per-client counts (a fair server gives every client about the same number).
pub fn spread(counts: &[AtomicU64]) -> Value {
    let mut v: Vec<u64> = counts.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    if v.is_empty() {
        return json!({});
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    json!({"min": v[0], "p1": at(0.01), "p50": at(0.5), "p99": at(0.99), "max": v[v.len() - 1]})
}

/// Errors by kind; the first few messages are kept as samples.
#[derive(Default)]
pub struct Errors {
    /// TCP connect, WebSocket upgrade or Socket.IO CONNECT failed or timed out.
    pub connect: AtomicU64,
    /// The server closed a connection (or sent DISCONNECT) before the end.
    pub closed: AtomicU64,
    /// A frame the contract does not allow.
    pub protocol: AtomicU64,
    /// An ack whose arguments differ from what was sent.
    pub mismatch: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Errors {
    /// Counts one error of `kind` and keeps its message if there are few so far.
    pub fn add(&self, kind: &AtomicU64, message: impl FnOnce() -> String) {
        kind.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.samples.lock().expect("not poisoned");
        if samples.len() < 5 {
            samples.push(message());
        }
    }

    /// Every error so far.
    pub fn total(&self) -> u64 {
        [&self.connect, &self.closed, &self.protocol, &self.mismatch].iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// `{"connect": n, ..., "samples": [..]}`
    pub fn to_json(&self) -> Value {
        json!({
            "connect": self.connect.load(Ordering::Relaxed),
            "closed": self.closed.load(Ordering::Relaxed),
            "protocol": self.protocol.load(Ordering::Relaxed),
            "mismatch": self.mismatch.load(Ordering::Relaxed),
            "samples": *self.samples.lock().expect("not poisoned"),
        })
    }
}

/// Resident set size of `pid` in KiB (`VmRSS` of /proc/PID/status).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The resident set sizes of every server process added up (several with `--port A,B`);
/// `None` without a pid or when one cannot be read.
pub fn total_rss_kib(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|&p| rss_kib(p)).sum()
}

/// User + system CPU time of `pid` (every thread) in seconds; `None` for this process
/// reads /proc/self. /proc reports clock ticks of USER_HZ = 100 on Linux.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) close with ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// The CPU seconds of every server process added up; `None` without a pid or when one
/// cannot be read.
fn servers_cpu_seconds(pids: &[u32]) -> Option<f64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|&p| cpu_seconds(Some(p))).sum()
}

/// CPU seconds of the server(s) and of the load generator between two points in time.
#[derive(Clone, Copy)]
pub struct CpuMark {
    server: Option<f64>,
    own: Option<f64>,
    at: std::time::Instant,
}

impl CpuMark {
    /// Reads both clocks now (the servers' is the sum over `server_pids`).
    pub fn now(server_pids: &[u32]) -> CpuMark {
        CpuMark { server: servers_cpu_seconds(server_pids), own: cpu_seconds(None), at: std::time::Instant::now() }
    }

    /// `{"wall_s", "server_cpu_s", "loadgen_cpu_s"}` since `self`, with per-op server CPU when `ops` > 0.
    pub fn since(&self, server_pids: &[u32], ops: u64) -> Value {
        let end = CpuMark::now(server_pids);
        let wall = end.at.duration_since(self.at).as_secs_f64();
        let server = match (self.server, end.server) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let own = match (self.own, end.own) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let per_op = server.filter(|_| ops > 0).map(|s| (s * 1e6 / ops as f64 * 100.0).round() / 100.0);
        json!({
            "wall_s": (wall * 1000.0).round() / 1000.0,
            "server_cpu_s": server,
            "server_cpu_us_per_op": per_op,
            "loadgen_cpu_s": own,
            "loadgen_busy": own.map(|o| (o / wall * 100.0).round() / 100.0),
        })
    }
}
