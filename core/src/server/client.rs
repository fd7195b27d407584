//! One Engine.IO connection seen by Socket.IO: its decoder and its sockets, one per
//! namespace joined.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::engine::server::{CloseReason, Message, Session};
use crate::proto::packet::{encode, PacketType};
use crate::proto::{Decoded, Decoder, Packet};
use crate::value::Value;

use super::reason::DisconnectReason;
use super::socket::Socket;
use super::ServerInner;

pub(crate) struct Client {
    pub(crate) session: Arc<Session>,
    server: Weak<ServerInner>,
    sockets: Mutex<HashMap<String, Socket>>,
    decoder: Mutex<Decoder>,
    connect_timer: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Client {
    pub(crate) fn new(session: Arc<Session>, server: &Arc<ServerInner>) -> Arc<Client> {
        let client = Arc::new(Client {
            session,
            server: Arc::downgrade(server),
            sockets: Mutex::default(),
            decoder: Mutex::default(),
            connect_timer: Mutex::default(),
        });
        // A connection that joins no namespace in time is closed ("forced server close").
        let weak = Arc::downgrade(&client);
        let timeout = server.config.connect_timeout;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(c) = weak.upgrade() {
                if c.sockets().is_empty() {
                    c.close(DisconnectReason::ForcedServerClose);
                }
            }
        });
        *client.connect_timer.lock().expect("timer lock poisoned") = Some(timer.abort_handle());
        client
    }

    fn sockets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Socket>> {
        self.sockets.lock().expect("client socket lock poisoned")
    }

    pub(crate) fn on_message(self: &Arc<Self>, message: Message<'_>) {
        let decoded = {
            let mut d = self.decoder.lock().expect("decoder lock poisoned");
            match message {
                Message::Text(t) => d.text(t),
                Message::Binary(b) => d.binary(b),
            }
        };
        match decoded {
            Ok(Decoded::Packet(p)) => self.on_packet(p),
            Ok(Decoded::Pending) => {}
            Err(e) => {
                tracing::debug!(sid = self.session.id(), error = %e, "invalid socket.io packet");
                let sockets: Vec<Socket> = self.sockets().values().cloned().collect();
                for s in sockets {
                    s.emit_error(&e.to_string());
                }
                self.session.close(CloseReason::ForcedClose);
            }
        }
    }

    fn on_packet(self: &Arc<Self>, packet: Packet) {
        let socket = self.sockets().get(&packet.nsp).cloned();
        match (socket, packet.kind) {
            (None, PacketType::Connect) => {
                let Some(server) = self.server.upgrade() else { return };
                let auth = match packet.data {
                    Value::Null => Value::Object(Default::default()),
                    other => other,
                };
                let client = self.clone();
                tokio::spawn(async move { server.connect(client, packet.nsp, auth).await });
            }
            (Some(s), kind) if kind != PacketType::Connect && kind != PacketType::ConnectError => s.on_packet(packet),
            // A CONNECT for a joined namespace, or a packet for one not joined.
            (_, kind) => {
                tracing::debug!(sid = self.session.id(), ?kind, nsp = %packet.nsp, "packet breaks the namespace state rules");
                // The reference closes the connection here; its sockets see the engine's
                // `forced close` when the transport closes at once (WebSocket), and the
                // Socket.IO layer's `forced server close` when it closes later (polling).
                let reason = match self.session.transport() {
                    crate::engine::server::TransportKind::Websocket => DisconnectReason::ForcedClose,
                    crate::engine::server::TransportKind::Polling => DisconnectReason::ForcedServerClose,
                };
                self.close(reason)
            }
        }
    }

    /// Registers a socket that completed its namespace connection.
    pub(crate) fn add(&self, socket: &Socket) {
        self.sockets().insert(socket.ns().to_owned(), socket.clone());
        if let Some(t) = self.connect_timer.lock().expect("timer lock poisoned").take() {
            t.abort();
        }
    }

    pub(crate) fn remove(&self, ns: &str) {
        self.sockets().remove(ns);
    }

    pub(crate) fn send_connect_error(&self, ns: &str, message: &str, data: Option<&Value>) {
        let mut body = indexmap::IndexMap::new();
        body.insert("message".to_owned(), Value::from(message));
        if let Some(d) = data {
            body.insert("data".to_owned(), d.clone());
        }
        for f in encode(PacketType::ConnectError, ns, None, Some(&Value::Object(body))) {
            let _ = self.session.send(f);
        }
    }

    /// `socket.disconnect(true)`: every socket leaves with `server namespace disconnect`,
    /// then the connection closes.
    pub(crate) fn disconnect_all(&self) {
        let sockets: Vec<Socket> = self.sockets().values().cloned().collect();
        for s in sockets {
            s.disconnect(false);
        }
        self.session.close(CloseReason::ForcedClose);
    }

    /// Closes the connection; its sockets see `reason`.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        self.on_close(reason);
        self.session.close(CloseReason::ForcedClose);
    }

    pub(crate) fn on_close(&self, reason: DisconnectReason) {
        if let Some(t) = self.connect_timer.lock().expect("timer lock poisoned").take() {
            t.abort();
        }
        let sockets: Vec<Socket> = self.sockets().drain().map(|(_, s)| s).collect();
        for s in sockets {
            s.on_close(reason);
        }
    }
}
