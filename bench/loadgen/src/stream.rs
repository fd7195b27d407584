//! Sustained broadcast streams to every client: `stream` keeps `--window` broadcasts in
//! flight (the next one sent when the oldest has reached every client), `paced` sends
//! `--rate` broadcasts per second. Both run for `--duration` seconds, number their
//! broadcasts, and count every delivery a client receives after a later one (a broken order).
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::stats::{summary, CpuMark};
use crate::{proto, Bench};

/// Numbered broadcasts a run may send (the per-broadcast delivery counters are allocated up front).
pub const MAX_BROADCASTS: usize = 100_000;

impl Bench {
    /// Closed loop: `--window` broadcasts in flight for `--duration` seconds.
    pub(crate) async fn stream(&mut self) -> (bool, Value) {
        let sender = match self.join_all().await {
            Ok(sender) => sender,
            Err(failed) => return (false, failed),
        };
        let window = self.args.window.max(1);
        let stall = Duration::from_secs_f64(self.args.timeout);
        self.sh.delivery.iter().for_each(|h| h.lock().expect("not poisoned").reset());
        let mark = CpuMark::now(&self.args.pids);
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(self.args.duration);
        let (mut sent, mut done, mut progress) = (0u64, 0u64, Instant::now());
        loop {
            while sent < done + window && Instant::now() < end && (sent as usize) < MAX_BROADCASTS {
                if !self.send(&sender, sent) {
                    break;
                }
                sent += 1;
            }
            if done == sent {
                break;
            }
            if self.everyone_has(done) {
                done += 1;
                progress = Instant::now();
            } else if progress.elapsed() > stall {
                break;
            } else {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let elapsed = progress.duration_since(start).as_secs_f64();
        let rate = if elapsed > 0.0 { (done * self.args.clients) as f64 / elapsed } else { 0.0 };
        let mut result = self.stream_result(mark, sent);
        result["window"] = json!(window);
        result["complete"] = json!(done);
        result["deliveries_per_s"] = json!(rate.round());
        (done == sent && sent > 0, result)
    }

    /// Open loop: `--rate` broadcasts per second for `--duration` seconds, then waits
    /// (up to `--timeout`) for the last to arrive everywhere.
    pub(crate) async fn paced(&mut self) -> (bool, Value) {
        let sender = match self.join_all().await {
            Ok(sender) => sender,
            Err(failed) => return (false, failed),
        };
        let rate = self.args.rate.unwrap_or(20.0).max(0.1);
        let total = ((self.args.duration * rate) as u64).clamp(1, MAX_BROADCASTS as u64);
        self.sh.delivery.iter().for_each(|h| h.lock().expect("not poisoned").reset());
        let mark = CpuMark::now(&self.args.pids);
        let start = tokio::time::Instant::now();
        let mut sent = 0;
        while sent < total {
            tokio::time::sleep_until(start + Duration::from_secs_f64(sent as f64 / rate)).await;
            if !self.send(&sender, sent) {
                break;
            }
            sent += 1;
        }
        let deadline = Instant::now() + Duration::from_secs_f64(self.args.timeout);
        while (0..sent).any(|k| !self.everyone_has(k)) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let complete = (0..sent).filter(|&k| self.everyone_has(k)).count() as u64;
        let mut result = self.stream_result(mark, sent);
        result["rate"] = json!(rate);
        result["complete"] = json!(complete);
        (complete == total, result)
    }

    /// Asks client 0 to send broadcast number `seq`; false when it is gone.
    fn send(&self, sender: &mpsc::UnboundedSender<String>, seq: u64) -> bool {
        sender.send(proto::bcast_seq(self.sh.now_us(), seq, self.args.pad)).is_ok()
    }

    /// Whether broadcast `seq` has reached every client.
    fn everyone_has(&self, seq: u64) -> bool {
        self.sh.seq_delivered.get(seq as usize).is_some_and(|n| n.load(Ordering::Relaxed) >= self.args.clients)
    }

    /// What both scenarios report: deliveries, missing ones, broken orders, latency, CPU.
    fn stream_result(&self, mark: CpuMark, sent: u64) -> Value {
        let n = self.args.clients;
        let delivered: u64 = self.sh.seq_delivered[..sent as usize].iter().map(|d| d.load(Ordering::Relaxed)).sum();
        let cpu = mark.since(&self.args.pids, delivered);
        json!({
            "connected": self.connected(), "broadcasts": sent, "deliveries": delivered,
            "missing": (sent * n).saturating_sub(delivered),
            "reordered": self.sh.reordered.load(Ordering::Relaxed),
            "delivery": summary(&self.delivery_histogram()),
            "cpu": cpu, "rss_kib": self.rss(),
        })
    }
}
