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

/// Listener list; the flag keeps the per-packet cost at one atomic load when nobody listens.
#[derive(Default)]
pub(crate) struct Events {
    listeners: RwLock<Vec<Listener>>,
    active: AtomicBool,
}

impl Events {
    pub(crate) fn add(&self, f: Listener) {
        self.listeners.write().expect("listener lock poisoned").push(f);
        self.active.store(true, Ordering::Release);
    }

    pub(crate) fn emit(&self, ev: ConnEvent<'_>) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        let listeners = self.listeners.read().expect("listener lock poisoned").clone();
        for l in listeners {
            l(&ev);
        }
    }
}
