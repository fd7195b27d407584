//! `sio_server`: options, listening, namespaces, broadcasts.
use std::ffi::c_char;

use sio_core::embed::{EmbeddedServer, OptionError, OptionValue, ServerOptions, Target, Unit};

use crate::args::{cstr, event_args, opt_str_arg, sio_buf, sio_str, str_arg, str_list};
use crate::error::{guard, guard_value, guard_void, null, sio_status, Error};
use crate::runtime::sio_runtime;
use crate::socket::{ack_completion, sio_ack_cb};
use crate::version::{read_prefix, write_prefix};

/// Transports a server accepts or a client uses (bit flags).
pub const SIO_TRANSPORT_POLLING: u32 = 1;
/// WebSocket.
pub const SIO_TRANSPORT_WEBSOCKET: u32 = 2;

/// Server options; start from `sio_server_options_default`, which writes the reference
/// defaults, then change fields. Durations are in milliseconds. A value out of range or a
/// contradictory combination makes `sio_server_new` fail with SIO_ERR_INVALID_ARGUMENT,
/// `sio_last_error()` naming the field (e.g. `option "ping_interval_ms": must be greater
/// than zero`). A field documented with "0: the core's default" takes 0 for a default
/// that depends on other options or on the environment.
///
/// The struct grows: later versions append fields, never change the ones here. Always
/// call `sio_server_options_default` first; it sets `struct_size` to the size of the
/// struct as the program's sio.h declares it, and the library reads only that many bytes
/// and takes its defaults for the fields beyond. So a program built against an older
/// header keeps working with a newer library (not the reverse: a `struct_size` larger
/// than the library's struct, or smaller than the first layout, is
/// SIO_ERR_INVALID_ARGUMENT).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_server_options {
    /// sizeof(sio_server_options) as the program's sio.h declares it; set by
    /// `sio_server_options_default`.
    pub struct_size: usize,
    /// Endpoint path, NUL-terminated, starting with "/" (NULL: "/socket.io/").
    pub path: *const c_char,
    /// Ping interval (default 25000; > 0).
    pub ping_interval_ms: u32,
    /// Ping timeout (default 20000; > 0). No pong within it: "ping timeout".
    pub ping_timeout_ms: u32,
    /// Namespace join timeout (default 45000; > 0). Beyond it the connection is closed.
    pub connect_timeout_ms: u32,
    /// Largest accepted message in bytes (default 1000000; >= 1). Beyond it a polling POST
    /// gets 413 and a WebSocket is closed with 1009; it also bounds one packet's attachments.
    pub max_http_buffer_size: u64,
    /// SIO_TRANSPORT_* flags (default both; at least one, no other bit).
    pub transports: u32,
    /// Answer CORS requests from any origin with a literal `Access-Control-Allow-Origin: *`
    /// (default false: no CORS headers). At most one of `cors_any_origin`, `cors_origins`
    /// and `cors_reflect_origin` may be set.
    pub cors_any_origin: bool,
    /// Or only from these origins (echoed back): comma-separated, NUL-terminated (NULL: none).
    pub cors_origins: *const c_char,
    /// Connection state recovery (default false).
    pub recovery: bool,
    /// How long a disconnected session is kept for recovery (default 120000). A value other
    /// than the default needs `recovery`.
    pub recovery_max_disconnection_ms: u32,
    /// Joins a cluster through Redis: `redis://host:port[/db]`, NUL-terminated (NULL: no
    /// cluster). Wire-compatible with `@socket.io/redis-adapter`, so Node.js socket.io
    /// servers may share the cluster; with `recovery`, sessions recover on any sio node.
    /// Redis need not be up: the server serves its own clients meanwhile and logs it.
    pub cluster_url: *const c_char,
    /// Time a WebSocket upgrade may take before the probe is dropped (default 10000; > 0).
    pub upgrade_timeout_ms: u32,
    /// Whether polling sessions may upgrade to WebSocket (default true).
    pub allow_upgrades: bool,
    /// Or reflect whatever `Origin` a request has (the `cors` package's `origin: true`;
    /// default false). **Unsafe with `cors_credentials`**: any web site can then make
    /// credentialed requests in its visitors' name; prefer `cors_origins`.
    pub cors_reflect_origin: bool,
    /// Send `Access-Control-Allow-Credentials: true` (default false); needs one of
    /// `cors_any_origin`, `cors_origins`, `cors_reflect_origin`.
    pub cors_credentials: bool,
    /// Whether recovered sockets skip the connection middlewares (default true). false
    /// needs `recovery`.
    pub recovery_skip_middlewares: bool,
    /// Requests reach the server over TLS, e.g. behind a TLS-terminating proxy; reported
    /// as `handshake.secure` (default false).
    pub secure: bool,
    /// Bytes one session may have queued for its client (0: the core's default, 4 x
    /// `max_http_buffer_size`). A client reading too slowly is closed with "transport
    /// error"; volatile packets are dropped once half of it is used.
    pub max_buffered_bytes: u64,
    /// Frames one session may have queued (default 8192; >= 1); beyond: as
    /// `max_buffered_bytes`.
    pub max_buffered_frames: u32,
    /// Largest request line + headers in bytes (default 16384; >= 1024). Beyond it: `431
    /// Request Header Fields Too Large` and the connection is closed.
    pub max_header_size: u64,
    /// Time a request's headers may take, also the idle time allowed between keep-alive
    /// requests (default 30000; > 0). Then the connection is closed.
    pub headers_timeout_ms: u32,
    /// Time a new TCP connection may stay silent before its first byte (default 30000;
    /// > 0). Then it gets `408 Request Timeout` and is closed.
    pub idle_timeout_ms: u32,
    /// Open TCP connections of the listener (0: the core's default, 90 % of the process's
    /// soft file-descriptor limit). Beyond it a new connection gets `503 Service
    /// Unavailable` and is closed.
    pub max_connections: u32,
    /// Attachments one binary packet may declare (default 10; >= 1). Beyond it the
    /// session is closed with "parse error".
    pub max_attachments: u32,
    /// TLS for `sio_server_listen` (https and wss; `handshake.secure` true): the
    /// certificate chain, leaf first, as a PEM file path or as the PEM text itself
    /// (starting with "-----BEGIN"), NUL-terminated (NULL: plain HTTP). Needs `tls_key`.
    /// A file that cannot be read, invalid PEM or a key of another certificate makes
    /// `sio_server_new` fail with SIO_ERR_INVALID_ARGUMENT naming the field.
    pub tls_cert: *const c_char,
    /// The private key of `tls_cert` (PKCS#8, PKCS#1 or SEC1), as a PEM file path or the
    /// PEM text, NUL-terminated (NULL: none). Needs `tls_cert`.
    pub tls_key: *const c_char,
    /// The session cookie for load balancers with sticky sessions (engine.io's `cookie`):
    /// its name, NUL-terminated ("io" is engine.io's; NULL: no cookie, the default). Set on
    /// each handshake as `io=<sid>; Path=/; HttpOnly; SameSite=Lax` with the defaults below;
    /// the other `cookie_*` fields need it.
    pub cookie: *const c_char,
    /// Cookie `Path` (NULL: "/"; "": no attribute).
    pub cookie_path: *const c_char,
    /// Cookie `SameSite`: "strict", "lax" or "none" (NULL: "lax"; "": no attribute);
    /// "none" needs `cookie_secure`.
    pub cookie_same_site: *const c_char,
    /// Cookie `Domain` (NULL: none).
    pub cookie_domain: *const c_char,
    /// Cookie `HttpOnly` (default true).
    pub cookie_http_only: bool,
    /// Cookie `Secure` (default false).
    pub cookie_secure: bool,
    /// Cookie `Max-Age`, whole seconds taken (0: none, a session cookie; the default).
    pub cookie_max_age_ms: u64,
    /// Serve socket.io-client 2.x (Engine.IO 3) too, as socket.io's `allowEIO3`, for
    /// migrations (default false: its handshake gets 400 "Unsupported protocol version").
    pub allow_eio3: bool,
    /// gzip/deflate of polling responses for requests that accept it (default true, as
    /// engine.io's `httpCompression`).
    pub http_compression: bool,
    /// Smallest polling response compressed, in bytes (default 1024). Needs `http_compression`.
    pub compression_threshold: u32,
    /// The packet format, NUL-terminated: "default" (socket.io's, also NULL) or "msgpack"
    /// (socket.io-msgpack-parser's: binary in place, no attachments). Clients must use the
    /// same one: a client of the other format does not connect. Another name makes
    /// `sio_server_new` fail with SIO_ERR_INVALID_ARGUMENT (`option "parser": must be
    /// "default" or "msgpack"`). The C face sees the same events either way (binary as
    /// `_placeholder` objects + `sio_buf`s).
    pub parser: *const c_char,
    /// The Redis adapter of `cluster_url`, NUL-terminated: "redis" (the classic pub/sub
    /// one, `@socket.io/redis-adapter`'s `createAdapter`; also NULL), "redis-sharded"
    /// (Redis 7 sharded pub/sub, its `createShardedAdapter`) or "redis-streams"
    /// (`@socket.io/redis-streams-adapter`; with `recovery`, sessions recover on any node,
    /// Node.js ones included). Every node of a cluster uses the same kind. Another name,
    /// or a kind without `cluster_url`, makes `sio_server_new` fail with
    /// SIO_ERR_INVALID_ARGUMENT (`option "cluster_adapter": unknown kind: ...`).
    pub cluster_adapter: *const c_char,
    /// WebSocket permessage-deflate (RFC 7692) for clients that offer it (default false, as
    /// socket.io's `perMessageDeflate`).
    pub per_message_deflate: bool,
    /// Smallest WebSocket message compressed, in bytes (default 1024, as `ws`). Needs
    /// `per_message_deflate`. (A `size_t`: the struct's last field stays pointer-sized.)
    pub per_message_deflate_threshold: usize,
}

/// The sizes of the published layouts of `sio_server_options`, oldest first (see
/// `crate::version`): a field is appended to the struct, and the new size to this list.
pub(crate) const SERVER_LAYOUTS: &[usize] = &[
    std::mem::offset_of!(sio_server_options, max_attachments) + std::mem::size_of::<u32>(),
    // TLS and the session cookie (0.1.0).
    std::mem::offset_of!(sio_server_options, cookie_max_age_ms) + std::mem::size_of::<u64>(),
    // Engine.IO 3 clients (`allow_eio3`) and the packet format (`parser`).
    std::mem::offset_of!(sio_server_options, parser) + std::mem::size_of::<*const c_char>(),
    // The kind of Redis adapter (`cluster_adapter`) and WebSocket permessage-deflate.
    std::mem::offset_of!(sio_server_options, per_message_deflate_threshold) + std::mem::size_of::<usize>(),
];

pub(crate) const DEFAULT_OPTIONS: sio_server_options = sio_server_options {
    struct_size: std::mem::size_of::<sio_server_options>(),
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
    upgrade_timeout_ms: 10_000,
    allow_upgrades: true,
    cors_reflect_origin: false,
    cors_credentials: false,
    recovery_skip_middlewares: true,
    secure: false,
    max_buffered_bytes: 0,
    max_buffered_frames: 8192,
    max_header_size: 16_384,
    headers_timeout_ms: 30_000,
    idle_timeout_ms: 30_000,
    max_connections: 0,
    max_attachments: 10,
    tls_cert: std::ptr::null(),
    tls_key: std::ptr::null(),
    cookie: std::ptr::null(),
    cookie_path: std::ptr::null(),
    cookie_same_site: std::ptr::null(),
    cookie_domain: std::ptr::null(),
    cookie_http_only: true,
    cookie_secure: false,
    cookie_max_age_ms: 0,
    parser: std::ptr::null(),
    allow_eio3: false,
    http_compression: true,
    compression_threshold: 1024,
    cluster_adapter: std::ptr::null(),
    per_message_deflate: false,
    per_message_deflate_threshold: 1024,
};

/// Writes the reference defaults into the struct of `struct_size` bytes at `out` (the
/// size of `sio_server_options` as the caller's sio.h declares it: the library writes no
/// byte beyond) and sets `out->struct_size`. C and C++ programs call it through the macro
/// `sio_server_options_default(out)`, which passes `sizeof(sio_server_options)`.
/// SIO_ERR_INVALID_ARGUMENT if `struct_size` is smaller than the first layout or larger
/// than this library's struct.
#[no_mangle]
pub unsafe extern "C" fn sio_server_options_init(out: *mut sio_server_options, struct_size: usize) -> sio_status {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        write_prefix("sio_server_options", out, struct_size, DEFAULT_OPTIONS, SERVER_LAYOUTS)
    })
}

/// Writes the reference defaults into `*out`, a struct of this library's size. In C and
/// C++, sio.h replaces calls to it by a macro that calls `sio_server_options_init` with
/// the program's `sizeof(sio_server_options)` (safe with a newer library); bindings that
/// call the symbol directly must allocate at least this library's size.
#[no_mangle]
pub unsafe extern "C" fn sio_server_options_default(out: *mut sio_server_options) -> sio_status {
    sio_server_options_init(out, std::mem::size_of::<sio_server_options>())
}

/// One field of the struct as the core's option table names it: (core name, C field, value;
/// None keeps the core's default).
type Entry = (&'static str, &'static str, Option<OptionValue>);

/// The struct as entries of the core's option table (names and units only: the core checks
/// the values and their combination).
unsafe fn entries(o: &sio_server_options) -> Result<Vec<Entry>, Error> {
    use OptionValue::{Bool, List, Number, Str};
    let d = DEFAULT_OPTIONS;
    let num = |v: u64| Some(Number(v as f64));
    let ms = |v: u32| num(u64::from(v));
    let or_core_default = |v: u64| (v != 0).then_some(Number(v as f64));
    let string = |p: *const c_char, field: &str| -> Result<Option<OptionValue>, Error> {
        Ok(cstr(p, field)?.map(|s| Str(s.to_owned())))
    };
    let known = SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET;
    if o.transports & !known != 0 {
        return Err(invalid("transports", format!("unknown flags {:#x}", o.transports & !known)));
    }
    let transports = [(SIO_TRANSPORT_POLLING, "polling"), (SIO_TRANSPORT_WEBSOCKET, "websocket")]
        .iter()
        .filter(|(bit, _)| o.transports & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    let cors = match (o.cors_any_origin, cstr(o.cors_origins, "cors_origins")?, o.cors_reflect_origin) {
        (false, None, false) => None,
        (true, None, false) => Some(Str("*".into())),
        (false, Some(list), false) => {
            Some(List(list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()))
        }
        (false, None, true) => Some(Bool(true)),
        (true, ..) => return Err(invalid("cors_any_origin", "excludes cors_origins and cors_reflect_origin")),
        (false, Some(_), true) => return Err(invalid("cors_reflect_origin", "excludes cors_origins")),
    };
    // Recovery settings reach the core when recovery is on or when they differ from the
    // default, so that the core refuses a changed one without recovery.
    let recovery_max = o.recovery || o.recovery_max_disconnection_ms != d.recovery_max_disconnection_ms;
    let recovery_skip = o.recovery || o.recovery_skip_middlewares != d.recovery_skip_middlewares;
    // As recovery's: a cookie attribute other than its default reaches the core, which
    // refuses it without `cookie`.
    let cookie = !o.cookie.is_null();
    Ok(vec![
        ("path", "path", string(o.path, "path")?),
        ("ping_interval", "ping_interval_ms", ms(o.ping_interval_ms)),
        ("ping_timeout", "ping_timeout_ms", ms(o.ping_timeout_ms)),
        ("upgrade_timeout", "upgrade_timeout_ms", ms(o.upgrade_timeout_ms)),
        ("connect_timeout", "connect_timeout_ms", ms(o.connect_timeout_ms)),
        ("max_http_buffer_size", "max_http_buffer_size", num(o.max_http_buffer_size)),
        ("transports", "transports", Some(List(transports))),
        ("allow_upgrades", "allow_upgrades", Some(Bool(o.allow_upgrades))),
        ("cors_origin", "cors_origins", cors),
        ("cors_credentials", "cors_credentials", o.cors_credentials.then_some(Bool(true))),
        ("recovery", "recovery", Some(Bool(o.recovery))),
        (
            "max_disconnection_duration",
            "recovery_max_disconnection_ms",
            ms(o.recovery_max_disconnection_ms).filter(|_| recovery_max),
        ),
        (
            "skip_middlewares",
            "recovery_skip_middlewares",
            Some(Bool(o.recovery_skip_middlewares)).filter(|_| recovery_skip),
        ),
        ("secure", "secure", Some(Bool(o.secure))),
        ("max_buffered_bytes", "max_buffered_bytes", or_core_default(o.max_buffered_bytes)),
        ("max_buffered_frames", "max_buffered_frames", num(u64::from(o.max_buffered_frames))),
        ("max_header_size", "max_header_size", num(o.max_header_size)),
        ("headers_timeout", "headers_timeout_ms", ms(o.headers_timeout_ms)),
        ("idle_timeout", "idle_timeout_ms", ms(o.idle_timeout_ms)),
        ("max_connections", "max_connections", or_core_default(u64::from(o.max_connections))),
        ("max_attachments", "max_attachments", num(u64::from(o.max_attachments))),
        ("cluster_url", "cluster_url", string(o.cluster_url, "cluster_url")?),
        ("cluster_adapter", "cluster_adapter", string(o.cluster_adapter, "cluster_adapter")?),
        ("tls_cert", "tls_cert", string(o.tls_cert, "tls_cert")?),
        ("tls_key", "tls_key", string(o.tls_key, "tls_key")?),
        ("cookie", "cookie", string(o.cookie, "cookie")?),
        ("cookie_path", "cookie_path", string(o.cookie_path, "cookie_path")?),
        ("cookie_same_site", "cookie_same_site", string(o.cookie_same_site, "cookie_same_site")?),
        ("cookie_domain", "cookie_domain", string(o.cookie_domain, "cookie_domain")?),
        (
            "cookie_http_only",
            "cookie_http_only",
            Some(Bool(o.cookie_http_only)).filter(|_| cookie || o.cookie_http_only != d.cookie_http_only),
        ),
        ("cookie_secure", "cookie_secure", Some(Bool(o.cookie_secure)).filter(|_| cookie || o.cookie_secure)),
        ("cookie_max_age", "cookie_max_age_ms", or_core_default(o.cookie_max_age_ms)),
        ("parser", "parser", string(o.parser, "parser")?),
        ("allow_eio3", "allow_eio3", Some(Bool(o.allow_eio3))),
        ("http_compression", "http_compression", Some(Bool(o.http_compression))),
        (
            "compression_threshold",
            "compression_threshold",
            num(u64::from(o.compression_threshold)).filter(|_| o.http_compression),
        ),
        ("per_message_deflate", "per_message_deflate", Some(Bool(o.per_message_deflate))),
        (
            "per_message_deflate_threshold",
            "per_message_deflate_threshold",
            num(o.per_message_deflate_threshold as u64).filter(|_| {
                o.per_message_deflate || o.per_message_deflate_threshold != d.per_message_deflate_threshold
            }),
        ),
    ])
}

/// The struct as `embed::ServerOptions`, checked (values and combination) by the core;
/// errors name the struct's fields.
unsafe fn server_options(o: &sio_server_options) -> Result<ServerOptions, Error> {
    let mut options = ServerOptions::default();
    for (name, field, value) in entries(o)? {
        if let Some(value) = value {
            options.set_spelled(name, field, value, Unit::Milliseconds).map_err(|e| invalid(&e.option, e.message))?;
        }
    }
    // `Runtime::server_with` checks again; checking here first keeps the cluster adapter
    // from being built for options that are refused, and lets the message use C names.
    let field = |core: &str| {
        match core {
            "cors_origin" => "cors_any_origin, cors_origins or cors_reflect_origin",
            "max_disconnection_duration" => "recovery_max_disconnection_ms",
            "skip_middlewares" => "recovery_skip_middlewares",
            other => other,
        }
        .to_owned()
    };
    if let Err(e) = options.clone().into_config() {
        let message = match e.message.strip_prefix("needs ") {
            Some(other) => format!("needs {}", field(other)),
            None => e.message,
        };
        return Err(invalid(&field(&e.option), message));
    }
    Ok(options)
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    let e = OptionError { option: field.to_owned(), message: message.into() };
    Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, e.to_string())
}

/// A Socket.IO server.
pub struct sio_server {
    pub(crate) inner: EmbeddedServer,
}

/// Creates a server on `rt` (options NULL: defaults). Namespace `/` exists and forwards
/// its events. On success `*out` owns the server (free with `sio_server_free`). Invalid
/// options: SIO_ERR_INVALID_ARGUMENT (SIO_ERR_INVALID_UTF8 for a string), and
/// `sio_last_error()` names the field. Only the first `options->struct_size` bytes of
/// `*options` are read; the fields beyond take their defaults.
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
        let options = if options.is_null() {
            DEFAULT_OPTIONS
        } else {
            read_prefix("sio_server_options", options, DEFAULT_OPTIONS, SERVER_LAYOUTS)?
        };
        let options = server_options(&options)?;
        let server = rt.rt.server_with_cluster(options, sio_redis::connect)?;
        rt.servers.lock().expect("server table poisoned").insert(server.id(), server.clone());
        *out = Box::into_raw(Box::new(sio_server { inner: server }));
        Ok(())
    })
}

/// The id events of this server carry in `source_id`. 0 if `server` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_server_id(server: *const sio_server) -> u64 {
    guard_value(0, || server.as_ref().map(|s| s.inner.id()).unwrap_or(0))
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
        let target = Target::namespace(ns).to(room).except(except);
        server.inner.emit_to(&target, event, args).map_err(Error::from)
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
    sio_server_emit_flags(
        server,
        0,
        ns,
        ns_len,
        rooms,
        n_rooms,
        excepts,
        n_excepts,
        event,
        event_len,
        args_json,
        args_json_len,
        bufs,
        n_bufs,
    )
}

/// [`sio_server_emit_rooms`] with `SIO_EMIT_*` flags (`SIO_EMIT_VOLATILE`,
/// `SIO_EMIT_NO_COMPRESS`); 0 is `sio_server_emit_rooms`. SIO_ERR_INVALID_ARGUMENT for
/// other bits.
#[no_mangle]
pub unsafe extern "C" fn sio_server_emit_flags(
    server: *const sio_server,
    flags: u32,
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
        let (volatile, compress) = crate::socket::emit_flags(flags)?;
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let rooms = str_list(rooms, n_rooms, "rooms")?;
        let excepts = str_list(excepts, n_excepts, "excepts")?;
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let target = Target::namespace(ns).to(rooms).except(excepts).volatile(volatile).compress(compress);
        server.inner.emit_to(&target, event, args).map_err(Error::from)
    })
}

/// Sends `event` to namespace `ns` (NULL: "/") on the other servers of the cluster
/// (socket.io's `io.of(ns).serverSideEmit`), not to clients: each gets a
/// SIO_EVENT_SERVER_SIDE with that `ns`. Arguments: JSON array + buffers.
/// `*reached_out` (may be NULL) gets the number of other servers at the cluster's last
/// count, which every call refreshes in the background (so it may lag, and is 0 without
/// `cluster_url`). SIO_ERR_RESERVED_EVENT for reserved names. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_server_server_side_emit(
    server: *const sio_server,
    ns: *const c_char,
    ns_len: usize,
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
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        let reached = server.inner.server_side_emit(ns, event, args)?;
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
    ns: *const c_char,
    ns_len: usize,
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
        let ns = opt_str_arg(ns, ns_len, "ns")?.unwrap_or("/");
        let (event, args) = event_args(event, event_len, args_json, args_json_len, bufs, n_bufs)?;
        server.inner.server_side_emit_with_ack(ns, event, args, ack_completion(cb, user_data))?;
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
        let bridge = crate::hooks::middleware(server.inner.clone(), cb, user_data);
        server.inner.set_packet_middleware(Some(std::sync::Arc::new(bridge)));
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
        let mut sockets = server.inner.fetch_sockets_of(&Target::namespace(ns))?;
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
    use std::time::Duration;

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

    /// Every option of the core's table is a field of the struct, and the struct's
    /// defaults are the core's (one default everywhere).
    #[test]
    fn the_struct_covers_the_core_table_with_its_defaults() {
        let names: Vec<&str> = unsafe { entries(&DEFAULT_OPTIONS) }.unwrap().iter().map(|e| e.0).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        let mut table = sio_core::embed::SERVER_OPTION_NAMES.to_vec();
        table.sort_unstable();
        assert_eq!(sorted, table);

        let ours = unsafe { server_options(&DEFAULT_OPTIONS) }.unwrap().into_config().unwrap();
        let core = ServerOptions::default().into_config().unwrap();
        assert_eq!(format!("{ours:?}"), format!("{core:?}"));
        let (a, b) = (&ours.engine, &core.engine);
        assert_eq!(
            (a.allow_upgrades, a.upgrade_timeout, a.max_buffered_frames, a.secure),
            (b.allow_upgrades, b.upgrade_timeout, b.max_buffered_frames, b.secure)
        );
    }

    fn refused(o: &sio_server_options) -> String {
        match unsafe { server_options(o) } {
            Ok(_) => panic!("accepted: {o:?}"),
            Err(e) => {
                assert_eq!(e.status, sio_status::SIO_ERR_INVALID_ARGUMENT, "{}", e.detail);
                e.detail
            }
        }
    }

    #[test]
    fn values_and_combinations_are_checked_under_the_field_names() {
        let d = DEFAULT_OPTIONS;
        assert_eq!(
            refused(&sio_server_options { ping_interval_ms: 0, ..d }),
            "option \"ping_interval_ms\": must be greater than zero"
        );
        assert!(refused(&sio_server_options { max_header_size: 10, ..d }).starts_with("option \"max_header_size\""));
        assert!(refused(&sio_server_options { transports: 0, ..d }).starts_with("option \"transports\""));
        assert!(refused(&sio_server_options { transports: 4, ..d }).starts_with("option \"transports\""));
        assert_eq!(
            refused(&sio_server_options { cors_credentials: true, ..d }),
            "option \"cors_credentials\": needs cors_any_origin, cors_origins or cors_reflect_origin"
        );
        assert!(refused(&sio_server_options { cors_any_origin: true, cors_reflect_origin: true, ..d })
            .starts_with("option \"cors_any_origin\""));
        assert_eq!(
            refused(&sio_server_options { recovery_skip_middlewares: false, ..d }),
            "option \"recovery_skip_middlewares\": needs recovery"
        );
        assert_eq!(
            refused(&sio_server_options { recovery_max_disconnection_ms: 5, ..d }),
            "option \"recovery_max_disconnection_ms\": needs recovery"
        );
        assert!(
            refused(&sio_server_options { cors_origins: c" , ".as_ptr(), ..d }).starts_with("option \"cors_origins\"")
        );
        assert_eq!(
            refused(&sio_server_options { parser: c"cbor".as_ptr(), ..d }),
            "option \"parser\": must be \"default\" or \"msgpack\""
        );
        assert!(refused(&sio_server_options { parser: c"".as_ptr(), ..d }).starts_with("option \"parser\""));
        assert!(refused(&sio_server_options { parser: c"MsgPack".as_ptr(), ..d }).starts_with("option \"parser\""));

        let ok = |o: sio_server_options| unsafe { server_options(&o) }.ok().unwrap().into_config().unwrap();
        let c = ok(sio_server_options { cors_reflect_origin: true, cors_credentials: true, ..d });
        // The core's CORS values, by their Debug form: the face names nothing past embed.
        assert_eq!(format!("{:?}", c.engine.cors), "Some(Cors { origin: Reflect, credentials: true })");
        let c = ok(sio_server_options { cors_origins: c"http://a.test, http://b.test".as_ptr(), ..d });
        assert_eq!(
            format!("{:?}", c.engine.cors),
            r#"Some(Cors { origin: List(["http://a.test", "http://b.test"]), credentials: false })"#
        );
        let c = ok(sio_server_options { cors_any_origin: true, cors_credentials: true, ..d });
        assert_eq!(format!("{:?}", c.engine.cors), "Some(Cors { origin: Any, credentials: true })");
        let c = ok(sio_server_options {
            recovery: true,
            recovery_skip_middlewares: false,
            max_connections: 7,
            max_buffered_bytes: 4096,
            idle_timeout_ms: 250,
            transports: SIO_TRANSPORT_WEBSOCKET,
            ..d
        });
        let r = c.recovery.unwrap();
        assert!(!r.skip_middlewares);
        assert_eq!(r.max_disconnection_duration, Duration::from_secs(120));
        assert_eq!((c.engine.max_connections, c.engine.max_buffered_bytes), (Some(7), Some(4096)));
        assert_eq!(c.engine.idle_timeout, Duration::from_millis(250));
        assert_eq!(c.engine.transports, vec![sio_core::embed::TransportKind::Websocket]);
        use sio_core::embed::Parser;
        assert_eq!(ok(d).parser, Parser::Default);
        assert_eq!(ok(sio_server_options { parser: c"default".as_ptr(), ..d }).parser, Parser::Default);
        assert_eq!(ok(sio_server_options { parser: c"msgpack".as_ptr(), ..d }).parser, Parser::Msgpack);
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
                std::ptr::null(),
                0,
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
