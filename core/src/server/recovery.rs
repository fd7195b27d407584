//! Connection state recovery: sessions of abruptly disconnected sockets and the event
//! packets they may have missed, kept for `max_disconnection_duration`.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::cluster::{missed_by, PersistedSession, Restored, SessionStore, StoredEvent};
use super::rooms::Room;
use crate::engine::Frame;

struct KeptSession {
    session: PersistedSession,
    disconnected_at: Instant,
}

struct StoredPacket {
    offset: String,
    rooms: Vec<Room>,
    except: Vec<Room>,
    frames: Vec<Frame>,
    at: Instant,
}

pub(crate) struct RecoveryStore {
    window: Duration,
    prefix: String,
    counter: AtomicU64,
    sessions: Mutex<HashMap<String, KeptSession>>,
    packets: Mutex<VecDeque<StoredPacket>>,
}

impl RecoveryStore {
    pub(crate) fn new(window: Duration) -> Self {
        RecoveryStore {
            window,
            // A per-process prefix keeps offsets of a restarted server from matching old ones.
            prefix: crate::sid::generate()[..6].to_owned(),
            counter: AtomicU64::new(0),
            sessions: Mutex::default(),
            packets: Mutex::default(),
        }
    }

    /// A fresh offset for the next stored packet.
    pub(crate) fn next_offset(&self) -> String {
        format!("{}-{:x}", self.prefix, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn store(&self, offset: String, rooms: &[Room], except: &[Room], frames: &[Frame]) {
        let now = Instant::now();
        let mut packets = self.packets.lock().expect("recovery lock poisoned");
        while packets.front().is_some_and(|p| now.duration_since(p.at) > self.window) {
            packets.pop_front();
        }
        packets.push_back(StoredPacket {
            offset,
            rooms: rooms.to_vec(),
            except: except.to_vec(),
            frames: frames.to_vec(),
            at: now,
        });
    }

    pub(crate) fn persist(&self, session: PersistedSession) {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().expect("recovery lock poisoned");
        sessions.retain(|_, s| now.duration_since(s.disconnected_at) <= self.window);
        sessions.insert(session.pid.clone(), KeptSession { session, disconnected_at: now });
    }

    /// The session of `pid` and the frames of every packet it missed after `offset`,
    /// or `None` when the session expired or the offset is unknown.
    pub(crate) fn restore_now(&self, pid: &str, offset: &str) -> Restored {
        let kept = self.sessions.lock().expect("recovery lock poisoned").remove(pid)?;
        if kept.disconnected_at.elapsed() > self.window {
            return None;
        }
        let session = kept.session;
        let packets = self.packets.lock().expect("recovery lock poisoned");
        let index = packets.iter().position(|p| p.offset == offset)?;
        let frames = packets
            .iter()
            .skip(index + 1)
            .filter(|p| missed_by(&session.rooms, &p.rooms, &p.except))
            .flat_map(|p| p.frames.iter().cloned())
            .collect();
        Some((session, frames))
    }
}

impl SessionStore for RecoveryStore {
    fn next_offset(&self) -> String {
        RecoveryStore::next_offset(self)
    }

    fn store(&self, event: StoredEvent<'_>) {
        RecoveryStore::store(self, event.offset.to_owned(), event.rooms, event.except, event.frames);
    }

    fn persist(&self, session: PersistedSession) {
        RecoveryStore::persist(self, session);
    }

    fn restore(&self, pid: &str, offset: &str) -> BoxFuture<'static, Restored> {
        let restored = self.restore_now(pid, offset);
        Box::pin(async move { restored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_missed_packets_for_the_sessions_rooms() {
        let store = RecoveryStore::new(Duration::from_secs(60));
        let o1 = store.next_offset();
        store.store(o1.clone(), &[], &[], &[Frame::message("a")]);
        let o2 = store.next_offset();
        store.store(o2, &["r".into()], &[], &[Frame::message("b")]);
        let o3 = store.next_offset();
        store.store(o3, &["other".into()], &[], &[Frame::message("c")]);
        let o4 = store.next_offset();
        store.store(o4, &[], &["r".into()], &[Frame::message("d")]);
        let session = || PersistedSession {
            sid: "sid".into(),
            pid: "pid".into(),
            rooms: vec!["sid".into(), "r".into()],
            data: crate::Value::Null,
        };
        store.persist(session());
        assert!(store.restore_now("pid", "unknown").is_none(), "an unknown offset does not recover");
        store.persist(session());
        let (session, frames) = store.restore_now("pid", &o1).expect("recovers");
        assert_eq!(session.sid, "sid");
        assert_eq!(frames, vec![Frame::message("b")]);
        assert!(store.restore_now("pid", &o1).is_none(), "a session is restored once");
    }
}
