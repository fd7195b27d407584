//! Listeners a host registers on one server socket, one client, or one Engine.IO
//! connection: the catch-alls (`onAny`, `onAnyOutgoing`), the per-socket packet middleware
//! (`socket.use`) and its `error` event, the per-socket user-data slot, and the Engine.IO
//! connection's own events (`socket.conn`, socket.io-client's `socket.io.engine`).
//!
//! Each is a translation of the core's listener: the C face builds the arguments, calls
//! the host inside a panic boundary, and never decides behaviour (order, refusal, what a
//! packet is) itself.
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use sio_core::embed::{ClientEngineActivity, ConnActivity, ConnChange, EmbeddedServer, EnginePacket, Socket};
use sio_core::Value;

use crate::args::{c_text, sio_buf, HostPtr, WireArgs};
use crate::client::sio_client;
use crate::error::{guard, guard_value, guard_void, null, sio_status, Error};
use crate::runtime::sio_free_cb;
use crate::server::sio_packet_middleware_cb;
use crate::socket::sio_socket;

/// Sees one event of a server socket: `name` (NUL-terminated, `name_len` bytes) and its
/// arguments as a JSON array with buffer placeholders plus the buffers. `socket` is a
/// handle for the call (`sio_socket_clone` keeps it); everything is borrowed for the call.
pub type sio_any_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        socket: *const sio_socket,
        name: *const c_char,
        name_len: usize,
        args_json: *const c_char,
        args_json_len: usize,
        bufs: *const sio_buf,
        n_bufs: usize,
    ),
>;

/// Sees one event of a client: as `sio_any_cb`, with the client handle the listener was
/// registered on.
pub type sio_client_any_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        client: *const sio_client,
        name: *const c_char,
        name_len: usize,
        args_json: *const c_char,
        args_json_len: usize,
        bufs: *const sio_buf,
        n_bufs: usize,
    ),
>;

/// Receives the message of a server socket's `error` event (NUL-terminated, `message_len`
/// bytes, borrowed for the call).
pub type sio_socket_error_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, socket: *const sio_socket, message: *const c_char, message_len: usize),
>;

/// One thing an Engine.IO connection did, as engine.io / engine.io-client name it. Every
/// pointer is borrowed for the call; strings are NUL-terminated; a field that does not
/// apply is NULL (and its length 0).
#[repr(C)]
pub struct sio_engine_activity {
    /// The event: `open` (client), `packet`, `packetCreate`, `upgrade`, `drain` or `close`.
    pub name: *const c_char,
    /// `packet` / `packetCreate`: the packet type, `open`, `close`, `ping`, `pong`,
    /// `message`, `upgrade` or `noop`.
    pub packet_type: *const c_char,
    /// The packet's text data: always present for a text `message` (maybe empty), else
    /// only when there is some (a `probe` ping, the `open` handshake).
    pub text: *const c_char,
    /// Length of `text`.
    pub text_len: usize,
    /// The data of a binary `message`.
    pub binary: *const u8,
    /// Length of `binary`.
    pub binary_len: usize,
    /// `open`, `upgrade`: the transport, `polling` or `websocket`.
    pub transport: *const c_char,
    /// `open`: the Engine.IO session id.
    pub sid: *const c_char,
    /// `close`: the reference's reason (`transport close`, `ping timeout`, `forced close`...).
    pub reason: *const c_char,
}

/// Receives each activity of an Engine.IO connection (`activity` borrowed for the call).
pub type sio_engine_cb = Option<unsafe extern "C" fn(user_data: *mut c_void, activity: *const sio_engine_activity)>;

/// A client handle's address, for its listeners (used only while the handle lives).
#[derive(Clone, Copy)]
struct ClientPtr(*const sio_client);
unsafe impl Send for ClientPtr {}
unsafe impl Sync for ClientPtr {}

/// Calls `f(name, name_len, args_json, args_json_len, bufs, n_bufs)` with an event's
/// name and arguments laid out for C, all of it living until `f` returns.
fn with_event_args<R>(
    name: &str,
    args: &[Value],
    f: impl FnOnce(*const c_char, usize, *const c_char, usize, *const sio_buf, usize) -> R,
) -> R {
    let wire = WireArgs::new(args);
    let name = c_text(name);
    let json = &wire.json;
    let bufs = if wire.bufs.is_empty() { std::ptr::null() } else { wire.bufs.as_ptr() };
    f(name.as_ptr(), name.as_bytes().len(), json.as_ptr(), json.as_bytes().len(), bufs, wire.bufs.len())
}

fn sock<'a>(s: *const sio_socket) -> Result<&'a sio_socket, Error> {
    unsafe { s.as_ref() }.ok_or_else(|| null("socket"))
}

// ------------------------------------------------------------------ server socket catch-alls

type AnyFn = unsafe extern "C" fn(
    *mut c_void,
    *const sio_socket,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const sio_buf,
    usize,
);

/// The core listener that calls `cb` with a handle of the socket.
fn any_listener(
    server: EmbeddedServer,
    cb: AnyFn,
    user_data: *mut c_void,
) -> impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static {
    let data = HostPtr(user_data);
    move |socket, name, args| {
        let data = data;
        // No panic may unwind into the core's dispatch.
        guard_void(|| {
            let handle = sio_socket::new(socket.clone(), server.clone());
            with_event_args(name, args, |n, nl, j, jl, b, bl| unsafe { cb(data.0, &handle, n, nl, j, jl, b, bl) });
        });
    }
}

type MiddlewareFn = unsafe extern "C" fn(
    *mut c_void,
    *const sio_socket,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const sio_buf,
    usize,
) -> *const c_char;

/// The core middleware that asks `cb` (server-wide or per socket): NULL lets the event
/// through, a message refuses it.
pub(crate) fn middleware(
    server: EmbeddedServer,
    cb: MiddlewareFn,
    user_data: *mut c_void,
) -> impl Fn(&Socket, &str, &[Value]) -> Result<(), String> + Send + Sync + 'static {
    let data = HostPtr(user_data);
    move |socket, name, args| {
        let data = data;
        // No panic may unwind into the core's dispatch.
        guard_value(Err("internal error in the C middleware bridge".to_owned()), || {
            let handle = sio_socket::new(socket.clone(), server.clone());
            let verdict =
                with_event_args(name, args, |n, nl, j, jl, b, bl| unsafe { cb(data.0, &handle, n, nl, j, jl, b, bl) });
            if verdict.is_null() {
                Ok(())
            } else {
                Err(unsafe { std::ffi::CStr::from_ptr(verdict) }.to_string_lossy().into_owned())
            }
        })
    }
}

/// Which catch-all list, and where in it.
#[derive(Clone, Copy)]
enum AnyPlace {
    In,
    PrependIn,
    Out,
    PrependOut,
}

unsafe fn socket_any(socket: *const sio_socket, cb: sio_any_cb, user_data: *mut c_void, place: AnyPlace) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let f = any_listener(s.server.clone(), cb, user_data);
        match place {
            AnyPlace::In => s.inner.on_any(f),
            AnyPlace::PrependIn => s.inner.prepend_any(f),
            AnyPlace::Out => s.inner.on_any_outgoing(f),
            AnyPlace::PrependOut => s.inner.prepend_any_outgoing(f),
        }
        Ok(())
    })
}

/// Adds a catch-all listener for the events the client sends this socket (socket.io's
/// `socket.onAny`): `cb(user_data, socket, name, ...)` for each, after the listeners added
/// before. As in socket.io, catch-alls run before any packet middleware
/// (`sio_server_set_packet_middleware`, `sio_socket_use`), so they also see events a
/// middleware refuses. Runs on a runtime thread; must be quick. `user_data` must stay
/// valid until the socket's SIO_EVENT_DISCONNECT or `sio_socket_off_any` (a call already
/// under way on another thread may still complete).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_on_any(
    socket: *const sio_socket,
    cb: sio_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    socket_any(socket, cb, user_data, AnyPlace::In)
}

/// As `sio_socket_on_any`, but `cb` runs before the catch-alls added before it
/// (socket.io's `socket.prependAny`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_prepend_any(
    socket: *const sio_socket,
    cb: sio_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    socket_any(socket, cb, user_data, AnyPlace::PrependIn)
}

/// Removes every incoming catch-all listener of the socket (socket.io's `socket.offAny()`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_off_any(socket: *const sio_socket) -> sio_status {
    guard(|| {
        sock(socket)?.inner.off_any();
        Ok(())
    })
}

/// Adds a catch-all listener for the events this socket emits to its client (socket.io's
/// `socket.onAnyOutgoing`): `sio_socket_emit` and `sio_socket_emit_with_ack`, not
/// broadcasts nor acknowledgement answers. `cb` runs before the packet is sent, inside
/// the emitting call on the caller's thread (`sio_socket_emit`) or on a runtime thread
/// (`sio_socket_emit_with_ack`): it must not take a lock the emitting thread holds.
/// `user_data` as for `sio_socket_on_any`, until `sio_socket_off_any_outgoing`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_on_any_outgoing(
    socket: *const sio_socket,
    cb: sio_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    socket_any(socket, cb, user_data, AnyPlace::Out)
}

/// As `sio_socket_on_any_outgoing`, but `cb` runs before the outgoing catch-alls added
/// before it (socket.io's `socket.prependAnyOutgoing`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_prepend_any_outgoing(
    socket: *const sio_socket,
    cb: sio_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    socket_any(socket, cb, user_data, AnyPlace::PrependOut)
}

/// Removes every outgoing catch-all listener of the socket (socket.io's
/// `socket.offAnyOutgoing()`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_off_any_outgoing(socket: *const sio_socket) -> sio_status {
    guard(|| {
        sock(socket)?.inner.off_any_outgoing();
        Ok(())
    })
}

// ------------------------------------------------------------------ socket.use and `error`

/// Adds a packet middleware to this socket only (socket.io's `socket.use`), after the
/// server-wide one (`sio_server_set_packet_middleware`) and those added before: for each
/// event the client sends, `cb` returns NULL to let it through, or a NUL-terminated
/// message (copied before the call returns) to refuse it. A refused event goes no
/// further: no later middleware, no SIO_EVENT_MESSAGE, and an acknowledgement the client
/// asked for is never answered; the socket's `error` listeners (`sio_socket_on_error`)
/// get the message, and the client is told nothing (as socket.io's `next(err)`). Runs on
/// a runtime thread for every event; must be quick. `user_data` must stay valid until the
/// socket's SIO_EVENT_DISCONNECT.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_use(
    socket: *const sio_socket,
    cb: sio_packet_middleware_cb,
    user_data: *mut c_void,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        s.inner.use_middleware(middleware(s.server.clone(), cb, user_data));
        Ok(())
    })
}

/// Adds a listener for the socket's `error` event (socket.io's `socket.on("error")`):
/// `cb(user_data, socket, message, message_len)` each time a packet middleware — this
/// socket's (`sio_socket_use`) or the server-wide one — refuses an event, with the
/// middleware's message. Runs on a runtime thread. `user_data` must stay valid until the
/// socket's SIO_EVENT_DISCONNECT.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_on_error(
    socket: *const sio_socket,
    cb: sio_socket_error_cb,
    user_data: *mut c_void,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let (server, data) = (s.server.clone(), HostPtr(user_data));
        s.inner.on_error(move |socket, message| {
            let data = data;
            guard_void(|| {
                let handle = sio_socket::new(socket.clone(), server.clone());
                let m = c_text(message);
                unsafe { cb(data.0, &handle, m.as_ptr(), m.as_bytes().len()) };
            });
        });
        Ok(())
    })
}

// ------------------------------------------------------------------ per-socket user data

/// The host's pointer in a socket's extensions; its finalizer runs when the last copy
/// goes (replaced, or the socket freed by the core).
#[derive(Clone)]
struct HostSlot(Arc<Slot>);

struct Slot {
    data: HostPtr,
    free: Mutex<sio_free_cb>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let free = self.free.get_mut().map(|f| f.take()).unwrap_or(None);
        if let Some(free) = free {
            let data = self.data;
            guard_void(|| unsafe { free(data.0) });
        }
    }
}

/// Stores `data` in the socket (socket.io's extra attributes, `socket.user = ..`): every
/// handle of this socket — those of later events included — gets it back from
/// `sio_socket_user_data`. `free_fn` (may be NULL) is called once with `data` when it is
/// replaced by another pointer (inside this call), or when the core frees the socket:
/// after its SIO_EVENT_DISCONNECT, once no handle of it (`sio_socket_clone`, a queued
/// event) is left, on whichever thread lets the last one go. Storing the pointer already
/// stored keeps it (only the new `free_fn` counts); `data` NULL clears the slot. Not
/// synchronised with a `sio_socket_user_data` on another thread that races with it.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_set_user_data(
    socket: *const sio_socket,
    data: *mut c_void,
    free_fn: sio_free_cb,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let extensions = s.inner.extensions();
        let previous = if data.is_null() {
            extensions.remove::<HostSlot>()
        } else {
            extensions.insert(HostSlot(Arc::new(Slot { data: HostPtr(data), free: Mutex::new(free_fn) })))
        };
        if let Some(previous) = previous {
            if previous.0.data.0 == data {
                // The same pointer stays: it must not be freed.
                *previous.0.free.lock().expect("slot lock poisoned") = None;
            }
        }
        Ok(())
    })
}

/// The pointer stored with `sio_socket_set_user_data` in this socket, or NULL (none
/// stored, or `socket` NULL).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_user_data(socket: *const sio_socket) -> *mut c_void {
    guard_value(std::ptr::null_mut(), || {
        let Some(s) = socket.as_ref() else {
            return std::ptr::null_mut();
        };
        s.inner.extensions().get::<HostSlot>().map_or(std::ptr::null_mut(), |slot| slot.0.data.0)
    })
}

// ------------------------------------------------------------------ Engine.IO activity

/// The C view of one activity, and the strings it points into.
#[derive(Default)]
struct Activity {
    name: &'static str,
    packet: Option<EnginePacket>,
    transport: Option<&'static str>,
    sid: Option<String>,
    reason: Option<&'static str>,
}

impl Activity {
    /// Calls `cb(user_data, &view)`.
    fn deliver(self, cb: EngineFn, data: HostPtr) {
        let opt = |s: Option<&str>| s.map(c_text);
        let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        let name = c_text(self.name);
        let kind = opt(self.packet.as_ref().map(|p| p.kind));
        let text = opt(self.packet.as_ref().and_then(|p| p.text.as_deref()));
        let transport = opt(self.transport);
        let sid = opt(self.sid.as_deref());
        let reason = opt(self.reason);
        let binary = self.packet.as_ref().and_then(|p| p.binary.as_ref());
        let view = sio_engine_activity {
            name: name.as_ptr(),
            packet_type: ptr(&kind),
            text: ptr(&text),
            text_len: text.as_ref().map_or(0, |t| t.as_bytes().len()),
            binary: binary.map_or(std::ptr::null(), |b| b.as_ptr()),
            binary_len: binary.map_or(0, |b| b.len()),
            transport: ptr(&transport),
            sid: ptr(&sid),
            reason: ptr(&reason),
        };
        unsafe { cb(data.0, &view) };
    }
}

type EngineFn = unsafe extern "C" fn(*mut c_void, *const sio_engine_activity);

/// Starts reporting what the socket's Engine.IO connection does (socket.io's
/// `socket.conn.on(..)`), shared by the sockets of that client's namespaces: `packet`
/// (each packet received), `packetCreate` (each packet about to be sent), `drain` (the
/// queue was flushed to the transport), `upgrade` (to `websocket`) and, last, `close`
/// with its reason. Runs on a runtime thread, except `packetCreate`, which may run inside
/// the sio call that queues the packet (e.g. `sio_socket_emit`) on the caller's thread.
/// Every call adds a watcher; there is no unwatching: `user_data` must stay valid until
/// the `close` call (or `sio_runtime_free`). SIO_ERR_DISCONNECTED if the connection is
/// already closed.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_watch_conn(
    socket: *const sio_socket,
    cb: sio_engine_cb,
    user_data: *mut c_void,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let conn = s.inner.conn();
        let data = HostPtr(user_data);
        let watching = s.server.watch_conn_changes(conn.id(), move |change| {
            let data = data;
            guard_void(|| {
                let activity = match change {
                    ConnChange::Upgrade(t) => Activity { name: "upgrade", transport: Some(t), ..Activity::default() },
                    ConnChange::Close(r) => Activity { name: "close", reason: Some(r), ..Activity::default() },
                };
                activity.deliver(cb, data)
            })
        });
        if !watching {
            return Err(Error::new(sio_status::SIO_ERR_DISCONNECTED, "the connection is closed"));
        }
        s.server.watch_conn(conn.id(), move |activity: ConnActivity| {
            guard_void(|| {
                let packet = activity.packet().cloned();
                Activity { name: activity.name(), packet, ..Activity::default() }.deliver(cb, data)
            })
        });
        Ok(())
    })
}

// ------------------------------------------------------------------ client listeners

type ClientAnyFn = unsafe extern "C" fn(
    *mut c_void,
    *const sio_client,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const sio_buf,
    usize,
);

unsafe fn client_any(
    client: *const sio_client,
    cb: sio_client_any_cb,
    user_data: *mut c_void,
    place: AnyPlace,
) -> sio_status {
    guard(|| {
        let c = client.as_ref().ok_or_else(|| null("client"))?;
        let cb: ClientAnyFn = cb.ok_or_else(|| null("cb"))?;
        let (live, data, handle) = (c.live.clone(), HostPtr(user_data), ClientPtr(client));
        let f = move |_: &_, name: &str, args: &[Value]| {
            let (data, handle) = (data, handle);
            if !live.load(Ordering::Acquire) {
                return;
            }
            guard_void(|| {
                with_event_args(name, args, |n, nl, j, jl, b, bl| unsafe { cb(data.0, handle.0, n, nl, j, jl, b, bl) })
            });
        };
        let socket = c.inner.socket();
        match place {
            AnyPlace::In => socket.on_any(f),
            AnyPlace::PrependIn => socket.prepend_any(f),
            AnyPlace::Out => socket.on_any_outgoing(f),
            AnyPlace::PrependOut => socket.prepend_any_outgoing(f),
        }
        Ok(())
    })
}

/// Adds a catch-all listener for the events the server sends this client
/// (socket.io-client's `socket.onAny`): `cb(user_data, client, name, ...)` for each, after
/// the listeners added before, before the event's SIO_EVENT_CLIENT_MESSAGE. Runs on a
/// runtime thread; must be quick. Calls stop when `client` is freed; `user_data` must stay
/// valid until then (a call already under way on another thread may still complete).
#[no_mangle]
pub unsafe extern "C" fn sio_client_on_any(
    client: *const sio_client,
    cb: sio_client_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    client_any(client, cb, user_data, AnyPlace::In)
}

/// As `sio_client_on_any`, but `cb` runs before the catch-alls added before it
/// (socket.io-client's `socket.prependAny`).
#[no_mangle]
pub unsafe extern "C" fn sio_client_prepend_any(
    client: *const sio_client,
    cb: sio_client_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    client_any(client, cb, user_data, AnyPlace::PrependIn)
}

/// Removes every incoming catch-all listener of the client (socket.io-client's
/// `socket.offAny()`).
#[no_mangle]
pub unsafe extern "C" fn sio_client_off_any(client: *const sio_client) -> sio_status {
    guard(|| {
        client.as_ref().ok_or_else(|| null("client"))?.inner.socket().off_any();
        Ok(())
    })
}

/// Adds a catch-all listener for the events this client emits (socket.io-client's
/// `socket.onAnyOutgoing`): every `sio_client_emit*` call that is sent or buffered, not a
/// volatile emit dropped while disconnected. `cb` runs inside the emitting call, on the
/// caller's thread: it must not take a lock the emitting thread holds. `user_data` as for
/// `sio_client_on_any`.
#[no_mangle]
pub unsafe extern "C" fn sio_client_on_any_outgoing(
    client: *const sio_client,
    cb: sio_client_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    client_any(client, cb, user_data, AnyPlace::Out)
}

/// As `sio_client_on_any_outgoing`, but `cb` runs before the outgoing catch-alls added
/// before it (socket.io-client's `socket.prependAnyOutgoing`).
#[no_mangle]
pub unsafe extern "C" fn sio_client_prepend_any_outgoing(
    client: *const sio_client,
    cb: sio_client_any_cb,
    user_data: *mut c_void,
) -> sio_status {
    client_any(client, cb, user_data, AnyPlace::PrependOut)
}

/// Removes every outgoing catch-all listener of the client (socket.io-client's
/// `socket.offAnyOutgoing()`).
#[no_mangle]
pub unsafe extern "C" fn sio_client_off_any_outgoing(client: *const sio_client) -> sio_status {
    guard(|| {
        client.as_ref().ok_or_else(|| null("client"))?.inner.socket().off_any_outgoing();
        Ok(())
    })
}

/// Reports what the client's Engine.IO connection does from now on, across
/// reconnections (socket.io-client's `socket.io.engine` events): `open` (`sid`,
/// `transport`), `packet` (each packet received), `packetCreate` (each packet about to be
/// sent), `upgrade` (`transport`), `drain` (every queued packet written) and `close`
/// (`reason`). One watcher per connection, shared by the clients of `sio_client_socket`:
/// a later call on any of them replaces it, and `cb` NULL stops it. Runs on a runtime
/// thread, except `packetCreate`, which may run inside the sio call that queues the
/// packet (e.g. `sio_client_emit`) on the caller's thread. Calls stop when `client` is
/// freed; `user_data` must stay valid until then or until it is replaced (a call already
/// under way on another thread may still complete).
#[no_mangle]
pub unsafe extern "C" fn sio_client_watch_engine(
    client: *const sio_client,
    cb: sio_engine_cb,
    user_data: *mut c_void,
) -> sio_status {
    guard(|| {
        let c = client.as_ref().ok_or_else(|| null("client"))?;
        let Some(cb) = cb else {
            c.inner.watch_engine(None);
            return Ok(());
        };
        let (live, data) = (c.live.clone(), HostPtr(user_data));
        c.inner.watch_engine(Some(Arc::new(move |activity: ClientEngineActivity| {
            let data = data;
            if !live.load(Ordering::Acquire) {
                return;
            }
            guard_void(|| {
                let name = activity.name();
                let view = match activity {
                    ClientEngineActivity::Open { sid, transport } => {
                        Activity { name, sid: Some(sid), transport: Some(transport), ..Activity::default() }
                    }
                    ClientEngineActivity::Packet(p) | ClientEngineActivity::PacketCreate(p) => {
                        Activity { name, packet: Some(p), ..Activity::default() }
                    }
                    ClientEngineActivity::Upgrade(t) => Activity { name, transport: Some(t), ..Activity::default() },
                    ClientEngineActivity::Drain => Activity { name, ..Activity::default() },
                    ClientEngineActivity::Close(reason) => {
                        Activity { name, reason: Some(reason), ..Activity::default() }
                    }
                };
                view.deliver(cb, data);
            });
        })));
        Ok(())
    })
}
