//! `sio_client`: a Socket.IO client (one namespace) with reconnection; several may share
//! one connection (`sio_client_socket`).
use std::ffi::{c_char, c_void};
use std::time::Duration;

use sio_core::embed::EmbeddedClient;
use sio_core::embed::TransportKind;
use sio_core::embed::{Auth, ClientOptions, ManagerConfig, OptionError, Parser, PerMessageDeflate, SocketConfig};

use crate::args::{cstr, event_args, sio_buf, str_arg, value_arg};
use crate::error::{guard, guard_value, guard_void, null, sio_status, Error};
use crate::runtime::sio_runtime;
use crate::server::{SIO_TRANSPORT_POLLING, SIO_TRANSPORT_WEBSOCKET};
use crate::socket::{ack_completion, sio_ack_cb};
use crate::version::{read_prefix, write_prefix};

/// Client options; start from `sio_client_options_default`. Strings are NUL-terminated
/// and may be NULL.
///
/// The struct grows: later versions append fields, never change the ones here. Always
/// call `sio_client_options_default` first; it sets `struct_size` to the size of the
/// struct as the program's sio.h declares it, and the library reads only that many bytes
/// and takes its defaults for the fields beyond. So a program built against an older
/// header keeps working with a newer library (not the reverse: a `struct_size` larger
/// than the library's struct, or smaller than the first layout, is
/// SIO_ERR_INVALID_ARGUMENT).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_client_options {
    /// sizeof(sio_client_options) as the program's sio.h declares it; set by
    /// `sio_client_options_default`.
    pub struct_size: usize,
    /// Endpoint path (NULL: "/socket.io/").
    pub path: *const c_char,
    /// SIO_TRANSPORT_* flags; polling is tried first when both are set (default both).
    pub transports: u32,
    /// Upgrade polling to WebSocket (default true).
    pub upgrade: bool,
    /// Reconnect after an unintended disconnection (default true).
    pub reconnection: bool,
    /// Attempts before giving up; 0 means unlimited (default 0).
    pub reconnection_attempts: u32,
    /// First reconnection delay (default 1000).
    pub reconnection_delay_ms: u32,
    /// Largest reconnection delay (default 5000).
    pub reconnection_delay_max_ms: u32,
    /// Jitter 0..1 (default 0.5).
    pub randomization_factor: f64,
    /// Connection timeout (default 20000).
    pub timeout_ms: u32,
    /// CONNECT payload as a JSON object (NULL: none).
    pub auth_json: *const c_char,
    /// Extra trusted CA certificates, PEM (NULL: system roots only).
    pub ca_pem: *const c_char,
    /// Verify the server certificate (default true; false for tests only).
    pub reject_unauthorized: bool,
    /// Extra query parameters, URL-encoded `a=1&b=2` (NULL: none).
    pub query: *const c_char,
    /// Extra HTTP headers as a JSON object of strings (NULL: none).
    pub extra_headers_json: *const c_char,
    /// The packet format, the server's: "default" (socket.io's, also NULL) or "msgpack"
    /// (socket.io-msgpack-parser's). Against a server of the other format the client does
    /// not connect. Another name makes `sio_client_new` fail with
    /// SIO_ERR_INVALID_ARGUMENT (`option "parser": must be "default" or "msgpack"`).
    /// Events look the same either way (binary as `_placeholder` objects + `sio_buf`s).
    pub parser: *const c_char,
    /// Offer WebSocket permessage-deflate (RFC 7692) to the server (default true, as
    /// engine.io-client in Node).
    pub per_message_deflate: bool,
    /// Smallest message compressed when the server agrees, in bytes (default 1024). (A
    /// `size_t`: the struct's last field stays pointer-sized.)
    pub per_message_deflate_threshold: usize,
}

/// The sizes of the published layouts of `sio_client_options`, oldest first (see
/// `crate::version`): a field is appended to the struct, and the new size to this list.
pub(crate) const CLIENT_LAYOUTS: &[usize] = &[
    std::mem::offset_of!(sio_client_options, extra_headers_json) + std::mem::size_of::<*const c_char>(),
    // The packet format (`parser`).
    std::mem::offset_of!(sio_client_options, parser) + std::mem::size_of::<*const c_char>(),
    // WebSocket permessage-deflate.
    std::mem::offset_of!(sio_client_options, per_message_deflate_threshold) + std::mem::size_of::<usize>(),
];

pub(crate) const DEFAULT_CLIENT_OPTIONS: sio_client_options = sio_client_options {
    struct_size: std::mem::size_of::<sio_client_options>(),
    path: std::ptr::null(),
    transports: SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET,
    upgrade: true,
    reconnection: true,
    reconnection_attempts: 0,
    reconnection_delay_ms: 1000,
    reconnection_delay_max_ms: 5000,
    randomization_factor: 0.5,
    timeout_ms: 20_000,
    auth_json: std::ptr::null(),
    ca_pem: std::ptr::null(),
    reject_unauthorized: true,
    query: std::ptr::null(),
    extra_headers_json: std::ptr::null(),
    parser: std::ptr::null(),
    per_message_deflate: true,
    per_message_deflate_threshold: 1024,
};

/// Writes the socket.io-client defaults into the struct of `struct_size` bytes at `out`
/// (the size of `sio_client_options` as the caller's sio.h declares it: the library
/// writes no byte beyond) and sets `out->struct_size`. C and C++ programs call it through
/// the macro `sio_client_options_default(out)`, which passes `sizeof(sio_client_options)`.
/// SIO_ERR_INVALID_ARGUMENT if `struct_size` is smaller than the first layout or larger
/// than this library's struct.
#[no_mangle]
pub unsafe extern "C" fn sio_client_options_init(out: *mut sio_client_options, struct_size: usize) -> sio_status {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        write_prefix("sio_client_options", out, struct_size, DEFAULT_CLIENT_OPTIONS, CLIENT_LAYOUTS)
    })
}

/// Writes the socket.io-client defaults into `*out`, a struct of this library's size. In C
/// and C++, sio.h replaces calls to it by a macro that calls `sio_client_options_init`
/// with the program's `sizeof(sio_client_options)` (safe with a newer library); bindings
/// that call the symbol directly must allocate at least this library's size.
#[no_mangle]
pub unsafe extern "C" fn sio_client_options_default(out: *mut sio_client_options) -> sio_status {
    sio_client_options_init(out, std::mem::size_of::<sio_client_options>())
}

/// The client's transports, from SIO_TRANSPORT_* flags.
fn transports(flags: u32) -> Result<Vec<TransportKind>, Error> {
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

/// The packet format named by `name` (NULL: the default).
unsafe fn parser(name: *const c_char) -> Result<Parser, Error> {
    match cstr(name, "parser")? {
        None => Ok(Parser::Default),
        Some(name) => Parser::from_name(name).ok_or_else(|| {
            let e = OptionError { option: "parser".into(), message: "must be \"default\" or \"msgpack\"".into() };
            Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, e.to_string())
        }),
    }
}

/// A client socket.
pub struct sio_client {
    pub(crate) inner: EmbeddedClient,
    id: std::sync::Mutex<std::ffi::CString>,
    /// Cleared when the handle is freed: the host's listeners registered through it
    /// (catch-alls, the engine watcher) stay silent from then on.
    pub(crate) live: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl sio_client {
    fn new(inner: EmbeddedClient) -> sio_client {
        sio_client { inner, id: Default::default(), live: std::sync::Arc::new(true.into()) }
    }
}

/// Creates a client for `url` ("http(s)://host:port/namespace") and starts connecting.
/// Events carry `sio_client_id` in `source_id`. `*out` is owned by the caller. Options
/// NULL: defaults; otherwise only the first `options->struct_size` bytes of `*options` are
/// read, the fields beyond take their defaults.
#[no_mangle]
pub unsafe extern "C" fn sio_client_new(
    rt: *const sio_runtime,
    url: *const c_char,
    url_len: usize,
    options: *const sio_client_options,
    out: *mut *mut sio_client,
) -> sio_status {
    guard(|| {
        let rt = rt.as_ref().ok_or_else(|| null("rt"))?;
        if out.is_null() || url.is_null() {
            return Err(null(if out.is_null() { "out" } else { "url" }));
        }
        let url = str_arg(url, url_len, "url")?;
        if !(url.starts_with("http://")
            || url.starts_with("https://")
            || url.starts_with("ws://")
            || url.starts_with("wss://"))
        {
            return Err(Error::new(
                sio_status::SIO_ERR_INVALID_ARGUMENT,
                "url must start with http://, https://, ws:// or wss://",
            ));
        }
        let o = if options.is_null() {
            DEFAULT_CLIENT_OPTIONS
        } else {
            read_prefix("sio_client_options", options, DEFAULT_CLIENT_OPTIONS, CLIENT_LAYOUTS)?
        };
        let auth = match cstr(o.auth_json, "auth_json")? {
            Some(json) => Auth::Static(value_arg(json.as_ptr().cast(), json.len(), std::ptr::null(), 0)?),
            None => Auth::None,
        };
        let mut manager = ManagerConfig {
            transports: transports(o.transports)?,
            upgrade: o.upgrade,
            reconnection: o.reconnection,
            reconnection_attempts: (o.reconnection_attempts > 0).then_some(o.reconnection_attempts),
            reconnection_delay: Duration::from_millis(u64::from(o.reconnection_delay_ms)),
            reconnection_delay_max: Duration::from_millis(u64::from(o.reconnection_delay_max_ms)),
            randomization_factor: o.randomization_factor,
            timeout: Duration::from_millis(u64::from(o.timeout_ms)),
            parser: parser(o.parser)?,
            ..ManagerConfig::default()
        };
        if let Some(p) = cstr(o.path, "path")? {
            manager.path = p.to_owned();
        }
        if let Some(pem) = cstr(o.ca_pem, "ca_pem")? {
            manager.tls.ca_pem = Some(pem.as_bytes().to_vec());
        }
        manager.tls.reject_unauthorized = o.reject_unauthorized;
        manager.per_message_deflate =
            o.per_message_deflate.then_some(PerMessageDeflate { threshold: o.per_message_deflate_threshold });
        if let Some(q) = cstr(o.query, "query")? {
            manager.query = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        }
        if let Some(h) = cstr(o.extra_headers_json, "extra_headers_json")? {
            let parsed: serde_json::Value = serde_json::from_str(h)
                .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_JSON, format!("extra_headers_json: {e}")))?;
            let obj = parsed
                .as_object()
                .ok_or_else(|| Error::new(sio_status::SIO_ERR_INVALID_JSON, "extra_headers_json must be an object"))?;
            for (k, v) in obj {
                let v = v
                    .as_str()
                    .ok_or_else(|| Error::new(sio_status::SIO_ERR_INVALID_JSON, "header values must be strings"))?;
                manager.extra_headers.push((k.clone(), v.to_owned()));
            }
        }
        let options = ClientOptions {
            manager,
            socket: SocketConfig { auth, ..SocketConfig::default() },
            ..ClientOptions::default()
        };
        let client = rt.rt.client(url, options)?;
        *out = Box::into_raw(Box::new(sio_client::new(client)));
        Ok(())
    })
}

fn cl<'a>(c: *const sio_client) -> Result<&'a sio_client, Error> {
    unsafe { c.as_ref() }.ok_or_else(|| null("client"))
}

/// Opens namespace `ns` ("/name") over the Engine.IO connection of `client` (socket.io-client's
/// `manager.socket(ns)`) and starts connecting it, with `auth_json` as its CONNECT payload
/// (NULL: none; the connection's other options are `client`'s). `*out` is a client of its
/// own: its events carry its own `sio_client_id`, `sio_client_disconnect` leaves only its
/// namespace ("io client disconnect"), and `sio_client_free` frees it alone. The
/// connection closes once none of its namespaces is connected, or its last client is
/// freed. RECONNECT_* events carry the id of the connection's oldest client not freed.
/// SIO_ERR_INVALID_ARGUMENT if a client of this connection already has `ns` (reopening a
/// freed namespace while the connection stays up keeps its first `auth_json`).
#[no_mangle]
pub unsafe extern "C" fn sio_client_socket(
    client: *const sio_client,
    ns: *const c_char,
    ns_len: usize,
    auth_json: *const c_char,
    auth_json_len: usize,
    out: *mut *mut sio_client,
) -> sio_status {
    guard(|| {
        let c = cl(client)?;
        if out.is_null() || ns.is_null() {
            return Err(null(if out.is_null() { "out" } else { "ns" }));
        }
        let ns = str_arg(ns, ns_len, "ns")?;
        if !ns.starts_with('/') {
            return Err(Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, "a namespace starts with '/'"));
        }
        let auth = if auth_json.is_null() {
            Auth::None
        } else {
            Auth::Static(value_arg(auth_json, auth_json_len, std::ptr::null(), 0)?)
        };
        let inner = c.inner.open_namespace(ns, SocketConfig { auth, ..SocketConfig::default() })?;
        *out = Box::into_raw(Box::new(sio_client::new(inner)));
        Ok(())
    })
}

/// The id events of this client carry in `source_id` (0 if NULL).
#[no_mangle]
pub unsafe extern "C" fn sio_client_id(client: *const sio_client) -> u64 {
    guard_value(0, || client.as_ref().map(|c| c.inner.id()).unwrap_or(0))
}

/// The socket id given by the server while connected, NULL otherwise. Borrowed from the
/// handle until the next call of this function on it.
#[no_mangle]
pub unsafe extern "C" fn sio_client_socket_id(client: *const sio_client) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let Some(c) = client.as_ref() else {
            return std::ptr::null();
        };
        match c.inner.socket().id() {
            Some(id) => {
                let mut slot = c.id.lock().expect("id lock poisoned");
                *slot = std::ffi::CString::new(id).unwrap_or_default();
                slot.as_ptr()
            }
            None => std::ptr::null(),
        }
    })
}

/// Whether the client is connected.
#[no_mangle]
pub unsafe extern "C" fn sio_client_connected(client: *const sio_client) -> bool {
    guard_value(false, || client.as_ref().is_some_and(|c| c.inner.socket().connected()))
}

/// Whether the client (re)connects by itself (false after `sio_client_disconnect`, an
/// "io server disconnect" or a middleware refusal).
#[no_mangle]
pub unsafe extern "C" fn sio_client_active(client: *const sio_client) -> bool {
    guard_value(false, || client.as_ref().is_some_and(|c| c.inner.socket().active()))
}

/// Whether the last connection recovered the previous session.
#[no_mangle]
pub unsafe extern "C" fn sio_client_recovered(client: *const sio_client) -> bool {
    guard_value(false, || client.as_ref().is_some_and(|c| c.inner.socket().recovered()))
}

/// Connects again after `sio_client_disconnect`.
#[no_mangle]
pub unsafe extern "C" fn sio_client_connect(client: *const sio_client) -> sio_status {
    guard(|| {
        cl(client)?.inner.connect();
        Ok(())
    })
}

/// Starts (`on`) or stops forwarding the Manager's own events of `client`'s connection:
/// SIO_EVENT_MANAGER_OPEN / _PING / _CLOSE / _ERROR (socket.io-client's
/// `manager.on("open" | "ping" | "close" | "error")`), off by default (a ping is an event
/// every interval).
#[no_mangle]
pub unsafe extern "C" fn sio_client_watch_manager(client: *const sio_client, on: bool) -> sio_status {
    guard(|| {
        cl(client)?.inner.watch_manager(on);
        Ok(())
    })
}

/// Replaces the CONNECT payload (socket.io-client's `socket.auth = ..`) with the JSON
/// object `auth_json` (NULL: none), sent from the next connection or reconnection on
/// (`sio_client_disconnect` then `sio_client_connect` sends it at once).
/// SIO_ERR_INVALID_JSON if `auth_json` is not JSON.
#[no_mangle]
pub unsafe extern "C" fn sio_client_set_auth(
    client: *const sio_client,
    auth_json: *const c_char,
    auth_json_len: usize,
) -> sio_status {
    guard(|| {
        let c = cl(client)?;
        let auth =
            if auth_json.is_null() { None } else { Some(value_arg(auth_json, auth_json_len, std::ptr::null(), 0)?) };
        c.inner.set_auth(auth);
        Ok(())
    })
}

/// Disconnects ("io client disconnect"; no reconnection). Returns at once. Only this
/// client's namespace leaves; the connection closes when no namespace on it is connected.
#[no_mangle]
pub unsafe extern "C" fn sio_client_disconnect(client: *const sio_client) -> sio_status {
    guard(|| {
        cl(client)?.inner.disconnect();
        Ok(())
    })
}

/// Emits `event` (buffered while disconnected). Arguments: JSON array + buffers.
#[no_mangle]
pub unsafe extern "C" fn sio_client_emit(
    client: *const sio_client,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let c = cl(client)?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        c.inner.emit(event, args).map_err(Error::from)
    })
}

/// Emits a volatile `event`: dropped, not buffered, while the client is not connected
/// (socket.io-client's `socket.volatile.emit`). Arguments: JSON array + buffers.
#[no_mangle]
pub unsafe extern "C" fn sio_client_emit_volatile(
    client: *const sio_client,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> sio_status {
    guard(|| {
        let c = cl(client)?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        c.inner.emit_volatile(event, args).map_err(Error::from)
    })
}

/// Emits and calls `cb` exactly once with the server's answer, a timeout (`timeout_ms`,
/// 0: none), a disconnection, or cancellation at shutdown.
#[no_mangle]
pub unsafe extern "C" fn sio_client_emit_with_ack(
    client: *const sio_client,
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
        let c = cl(client)?;
        let cb = cb.ok_or_else(|| null("cb"))?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        c.inner.emit_with_ack(event, args, timeout, ack_completion(cb, user_data)).map_err(Error::from)
    })
}

/// Disconnects the client and frees it (NULL-safe); the runtime keeps nothing of it. The
/// other clients sharing its connection (`sio_client_socket`) stay connected.
#[no_mangle]
pub unsafe extern "C" fn sio_client_free(client: *mut sio_client) {
    guard_void(|| {
        if !client.is_null() {
            let c = Box::from_raw(client);
            // The host's listeners go with the handle: a namespace opened again later
            // gets this core socket back.
            c.live.store(false, std::sync::atomic::Ordering::Release);
            c.inner.socket().off_any();
            c.inner.socket().off_any_outgoing();
            c.inner.close();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_is_named_default_or_msgpack() {
        unsafe {
            assert_eq!(parser(std::ptr::null()).unwrap(), Parser::Default);
            assert_eq!(parser(c"default".as_ptr()).unwrap(), Parser::Default);
            assert_eq!(parser(c"msgpack".as_ptr()).unwrap(), Parser::Msgpack);
            for bad in [c"cbor", c"", c"MSGPACK"] {
                let e = parser(bad.as_ptr()).unwrap_err();
                assert_eq!(e.status, sio_status::SIO_ERR_INVALID_ARGUMENT);
                assert_eq!(e.detail, "option \"parser\": must be \"default\" or \"msgpack\"");
            }
        }
    }
}
