//! Connection state recovery across the cluster: a disconnected socket's session is a
//! Redis key, and every event kept for recovery is an entry of the namespace's Redis
//! stream, both expiring with the recovery window. Any sio node can then restore a
//! session another node persisted. (Node.js nodes of the cluster keep no such state:
//! events they broadcast are not replayed.)
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use sio_core::proto::Parser;
use sio_core::server::cluster::{missed_by, PersistedSession, Restored, SessionStore, StoredEvent};
use sio_core::Value;

use crate::adapter::Inner;
use crate::channels::{events_key, session_key};
use crate::codec::{decode_msgpack, encode_msgpack, strings};

/// One entry of a Redis stream as XRANGE returns it: id, then field/value pairs.
type StreamEntry = (String, Vec<(String, Vec<u8>)>);
use crate::connection::Out;

pub struct RedisSessionStore {
    inner: Arc<Inner>,
    ns: String,
    window: Duration,
    counter: AtomicU64,
    parser: Parser,
}

/// Upper bound of entries read back when restoring (the stream is also trimmed by age).
const MAX_REPLAY_SCAN: usize = 100_000;

impl RedisSessionStore {
    pub fn new(inner: Arc<Inner>, ns: &str, window: Duration, parser: Parser) -> Self {
        RedisSessionStore { inner, ns: ns.to_owned(), window, counter: AtomicU64::new(0), parser }
    }

    fn list(rooms: &[String]) -> Value {
        Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

impl SessionStore for RedisSessionStore {
    fn next_offset(&self) -> String {
        // Unique across the cluster: this node's uid, then its own counter.
        format!("{}-{:x}", self.inner.uid, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    fn store(&self, event: StoredEvent<'_>) {
        let entry =
            Value::Array(vec![Self::list(event.rooms), Self::list(event.except), Value::Array(event.data.to_vec())]);
        let min_id = now_ms().saturating_sub(self.window.as_millis() as u64);
        let mut cmd = redis::cmd("XADD");
        cmd.arg(events_key(&self.inner.key, &self.ns))
            .arg("MINID")
            .arg("~")
            .arg(min_id)
            .arg("*")
            .arg("offset")
            .arg(event.offset)
            .arg("event")
            .arg(encode_msgpack(&entry));
        self.inner.link.send(Out::Command(cmd));
    }

    fn persist(&self, session: PersistedSession) {
        let value = Value::Array(vec![
            Value::from(session.sid),
            Value::from(session.pid.as_str()),
            Self::list(&session.rooms),
            session.data,
        ]);
        let mut cmd = redis::cmd("SET");
        cmd.arg(session_key(&self.inner.key, &self.ns, &session.pid))
            .arg(encode_msgpack(&value))
            .arg("PX")
            .arg(self.window.as_millis().max(1) as u64);
        self.inner.link.send(Out::Command(cmd));
    }

    fn restore(&self, pid: &str, offset: &str) -> BoxFuture<'static, Restored> {
        let inner = self.inner.clone();
        let ns = self.ns.clone();
        let parser = self.parser;
        let (pid, offset) = (pid.to_owned(), offset.to_owned());
        Box::pin(async move {
            let mut conn = inner.link.commands.clone();
            let session: redis::RedisResult<Option<Vec<u8>>> =
                redis::cmd("GETDEL").arg(session_key(&inner.key, &ns, &pid)).query_async(&mut conn).await;
            inner.link.report(&session);
            let session = decode_msgpack(&session.ok()??)?;
            let Value::Array(parts) = session else {
                return None;
            };
            let [sid, pid, rooms, data]: [Value; 4] = parts.try_into().ok()?;
            let session = PersistedSession {
                sid: sid.as_str()?.to_owned(),
                pid: pid.as_str()?.to_owned(),
                rooms: strings(Some(&rooms)),
                data,
            };
            let entries: redis::RedisResult<Vec<StreamEntry>> = redis::cmd("XRANGE")
                .arg(events_key(&inner.key, &ns))
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(MAX_REPLAY_SCAN)
                .query_async(&mut conn)
                .await;
            inner.link.report(&entries);
            let entries = entries.ok()?;
            let field = |fields: &[(String, Vec<u8>)], name: &str| {
                fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            };
            let start = entries.iter().position(|(_, f)| field(f, "offset").as_deref() == Some(offset.as_bytes()))?;
            let mut frames = Vec::new();
            for (_, fields) in &entries[start + 1..] {
                let Some(Value::Array(parts)) = field(fields, "event").and_then(|b| decode_msgpack(&b)) else {
                    continue;
                };
                let [rooms, except, data]: [Value; 3] = match parts.try_into() {
                    Ok(p) => p,
                    Err(_) => continue,
                };
                if !missed_by(&session.rooms, &strings(Some(&rooms)), &strings(Some(&except))) {
                    continue;
                }
                let Value::Array(data) = data else { continue };
                let Some((Value::String(event), args)) = data.split_first() else {
                    continue;
                };
                frames.extend(parser.encode_event(&ns, None, event, args));
            }
            Some((session, frames))
        })
    }
}
