//! Listeners on one engine session (`socket.conn` events in the reference API).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::config::TransportKind;
use super::session::CloseReason;
use crate::engine::{Frame, Packet};

/// An event of the underlying Engine.IO connection.
#[derive(Debug)]
pub enum ConnEvent<'a> {
    /// The transport was upgraded (to WebSocket).
    Upgrade(TransportKind),
    /// A packet was received.
    Packet(&'a Packet<'a>),
    /// A packet is about to be sent.
    PacketCreate(&'a Frame),
    /// The write buffer was flushed to the transport.
    Drain,
    /// The connection closed.
    Close(CloseReason),
}

type Listener = Arc<dyn Fn(&ConnEvent<'_>) + Send + Sync>;

/// Listener list; the flags keep the per-packet cost at one atomic load unless a listener
/// asked for packets (every connection has lifecycle listeners: upgrade, close). The list
/// is replaced whole on `add` (rare) so that `emit` (every packet of a watched connection)
/// takes a reference count instead of copying the list.
pub(crate) struct Events {
    listeners: RwLock<Arc<[Listener]>>,
    any: AtomicBool,
    per_packet: AtomicBool,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            listeners: RwLock::new(Arc::from(Vec::new())),
            any: AtomicBool::new(false),
            per_packet: AtomicBool::new(false),
        }
    }
}

impl Events {
    /// Adds a listener; with `per_packet` false it is only sure to see `Upgrade` and `Close`.
    pub(crate) fn add(&self, f: Listener, per_packet: bool) {
        let mut listeners = self.listeners.write().expect("listener lock poisoned");
        let mut next = listeners.to_vec();
        next.push(f);
        *listeners = next.into();
        self.any.store(true, Ordering::Release);
        if per_packet {
            self.per_packet.store(true, Ordering::Release);
        }
    }

    pub(crate) fn emit(&self, ev: ConnEvent<'_>) {
        let wanted = match ev {
            ConnEvent::Packet(_) | ConnEvent::PacketCreate(_) | ConnEvent::Drain => &self.per_packet,
            ConnEvent::Upgrade(_) | ConnEvent::Close(_) => &self.any,
        };
        if !wanted.load(Ordering::Acquire) {
            return;
        }
        // Called outside the lock: a listener may add another.
        let listeners = self.listeners.read().expect("listener lock poisoned").clone();
        for l in listeners.iter() {
            l(&ev);
        }
    }
}
