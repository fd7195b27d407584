//! The Engine.IO connection under a client (socket.io-client's `socket.io.engine`) for a
//! host that mirrors it: opened (with its id and transport), each packet received
//! (`packet`) or about to be sent (`packetCreate`), upgrades, flushes (`drain`) and the
//! close with the reference's reason. The packet type names come from
//! [`EnginePacket`], as for the server's connections, so no face re-parses the wire.
//!
//! A callback rather than [`super::Event`] variants, as on the server side: only hosts
//! that mirror engine.io-client's object want it, and a host call per packet is costly.
use crate::client::ManagerEvent;
use crate::engine::client::EngineEvent;
use crate::engine::Packet;

use super::EnginePacket;

/// What a client's Engine.IO connection did. Called on a runtime thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEngineActivity {
    /// The connection opened (`open`): its session id and first transport.
    Open {
        /// The Engine.IO session id.
        sid: String,
        /// `polling` or `websocket`.
        transport: &'static str,
    },
    /// A packet was received (`packet`).
    Packet(EnginePacket),
    /// A packet is about to be sent (`packetCreate`).
    PacketCreate(EnginePacket),
    /// The transport was upgraded (`upgrade`) to this one.
    Upgrade(&'static str),
    /// Every queued packet was written (`drain`).
    Drain,
    /// The connection closed (`close`) with the reference's reason.
    Close(&'static str),
}

impl ClientEngineActivity {
    /// engine.io-client's event name.
    pub fn name(&self) -> &'static str {
        match self {
            ClientEngineActivity::Open { .. } => "open",
            ClientEngineActivity::Packet(_) => "packet",
            ClientEngineActivity::PacketCreate(_) => "packetCreate",
            ClientEngineActivity::Upgrade(_) => "upgrade",
            ClientEngineActivity::Drain => "drain",
            ClientEngineActivity::Close(_) => "close",
        }
    }

    /// The packet, for `packet` and `packetCreate`.
    pub fn packet(&self) -> Option<&EnginePacket> {
        match self {
            ClientEngineActivity::Packet(p) | ClientEngineActivity::PacketCreate(p) => Some(p),
            _ => None,
        }
    }

    /// Gives `f` the activities a Manager event stands for, in engine.io-client's order
    /// (the handshake's `packet` before `open`).
    pub(crate) fn from_manager(manager: &crate::client::Manager, ev: &ManagerEvent<'_>, f: &dyn Fn(Self)) {
        if let ManagerEvent::Open = ev {
            if let Some(engine) = manager.engine() {
                f(ClientEngineActivity::Packet(EnginePacket::from_packet(&Packet::Open(&engine.open_info().raw))));
                let (sid, transport) = (engine.sid().to_owned(), engine.transport().as_str());
                f(ClientEngineActivity::Open { sid, transport });
            }
            return;
        }
        if let Some(activity) = Self::one(ev) {
            f(activity);
        }
    }

    fn one(ev: &ManagerEvent<'_>) -> Option<Self> {
        Some(match ev {
            ManagerEvent::Close(reason) => ClientEngineActivity::Close(reason.as_str()),
            ManagerEvent::PacketCreate(frame) => {
                ClientEngineActivity::PacketCreate(EnginePacket::from_packet(&frame.packet().ok()?))
            }
            ManagerEvent::Engine(EngineEvent::Text(t)) => {
                ClientEngineActivity::Packet(EnginePacket::from_packet(&Packet::Message(t)))
            }
            ManagerEvent::Engine(EngineEvent::Binary(b)) => {
                ClientEngineActivity::Packet(EnginePacket::from_packet(&Packet::Binary(b.clone())))
            }
            ManagerEvent::Engine(EngineEvent::Ping) => {
                ClientEngineActivity::Packet(EnginePacket::from_packet(&Packet::Ping("")))
            }
            ManagerEvent::Engine(EngineEvent::Upgrade(t)) => ClientEngineActivity::Upgrade(t.as_str()),
            ManagerEvent::Engine(EngineEvent::Pong) => {
                ClientEngineActivity::PacketCreate(EnginePacket::from_packet(&Packet::Pong("")))
            }
            ManagerEvent::Engine(EngineEvent::Drain) => ClientEngineActivity::Drain,
            _ => return None,
        })
    }
}
