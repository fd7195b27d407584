//! `socket.conn` events of the Engine.IO connection: `packet`, `packetCreate`, `drain`,
//! delivered only for connections JS watches (a listener per packet costs a JS call).
use sio_core::engine::server::ConnEvent;
use sio_core::engine::{Frame, Packet};
use sio_core::server::Server;

use crate::deliver;
use crate::event::Ev;

/// engine.io's names of the packet types, by type digit.
const TYPES: [&str; 7] = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];

/// Delivers `conn_event`s for Engine.IO connection `conn` of `server`; false if it is gone.
pub(crate) fn watch(server: &Server, id: u64, conn: String) -> bool {
    let Some(session) = server.engine().session(&conn) else {
        return false;
    };
    session.on_event(move |ev| {
        let (name, (packet_type, data, bin)) = match ev {
            ConnEvent::Packet(p) => ("packet", packet_parts(p)),
            ConnEvent::PacketCreate(f) => ("packetCreate", frame_parts(f)),
            ConnEvent::Drain => ("drain", (None, None, None)),
            // Delivered for every connection by the server (`io.engine`).
            ConnEvent::Upgrade(_) | ConnEvent::Close(_) => return,
        };
        deliver(Ev::Conn { server: id, conn: conn.clone(), name, packet_type, data, bin });
    });
    true
}

type Parts = (Option<&'static str>, Option<String>, Option<bytes::Bytes>);

fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn packet_parts(p: &Packet<'_>) -> Parts {
    match p {
        Packet::Open(s) => (Some("open"), text(s), None),
        Packet::Close => (Some("close"), None, None),
        Packet::Ping(s) => (Some("ping"), text(s), None),
        Packet::Pong(s) => (Some("pong"), text(s), None),
        Packet::Message(s) => (Some("message"), Some((*s).to_owned()), None),
        Packet::Binary(b) => (Some("message"), None, Some(b.clone())),
        Packet::Upgrade => (Some("upgrade"), None, None),
        Packet::Noop => (Some("noop"), None, None),
    }
}

fn frame_parts(f: &Frame) -> Parts {
    match f {
        Frame::Text(t) => {
            let t = t.as_str();
            let kind = t.chars().next().and_then(|c| c.to_digit(10)).and_then(|d| TYPES.get(d as usize).copied());
            let rest = t.get(1..).unwrap_or("");
            let data = if kind == Some("message") { Some(rest.to_owned()) } else { text(rest) };
            (kind, data, None)
        }
        Frame::Binary(b) => (Some("message"), None, Some(b.clone())),
    }
}
