//! Events on their way to JavaScript: built on runtime threads ([`Ev`]), turned into
//! plain JS objects ([`NativeEvent`]) on the JS thread.
use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::embed::{
    AckOutcome, ClientEngineActivity, DynamicEvent, Event, HostResponse, HostSocket, Leaving, LogLevel, Reply,
    ServerSideAck, WsMessage,
};
use sio_core::{Args, Value};

use crate::client::{manager_of, NativeAuthReply, NativeClientAck};
use crate::codec::{args_to_js, value_to_js};
use crate::host::NativeHostSocket;
use crate::server::{NativeDecision, NativeLeaving, NativeMatchReply, NativeServerSideAck, NativeSocket};

/// An event queued for JavaScript.
#[allow(missing_docs)]
pub enum Ev {
    /// A core event.
    Core(Event),
    /// A socket is disconnecting: its rooms, captured before the core leaves them.
    Disconnecting { server: u64, sid: String, reason: &'static str, rooms: Vec<String>, leaving: Leaving },
    /// An acknowledgement requested from JS completed.
    AckDone { key: u32, outcome: AckOutcome },
    /// A server finished closing (every `disconnect` event was queued before this).
    ServerClosed { server: u64 },
    /// A notification of a dynamic namespace (named by JS).
    Dynamic { server: u64, ev: DynamicEvent },
    /// A new Engine.IO connection (`io.engine` `connection`).
    EngineConnection { server: u64, conn: String, transport: &'static str },
    /// An Engine.IO connection closed.
    EngineClose { server: u64, conn: String, reason: &'static str },
    /// A watched Engine.IO connection received (`packet`) or is about to send
    /// (`packetCreate`) a packet, or flushed its buffer (`drain`).
    Conn {
        server: u64,
        conn: String,
        name: &'static str,
        packet_type: Option<&'static str>,
        data: Option<String>,
        bin: Option<bytes::Bytes>,
    },
    /// What a watched client connection did (`socket.io.engine`), for manager `manager`.
    ClientEngine { manager: u64, activity: ClientEngineActivity },
    /// A client socket with an `auth` function connects: JS computes the CONNECT payload.
    ClientAuth { client: u64, reply: Reply<Value> },
    /// A server-side event from another node of the cluster (`io.on(name, ...)`).
    ServerSide { server: u64, ns: String, name: String, args: Vec<Value>, ack: Option<ServerSideAck> },
    /// A record of the core's logs (once `setLogLevel` installed the sink).
    Log { level: LogLevel, logger: &'static str, message: String },
    /// The answer to the attached http.Server's request `key`.
    HostHttp { key: u32, res: HostResponse },
    /// The core's decision on the attached http.Server's upgrade `key`.
    HostAccept { key: u32, result: std::result::Result<(HostSocket, Vec<(String, String)>), HostResponse> },
    /// A message for the peer of the attached WebSocket `key`.
    HostSend { key: u32, message: WsMessage },
    /// The attached WebSocket `key` may read again.
    HostResume { key: u32 },
}

/// What the JS dispatcher receives. `kind` tells which fields are set.
#[napi(object, object_from_js = false)]
pub struct NativeEvent {
    /// connection | middleware | match | message | disconnecting | disconnect | upgrade | closed |
    /// engine_connection | engine_close | conn_event | client_auth | server_side |
    /// ack | client_connect | client_connect_error | client_disconnect | client_message |
    /// reconnect_attempt | reconnect | reconnect_error | reconnect_failed | manager_engine | log |
    /// host_http | host_accept | host_send | host_close | host_resume
    pub kind: String,
    /// The server or client id.
    pub owner: u32,
    /// The socket id (server events).
    pub sid: Option<String>,
    /// The socket handle (`connection`, `middleware`).
    pub socket: Option<NativeSocket>,
    /// The middleware decision.
    pub decision: Option<NativeDecision>,
    /// `disconnecting`: call `release()` once the handlers ran (the socket stays until then).
    pub leaving: Option<NativeLeaving>,
    /// The id of the acknowledgement the client asked for (server `message`): answer it
    /// with the socket's `ack(id, ...)`.
    pub ack_id: Option<i64>,
    /// The acknowledgement to answer (`client_message`).
    pub client_ack: Option<NativeClientAck>,
    /// Event name; `log`: the logger (`sio.server`, `sio.engine`, `sio.client`, `sio.redis`, `sio`).
    pub name: Option<String>,
    /// Arguments or data, JSON with binary placeholders.
    pub json: Option<String>,
    /// The buffers the placeholders refer to.
    pub bins: Option<Vec<Buffer>>,
    /// Disconnect reason, or ack outcome (`answered`, `timeout`, `disconnected`, `cancelled`).
    pub reason: Option<String>,
    /// Whether a client keeps retrying.
    pub active: Option<bool>,
    /// Reconnection attempt number.
    pub attempt: Option<u32>,
    /// The JS-side key of an acknowledgement.
    pub key: Option<u32>,
    /// Error message; `client_disconnect`: the details' description; `log`: the record's
    /// text (message, then `key=value` fields).
    pub message: Option<String>,
    /// `client_disconnect`: the details' context (`transport close` / `transport error`).
    pub context: Option<String>,
    /// Rooms (`disconnecting`).
    pub rooms: Option<Vec<String>>,
    /// The dynamic namespace (JS name) a `middleware`, `connection` or `match` event belongs to.
    pub parent: Option<String>,
    /// Where to send the CONNECT payload (`client_auth`).
    pub auth_reply: Option<NativeAuthReply>,
    /// Where to send the matcher's answer (`match`).
    pub match_reply: Option<NativeMatchReply>,
    /// Transport (`manager_engine` `open` and `upgrade`): polling or websocket.
    pub transport: Option<String>,
    /// Engine.IO packet type (`conn_event`, `manager_engine`): open, close, ping, pong,
    /// message, upgrade, noop.
    pub packet_type: Option<String>,
    /// Engine.IO packet text data (`conn_event`, `manager_engine`); binary data comes in `bins`.
    pub data: Option<String>,
    /// Where to send the answer to a server-side event (`server_side`), when one is awaited.
    pub server_side_ack: Option<NativeServerSideAck>,
    /// The namespace a server-side event was sent to (`server_side`).
    pub nsp: Option<String>,
    /// A log record's level (`log`): error, warn, info, debug or trace.
    pub level: Option<String>,
    /// The accepted WebSocket (`host_accept`; absent: answer `status` instead).
    pub host_socket: Option<NativeHostSocket>,
    /// HTTP status (`host_http`, a refused `host_accept`); close code (`host_close`).
    pub status: Option<u32>,
    /// Header names and values, flat (`host_http`, `host_accept`).
    pub headers: Option<Vec<String>>,
    /// Response body (`host_http`, a refused `host_accept`); the message (`host_send`).
    pub body: Option<Buffer>,
    /// Whether `body` is a binary message (`host_send`).
    pub binary: Option<bool>,
}

fn base(kind: &str, owner: u64) -> NativeEvent {
    NativeEvent {
        kind: kind.to_owned(),
        owner: owner as u32,
        sid: None,
        socket: None,
        decision: None,
        leaving: None,
        ack_id: None,
        client_ack: None,
        name: None,
        json: None,
        bins: None,
        reason: None,
        active: None,
        attempt: None,
        key: None,
        message: None,
        context: None,
        rooms: None,
        parent: None,
        auth_reply: None,
        match_reply: None,
        transport: None,
        packet_type: None,
        data: None,
        server_side_ack: None,
        nsp: None,
        level: None,
        host_socket: None,
        status: None,
        headers: None,
        body: None,
        binary: None,
    }
}

fn flat(headers: Vec<(String, String)>) -> Vec<String> {
    headers.into_iter().flat_map(|(n, v)| [n, v]).collect()
}

/// A response for JS to write: hop-by-hop headers are Node's to set.
fn with_response(mut e: NativeEvent, res: HostResponse) -> NativeEvent {
    const HOP: [&str; 5] = ["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"];
    let headers = res.headers.into_iter().filter(|(n, _)| !HOP.iter().any(|h| n.eq_ignore_ascii_case(h))).collect();
    e.status = Some(u32::from(res.status));
    e.headers = Some(flat(headers));
    e.body = Some(Buffer::from(Vec::from(res.body)));
    e
}

fn with_args(mut e: NativeEvent, args: impl Into<Args>) -> NativeEvent {
    let (json, bins) = args_to_js(args);
    e.json = Some(json);
    // No array to build for the common case: no binary argument.
    e.bins = (!bins.is_empty()).then(|| bins.into_iter().map(Buffer::from).collect());
    e
}

/// Runs on a runtime thread: captures what must be read before the core moves on.
pub(crate) fn from_core(ev: Event) -> Ev {
    match ev {
        Event::Disconnecting { server, socket, reason, rooms, leaving } => {
            Ev::Disconnecting { server, sid: socket.id().to_owned(), reason: reason.as_str(), rooms, leaving }
        }
        Event::ServerSide { server, ns, name, args, ack } => Ev::ServerSide { server, ns, name, args, ack },
        other => Ev::Core(other),
    }
}

/// Runs on a runtime thread: a dynamic namespace's notification; its socket's leaving
/// is told to JS as any socket's.
pub(crate) fn from_dynamic(server: u64, ev: DynamicEvent) -> Ev {
    match ev {
        DynamicEvent::Disconnecting { socket, reason, rooms, leaving, .. } => {
            Ev::Disconnecting { server, sid: socket.id().to_owned(), reason: reason.as_str(), rooms, leaving }
        }
        DynamicEvent::Disconnect { socket, reason, .. } => Ev::Core(Event::Disconnect { server, socket, reason }),
        ev => Ev::Dynamic { server, ev },
    }
}

/// Runs on the JS thread: a batch for the dispatcher. Runs of server messages without
/// binary arguments, from sockets JS knows by number (`crate::keys`), become one event,
/// `kind: "messages"`, whose JSON text holds them all: `[[owner, key, ackId | null, name,
/// ...args], ...]`. One `JSON.parse` then builds them in JavaScript, where an object per
/// event took a property write per field through napi and left the dispatcher with
/// objects of many shapes; the arguments sit in the row itself, so JS hands them to the
/// handlers without an array of their own.
pub(crate) fn batch_to_js(evs: Vec<Ev>) -> Vec<NativeEvent> {
    let mut out = Vec::with_capacity(evs.len());
    let mut pack = Vec::new();
    // Room for a run of small messages, taken when a run starts: growing the run from
    // nothing copied it a few times over, in large blocks the allocator merges and splits
    // again. At most a typical batch's, so that a burst does not take a block per batch.
    let room = evs.len().min(1024) * 96;
    for ev in evs {
        match ev {
            Ev::Core(Event::Message { server, socket, name, args, ack }) => {
                let ack_id = ack.map(|a| a.id() as i64);
                if ack_id.is_some() {
                    // Its answer comes after the batch's handlers: by then the socket's
                    // lines have left the cache, and each answer stalled on them in turn.
                    socket.prefetch_answer();
                }
                let (json, attachments) = match crate::keys::key_of(&socket) {
                    Some(key) => {
                        if pack.capacity() == 0 {
                            pack.reserve(room);
                        }
                        match pack_message(&mut pack, server, key, &name, ack_id, &args) {
                            Ok(()) => continue,
                            Err(wire) => wire,
                        }
                    }
                    None => {
                        let mut attachments = Vec::new();
                        (args.into_wire_text(&mut attachments), attachments)
                    }
                };
                close_pack(&mut pack, &mut out);
                let mut e = base("message", server);
                e.sid = Some(socket.id().to_owned());
                e.name = Some(name);
                e.ack_id = ack_id;
                e.json = Some(json);
                e.bins = Some(attachments.into_iter().map(|b| Buffer::from(b.to_vec())).collect());
                out.push(e);
            }
            other => {
                close_pack(&mut pack, &mut out);
                if let Ok(e) = to_js(other) {
                    out.push(e);
                }
            }
        }
    }
    close_pack(&mut pack, &mut out);
    out
}

/// Appends one message's row to `pack` (opened by the first), written straight into it.
/// If the arguments hold buffers (those cross as buffers), `pack` is left as it was and
/// the arguments' text and buffers come back, written once.
fn pack_message(
    pack: &mut Vec<u8>,
    server: u64,
    key: u32,
    name: &str,
    ack_id: Option<i64>,
    args: &Args,
) -> std::result::Result<(), (String, Vec<bytes::Bytes>)> {
    let mut num = itoa::Buffer::new();
    let start = pack.len();
    pack.extend_from_slice(if start == 0 { b"[[" } else { b",[" });
    // The owner as `base` gives it to every other event (the JS side keys servers by it).
    pack.extend_from_slice(num.format(server as u32).as_bytes());
    pack.push(b',');
    pack.extend_from_slice(num.format(key).as_bytes());
    match ack_id {
        Some(id) => {
            pack.push(b',');
            pack.extend_from_slice(num.format(id).as_bytes());
            pack.push(b',');
        }
        None => pack.extend_from_slice(b",null,"),
    }
    serde_json::to_writer(&mut *pack, name).expect("a string always serialises");
    let mut attachments = Vec::new();
    let at = pack.len();
    args.write_wire(pack, &mut attachments);
    if !attachments.is_empty() {
        let json = String::from_utf8(pack[at..].to_vec()).expect("serde_json writes UTF-8");
        pack.truncate(start);
        return Err((json, attachments));
    }
    // The arguments' array `[a, b]` becomes `, a, b` after the name (nothing when empty);
    // its `]` closes the row.
    if pack[at + 1..].iter().all(|c| c.is_ascii_whitespace() || *c == b']') {
        pack.truncate(at);
        pack.push(b']');
    } else {
        pack[at] = b',';
    }
    Ok(())
}

/// Ends the run of packed messages, if any, as one event.
fn close_pack(pack: &mut Vec<u8>, out: &mut Vec<NativeEvent>) {
    if pack.is_empty() {
        return;
    }
    pack.push(b']');
    let mut e = base("messages", 0);
    e.json = Some(String::from_utf8(std::mem::take(pack)).expect("serde_json writes UTF-8"));
    out.push(e);
}

/// Runs on the JS thread: the object handed to the dispatcher.
pub(crate) fn to_js(ev: Ev) -> Result<NativeEvent> {
    Ok(match ev {
        Ev::Disconnecting { server, sid, reason, rooms, leaving } => {
            let mut e = base("disconnecting", server);
            e.leaving = Some(NativeLeaving::new(leaving));
            e.sid = Some(sid);
            e.reason = Some(reason.to_owned());
            e.rooms = Some(rooms);
            e
        }
        Ev::ServerClosed { server } => {
            crate::keys::forget_server(server);
            base("closed", server)
        }
        Ev::Dynamic { server, ev } => match ev {
            DynamicEvent::Middleware { parent, socket, decision } => {
                let mut e = base("middleware", server);
                e.sid = Some(socket.id().to_owned());
                e.socket = Some(NativeSocket::new(server, socket));
                e.decision = Some(NativeDecision::new(decision));
                e.parent = Some(parent);
                e
            }
            DynamicEvent::Connection { parent, socket } => {
                let mut e = base("connection", server);
                e.sid = Some(socket.id().to_owned());
                e.socket = Some(NativeSocket::numbered(server, socket));
                e.parent = Some(parent);
                e
            }
            DynamicEvent::Match { parent, nsp, auth, reply } => {
                let mut e = base("match", server);
                e.name = Some(nsp);
                e.parent = Some(parent);
                let (json, bins) = value_to_js(&auth);
                e.json = Some(json);
                e.bins = Some(bins.into_iter().map(Buffer::from).collect());
                e.match_reply = Some(NativeMatchReply::new(reply));
                e
            }
            // `from_dynamic` made them plain socket events.
            ev @ (DynamicEvent::Disconnecting { .. } | DynamicEvent::Disconnect { .. }) => {
                return to_js(from_dynamic(server, ev))
            }
        },
        Ev::EngineConnection { server, conn, transport } => {
            let mut e = base("engine_connection", server);
            e.sid = Some(conn);
            e.name = Some(transport.to_owned());
            e
        }
        Ev::EngineClose { server, conn, reason } => {
            let mut e = base("engine_close", server);
            e.sid = Some(conn);
            e.reason = Some(reason.to_owned());
            e
        }
        Ev::Conn { server, conn, name, packet_type, data, bin } => {
            let mut e = base("conn_event", server);
            e.sid = Some(conn);
            e.name = Some(name.to_owned());
            e.packet_type = packet_type.map(str::to_owned);
            e.data = data;
            e.bins = bin.map(|b| vec![Buffer::from(b.to_vec())]);
            e
        }
        Ev::ClientEngine { manager, activity } => {
            let mut e = base("manager_engine", manager);
            e.name = Some(activity.name().to_owned());
            match activity {
                ClientEngineActivity::Open { sid, transport } => {
                    e.sid = Some(sid);
                    e.transport = Some(transport.to_owned());
                }
                ClientEngineActivity::Upgrade(transport) => e.transport = Some(transport.to_owned()),
                ClientEngineActivity::Close(reason) => e.reason = Some(reason.to_owned()),
                ClientEngineActivity::Packet(p) | ClientEngineActivity::PacketCreate(p) => {
                    e.packet_type = Some(p.kind.to_owned());
                    e.data = p.text;
                    e.bins = p.binary.map(|b| vec![Buffer::from(b.to_vec())]);
                }
                ClientEngineActivity::Drain => {}
            }
            e
        }
        Ev::ClientAuth { client, reply } => {
            let mut e = base("client_auth", client);
            e.auth_reply = Some(NativeAuthReply::new(reply));
            e
        }
        Ev::ServerSide { server, ns, name, args, ack } => {
            let mut e = base("server_side", server);
            e.name = Some(name);
            e.nsp = Some(ns);
            e.server_side_ack = ack.map(|a| NativeServerSideAck::new(server, a));
            with_args(e, args)
        }
        Ev::Log { level, logger, message } => {
            let mut e = base("log", 0);
            e.level = Some(level.as_str().to_owned());
            e.name = Some(logger.to_owned());
            e.message = Some(message);
            e
        }
        Ev::HostHttp { key, res } => {
            let mut e = base("host_http", 0);
            e.key = Some(key);
            with_response(e, res)
        }
        Ev::HostAccept { key, result } => {
            let mut e = base("host_accept", 0);
            e.key = Some(key);
            match result {
                Ok((socket, headers)) => {
                    e.host_socket = Some(NativeHostSocket::new(socket, key));
                    e.headers = Some(flat(headers));
                    e
                }
                Err(res) => with_response(e, res),
            }
        }
        Ev::HostSend { key, message } => {
            let mut e = match message {
                WsMessage::Text(text) => {
                    let mut e = base("host_send", 0);
                    e.body = Some(Buffer::from(Vec::from(bytes::Bytes::from(text))));
                    e.binary = Some(false);
                    e
                }
                WsMessage::Binary(data) => {
                    let mut e = base("host_send", 0);
                    e.body = Some(Buffer::from(Vec::from(data)));
                    e.binary = Some(true);
                    e
                }
                WsMessage::Close(code) => {
                    let mut e = base("host_close", 0);
                    e.status = code.map(u32::from);
                    e
                }
            };
            e.key = Some(key);
            e
        }
        Ev::HostResume { key } => {
            let mut e = base("host_resume", 0);
            e.key = Some(key);
            e
        }
        Ev::AckDone { key, outcome } => {
            let mut e = base("ack", 0);
            e.key = Some(key);
            let (reason, args) = match outcome {
                AckOutcome::Answered(args) => ("answered", args),
                AckOutcome::TimedOut => ("timeout", Vec::new()),
                AckOutcome::Disconnected => ("disconnected", Vec::new()),
                AckOutcome::Cancelled => ("cancelled", Vec::new()),
            };
            e.reason = Some(reason.to_owned());
            with_args(e, args)
        }
        Ev::Core(ev) => match ev {
            Event::Connection { server, socket } => {
                let mut e = base("connection", server);
                e.sid = Some(socket.id().to_owned());
                e.socket = Some(NativeSocket::numbered(server, socket));
                e
            }
            Event::Middleware { server, socket, decision } => {
                let mut e = base("middleware", server);
                e.sid = Some(socket.id().to_owned());
                e.socket = Some(NativeSocket::new(server, socket));
                e.decision = Some(NativeDecision::new(decision));
                e
            }
            Event::Message { server, socket, name, args, ack } => {
                let mut e = base("message", server);
                e.sid = Some(socket.id().to_owned());
                e.name = Some(name);
                e.ack_id = ack.map(|a| a.id() as i64);
                with_args(e, args)
            }
            Event::Disconnecting { server, socket, reason, .. } => {
                let mut e = base("disconnecting", server);
                e.sid = Some(socket.id().to_owned());
                e.reason = Some(reason.as_str().to_owned());
                e
            }
            Event::Disconnect { server, socket, reason } => {
                crate::keys::forget(&socket);
                let mut e = base("disconnect", server);
                e.sid = Some(socket.id().to_owned());
                e.reason = Some(reason.as_str().to_owned());
                e
            }
            Event::Upgrade { server, conn, transport } => {
                let mut e = base("upgrade", server);
                e.sid = Some(conn);
                e.name = Some(transport.as_str().to_owned());
                e
            }
            Event::ClientConnect { client } => base("client_connect", client),
            Event::ClientConnectError { client, error, active } => {
                let mut e = base("client_connect_error", client);
                e.message = Some(error.message);
                e.active = Some(active);
                match error.data {
                    Some(d) => with_args(e, vec![d]),
                    None => e,
                }
            }
            Event::ClientDisconnect { client, reason, active, details } => {
                let mut e = base("client_disconnect", client);
                e.reason = Some(reason.as_str().to_owned());
                e.active = Some(active);
                if let Some(d) = details {
                    e.message = Some(d.description);
                    e.context = d.context;
                }
                e
            }
            Event::ClientMessage { client, name, args, ack } => {
                let mut e = base("client_message", client);
                e.name = Some(name);
                e.client_ack = ack.map(NativeClientAck::new);
                with_args(e, args)
            }
            Event::ReconnectAttempt { client, attempt } => {
                let mut e = base("reconnect_attempt", manager_of(client));
                e.attempt = Some(attempt);
                e
            }
            Event::Reconnect { client, attempt } => {
                let mut e = base("reconnect", manager_of(client));
                e.attempt = Some(attempt);
                e
            }
            Event::ReconnectError { client, message } => {
                let mut e = base("reconnect_error", manager_of(client));
                e.message = Some(message);
                e
            }
            Event::ReconnectFailed { client } => base("reconnect_failed", manager_of(client)),
            // Not asked for by this addon yet (`watch_manager`): the JS Manager has no
            // native open/ping/close/error events.
            Event::Manager { client, event } => {
                let mut e = base("manager", manager_of(client));
                e.name = Some(event.name().to_owned());
                e
            }
            // `from_core` made it an `Ev::ServerSide`.
            ev @ Event::ServerSide { .. } => return to_js(from_core(ev)),
        },
    })
}
