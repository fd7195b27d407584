//! Development mode: every socket's arrival, changes, rooms, events and departure,
//! relayed live to the admin namespace.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use super::serialize;
use crate::engine::server::ConnEvent;
use crate::server::namespace::NsInner;
use crate::server::rooms::RoomChange;
use crate::server::{Namespace, Socket};
use crate::value::Value;

/// The admin namespace, held weakly: the hooks it installs live inside the server.
#[derive(Clone)]
pub(super) struct AdminNs(pub(super) Weak<NsInner>);

impl AdminNs {
    pub(super) fn emit(&self, event: &str, args: Vec<Value>) {
        if let Some(ns) = self.0.upgrade() {
            let _ = Namespace(ns).emit(event, args);
        }
    }

    /// Whether an admin socket is connected (else there is no one to tell).
    pub(super) fn watched(&self) -> bool {
        self.0.upgrade().is_some_and(|a| a.socket_count() > 0)
    }

    fn is(&self, ns: &str) -> bool {
        self.0.upgrade().is_some_and(|a| a.name == ns)
    }
}

/// Room and `data` changes of namespace `ns` (set once per namespace, present and future).
pub(super) fn watch_namespace(admin: &AdminNs, ns: &Namespace) {
    let (a, name) = (admin.clone(), ns.name().to_owned());
    ns.set_data_listener(Arc::new(move |s| {
        let update = Value::from([("id", s.id().into()), ("nsp", name.as_str().into()), ("data", serialize::data(s))]);
        a.emit("socket_updated", vec![update]);
    }));
    let (admin, name) = (admin.clone(), ns.name().to_owned());
    ns.adapter().set_room_listener(Arc::new(move |change, room, sid| {
        let event = match change {
            RoomChange::Joined => "room_joined",
            RoomChange::Left => "room_left",
        };
        admin.emit(event, vec![name.as_str().into(), room.into(), sid.into(), serialize::now()]);
    }));
}

/// At most `limit` events per second of one socket: a chatty socket's excess is not
/// relayed (the admin sockets' queues are bounded too, but would close on a flood).
struct Budget {
    start: Instant,
    /// Second (since `start`) in the high half, events relayed in it in the low half.
    state: AtomicU64,
    limit: u32,
}

impl Budget {
    fn take(&self) -> bool {
        let second = self.start.elapsed().as_secs() & 0xffff_ffff;
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let (s, n) = (cur >> 32, cur & 0xffff_ffff);
            let next = if s == second {
                if n >= u64::from(self.limit) {
                    return false;
                }
                cur + 1
            } else {
                (second << 32) | 1
            };
            match self.state.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// A new socket of any namespace: `socket_connected`, then its upgrade, events and
/// disconnection.
pub(super) fn watch_socket(admin: &AdminNs, socket: &Socket, limit: u32) {
    let nsp = socket.ns().to_owned();
    admin.emit("socket_connected", vec![serialize::socket(socket), serialize::now()]);
    let (a, id, n) = (admin.clone(), socket.id().to_owned(), nsp.clone());
    socket.conn().on_lifecycle(move |ev| {
        if let ConnEvent::Upgrade(t) = ev {
            let update =
                Value::from([("id", id.as_str().into()), ("nsp", n.as_str().into()), ("transport", t.as_str().into())]);
            a.emit("socket_updated", vec![update]);
        }
    });
    if !admin.is(&nsp) {
        let budget = Arc::new(Budget { start: Instant::now(), state: AtomicU64::new(0), limit });
        let (a, n, b) = (admin.clone(), nsp.clone(), budget.clone());
        socket.on_any(move |s, event, args| {
            if b.take() {
                a.emit(
                    "event_received",
                    vec![n.as_str().into(), s.id().into(), event_args(event, args), serialize::now()],
                );
            }
        });
        let (a, n) = (admin.clone(), nsp.clone());
        socket.on_any_outgoing(move |s, event, args| {
            if budget.take() {
                a.emit("event_sent", vec![n.as_str().into(), s.id().into(), event_args(event, args), serialize::now()]);
            }
        });
    }
    let a = admin.clone();
    socket.on_disconnect(move |s, reason| {
        a.emit(
            "socket_disconnected",
            vec![nsp.as_str().into(), s.id().into(), reason.as_str().into(), serialize::now()],
        );
    });
}

/// `[event, ...args]`, as `onAny` hands them to the reference.
fn event_args(event: &str, args: &[Value]) -> Value {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(Value::from(event));
    all.extend(args.iter().cloned());
    Value::Array(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_caps_events_per_second() {
        let b = Budget { start: Instant::now(), state: AtomicU64::new(0), limit: 3 };
        let taken = (0..10).filter(|_| b.take()).count();
        assert_eq!(taken, 3);
    }
}
