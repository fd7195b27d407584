//! Events as C structs, and the handles they carry (socket, ack, middleware decision).
use std::ffi::{c_char, CString};
use std::sync::Mutex;

use sio_core::embed::{Decision, Event, Leaving, ManagerNotice};
use sio_core::{Args, ConnectError, Value};

use crate::args::{host_args_arg, sio_buf, str_arg, value_arg, WireArgs};
use crate::error::{guard, guard_void, null, sio_status, Error};
use crate::socket::sio_socket;

/// What happened.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_event_kind {
    /// Server: a socket connected (`socket`, `ns`).
    SIO_EVENT_CONNECTION = 1,
    /// Server: a connection waits for the namespace middleware (`socket`, `decision`).
    SIO_EVENT_MIDDLEWARE = 2,
    /// Server: an event from a client (`socket`, `name`, `args_json`, `bufs`, `ack` if wanted).
    SIO_EVENT_MESSAGE = 3,
    /// Server: a socket is leaving, rooms still joined (`socket`, `reason`).
    SIO_EVENT_DISCONNECTING = 4,
    /// Server: a socket left (`socket`, `reason`).
    SIO_EVENT_DISCONNECT = 5,
    /// Server: an Engine.IO connection upgraded (`name` = connection id, `transport`).
    SIO_EVENT_UPGRADE = 6,
    /// Client: connected or reconnected.
    SIO_EVENT_CLIENT_CONNECT = 7,
    /// Client: could not connect (`message`, `data_json`, `active`: whether it retries).
    SIO_EVENT_CLIENT_CONNECT_ERROR = 8,
    /// Client: disconnected (`reason`, `active`: whether it reconnects).
    SIO_EVENT_CLIENT_DISCONNECT = 9,
    /// Client: an event from the server (`name`, `args_json`, `bufs`, `ack` if wanted).
    SIO_EVENT_CLIENT_MESSAGE = 10,
    /// Client: a reconnection attempt starts (`attempt`).
    SIO_EVENT_RECONNECT_ATTEMPT = 11,
    /// Client: reconnected after `attempt` attempts.
    SIO_EVENT_RECONNECT = 12,
    /// Client: a reconnection attempt failed (`message`).
    SIO_EVENT_RECONNECT_ERROR = 13,
    /// Client: gave up reconnecting.
    SIO_EVENT_RECONNECT_FAILED = 14,
    /// Server: an event another server of the cluster sent with
    /// `sio_server_server_side_emit` (socket.io's `serverSideEmit`): `name`, `args_json`,
    /// `bufs`, and `ack` when the sender waits for an answer (it takes ONE value: the
    /// first element of the array given to `sio_ack_send`). No `socket`; `ns` is the
    /// namespace it was sent to.
    SIO_EVENT_SERVER_SIDE = 15,
    /// Client, after `sio_client_watch_manager`: the Engine.IO connection opened
    /// (socket.io-client's `manager.on("open")`).
    SIO_EVENT_MANAGER_OPEN = 16,
    /// Client, after `sio_client_watch_manager`: the server pinged (`manager.on("ping")`).
    SIO_EVENT_MANAGER_PING = 17,
    /// Client, after `sio_client_watch_manager`: the connection closed (`reason`;
    /// `manager.on("close")`).
    SIO_EVENT_MANAGER_CLOSE = 18,
    /// Client, after `sio_client_watch_manager`: opening the connection failed (`message`;
    /// `manager.on("error")`).
    SIO_EVENT_MANAGER_ERROR = 19,
}

/// Every disconnect reason, server side and client side. `sio_disconnect_reason_str`
/// gives the exact string of the reference implementation.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_disconnect_reason {
    /// Not a disconnect event.
    SIO_REASON_NONE = 0,
    /// "server namespace disconnect": the server called disconnect.
    SIO_REASON_SERVER_NAMESPACE_DISCONNECT = 1,
    /// "client namespace disconnect": the client called disconnect.
    SIO_REASON_CLIENT_NAMESPACE_DISCONNECT = 2,
    /// "server shutting down".
    SIO_REASON_SERVER_SHUTTING_DOWN = 3,
    /// "ping timeout".
    SIO_REASON_PING_TIMEOUT = 4,
    /// "transport close".
    SIO_REASON_TRANSPORT_CLOSE = 5,
    /// "transport error".
    SIO_REASON_TRANSPORT_ERROR = 6,
    /// "parse error".
    SIO_REASON_PARSE_ERROR = 7,
    /// "forced close".
    SIO_REASON_FORCED_CLOSE = 8,
    /// "forced server close".
    SIO_REASON_FORCED_SERVER_CLOSE = 9,
    /// "io server disconnect" (client side; no reconnection).
    SIO_REASON_IO_SERVER_DISCONNECT = 10,
    /// "io client disconnect" (client side; no reconnection).
    SIO_REASON_IO_CLIENT_DISCONNECT = 11,
}

/// The reference string of `reason` (static, NUL-terminated; "" for NONE).
#[no_mangle]
pub extern "C" fn sio_disconnect_reason_str(reason: sio_disconnect_reason) -> *const c_char {
    crate::error::guard_value(c"".as_ptr(), || reason_str(reason).as_ptr().cast())
}

fn reason_str(reason: sio_disconnect_reason) -> &'static [u8] {
    use sio_disconnect_reason::*;
    match reason {
        SIO_REASON_NONE => b"\0",
        SIO_REASON_SERVER_NAMESPACE_DISCONNECT => b"server namespace disconnect\0",
        SIO_REASON_CLIENT_NAMESPACE_DISCONNECT => b"client namespace disconnect\0",
        SIO_REASON_SERVER_SHUTTING_DOWN => b"server shutting down\0",
        SIO_REASON_PING_TIMEOUT => b"ping timeout\0",
        SIO_REASON_TRANSPORT_CLOSE => b"transport close\0",
        SIO_REASON_TRANSPORT_ERROR => b"transport error\0",
        SIO_REASON_PARSE_ERROR => b"parse error\0",
        SIO_REASON_FORCED_CLOSE => b"forced close\0",
        SIO_REASON_FORCED_SERVER_CLOSE => b"forced server close\0",
        SIO_REASON_IO_SERVER_DISCONNECT => b"io server disconnect\0",
        SIO_REASON_IO_CLIENT_DISCONNECT => b"io client disconnect\0",
    }
}

fn server_reason(r: sio_core::embed::DisconnectReason) -> sio_disconnect_reason {
    use sio_core::embed::DisconnectReason as R;
    use sio_disconnect_reason::*;
    match r {
        R::ServerNamespaceDisconnect => SIO_REASON_SERVER_NAMESPACE_DISCONNECT,
        R::ClientNamespaceDisconnect => SIO_REASON_CLIENT_NAMESPACE_DISCONNECT,
        R::ServerShuttingDown => SIO_REASON_SERVER_SHUTTING_DOWN,
        R::PingTimeout => SIO_REASON_PING_TIMEOUT,
        R::TransportClose => SIO_REASON_TRANSPORT_CLOSE,
        R::TransportError => SIO_REASON_TRANSPORT_ERROR,
        R::ParseError => SIO_REASON_PARSE_ERROR,
        R::ForcedClose => SIO_REASON_FORCED_CLOSE,
        R::ForcedServerClose => SIO_REASON_FORCED_SERVER_CLOSE,
    }
}

fn client_reason(r: sio_core::embed::ClientDisconnectReason) -> sio_disconnect_reason {
    use sio_core::embed::ClientDisconnectReason as R;
    use sio_disconnect_reason::*;
    match r {
        R::IoServerDisconnect => SIO_REASON_IO_SERVER_DISCONNECT,
        R::IoClientDisconnect => SIO_REASON_IO_CLIENT_DISCONNECT,
        R::PingTimeout => SIO_REASON_PING_TIMEOUT,
        R::TransportClose => SIO_REASON_TRANSPORT_CLOSE,
        R::TransportError => SIO_REASON_TRANSPORT_ERROR,
        R::ParseError => SIO_REASON_PARSE_ERROR,
        R::ForcedClose => SIO_REASON_FORCED_CLOSE,
    }
}

/// An acknowledgement the peer asked for (a client's, the server's, or another cluster
/// server's). Answer it with `sio_ack_send` (the first answer wins); keep it past the
/// event with `sio_ack_clone`.
pub struct sio_ack {
    inner: AckKind,
}

#[derive(Clone)]
enum AckKind {
    Server(sio_core::embed::AckSender),
    Client(sio_core::embed::ClientAckSender),
    /// Answers with one value, not an argument list (the reference's server-side acks).
    ServerSide(sio_core::embed::ServerSideAck),
}

/// A pending namespace-middleware decision: `sio_middleware_accept` or
/// `sio_middleware_refuse` exactly once. Unanswered when the event is freed (or the
/// handle taken with `sio_middleware_take` is freed) means refused.
pub struct sio_middleware {
    decision: Mutex<Option<Decision>>,
}

/// One event. In callback mode it is borrowed for the duration of the callback; from
/// `sio_next_event` it is owned by the caller until `sio_event_free`. Every pointer in
/// it lives as long as the event; strings are NUL-terminated and also carry lengths.
#[repr(C)]
pub struct sio_event {
    /// What happened.
    pub kind: sio_event_kind,
    /// Id of the server (`sio_server_id`) or client (`sio_client_id`) it concerns.
    pub source_id: u64,
    /// Server events: the socket (borrowed; `sio_socket_clone` keeps it). NULL otherwise.
    pub socket: *const sio_socket,
    /// Namespace, or "".
    pub ns: *const c_char,
    /// Length of `ns`.
    pub ns_len: usize,
    /// Event name (MESSAGE kinds, SERVER_SIDE), connection id (UPGRADE), or "".
    pub name: *const c_char,
    /// Length of `name`.
    pub name_len: usize,
    /// Arguments as a JSON array with buffer placeholders, or "[]". A client's text event
    /// gives its arguments' text as the client wrote it (spacing, escapes, number forms).
    pub args_json: *const c_char,
    /// Length of `args_json`.
    pub args_json_len: usize,
    /// Buffers referenced by `args_json`.
    pub bufs: *const sio_buf,
    /// Number of buffers.
    pub n_bufs: usize,
    /// Disconnect reason (DISCONNECT kinds), else SIO_REASON_NONE.
    pub reason: sio_disconnect_reason,
    /// Non-NULL when the peer (client, server, or other cluster server for SERVER_SIDE)
    /// wants an acknowledgement (borrowed).
    pub ack: *const sio_ack,
    /// Non-NULL for SIO_EVENT_MIDDLEWARE (borrowed).
    pub decision: *const sio_middleware,
    /// Reconnection attempt number.
    pub attempt: u32,
    /// Client: whether it keeps (re)connecting by itself.
    pub active: bool,
    /// Error message (CONNECT_ERROR, RECONNECT_ERROR), transport name (UPGRADE), the
    /// details' description (CLIENT_DISCONNECT with `transport close` / `transport error`),
    /// or "".
    pub message: *const c_char,
    /// Length of `message`.
    pub message_len: usize,
    /// CONNECT_ERROR data as JSON; CLIENT_DISCONNECT with `transport close` / `transport
    /// error`: socket.io-client's `details`, `{"description":"..","context":".."|null}`;
    /// or NULL.
    pub data_json: *const c_char,
    /// Length of `data_json`.
    pub data_json_len: usize,
    /// DISCONNECTING: the rooms the socket is in as it starts leaving, as a JSON array
    /// of strings; "[]" otherwise. Until the event is freed (in callback mode: until the
    /// callback returns) the socket stays connected and in these rooms, and emits from it
    /// still go out, as in socket.io's `disconnecting`; its DISCONNECT event follows.
    pub rooms_json: *const c_char,
    /// Length of `rooms_json`.
    pub rooms_json_len: usize,
}

/// The C view plus everything it points into. `c` comes first so a `*mut sio_event`
/// handed out by `sio_next_event` is also a pointer to its `OwnedEvent`.
#[repr(C)]
pub(crate) struct OwnedEvent {
    pub(crate) c: sio_event,
    strings: Vec<CString>,
    args: Option<WireArgs>,
    socket: Option<Box<sio_socket>>,
    ack: Option<Box<sio_ack>>,
    decision: Option<Box<sio_middleware>>,
    /// A `disconnecting` socket stays connected (and in its rooms) until the event is freed.
    _leaving: Option<Leaving>,
}

unsafe impl Send for OwnedEvent {}

const EMPTY: &[u8] = b"\0";

impl OwnedEvent {
    pub(crate) fn new(
        ev: Event,
        server_of: impl Fn(u64) -> Option<sio_core::embed::EmbeddedServer>,
    ) -> Box<OwnedEvent> {
        use sio_event_kind::*;
        let mut o = Box::new(OwnedEvent {
            c: sio_event {
                kind: SIO_EVENT_CONNECTION,
                source_id: 0,
                socket: std::ptr::null(),
                ns: EMPTY.as_ptr().cast(),
                ns_len: 0,
                name: EMPTY.as_ptr().cast(),
                name_len: 0,
                args_json: c"[]".as_ptr(),
                args_json_len: 2,
                bufs: std::ptr::null(),
                n_bufs: 0,
                reason: sio_disconnect_reason::SIO_REASON_NONE,
                ack: std::ptr::null(),
                decision: std::ptr::null(),
                attempt: 0,
                active: false,
                message: EMPTY.as_ptr().cast(),
                message_len: 0,
                data_json: std::ptr::null(),
                data_json_len: 0,
                rooms_json: c"[]".as_ptr(),
                rooms_json_len: 2,
            },
            strings: Vec::new(),
            args: None,
            socket: None,
            ack: None,
            decision: None,
            _leaving: None,
        });
        let set_socket = |o: &mut OwnedEvent, server: u64, socket: sio_core::embed::Socket| {
            o.c.source_id = server;
            let (p, l) = o.string(socket.ns());
            o.c.ns = p;
            o.c.ns_len = l;
            if let Some(srv) = server_of(server) {
                let boxed = Box::new(sio_socket::new(socket, srv));
                o.c.socket = &*boxed;
                o.socket = Some(boxed);
            }
        };
        match ev {
            Event::Connection { server, socket } => {
                o.c.kind = SIO_EVENT_CONNECTION;
                set_socket(&mut o, server, socket);
            }
            Event::Middleware { server, socket, decision } => {
                o.c.kind = SIO_EVENT_MIDDLEWARE;
                set_socket(&mut o, server, socket);
                let d = Box::new(sio_middleware { decision: Mutex::new(Some(decision)) });
                o.c.decision = &*d;
                o.decision = Some(d);
            }
            Event::Message { server, socket, name, args, ack } => {
                o.c.kind = SIO_EVENT_MESSAGE;
                set_socket(&mut o, server, socket);
                o.set_name(&name);
                o.set_args(args);
                if let Some(a) = ack {
                    o.set_ack(AckKind::Server(a));
                }
            }
            Event::Disconnecting { server, socket, reason, rooms, leaving } => {
                o._leaving = Some(leaving);
                o.c.kind = SIO_EVENT_DISCONNECTING;
                set_socket(&mut o, server, socket);
                o.c.reason = server_reason(reason);
                let (p, l) = o.string(&serde_json::Value::from(rooms).to_string());
                o.c.rooms_json = p;
                o.c.rooms_json_len = l;
            }
            Event::Disconnect { server, socket, reason } => {
                o.c.kind = SIO_EVENT_DISCONNECT;
                set_socket(&mut o, server, socket);
                o.c.reason = server_reason(reason);
            }
            Event::Upgrade { server, conn, transport } => {
                o.c.kind = SIO_EVENT_UPGRADE;
                o.c.source_id = server;
                o.set_name(&conn);
                o.set_message(transport.as_str());
            }
            Event::ServerSide { server, ns, name, args, ack } => {
                o.c.kind = SIO_EVENT_SERVER_SIDE;
                o.c.source_id = server;
                let (p, l) = o.string(&ns);
                o.c.ns = p;
                o.c.ns_len = l;
                o.set_name(&name);
                o.set_args(args);
                if let Some(a) = ack {
                    o.set_ack(AckKind::ServerSide(a));
                }
            }
            Event::ClientConnect { client } => {
                o.c.kind = SIO_EVENT_CLIENT_CONNECT;
                o.c.source_id = client;
                o.c.active = true;
            }
            Event::ClientConnectError { client, error, active } => {
                o.c.kind = SIO_EVENT_CLIENT_CONNECT_ERROR;
                o.c.source_id = client;
                o.c.active = active;
                o.set_message(&error.message);
                if let Some(data) = error.data {
                    let (p, l) = o.string(&data.to_wire(&mut Vec::new()).to_string());
                    o.c.data_json = p;
                    o.c.data_json_len = l;
                }
            }
            Event::ClientDisconnect { client, reason, active, details } => {
                o.c.kind = SIO_EVENT_CLIENT_DISCONNECT;
                o.c.source_id = client;
                o.c.reason = client_reason(reason);
                o.c.active = active;
                if let Some(d) = details {
                    o.set_message(&d.description);
                    let json = serde_json::json!({ "description": d.description, "context": d.context });
                    let (p, l) = o.string(&json.to_string());
                    o.c.data_json = p;
                    o.c.data_json_len = l;
                }
            }
            Event::ClientMessage { client, name, args, ack } => {
                o.c.kind = SIO_EVENT_CLIENT_MESSAGE;
                o.c.source_id = client;
                o.set_name(&name);
                o.set_args(args);
                if let Some(a) = ack {
                    o.set_ack(AckKind::Client(a));
                }
            }
            Event::ReconnectAttempt { client, attempt } => {
                o.c.kind = SIO_EVENT_RECONNECT_ATTEMPT;
                o.c.source_id = client;
                o.c.attempt = attempt;
            }
            Event::Reconnect { client, attempt } => {
                o.c.kind = SIO_EVENT_RECONNECT;
                o.c.source_id = client;
                o.c.attempt = attempt;
            }
            Event::ReconnectError { client, message } => {
                o.c.kind = SIO_EVENT_RECONNECT_ERROR;
                o.c.source_id = client;
                o.set_message(&message);
            }
            Event::ReconnectFailed { client } => {
                o.c.kind = SIO_EVENT_RECONNECT_FAILED;
                o.c.source_id = client;
            }
            Event::Manager { client, event } => {
                o.c.source_id = client;
                o.c.kind = match event {
                    ManagerNotice::Open => SIO_EVENT_MANAGER_OPEN,
                    ManagerNotice::Ping => SIO_EVENT_MANAGER_PING,
                    ManagerNotice::Close(reason) => {
                        o.c.reason = client_reason(reason);
                        SIO_EVENT_MANAGER_CLOSE
                    }
                    ManagerNotice::Error(message) => {
                        o.set_message(&message);
                        SIO_EVENT_MANAGER_ERROR
                    }
                };
            }
        }
        o
    }

    fn string(&mut self, s: &str) -> (*const c_char, usize) {
        let c = crate::args::c_text(s);
        let r = (c.as_ptr(), c.as_bytes().len());
        self.strings.push(c);
        r
    }

    fn set_name(&mut self, s: &str) {
        let (p, l) = self.string(s);
        self.c.name = p;
        self.c.name_len = l;
    }

    fn set_message(&mut self, s: &str) {
        let (p, l) = self.string(s);
        self.c.message = p;
        self.c.message_len = l;
    }

    fn set_args(&mut self, args: impl Into<Args>) {
        let wire = WireArgs::from_args(args.into());
        self.c.args_json = wire.json.as_ptr();
        self.c.args_json_len = wire.json.as_bytes().len();
        self.c.bufs = if wire.bufs.is_empty() { std::ptr::null() } else { wire.bufs.as_ptr() };
        self.c.n_bufs = wire.bufs.len();
        self.args = Some(wire);
    }

    fn set_ack(&mut self, ack: AckKind) {
        let a = Box::new(sio_ack { inner: ack });
        self.c.ack = &*a;
        self.ack = Some(a);
    }
}

/// Frees an event returned by `sio_next_event` (NULL-safe). Unanswered middleware
/// decisions in it are refused. Do not call it on events passed to a callback.
#[no_mangle]
pub unsafe extern "C" fn sio_event_free(event: *mut sio_event) {
    guard_void(|| {
        if !event.is_null() {
            drop(Box::from_raw(event.cast::<OwnedEvent>()));
        }
    });
}

/// Answers an acknowledgement with `args_json` (a JSON array, NULL for none) and the
/// buffers it references. The first answer is sent; later ones return SIO_ERR_USED.
/// The ack of a SIO_EVENT_SERVER_SIDE takes one value: the first element of the array
/// (null for an empty array); the rest is ignored. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_ack_send(
    ack: *const sio_ack,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let ack = ack.as_ref().ok_or_else(|| null("ack"))?;
        let args = host_args_arg(args_json, args_json_len, bufs, n_bufs)?;
        let sent = match &ack.inner {
            AckKind::Server(a) => a.send_host(args).map_err(Error::from)?,
            AckKind::Client(a) => a.send(args.into_values()),
            AckKind::ServerSide(a) => a.send(args.into_values().into_iter().next().unwrap_or(Value::Null)),
        };
        if sent {
            Ok(())
        } else {
            Err(Error::new(
                sio_status::SIO_ERR_USED,
                "the acknowledgement was already sent (or the connection is gone)",
            ))
        }
    })
}

/// Copies an ack handle so it can be answered after the event is gone. Free the copy
/// with `sio_ack_free`. Copies share one answer.
#[no_mangle]
pub unsafe extern "C" fn sio_ack_clone(ack: *const sio_ack, out: *mut *mut sio_ack) -> sio_status {
    guard(|| {
        let ack = ack.as_ref().ok_or_else(|| null("ack"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        *out = Box::into_raw(Box::new(sio_ack { inner: ack.inner.clone() }));
        Ok(())
    })
}

/// Frees an ack handle from `sio_ack_clone` (NULL-safe). An unanswered ack stays unanswered.
#[no_mangle]
pub unsafe extern "C" fn sio_ack_free(ack: *mut sio_ack) {
    guard_void(|| {
        if !ack.is_null() {
            drop(Box::from_raw(ack));
        }
    });
}

/// Accepts the connection. SIO_ERR_USED if the decision was already made.
#[no_mangle]
pub unsafe extern "C" fn sio_middleware_accept(decision: *const sio_middleware) -> sio_status {
    guard(|| {
        let d = decision.as_ref().ok_or_else(|| null("decision"))?;
        let taken = d.decision.lock().expect("decision lock poisoned").take();
        taken.ok_or_else(|| Error::new(sio_status::SIO_ERR_USED, "decision already made"))?.accept();
        Ok(())
    })
}

/// Refuses the connection: the client's `connect_error` gets `message` and `data_json`
/// (any JSON value, or NULL for none). SIO_ERR_USED if the decision was already made.
#[no_mangle]
pub unsafe extern "C" fn sio_middleware_refuse(
    decision: *const sio_middleware,
    message: *const c_char,
    message_len: usize,
    data_json: *const c_char,
    data_json_len: usize,
) -> sio_status {
    guard(|| {
        let d = decision.as_ref().ok_or_else(|| null("decision"))?;
        let message = str_arg(message, message_len, "message")?.to_owned();
        let data =
            if data_json.is_null() { None } else { Some(value_arg(data_json, data_json_len, std::ptr::null(), 0)?) };
        let taken = d.decision.lock().expect("decision lock poisoned").take();
        taken
            .ok_or_else(|| Error::new(sio_status::SIO_ERR_USED, "decision already made"))?
            .refuse(ConnectError { message, data });
        Ok(())
    })
}

/// Moves the decision out of an event so it can be made later (e.g. after an
/// asynchronous lookup). Free the result with `sio_middleware_free` (which refuses if
/// still undecided).
#[no_mangle]
pub unsafe extern "C" fn sio_middleware_take(
    decision: *const sio_middleware,
    out: *mut *mut sio_middleware,
) -> sio_status {
    guard(|| {
        let d = decision.as_ref().ok_or_else(|| null("decision"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        let taken = d.decision.lock().expect("decision lock poisoned").take();
        let taken = taken.ok_or_else(|| Error::new(sio_status::SIO_ERR_USED, "decision already made"))?;
        *out = Box::into_raw(Box::new(sio_middleware { decision: Mutex::new(Some(taken)) }));
        Ok(())
    })
}

/// Frees a decision from `sio_middleware_take` (NULL-safe); refuses if undecided.
#[no_mangle]
pub unsafe extern "C" fn sio_middleware_free(decision: *mut sio_middleware) {
    guard_void(|| {
        if !decision.is_null() {
            drop(Box::from_raw(decision));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: *const c_char) -> &'static str {
        unsafe { std::ffi::CStr::from_ptr(p) }.to_str().expect("static ASCII")
    }

    #[test]
    fn every_reason_has_its_enum_and_exact_string() {
        for r in sio_core::embed::DisconnectReason::ALL {
            assert_eq!(text(sio_disconnect_reason_str(server_reason(r))), r.as_str());
        }
        use sio_core::embed::ClientDisconnectReason as C;
        for r in [
            C::IoServerDisconnect,
            C::IoClientDisconnect,
            C::PingTimeout,
            C::TransportClose,
            C::TransportError,
            C::ParseError,
            C::ForcedClose,
        ] {
            assert_eq!(text(sio_disconnect_reason_str(client_reason(r))), r.as_str());
        }
        assert_eq!(text(sio_disconnect_reason_str(sio_disconnect_reason::SIO_REASON_NONE)), "");
    }
}
