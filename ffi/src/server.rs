//! `sio_server`: options, listening, namespaces, broadcasts.
use std::ffi::c_char;
use std::time::Duration;

use sio_core::embed::EmbeddedServer;
use sio_core::engine::server::{Cors, CorsOrigin, TransportKind};
use sio_core::server::{BroadcastOperator, RecoveryConfig, ServerConfig};

use crate::args::{event_args, opt_str_arg, sio_buf, sio_str, str_arg, str_list};
use crate::error::{guard, guard_void, null, sio_status, Error};
use crate::runtime::sio_runtime;
use crate::socket::{ack_completion, sio_ack_cb};

/// Transports a server accepts or a client uses (bit flags).
pub const SIO_TRANSPORT_POLLING: u32 = 1;
/// WebSocket.
pub const SIO_TRANSPORT_WEBSOCKET: u32 = 2;

/// Server options; start from `sio_server_options_default`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_server_options {
    /// Endpoint path, NUL-terminated (NULL: "/socket.io/").
    pub path: *const c_char,
    /// Ping interval (default 25000).
    pub ping_interval_ms: u32,
    /// Ping timeout (default 20000).
    pub ping_timeout_ms: u32,
    /// Namespace join timeout (default 45000).
    pub connect_timeout_ms: u32,
    /// Largest accepted message in bytes (default 1000000).
    pub max_http_buffer_size: u64,
    /// SIO_TRANSPORT_* flags (default both).
    pub transports: u32,
    /// Answer CORS requests from any origin (default false).
    pub cors_any_origin: bool,
    /// Or only from these origins: comma-separated, NUL-terminated (NULL: none).
    pub cors_origins: *const c_char,
    /// Connection state recovery (default false).
    pub recovery: bool,
    /// How long a disconnected session is kept for recovery (default 120000).
    pub recovery_max_disconnection_ms: u32,
    /// Joins a cluster through Redis: `redis://host:port[/db]`, NUL-terminated (NULL: no
    /// cluster). Wire-compatible with `@socket.io/redis-adapter`, so Node.js socket.io
    /// servers may share the cluster; with `recovery`, sessions recover on any sio node.
    /// Redis need not be up: the server serves its own clients meanwhile and logs it.
    pub cluster_url: *const c_char,
}

/// Writes the reference defaults into `*out`.
#[no_mangle]
pub unsafe extern "C" fn sio_server_options_default(out: *mut sio_server_options) -> sio_status {
    guard(|| {
        let out = out.as_mut().ok_or_else(|| null("out"))?;
        *out = sio_server_options {
            path: std::ptr::null(),
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
            connect_timeout_ms: 45_000,
            max_http_buffer_size: 1_000_000,
            transports: SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET,
            cors_any_origin: false,
            cors_origins: std::ptr::null(),
            recovery: false,
            recovery_max_disconnection_ms: 120_000,
            cluster_url: std::ptr::null(),
        };
        Ok(())
    })
}

pub(crate) fn transports(flags: u32) -> Result<Vec<TransportKind>, Error> {
    let mut t = Vec::new();
    if flags & SIO_TRANSPORT_POLLING != 0 {
        t.push(TransportKind::Polling);
    }
    if flags & SIO_TRANSPORT_WEBSOCKET != 0 {
        t.push(TransportKind::Websocket);
    }
    if t.is_empty() {
        return Err(Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, "no transport enabled"));
    }
    Ok(t)
}

/// A Socket.IO server.
pub struct sio_server {
    pub(crate) inner: EmbeddedServer,
}

/// Creates a server on `rt` (options NULL: defaults). Namespace `/` exists and forwards
/// its events. On success `*out` owns the server (free with `sio_server_free`).
#[no_mangle]
pub unsafe extern "C" fn sio_server_new(
    rt: *const sio_runtime,
    options: *const sio_server_options,
    out: *mut *mut sio_server,
) -> sio_status {
    guard(|| {
        let rt = rt.as_ref().ok_or_else(|| null("rt"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        let mut defaults = std::mem::MaybeUninit::<sio_server_options>::uninit();
        sio_server_options_default(defaults.as_mut_ptr());
        let o = options.as_ref().copied().unwrap_or_else(|| defaults.assume_init());
        let mut b = sio_core::server::Server::builder()
            .ping_interval(Duration::from_millis(u64::from(o.ping_interval_ms)))
            .ping_timeout(Duration::from_millis(u64::from(o.ping_timeout_ms)))
            .connect_timeout(Duration::from_millis(u64::from(o.connect_timeout_ms)))
            .max_http_buffer_size(o.max_http_buffer_size as usize)
            .transports(&transports(o.transports)?);
        if !o.path.is_null() {
            let path = std::ffi::CStr::from_ptr(o.path)
                .to_str()
                .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_UTF8, format!("path: {e}")))?;
            b = b.path(path);
        }
        if o.cors_any_origin {
            b = b.cors(Cors { origin: CorsOrigin::Any, credentials: false });
        } else if !o.cors_origins.is_null() {
            let list = std::ffi::CStr::from_ptr(o.cors_origins)
                .to_str()
                .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_UTF8, format!("cors_origins: {e}")))?;
            let origins = list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
            b = b.cors(Cors { origin: CorsOrigin::List(origins), credentials: true });
        }
        if o.recovery {
            b = b.connection_state_recovery(RecoveryConfig {
                max_disconnection_duration: Duration::from_millis(u64::from(o.recovery_max_disconnection_ms)),
                skip_middlewares: true,
            });
        }
        if !o.cluster_url.is_null() {
            let url = std::ffi::CStr::from_ptr(o.cluster_url)
                .to_str()
                .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_UTF8, format!("cluster_url: {e}")))?;
            // The adapter's connection tasks run on this runtime.
            let _enter = rt.rt.handle().enter();
            let adapter = sio_redis::RedisAdapter::new(url)
                .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, format!("cluster_url: {e}")))?;
            b = b.adapter(adapter);
        }
        let config: ServerConfig = b.config();
        let server = rt.rt.server(config)?;
        rt.servers.lock().expect("server table poisoned").insert(server.id(), server.clone());
        *out = Box::into_raw(Box::new(sio_server { inner: server }));
        Ok(())
    })
}

/// The id events of this server carry in `source_id`. 0 if `server` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_server_id(server: *const sio_server) -> u64 {
    server.as_ref().map(|s| s.inner.id()).unwrap_or(0)
}

/// Listens on `addr` ("host:port"; port 0 picks a free one) and writes the bound port to
/// `*out_port` (may be NULL). Blocks the calling thread until bound; do not call it from
/// an event callback.
#[no_mangle]
pub unsafe extern "C" fn sio_server_listen(
    server: *const sio_server,
    addr: *const c_char,
    addr_len: usize,
    out_port: *mut u16,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let addr = str_arg(addr, addr_len, "addr")?;
        let bound = server.inner.listen(addr)?;
        if !out_port.is_null() {
            *out_port = bound.port();
        }
        Ok(())
    })
}

/// Makes namespace `ns` exist and forward its events. With `middleware`, every
/// connection to it produces SIO_EVENT_MIDDLEWARE and waits for the host's decision.
#[no_mangle]
pub unsafe extern "C" fn sio_server_namespace(
    server: *const sio_server,
    ns: *const c_char,
    ns_len: usize,
    middleware: bool,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let ns = str_arg(ns, ns_len, "ns")?;
        if !ns.starts_with('/') {
            return Err(Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, "a namespace starts with '/'"));
        }
        server.inner.namespace(ns);
        if middleware {
            server.inner.enable_middleware(ns);
        }
        Ok(())
    })
}

/// Emits to the sockets of namespace `ns` (NULL: "/") in room `room` (NULL: all) except
/// those in room `except` (NULL: none). Arguments: JSON array + buffers. Encoded once
/// for every target. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_server_emit(
    server: *const sio_server,
    ns: *const c_char,
    ns_len: usize,
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
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let room = opt_str_arg(room, room_len, "room")?;
        let except = opt_str_arg(except, except_len, "except")?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let mut op = server.inner.server().of(ns).all();
        if let Some(r) = room {
            op = op.to(r.to_owned());
        }
        if let Some(e) = except {
            op = op.except(e.to_owned());
        }
        op.emit(event, args).map_err(Error::from)
    })
}

/// Emits to the sockets of namespace `ns` (NULL: "/") in any of the `n_rooms` rooms (0:
/// all), except those in any of the `n_excepts` rooms (socket.io's
/// `io.of(ns).to([..]).except([..]).emit`): a socket in several of the rooms gets the
/// event once. `rooms` / `excepts` may be NULL only when their count is 0. Arguments:
/// JSON array + buffers. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_server_emit_rooms(
    server: *const sio_server,
    ns: *const c_char,
    ns_len: usize,
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
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let rooms = str_list(rooms, n_rooms, "rooms")?;
        let excepts = str_list(excepts, n_excepts, "excepts")?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let op = server.inner.server().of(ns).all();
        targets(op, &rooms, &excepts).emit(event, args).map_err(Error::from)
    })
}

/// Adds target and excluded rooms to a broadcast.
pub(crate) fn targets(mut op: BroadcastOperator, rooms: &[&str], excepts: &[&str]) -> BroadcastOperator {
    for r in rooms {
        op = op.to(r.to_string());
    }
    for e in excepts {
        op = op.except(e.to_string());
    }
    op
}

/// Sends `event` to the other servers of the cluster (socket.io's `io.serverSideEmit`),
/// not to clients: each gets a SIO_EVENT_SERVER_SIDE. Arguments: JSON array + buffers.
/// `*reached_out` (may be NULL) gets the number of other servers at the cluster's last
/// count, which every call refreshes in the background (so it may lag, and is 0 without
/// `cluster_url`). SIO_ERR_RESERVED_EVENT for reserved names. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_server_server_side_emit(
    server: *const sio_server,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
    reached_out: *mut usize,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let reached = server.inner.server_side_emit(event, args)?;
        if !reached_out.is_null() {
            *reached_out = reached;
        }
        Ok(())
    })
}

/// Like `sio_server_server_side_emit`, and calls `cb(user_data, outcome, ...)` exactly
/// once on a runtime thread: SIO_ACK_ANSWERED with `args_json` = a JSON array of the
/// answers, one per other server ("[]" without `cluster_url` or when alone), or
/// SIO_ACK_TIMED_OUT when some server did not answer within the cluster's request
/// timeout (5 s), or SIO_ACK_CANCELLED at shutdown. `cb` is not called when the call
/// fails (e.g. SIO_ERR_RESERVED_EVENT).
#[no_mangle]
pub unsafe extern "C" fn sio_server_server_side_emit_with_ack(
    server: *const sio_server,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
    cb: sio_ack_cb,
    user_data: *mut std::ffi::c_void,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        server.inner.server_side_emit_with_ack(event, args, ack_completion(cb, user_data))?;
        Ok(())
    })
}

/// Writes how many servers the cluster has, this one included, to `*out` (1 without
/// `cluster_url`). Asks Redis, so it blocks the calling thread briefly; do not call it
/// from an event callback.
#[no_mangle]
pub unsafe extern "C" fn sio_server_count(server: *const sio_server, out: *mut usize) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        *out = server.inner.server_count()?;
        Ok(())
    })
}

/// Closes the server: every socket disconnects with "server shutting down".
#[no_mangle]
pub unsafe extern "C" fn sio_server_close(server: *const sio_server) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        server.inner.close().map_err(Error::from)
    })
}

/// Frees the handle (NULL-safe). The server keeps running until `sio_server_close` or
/// the runtime is freed.
#[no_mangle]
pub unsafe extern "C" fn sio_server_free(server: *mut sio_server) {
    guard_void(|| {
        if !server.is_null() {
            drop(Box::from_raw(server));
        }
    });
}

/// Decides whether an incoming event reaches the host (the reference's `socket.use`):
/// return NULL to let it through, or a NUL-terminated message (copied before the call
/// returns) to drop it. Runs on a runtime thread for every event; must be quick.
pub type sio_packet_middleware_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut std::ffi::c_void,
        socket: *const crate::socket::sio_socket,
        name: *const c_char,
        name_len: usize,
        args_json: *const c_char,
        args_json_len: usize,
        bufs: *const sio_buf,
        n_bufs: usize,
    ) -> *const c_char,
>;

#[derive(Clone, Copy)]
struct SendPtr(*mut std::ffi::c_void);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// Sets the per-packet middleware of every socket of the server (`cb` NULL removes it).
/// `user_data` must stay valid while it is set.
#[no_mangle]
pub unsafe extern "C" fn sio_server_set_packet_middleware(
    server: *const sio_server,
    cb: sio_packet_middleware_cb,
    user_data: *mut std::ffi::c_void,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        let Some(cb) = cb else {
            server.inner.set_packet_middleware(None);
            return Ok(());
        };
        let data = SendPtr(user_data);
        let srv = server.inner.clone();
        server.inner.set_packet_middleware(Some(std::sync::Arc::new(move |socket, name, args| {
            let data = data;
            let handle = crate::socket::sio_socket::new(socket.clone(), srv.clone());
            let wire = crate::args::WireArgs::new(&sio_core::Value::Array(args.to_vec()));
            let name_c = std::ffi::CString::new(name).unwrap_or_default();
            let json_c = std::ffi::CString::new(wire.json.clone()).unwrap_or_default();
            let bufs = if wire.bufs.is_empty() { std::ptr::null() } else { wire.bufs.as_ptr() };
            let verdict = cb(
                data.0,
                &handle,
                name_c.as_ptr(),
                name.len(),
                json_c.as_ptr(),
                wire.json.len(),
                bufs,
                wire.bufs.len(),
            );
            if verdict.is_null() {
                Ok(())
            } else {
                Err(std::ffi::CStr::from_ptr(verdict).to_string_lossy().into_owned())
            }
        })));
        Ok(())
    })
}

/// The sockets of namespace `ns` (NULL: "/") as a JSON array of
/// `{"id","rooms","data","handshake"}`, sorted by id (the reference's `fetchSockets`).
/// `*out` is owned by the caller (`sio_string_free`). Blocks the calling thread briefly;
/// do not call it from an event callback.
#[no_mangle]
pub unsafe extern "C" fn sio_server_fetch_sockets_json(
    server: *const sio_server,
    ns: *const c_char,
    ns_len: usize,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let mut sockets = server.inner.fetch_sockets(ns)?;
        sockets.sort_by(|a, b| a.id.cmp(&b.id));
        let list: Vec<serde_json::Value> = sockets
            .iter()
            .map(|s| {
                let mut rooms: Vec<&String> = s.rooms.iter().collect();
                rooms.sort();
                serde_json::json!({
                    "id": s.id,
                    "rooms": rooms,
                    "data": s.data.to_json_lossy(),
                    "handshake": s.handshake.to_value().to_json_lossy(),
                })
            })
            .collect();
        crate::args::out_string(&serde_json::Value::Array(list).to_string(), out, out_len);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{sio_runtime_free, sio_runtime_new};
    use crate::socket::sio_ack_outcome;
    use std::sync::Mutex;

    unsafe extern "C" fn record(
        ud: *mut std::ffi::c_void,
        outcome: sio_ack_outcome,
        _: *const c_char,
        _: usize,
        _: *const sio_buf,
        _: usize,
    ) {
        (*ud.cast::<Mutex<Vec<sio_ack_outcome>>>()).lock().unwrap().push(outcome);
    }

    /// After shutdown the spawned task is dropped unrun: the host must still hear once.
    #[test]
    fn server_side_calls_after_shutdown_cancel_once_and_count_fails() {
        unsafe {
            let mut rt = std::ptr::null_mut();
            assert_eq!(sio_runtime_new(1, None, std::ptr::null_mut(), None, &mut rt), sio_status::SIO_OK);
            let mut srv = std::ptr::null_mut();
            assert_eq!(sio_server_new(rt, std::ptr::null(), &mut srv), sio_status::SIO_OK);
            let mut n = 0;
            assert_eq!(sio_server_count(srv, &mut n), sio_status::SIO_OK);
            assert_eq!(n, 1);
            sio_runtime_free(rt);

            let seen = Mutex::new(Vec::new());
            let ud = (&seen as *const Mutex<Vec<sio_ack_outcome>>).cast_mut().cast();
            let st = sio_server_server_side_emit_with_ack(
                srv,
                c"ask".as_ptr(),
                3,
                std::ptr::null(),
                0,
                std::ptr::null(),
                0,
                Some(record),
                ud,
            );
            assert_eq!(st, sio_status::SIO_OK);
            assert_eq!(*seen.lock().unwrap(), vec![sio_ack_outcome::SIO_ACK_CANCELLED]);
            assert_eq!(sio_server_count(srv, &mut n), sio_status::SIO_ERR_SHUTDOWN);
            sio_server_free(srv);
        }
    }
}
