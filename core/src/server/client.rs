//! One Engine.IO connection seen by Socket.IO: its decoder and its sockets, one per
//! namespace joined.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use tracing::Instrument;

use crate::engine::server::{CloseReason, Message, Session};
use crate::proto::packet::PacketType;
use crate::proto::{Decoded, Decoder, DecoderLimits, Packet, ParseError, Parser};
use crate::value::Value;

use super::handshake::RequestParts;
use super::reason::DisconnectReason;
use super::socket::Socket;
use super::ServerInner;

/// The namespaces of one connection. A namespace is either joining (its middlewares run)
/// or joined; a second CONNECT for either breaks the protocol.
#[derive(Default)]
struct Namespaces {
    /// foldhash: looked up by every packet the client sends.
    joined: HashMap<String, Socket, foldhash::fast::RandomState>,
    joining: HashSet<String, foldhash::fast::RandomState>,
    /// Set once the connection closed: nothing joins after that.
    closed: bool,
}

pub(crate) struct Client {
    pub(crate) session: Arc<Session>,
    server: Weak<ServerInner>,
    namespaces: Mutex<Namespaces>,
    decoder: Mutex<Decoder>,
    parser: Parser,
    connect_timer: Mutex<Option<tokio::task::AbortHandle>>,
    request_parts: std::sync::OnceLock<RequestParts>,
}

impl Client {
    pub(crate) fn new(session: Arc<Session>, server: &Arc<ServerInner>) -> Arc<Client> {
        let limits = DecoderLimits {
            max_attachments: server.config.max_attachments,
            max_attachment_bytes: server.config.engine.max_payload,
        };
        let client = Arc::new(Client {
            session,
            server: Arc::downgrade(server),
            namespaces: Mutex::default(),
            decoder: Mutex::new(match server.config.event_args_as_text {
                true => server.config.parser.decoder(limits).keep_event_text(),
                false => server.config.parser.decoder(limits),
            }),
            parser: server.config.parser,
            connect_timer: Mutex::default(),
            request_parts: std::sync::OnceLock::new(),
        });
        // A connection that joins no namespace in time is closed ("forced server close").
        let weak = Arc::downgrade(&client);
        let timeout = server.config.connect_timeout;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(c) = weak.upgrade() {
                if c.namespaces().joined.is_empty() {
                    c.close(DisconnectReason::ForcedServerClose);
                }
            }
        });
        *client.connect_timer.lock().expect("timer lock poisoned") = Some(timer.abort_handle());
        client
    }

    /// The handshake parts every socket of this connection shares.
    pub(crate) fn request_parts(&self) -> &RequestParts {
        self.request_parts.get_or_init(|| RequestParts::new(self.session.handshake_request()))
    }

    fn namespaces(&self) -> std::sync::MutexGuard<'_, Namespaces> {
        self.namespaces.lock().expect("client namespace lock poisoned")
    }

    fn joined(&self) -> Vec<Socket> {
        self.namespaces().joined.values().cloned().collect()
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
                for s in self.joined() {
                    s.emit_error(&e.to_string());
                }
                // Over the attachment limits the peer is cut off as for any oversize input
                // (`parse error`); other invalid packets close as the reference does.
                let reason = match e {
                    ParseError::AttachmentsTooLarge => CloseReason::ParseError,
                    _ => CloseReason::ForcedClose,
                };
                self.session.close(reason);
            }
        }
    }

    /// Joins `/` as if the client had sent its CONNECT (with an empty auth payload).
    pub(crate) fn join_main_namespace(self: &Arc<Self>) {
        self.on_packet(Packet::new(PacketType::Connect, "/", None, Value::Null));
    }

    fn on_packet(self: &Arc<Self>, mut packet: Packet) {
        if packet.kind == PacketType::Connect && self.session.protocol() == 3 {
            // socket.io-client 2.x puts its `query` option after the namespace
            // (`0/admin?token=x,`): the reference hands it over as the auth payload.
            if let Some((nsp, query)) = packet.nsp.split_once('?') {
                let auth: indexmap::IndexMap<String, Value> = form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
                    .collect();
                packet.data = Value::Object(auth);
                packet.nsp = nsp.to_owned();
            }
        }
        let (socket, joining) = {
            let ns = self.namespaces();
            (ns.joined.get(&packet.nsp).cloned(), ns.joining.contains(&packet.nsp))
        };
        match (socket, packet.kind) {
            (None, PacketType::Connect) if !joining && self.begin_join(&packet.nsp) => {
                let Some(server) = self.server.upgrade() else {
                    return;
                };
                let auth = match packet.data {
                    Value::Null => Value::Object(Default::default()),
                    other => other,
                };
                let client = self.clone();
                tokio::spawn(server.connect(client, packet.nsp, auth).instrument(tracing::Span::current()));
            }
            (Some(s), kind) if kind != PacketType::Connect && kind != PacketType::ConnectError => s.on_packet(packet),
            // A CONNECT for a namespace joined or joining, or a packet for one not joined.
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

    /// Marks `nsp` as joining; false if the connection is closed.
    fn begin_join(&self, nsp: &str) -> bool {
        let mut ns = self.namespaces();
        !ns.closed && ns.joining.insert(nsp.to_owned())
    }

    /// The namespace connection of `nsp` ended without a socket (refused, unknown).
    pub(crate) fn join_failed(&self, nsp: &str) {
        self.namespaces().joining.remove(nsp);
    }

    /// Registers a socket whose namespace connection succeeded. False if the connection
    /// closed meanwhile: the socket must then not go live.
    pub(crate) fn add(&self, socket: &Socket) -> bool {
        {
            let mut ns = self.namespaces();
            ns.joining.remove(socket.ns());
            if ns.closed {
                return false;
            }
            ns.joined.insert(socket.ns().to_owned(), socket.clone());
        }
        if let Some(t) = self.connect_timer.lock().expect("timer lock poisoned").take() {
            t.abort();
        }
        true
    }

    /// Forgets `socket` as its namespace's socket (not a newer one of the same namespace).
    pub(crate) fn remove(&self, socket: &Socket) {
        let mut ns = self.namespaces();
        if ns.joined.get(socket.ns()).is_some_and(|s| Arc::ptr_eq(&s.0, &socket.0)) {
            ns.joined.remove(socket.ns());
        }
    }

    pub(crate) fn send_connect_error(&self, ns: &str, message: &str, data: Option<&Value>) {
        self.join_failed(ns);
        let body = if self.session.protocol() == 3 {
            // Socket.IO protocol 4 (socket.io-client 2.x): the error is its data, or its message.
            data.cloned().unwrap_or_else(|| Value::from(message))
        } else {
            let mut body = indexmap::IndexMap::new();
            body.insert("message".to_owned(), Value::from(message));
            if let Some(d) = data {
                body.insert("data".to_owned(), d.clone());
            }
            Value::Object(body)
        };
        for f in self.parser.encode(PacketType::ConnectError, ns, None, Some(&body)) {
            let _ = self.session.send(f);
        }
    }

    /// `socket.disconnect(true)`: every socket leaves with `server namespace disconnect`,
    /// then the connection closes.
    pub(crate) fn disconnect_all(&self) {
        for s in self.joined() {
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
        let sockets: Vec<Socket> = {
            let mut ns = self.namespaces();
            ns.closed = true;
            ns.joining.clear();
            ns.joined.drain().map(|(_, s)| s).collect()
        };
        for s in sockets {
            s.on_close(reason);
        }
    }
}
