//! `server_stats`: the engine's connection and packet counts, aggregated per second as
//! the reference's `EventBuffer` does. The per-packet listeners exist only on servers
//! that are instrumented.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;

use crate::engine::server::{ConnEvent, TransportKind};
use crate::engine::Packet;
use crate::server::Server;
use crate::value::Value;

/// Distinct (second, type, sub-type) entries kept between two `server_stats`: beyond
/// it new keys are dropped (counts of known keys still add up).
const MAX_AGGREGATES: usize = 4096;

type Key = (u64, &'static str, Option<&'static str>);

/// Counts since the last `server_stats`.
#[derive(Default)]
pub(super) struct EventBuffer {
    counts: Mutex<IndexMap<Key, u64>>,
}

impl EventBuffer {
    fn push(&self, kind: &'static str, sub: Option<&'static str>, count: u64) {
        let second = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) * 1000;
        let mut counts = self.counts.lock().expect("stats lock poisoned");
        let key = (second, kind, sub);
        if let Some(c) = counts.get_mut(&key) {
            *c += count;
        } else if counts.len() < MAX_AGGREGATES {
            counts.insert(key, count);
        }
    }

    /// `aggregatedEvents`: every entry, then cleared.
    fn take(&self) -> Value {
        let counts = std::mem::take(&mut *self.counts.lock().expect("stats lock poisoned"));
        let entries = counts.into_iter().map(|((timestamp, kind, sub), count)| {
            let mut e = IndexMap::new();
            e.insert("timestamp".to_owned(), Value::from(timestamp));
            e.insert("type".to_owned(), Value::from(kind));
            if let Some(sub) = sub {
                e.insert("subType".to_owned(), Value::from(sub));
            }
            e.insert("count".to_owned(), Value::from(count));
            Value::Object(e)
        });
        Value::Array(entries.collect())
    }
}

/// The engine's side of the statistics.
pub(super) struct EngineStats {
    events: EventBuffer,
    polling: AtomicUsize,
}

/// The data of a packet as the reference counts it: packets without data (a bare ping,
/// `noop`, `upgrade`) are not counted.
fn data_len(p: &Packet<'_>) -> Option<usize> {
    match p {
        Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) | Packet::Message(d) => (!d.is_empty()).then_some(d.len()),
        Packet::Binary(b) => Some(b.len()),
        Packet::Close | Packet::Upgrade | Packet::Noop => None,
    }
}

impl EngineStats {
    /// Starts counting the connections of `server` opened from now on.
    pub(super) fn watch(server: &Server) -> Arc<EngineStats> {
        let stats = Arc::new(EngineStats { events: EventBuffer::default(), polling: AtomicUsize::new(0) });
        let weak = Arc::downgrade(&stats);
        server.on_engine_connection(move |conn| {
            let Some(stats) = weak.upgrade() else { return };
            stats.events.push("rawConnection", None, 1);
            let polling = conn.transport() == TransportKind::Polling;
            if polling {
                stats.polling.fetch_add(1, Ordering::Relaxed);
            }
            // Counted out of the polling clients once: at the upgrade or at the close.
            let counted = Arc::new(AtomicBool::new(polling));
            let weak = Arc::downgrade(&stats);
            conn.on_event(move |ev| {
                let Some(stats) = weak.upgrade() else { return };
                let leave_polling = || {
                    if counted.swap(false, Ordering::AcqRel) {
                        stats.polling.fetch_sub(1, Ordering::Relaxed);
                    }
                };
                match ev {
                    ConnEvent::Packet(p) => {
                        if let Some(n) = data_len(p) {
                            stats.events.push("packetsIn", None, 1);
                            stats.events.push("bytesIn", None, n as u64);
                        }
                    }
                    ConnEvent::PacketCreate(f) => {
                        if let Some(n) = f.packet().ok().as_ref().and_then(data_len) {
                            stats.events.push("packetsOut", None, 1);
                            stats.events.push("bytesOut", None, n as u64);
                        }
                    }
                    ConnEvent::Upgrade(_) => leave_polling(),
                    ConnEvent::Close(reason) => {
                        leave_polling();
                        stats.events.push("rawDisconnection", Some(reason.as_str()), 1);
                    }
                    ConnEvent::Drain => {}
                }
            });
        });
        stats
    }

    /// Forgets the counts (nobody is watching: they are not kept for later).
    pub(super) fn clear(&self) {
        self.events.counts.lock().expect("stats lock poisoned").clear();
    }

    /// The `server_stats` payload.
    pub(super) fn snapshot(&self, server: &Server, base: &Base) -> Value {
        let namespaces = server
            .namespaces()
            .iter()
            .map(|ns| Value::from([("name", ns.name().into()), ("socketsCount", (ns.0.socket_count() as u64).into())]))
            .collect::<Vec<_>>();
        Value::from([
            ("serverId", base.server_id.clone().into()),
            ("hostname", base.hostname.clone().into()),
            ("pid", u64::from(std::process::id()).into()),
            ("uptime", base.started.elapsed().as_secs_f64().into()),
            ("clientsCount", (server.engine().session_count() as u64).into()),
            ("pollingClientsCount", (self.polling.load(Ordering::Relaxed) as u64).into()),
            ("aggregatedEvents", self.events.take()),
            ("namespaces", Value::Array(namespaces)),
        ])
    }
}

/// What every `server_stats` repeats.
pub(super) struct Base {
    pub(super) server_id: String,
    pub(super) hostname: String,
    /// Uptime counts from `instrument` (python-socketio's; Node reports the process's).
    pub(super) started: Instant,
}

/// The machine's host name (`os.hostname()`).
pub(super) fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
    // when the name fits, and the last byte stays 0 otherwise.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_per_second_and_clears() {
        let b = EventBuffer::default();
        b.push("packetsIn", None, 1);
        b.push("packetsIn", None, 1);
        b.push("rawDisconnection", Some("transport close"), 1);
        let v = b.take();
        let entries = v.as_array().expect("array");
        assert!(!entries.is_empty() && entries.len() <= 4, "{entries:?}");
        let total: u64 = entries
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("packetsIn"))
            .map(|e| e.get("count").and_then(Value::as_u64).unwrap_or(0))
            .sum();
        assert_eq!(total, 2);
        assert!(entries
            .iter()
            .all(|e| e.get("type").and_then(Value::as_str) != Some("packetsIn") || e.get("subType").is_none()));
        assert_eq!(b.take().as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn counts_packets_with_data_only() {
        assert_eq!(data_len(&Packet::Ping("")), None);
        assert_eq!(data_len(&Packet::Message("2[\"a\"]")), Some(6));
        assert_eq!(data_len(&Packet::Noop), None);
    }
}
