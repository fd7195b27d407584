//! Room membership behind the [`Adapter`] trait, and the in-memory adapter.
//!
//! Every socket is a member of the room named by its own id, so the adapter also knows
//! every socket of its namespace.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};

use super::cluster::ClusterAdapter;

/// A room name.
pub type Room = String;

/// A change of room membership, as socket.io's adapter reports it (`join-room`,
/// `leave-room`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomChange {
    /// The socket joined the room.
    Joined,
    /// The socket left the room.
    Left,
}

/// Hears each membership change: (change, room, socket id). Called after the adapter's
/// lock is released, so it may read the adapter.
pub type RoomListener = Arc<dyn Fn(RoomChange, &str, &str) + Send + Sync>;

/// Where this node's room membership lives. The in-memory [`MemoryAdapter`] is the
/// default; what crosses to other nodes goes through [`super::cluster::ClusterAdapter`].
pub trait Adapter: Send + Sync + 'static {
    /// Adds socket `sid` to `rooms`.
    fn add_all(&self, sid: &str, rooms: &[Room]);
    /// Removes socket `sid` from `room`.
    fn del(&self, sid: &str, room: &str);
    /// Removes socket `sid` from every room.
    fn del_all(&self, sid: &str);
    /// The rooms socket `sid` is in.
    fn rooms_of(&self, sid: &str) -> HashSet<Room>;
    /// Local sockets in any of `rooms` (every socket when `rooms` is empty) and in none of `except`.
    fn select(&self, rooms: &[Room], except: &[Room]) -> Vec<String>;
    /// Calls `f` with each socket [`select`](Adapter::select) returns. Adapters that can
    /// lend their ids override it: a broadcast then copies none.
    fn for_each_selected(&self, rooms: &[Room], except: &[Room], f: &mut dyn FnMut(&str)) {
        for sid in self.select(rooms, except) {
            f(&sid);
        }
    }
    /// Every room that has at least one member.
    fn all_rooms(&self) -> Vec<Room>;
    /// Reports every membership change from now on to `f` (one listener per adapter:
    /// the admin instrumentation's). Returns false if the adapter cannot, or already has one.
    fn set_room_listener(&self, _f: RoomListener) -> bool {
        false
    }
}

/// foldhash instead of SipHash: a broadcast hashes every member's id (its lookup in the
/// namespace's sockets) and SipHash was the larger part of that; foldhash is seeded per
/// process, so room names chosen by clients cannot be aimed at one bucket either.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

#[derive(Default)]
struct Maps {
    rooms: FastMap<Room, FastSet<String>>,
    sids: FastMap<String, FastSet<Room>>,
}

/// Room membership kept in this process.
#[derive(Default)]
pub struct MemoryAdapter {
    maps: RwLock<Maps>,
    /// Unset unless someone observes: a join then costs one atomic load more.
    listener: OnceLock<RoomListener>,
    /// Told when a room gets its first member or loses its last (a cluster adapter that
    /// subscribes per room), with the namespace's name.
    watch: Option<(String, Arc<dyn ClusterAdapter>)>,
}

/// A room that appeared or vanished: its name, and whether it is a socket's own room.
type RoomLife = (Room, bool);

impl MemoryAdapter {
    /// Membership of namespace `ns` whose rooms' lives `cluster` hears of.
    pub(crate) fn watched(ns: &str, cluster: Arc<dyn ClusterAdapter>) -> Self {
        MemoryAdapter { watch: Some((ns.to_owned(), cluster)), ..MemoryAdapter::default() }
    }

    fn notify(&self, change: RoomChange, sid: &str, rooms: Vec<Room>) {
        if let Some(f) = self.listener.get() {
            for room in rooms {
                f(change, &room, sid);
            }
        }
    }

    /// Tells the watcher, outside the lock (it only queues work, but must not re-enter).
    fn tell(&self, created: Vec<RoomLife>, deleted: Vec<RoomLife>) {
        let Some((ns, cluster)) = &self.watch else { return };
        for (room, private) in created {
            cluster.room_created(ns, &room, private);
        }
        for (room, private) in deleted {
            cluster.room_deleted(ns, &room, private);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().expect("adapter lock poisoned")
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().expect("adapter lock poisoned")
    }
}

impl Adapter for MemoryAdapter {
    fn add_all(&self, sid: &str, rooms: &[Room]) {
        let (listened, watched) = (self.listener.get().is_some(), self.watch.is_some());
        let (mut joined, mut created) = (Vec::new(), Vec::new());
        {
            let mut m = self.write();
            for room in rooms {
                m.sids.entry(sid.to_owned()).or_default().insert(room.clone());
                let members = m.rooms.entry(room.clone()).or_default();
                if !members.insert(sid.to_owned()) {
                    continue;
                }
                let first = members.len() == 1;
                if listened {
                    joined.push(room.clone());
                }
                if first && watched {
                    created.push((room.clone(), m.sids.contains_key(room)));
                }
            }
        }
        self.notify(RoomChange::Joined, sid, joined);
        self.tell(created, Vec::new());
    }

    fn del(&self, sid: &str, room: &str) {
        let mut left = false;
        let mut deleted = Vec::new();
        {
            let mut m = self.write();
            if let Some(r) = m.sids.get_mut(sid) {
                r.remove(room);
            }
            if let Some(members) = m.rooms.get_mut(room) {
                left = members.remove(sid);
                if members.is_empty() {
                    m.rooms.remove(room);
                    if self.watch.is_some() {
                        deleted.push((room.to_owned(), m.sids.contains_key(room)));
                    }
                }
            }
        }
        if left {
            self.notify(RoomChange::Left, sid, vec![room.to_owned()]);
        }
        self.tell(Vec::new(), deleted);
    }

    fn del_all(&self, sid: &str) {
        let (listened, watched) = (self.listener.get().is_some(), self.watch.is_some());
        let (mut left, mut deleted) = (Vec::new(), Vec::new());
        {
            let mut m = self.write();
            let Some(rooms) = m.sids.remove(sid) else {
                return;
            };
            for room in rooms {
                if let Some(members) = m.rooms.get_mut(&room) {
                    let was_in = members.remove(sid);
                    let emptied = members.is_empty();
                    if emptied {
                        m.rooms.remove(&room);
                    }
                    if was_in && listened {
                        left.push(room.clone());
                    }
                    if emptied && watched {
                        // Its own room outlives a socket's entry: it was private.
                        let private = room == sid || m.sids.contains_key(&room);
                        deleted.push((room, private));
                    }
                }
            }
        }
        self.notify(RoomChange::Left, sid, left);
        self.tell(Vec::new(), deleted);
    }

    fn rooms_of(&self, sid: &str) -> HashSet<Room> {
        self.read().sids.get(sid).map(|r| r.iter().cloned().collect()).unwrap_or_default()
    }

    fn select(&self, rooms: &[Room], except: &[Room]) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_selected(rooms, except, &mut |s| out.push(s.to_owned()));
        out
    }

    fn for_each_selected(&self, rooms: &[Room], except: &[Room], f: &mut dyn FnMut(&str)) {
        let m = self.read();
        let excluded: FastSet<&String> = except.iter().filter_map(|r| m.rooms.get(r)).flatten().collect();
        let mut visit = |s: &String| {
            if !excluded.contains(s) {
                f(s);
            }
        };
        match rooms {
            [] => m.sids.keys().for_each(&mut visit),
            [room] => m.rooms.get(room).into_iter().flatten().for_each(&mut visit),
            _ => {
                let mut seen = FastSet::default();
                rooms.iter().filter_map(|r| m.rooms.get(r)).flatten().filter(|s| seen.insert(*s)).for_each(&mut visit);
            }
        }
    }

    fn all_rooms(&self) -> Vec<Room> {
        self.read().rooms.keys().cloned().collect()
    }

    fn set_room_listener(&self, f: RoomListener) -> bool {
        self.listener.set(f).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::{BroadcastOptions, ClusterError, LocalNode, RemoteAck, ServerSideAcks, SocketInfo};
    use futures_util::future::BoxFuture;

    #[test]
    fn selects_union_minus_except() {
        let a = MemoryAdapter::default();
        a.add_all("s1", &["s1".into(), "r1".into()]);
        a.add_all("s2", &["s2".into(), "r1".into(), "r2".into()]);
        a.add_all("s3", &["s3".into(), "r2".into()]);
        let mut got = a.select(&["r1".into(), "r2".into()], &["s2".into()]);
        got.sort();
        assert_eq!(got, vec!["s1", "s3"]);
        let mut all = a.select(&[], &["r2".into()]);
        all.sort();
        assert_eq!(all, vec!["s1"]);
        a.del_all("s2");
        assert!(a.rooms_of("s2").is_empty());
        assert_eq!(a.select(&["r1".into()], &[]), vec!["s1"]);
        a.del("s1", "r1");
        assert!(!a.all_rooms().contains(&"r1".to_owned()));
    }

    /// What a watching cluster adapter hears: `(created?, room, private?)`.
    #[derive(Default)]
    struct Watcher(std::sync::Mutex<Vec<(bool, Room, bool)>>);

    impl ClusterAdapter for Watcher {
        fn attach(&self, _: LocalNode) {}
        fn add_namespace(&self, _: &str) {}
        fn broadcast(&self, _: &str, _: &[crate::Value], _: &BroadcastOptions) {}
        fn broadcast_with_ack(
            &self,
            _: &str,
            _: &[crate::Value],
            _: &BroadcastOptions,
            _: tokio::sync::mpsc::UnboundedSender<RemoteAck>,
        ) {
        }
        fn sockets_join(&self, _: &str, _: &BroadcastOptions, _: &[Room]) {}
        fn sockets_leave(&self, _: &str, _: &BroadcastOptions, _: &[Room]) {}
        fn disconnect_sockets(&self, _: &str, _: &BroadcastOptions, _: bool) {}
        fn fetch_sockets(
            &self,
            _: &str,
            _: &BroadcastOptions,
        ) -> BoxFuture<'static, Result<Vec<SocketInfo>, ClusterError>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn server_side_emit(&self, _: &str, _: &[crate::Value]) -> usize {
            0
        }
        fn server_side_emit_with_ack(&self, _: &str, _: &[crate::Value]) -> BoxFuture<'static, ServerSideAcks> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn server_count(&self) -> BoxFuture<'static, usize> {
            Box::pin(async { 1 })
        }
        fn room_created(&self, ns: &str, room: &Room, private: bool) {
            assert_eq!(ns, "/chat");
            self.0.lock().unwrap().push((true, room.clone(), private));
        }
        fn room_deleted(&self, ns: &str, room: &Room, private: bool) {
            assert_eq!(ns, "/chat");
            self.0.lock().unwrap().push((false, room.clone(), private));
        }
    }

    #[test]
    fn a_watching_cluster_hears_rooms_appear_and_vanish() {
        let watcher = Arc::new(Watcher::default());
        let a = MemoryAdapter::watched("/chat", watcher.clone());
        a.add_all("s1", &["s1".into(), "r".into()]);
        a.add_all("s2", &["s2".into(), "r".into()]); // r exists already
        a.del("s1", "r"); // s2 is still in r
        a.del("s2", "r");
        a.del_all("s1");
        let heard = std::mem::take(&mut *watcher.0.lock().unwrap());
        let ev = |created, room: &str, private| (created, room.to_owned(), private);
        assert_eq!(
            heard,
            vec![
                ev(true, "s1", true),
                ev(true, "r", false),
                ev(true, "s2", true),
                ev(false, "r", false),
                ev(false, "s1", true),
            ]
        );
    }
}
