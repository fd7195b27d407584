//! Room membership behind the [`Adapter`] trait, and the in-memory adapter.
//!
//! Every socket is a member of the room named by its own id, so the adapter also knows
//! every socket of its namespace.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};

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

#[derive(Default)]
struct Maps {
    rooms: HashMap<Room, HashSet<String>>,
    sids: HashMap<String, HashSet<Room>>,
}

/// Room membership kept in this process.
#[derive(Default)]
pub struct MemoryAdapter {
    maps: RwLock<Maps>,
    /// Unset unless someone observes: a join then costs one atomic load more.
    listener: OnceLock<RoomListener>,
}

impl MemoryAdapter {
    fn notify(&self, change: RoomChange, sid: &str, rooms: Vec<Room>) {
        if let Some(f) = self.listener.get() {
            for room in rooms {
                f(change, &room, sid);
            }
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
        let watched = self.listener.get().is_some();
        let mut joined = Vec::new();
        {
            let mut m = self.write();
            for room in rooms {
                m.sids.entry(sid.to_owned()).or_default().insert(room.clone());
                if m.rooms.entry(room.clone()).or_default().insert(sid.to_owned()) && watched {
                    joined.push(room.clone());
                }
            }
        }
        self.notify(RoomChange::Joined, sid, joined);
    }

    fn del(&self, sid: &str, room: &str) {
        let mut left = false;
        {
            let mut m = self.write();
            if let Some(r) = m.sids.get_mut(sid) {
                r.remove(room);
            }
            if let Some(members) = m.rooms.get_mut(room) {
                left = members.remove(sid);
                if members.is_empty() {
                    m.rooms.remove(room);
                }
            }
        }
        if left {
            self.notify(RoomChange::Left, sid, vec![room.to_owned()]);
        }
    }

    fn del_all(&self, sid: &str) {
        let watched = self.listener.get().is_some();
        let mut left = Vec::new();
        {
            let mut m = self.write();
            let Some(rooms) = m.sids.remove(sid) else {
                return;
            };
            for room in rooms {
                if let Some(members) = m.rooms.get_mut(&room) {
                    if members.remove(sid) && watched {
                        left.push(room.clone());
                    }
                    if members.is_empty() {
                        m.rooms.remove(&room);
                    }
                }
            }
        }
        self.notify(RoomChange::Left, sid, left);
    }

    fn rooms_of(&self, sid: &str) -> HashSet<Room> {
        self.read().sids.get(sid).cloned().unwrap_or_default()
    }

    fn select(&self, rooms: &[Room], except: &[Room]) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_selected(rooms, except, &mut |s| out.push(s.to_owned()));
        out
    }

    fn for_each_selected(&self, rooms: &[Room], except: &[Room], f: &mut dyn FnMut(&str)) {
        let m = self.read();
        let excluded: HashSet<&String> = except.iter().filter_map(|r| m.rooms.get(r)).flatten().collect();
        let mut visit = |s: &String| {
            if !excluded.contains(s) {
                f(s);
            }
        };
        match rooms {
            [] => m.sids.keys().for_each(&mut visit),
            [room] => m.rooms.get(room).into_iter().flatten().for_each(&mut visit),
            _ => {
                let mut seen = HashSet::new();
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
}
