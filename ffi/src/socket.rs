//! `sio_socket`: a server-side socket (from events), usable from any thread.
use std::ffi::{c_char, c_void};
use std::time::Duration;

use sio_core::embed::Socket;
use sio_core::embed::TransportKind;
use sio_core::embed::{AckOutcome, EmbeddedServer, Target};

use crate::args::{event_args, out_string, sio_buf, sio_str, str_arg, str_list, value_arg, HostPtr, WireArgs};
use crate::error::{guard, guard_value, guard_void, null, sio_status, Error};

/// A socket connected to a namespace of a server.
pub struct sio_socket {
    pub(crate) inner: Socket,
    pub(crate) server: EmbeddedServer,
    id: std::ffi::CString,
    /// Made on first request: every event builds a handle, few ask for it.
    conn_id: std::sync::OnceLock<std::ffi::CString>,
}

impl sio_socket {
    pub(crate) fn new(inner: Socket, server: EmbeddedServer) -> sio_socket {
        let id = std::ffi::CString::new(inner.id()).expect("socket ids are URL-safe text");
        sio_socket { inner, server, id, conn_id: std::sync::OnceLock::new() }
    }
}

/// How an acknowledgement requested by the host ended (exactly one per request).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_ack_outcome {
    /// The peer answered: `args_json` and `bufs` hold its arguments.
    SIO_ACK_ANSWERED = 0,
    /// No answer within the timeout.
    SIO_ACK_TIMED_OUT = 1,
    /// The peer disconnected first.
    SIO_ACK_DISCONNECTED = 2,
    /// The runtime shut down first.
    SIO_ACK_CANCELLED = 3,
}

/// Receives the outcome of `*_emit_with_ack`, once, on a runtime thread. `args_json`
/// ("[]" unless answered) and `bufs` are borrowed for the call.
pub type sio_ack_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        outcome: sio_ack_outcome,
        args_json: *const c_char,
        args_json_len: usize,
        bufs: *const sio_buf,
        n_bufs: usize,
    ),
>;

/// Builds the completion that calls `cb(user_data, ...)` exactly once.
pub(crate) fn ack_completion(
    cb: unsafe extern "C" fn(*mut c_void, sio_ack_outcome, *const c_char, usize, *const sio_buf, usize),
    user_data: *mut c_void,
) -> impl FnOnce(AckOutcome) + Send + 'static {
    let data = HostPtr(user_data);
    move |outcome| {
        let data = data;
        let (kind, args) = match outcome {
            AckOutcome::Answered(a) => (sio_ack_outcome::SIO_ACK_ANSWERED, a),
            AckOutcome::TimedOut => (sio_ack_outcome::SIO_ACK_TIMED_OUT, Vec::new()),
            AckOutcome::Disconnected => (sio_ack_outcome::SIO_ACK_DISCONNECTED, Vec::new()),
            AckOutcome::Cancelled => (sio_ack_outcome::SIO_ACK_CANCELLED, Vec::new()),
        };
        let wire = WireArgs::new(&args);
        let json = &wire.json;
        let bufs = if wire.bufs.is_empty() { std::ptr::null() } else { wire.bufs.as_ptr() };
        unsafe { cb(data.0, kind, json.as_ptr(), json.as_bytes().len(), bufs, wire.bufs.len()) };
    }
}

fn sock<'a>(s: *const sio_socket) -> Result<&'a sio_socket, Error> {
    unsafe { s.as_ref() }.ok_or_else(|| null("socket"))
}

/// Writes `f(socket)` as an owned string for the caller: the shape of the `*_json` getters.
unsafe fn json_out(
    socket: *const sio_socket,
    out: *mut *mut c_char,
    out_len: *mut usize,
    f: impl FnOnce(&Socket) -> String,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        if out.is_null() {
            return Err(null("out"));
        }
        out_string(&f(&s.inner), out, out_len);
        Ok(())
    })
}

/// Copies a socket handle (e.g. to keep the one of an event). Free with `sio_socket_free`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_clone(socket: *const sio_socket, out: *mut *mut sio_socket) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        if out.is_null() {
            return Err(null("out"));
        }
        *out = Box::into_raw(Box::new(sio_socket::new(s.inner.clone(), s.server.clone())));
        Ok(())
    })
}

/// Frees a socket handle from `sio_socket_clone` (NULL-safe). Never free the socket of an event.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_free(socket: *mut sio_socket) {
    guard_void(|| {
        if !socket.is_null() {
            drop(Box::from_raw(socket));
        }
    });
}

/// The socket id (NUL-terminated: 20 characters; `/nsp#<engine id>` or the engine id for
/// socket.io-client 2.x under `allow_eio3`), borrowed from the handle. NULL if
/// `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_id(socket: *const sio_socket) -> *const c_char {
    guard_value(std::ptr::null(), || socket.as_ref().map(|s| s.id.as_ptr()).unwrap_or(std::ptr::null()))
}

/// The id of the socket's Engine.IO connection (NUL-terminated; what SIO_EVENT_UPGRADE
/// carries in `name`, and shared by the sockets of one client's namespaces), borrowed
/// from the handle. NULL if `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_conn_id(socket: *const sio_socket) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let Some(s) = socket.as_ref() else {
            return std::ptr::null();
        };
        s.conn_id.get_or_init(|| std::ffi::CString::new(s.inner.conn().id()).unwrap_or_default()).as_ptr()
    })
}

/// The transport the socket's connection uses now: "polling" or "websocket" (static,
/// NUL-terminated; it changes when the connection upgrades). NULL if `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_transport(socket: *const sio_socket) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let Some(s) = socket.as_ref() else {
            return std::ptr::null();
        };
        let name: &'static [u8] = match s.inner.conn().transport() {
            TransportKind::Polling => b"polling\0",
            TransportKind::Websocket => b"websocket\0",
        };
        name.as_ptr().cast()
    })
}

/// Whether the socket is still connected. false if `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_connected(socket: *const sio_socket) -> bool {
    guard_value(false, || socket.as_ref().is_some_and(|s| s.inner.connected()))
}

/// Whether this connection recovered a previous session (connection state recovery).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_recovered(socket: *const sio_socket) -> bool {
    guard_value(false, || socket.as_ref().is_some_and(|s| s.inner.recovered()))
}

/// The handshake (headers, query, auth, time, issued, url, address, xdomain, secure) as
/// JSON. `*out` is owned by the caller (`sio_string_free`); `out_len` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_handshake_json(
    socket: *const sio_socket,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> sio_status {
    json_out(socket, out, out_len, |s| s.handshake().to_value().to_json_lossy().to_string())
}

/// The rooms of the socket as a sorted JSON array of strings (caller frees with `sio_string_free`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_rooms_json(
    socket: *const sio_socket,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> sio_status {
    json_out(socket, out, out_len, |s| {
        let mut rooms: Vec<String> = s.rooms().into_iter().collect();
        rooms.sort();
        serde_json::to_string(&rooms).expect("strings serialise")
    })
}

/// `socket.data` as JSON (caller frees with `sio_string_free`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_data_json(
    socket: *const sio_socket,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> sio_status {
    json_out(socket, out, out_len, |s| s.data().to_json_lossy().to_string())
}

/// Replaces `socket.data` with a JSON value (what `fetch_sockets` shows other nodes).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_set_data_json(
    socket: *const sio_socket,
    json: *const c_char,
    json_len: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        if json.is_null() {
            return Err(null("json"));
        }
        s.inner.set_data(value_arg(json, json_len, std::ptr::null(), 0)?);
        Ok(())
    })
}

/// Joins `room`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_join(
    socket: *const sio_socket,
    room: *const c_char,
    room_len: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        if room.is_null() {
            return Err(null("room"));
        }
        s.inner.join([str_arg(room, room_len, "room")?.to_owned()]);
        Ok(())
    })
}

/// Leaves `room`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_leave(
    socket: *const sio_socket,
    room: *const c_char,
    room_len: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        if room.is_null() {
            return Err(null("room"));
        }
        s.inner.leave(str_arg(room, room_len, "room")?);
        Ok(())
    })
}

/// Emits `event` with arguments (JSON array + buffers; NULL JSON: none) to this client.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_emit(
    socket: *const sio_socket,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    sio_socket_emit_flags(socket, 0, event, event_len, args_json, args_json_len, bufs, n_bufs)
}

/// Flags of `sio_socket_emit_flags` and `sio_server_emit_flags` (bit flags): socket.io's
/// `volatile` (dropped, not queued, when the client's transport is not ready to write).
pub const SIO_EMIT_VOLATILE: u32 = 1;
/// socket.io's `compress(false)`: not deflated on WebSocket (`per_message_deflate`), and a
/// polling response holding only such events is not HTTP-compressed.
pub const SIO_EMIT_NO_COMPRESS: u32 = 2;

/// The flags of an emit: (volatile, compress). SIO_ERR_INVALID_ARGUMENT for unknown bits.
pub(crate) fn emit_flags(flags: u32) -> Result<(bool, bool), Error> {
    if flags & !(SIO_EMIT_VOLATILE | SIO_EMIT_NO_COMPRESS) != 0 {
        return Err(Error::new(
            sio_status::SIO_ERR_INVALID_ARGUMENT,
            format!("flags: unknown bits {flags:#x} (SIO_EMIT_* only)"),
        ));
    }
    Ok((flags & SIO_EMIT_VOLATILE != 0, flags & SIO_EMIT_NO_COMPRESS == 0))
}

/// [`sio_socket_emit`] with `SIO_EMIT_*` flags (`SIO_EMIT_VOLATILE`,
/// `SIO_EMIT_NO_COMPRESS`); 0 is `sio_socket_emit`. SIO_ERR_INVALID_ARGUMENT for other bits.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_emit_flags(
    socket: *const sio_socket,
    flags: u32,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let (volatile, compress) = emit_flags(flags)?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        s.server.emit_flagged(&s.inner, event, args, volatile, compress).map_err(Error::from)
    })
}

/// Emits and calls `cb(user_data, outcome, ...)` exactly once: the client's answer, a
/// timeout after `timeout_ms` (0: no timeout), a disconnection, or cancellation at
/// shutdown. `cb` runs on a runtime thread.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_emit_with_ack(
    socket: *const sio_socket,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
    timeout_ms: u32,
    cb: sio_ack_cb,
    user_data: *mut c_void,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        s.server.emit_with_ack(&s.inner, event, args, timeout, ack_completion(cb, user_data)).map_err(Error::from)
    })
}

/// Emits to every socket of this socket's namespace in `room` (NULL: all), except this
/// socket and the members of `except` (NULL: none).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_broadcast(
    socket: *const sio_socket,
    room: *const c_char,
    room_len: usize,
    except: *const c_char,
    except_len: usize,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let room = crate::args::opt_str_arg(room, room_len, "room")?;
        let except = crate::args::opt_str_arg(except, except_len, "except")?;
        let target = Target::broadcast_from(&s.inner).to(room).except(except);
        s.server.emit_to(&target, event, args).map_err(Error::from)
    })
}

/// Emits to every socket of this socket's namespace in any of the `n_rooms` rooms (0:
/// all), except this socket and the members of any of the `n_excepts` rooms (socket.io's
/// `socket.to([..]).except([..]).emit`): a socket in several of the rooms gets the event
/// once. `rooms` / `excepts` may be NULL only when their count is 0.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_broadcast_rooms(
    socket: *const sio_socket,
    rooms: *const sio_str,
    n_rooms: usize,
    excepts: *const sio_str,
    n_excepts: usize,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        let rooms = str_list(rooms, n_rooms, "rooms")?;
        let excepts = str_list(excepts, n_excepts, "excepts")?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let target = Target::broadcast_from(&s.inner).to(rooms).except(excepts);
        s.server.emit_to(&target, event, args).map_err(Error::from)
    })
}

/// Disconnects the socket (`close`: the whole connection). Returns at once; the
/// disconnect events follow.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_disconnect(socket: *const sio_socket, close: bool) -> sio_status {
    guard(|| {
        let s = sock(socket)?;
        s.server.disconnect_socket(&s.inner, close);
        Ok(())
    })
}
