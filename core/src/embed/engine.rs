//! The Engine.IO connections under a server (`io.engine`, `socket.conn`) for a host that
//! shows them: a connection opened (with its transport) or closed (with the reference's
//! reason string), and, for one connection the host chooses to watch, every packet it
//! receives (`packet`), is about to send (`packetCreate`) and each flush (`drain`). The
//! packet type names are decided here, once, so no face re-parses the wire format.
//! Upgrades come for every connection as [`super::Event::Upgrade`].
//!
//! These are callbacks rather than [`super::Event`] variants: only hosts that mirror
//! engine.io's own objects want them, and watching is per connection because a host
//! call per packet is costly.
use bytes::Bytes;

use super::EmbeddedServer;
use crate::engine::server::{CloseReason, ConnEvent};
use crate::engine::Packet;

/// An Engine.IO connection opened or closed. Called on a runtime thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A new connection (`io.engine` `connection`), before any namespace is joined.
    Opened {
        /// The Engine.IO connection id (`sid`).
        conn: String,
        /// Its first transport (`polling` or `websocket`).
        transport: &'static str,
    },
    /// A connection closed.
    Closed {
        /// The Engine.IO connection id.
        conn: String,
        /// The reference's reason (`transport close`, `ping timeout`, `forced close`...).
        reason: &'static str,
    },
}

/// One Engine.IO packet as engine.io shows it: its type name and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnginePacket {
    /// `open`, `close`, `ping`, `pong`, `message`, `upgrade` or `noop`.
    pub kind: &'static str,
    /// Text data: always present for a text `message` (possibly empty), otherwise only
    /// when there is some (a `probe` ping, the `open` handshake).
    pub text: Option<String>,
    /// Binary data of a binary `message`.
    pub binary: Option<Bytes>,
}

impl EnginePacket {
    pub(crate) fn from_packet(p: &Packet<'_>) -> EnginePacket {
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let (text, binary) = match p {
            Packet::Open(s) | Packet::Ping(s) | Packet::Pong(s) => (text(s), None),
            Packet::Message(s) => (Some((*s).to_owned()), None),
            Packet::Binary(b) => (None, Some(b.clone())),
            Packet::Close | Packet::Upgrade | Packet::Noop => (None, None),
        };
        EnginePacket { kind: p.type_name(), text, binary }
    }
}

/// What a watched connection did. Called on a runtime thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnActivity {
    /// A packet was received (`packet`).
    Packet(EnginePacket),
    /// A packet is about to be sent (`packetCreate`); `None` for a frame that is no
    /// Engine.IO packet (never sent by this server).
    PacketCreate(Option<EnginePacket>),
    /// The write buffer was flushed to the transport (`drain`).
    Drain,
}

impl ConnActivity {
    /// engine.io's event name: `packet`, `packetCreate` or `drain`.
    pub fn name(&self) -> &'static str {
        match self {
            ConnActivity::Packet(_) => "packet",
            ConnActivity::PacketCreate(_) => "packetCreate",
            ConnActivity::Drain => "drain",
        }
    }

    /// The packet, for `packet` and `packetCreate`.
    pub fn packet(&self) -> Option<&EnginePacket> {
        match self {
            ConnActivity::Packet(p) => Some(p),
            ConnActivity::PacketCreate(p) => p.as_ref(),
            ConnActivity::Drain => None,
        }
    }
}

/// A watched connection's transport changed or it ended
/// ([`EmbeddedServer::watch_conn_changes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnChange {
    /// Upgraded to this transport (`upgrade`).
    Upgrade(&'static str),
    /// Closed with the reference's reason (`close`).
    Close(&'static str),
}

impl EmbeddedServer {
    /// Calls `f` for every Engine.IO connection that opens from now on, and for its close.
    pub fn on_engine_events(&self, f: impl Fn(EngineEvent) + Send + Sync + 'static) {
        let f = std::sync::Arc::new(f);
        self.server.on_engine_connection(move |conn| {
            let id = conn.id().to_owned();
            f(EngineEvent::Opened { conn: id.clone(), transport: conn.transport().as_str() });
            let f = f.clone();
            conn.on_lifecycle(move |ev| {
                if let ConnEvent::Close(reason) = ev {
                    f(EngineEvent::Closed { conn: id.clone(), reason: reason.as_str() });
                }
            });
        });
    }

    /// Calls `f` for every packet Engine.IO connection `conn` receives or is about to
    /// send, and for each flush, from now on. False if there is no such connection.
    pub fn watch_conn(&self, conn: &str, f: impl Fn(ConnActivity) + Send + Sync + 'static) -> bool {
        let Some(session) = self.server.engine().session(conn) else {
            return false;
        };
        session.on_event(move |ev| {
            let activity = match ev {
                ConnEvent::Packet(p) => ConnActivity::Packet(EnginePacket::from_packet(p)),
                ConnEvent::PacketCreate(frame) => {
                    ConnActivity::PacketCreate(frame.packet().ok().map(|p| EnginePacket::from_packet(&p)))
                }
                ConnEvent::Drain => ConnActivity::Drain,
                // Upgrades and closes are reported for every connection.
                ConnEvent::Upgrade(_) | ConnEvent::Close(_) => return,
            };
            f(activity);
        });
        true
    }

    /// Calls `f` when Engine.IO connection `conn` upgrades, and exactly once when it
    /// closes (at once if it closes while this call registers). False if there is no
    /// such connection or it is closed already. For a host that watches one connection
    /// rather than taking every connection's [`EngineEvent`]s and upgrades.
    pub fn watch_conn_changes(&self, conn: &str, f: impl Fn(ConnChange) + Send + Sync + 'static) -> bool {
        let Some(session) = self.server.engine().session(conn) else {
            return false;
        };
        if session.is_closed() {
            return false;
        }
        let f = std::sync::Arc::new(f);
        let closed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let close = move |reason: CloseReason, f: &dyn Fn(ConnChange)| {
            if !closed.swap(true, std::sync::atomic::Ordering::AcqRel) {
                f(ConnChange::Close(reason.as_str()));
            }
        };
        let close = std::sync::Arc::new(close);
        let (g, on_close) = (f.clone(), close.clone());
        session.on_lifecycle(move |ev| match ev {
            ConnEvent::Upgrade(t) => g(ConnChange::Upgrade(t.as_str())),
            ConnEvent::Close(reason) => on_close(*reason, &*g),
            _ => {}
        });
        // Closed while the listener was being added: it may have missed the close.
        if let Some(reason) = session.close_reason() {
            close(reason, &*f);
        }
        true
    }

    /// Closes Engine.IO connection `conn` (`forced close`: its client sees `transport
    /// close` and reconnects). Returns at once; false if there is no such connection.
    pub fn close_conn(&self, conn: &str) -> bool {
        let Some(session) = self.server.engine().session(conn) else {
            return false;
        };
        self.shared.handle.spawn(async move { session.close(CloseReason::ForcedClose) });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Frame;

    #[test]
    fn packets_are_named_and_split() {
        let created = |t: &str| Frame::Text(t.into()).packet().ok().map(|p| EnginePacket::from_packet(&p));
        let p = created("4").expect("a message");
        assert_eq!((p.kind, p.text.as_deref()), ("message", Some("")), "an empty message keeps its text");
        let p = created("2probe").expect("a ping");
        assert_eq!((p.kind, p.text.as_deref()), ("ping", Some("probe")));
        let p = created("3").expect("a pong");
        assert_eq!((p.kind, p.text), ("pong", None));
        assert_eq!(created("9"), None);
        let bin = EnginePacket::from_packet(&Packet::Binary(Bytes::from_static(b"\x01")));
        assert_eq!((bin.kind, bin.binary.as_deref()), ("message", Some(&b"\x01"[..])));
        assert_eq!(ConnActivity::PacketCreate(None).name(), "packetCreate");
        assert_eq!(ConnActivity::Drain.packet(), None);
    }
}
