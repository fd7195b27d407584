//! `sio_server_instrument`: the admin UI's server part (`@socket.io/admin-ui`'s
//! `instrument`) on a server. Names and units only: checks and defaults are the core's.
use std::ffi::c_char;
use std::time::Duration;

use sio_core::embed::{AdminAuth, AdminMode, AdminOptions, AdminPassword};

use crate::args::cstr;
use crate::error::{guard, null, sio_status, Error};
use crate::server::sio_server;
use crate::version::{read_prefix, write_prefix};

/// Options of `sio_server_instrument`; start from `sio_admin_options_default`. Strings are
/// NUL-terminated UTF-8, read during the call only. The struct grows as
/// `sio_server_options` does (`struct_size`, appended fields).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_admin_options {
    /// sizeof(sio_admin_options) as the program's sio.h declares it; set by
    /// `sio_admin_options_default`.
    pub struct_size: usize,
    /// Basic authentication's user name (NULL: no authentication, the reference's
    /// `auth: false`).
    pub username: *const c_char,
    /// A bcrypt hash (`$2a$`/`$2b$`/`$2y$`) of the password, as `@socket.io/admin-ui`
    /// takes it (e.g. from `htpasswd -bnBC 10 "" PASSWORD`); required with `username`.
    pub password_bcrypt: *const c_char,
    /// The admin namespace (NULL: "/admin").
    pub namespace_name: *const c_char,
    /// "development" (NULL: every socket, room and event) or "production" (statistics only).
    pub mode: *const c_char,
    /// How often `server_stats` is sent (default 2000; > 0).
    pub server_stats_interval_ms: u32,
    /// Refuse the UI's commands (join, leave, disconnect, emit): default false.
    pub readonly: bool,
    /// The id the UI shows for this server (NULL: the host name).
    pub server_id: *const c_char,
}

/// The sizes of the published layouts of `sio_admin_options`, oldest first.
pub(crate) const ADMIN_LAYOUTS: &[usize] = &[std::mem::size_of::<sio_admin_options>()];

pub(crate) const DEFAULT_ADMIN_OPTIONS: sio_admin_options = sio_admin_options {
    struct_size: std::mem::size_of::<sio_admin_options>(),
    username: std::ptr::null(),
    password_bcrypt: std::ptr::null(),
    namespace_name: std::ptr::null(),
    mode: std::ptr::null(),
    server_stats_interval_ms: 2000,
    readonly: false,
    server_id: std::ptr::null(),
};

/// Writes the defaults into the struct of `struct_size` bytes at `out` and sets
/// `out->struct_size` (C calls it through the macro `sio_admin_options_default(out)`).
/// SIO_ERR_INVALID_ARGUMENT for a `struct_size` this library does not know.
#[no_mangle]
pub unsafe extern "C" fn sio_admin_options_init(out: *mut sio_admin_options, struct_size: usize) -> sio_status {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        write_prefix("sio_admin_options", out, struct_size, DEFAULT_ADMIN_OPTIONS, ADMIN_LAYOUTS)
    })
}

/// Writes the defaults into `*out`, a struct of this library's size (C and C++ get the
/// macro of the same name instead).
#[no_mangle]
pub unsafe extern "C" fn sio_admin_options_default(out: *mut sio_admin_options) -> sio_status {
    sio_admin_options_init(out, std::mem::size_of::<sio_admin_options>())
}

/// Instruments `server` for the official admin UI: its namespace (with basic auth if
/// `username` is set), `server_stats` every interval and, in development mode, every
/// socket, room and event of every namespace, live; the UI's commands unless `readonly`.
/// The UI connects from its own origin with credentials: set `cors_origins` and
/// `cors_credentials` in the server's options. Once per server; an invalid option or a
/// second call is SIO_ERR_INVALID_ARGUMENT (`sio_last_error()` says which). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_server_instrument(
    server: *const sio_server,
    opts: *const sio_admin_options,
) -> sio_status {
    guard(|| {
        let server = server.as_ref().ok_or_else(|| null("server"))?;
        if opts.is_null() {
            return Err(null("opts"));
        }
        let o = read_prefix("sio_admin_options", opts, DEFAULT_ADMIN_OPTIONS, ADMIN_LAYOUTS)?;
        let invalid = |m: String| Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, m);
        let defaults = AdminOptions::default();
        let auth = match (cstr(o.username, "username")?, cstr(o.password_bcrypt, "password_bcrypt")?) {
            (None, None) => None,
            (Some(user), Some(hash)) => {
                Some(AdminAuth { username: user.to_owned(), password: AdminPassword::Bcrypt(hash.to_owned()) })
            }
            _ => return Err(invalid("username and password_bcrypt go together".into())),
        };
        let mode = match cstr(o.mode, "mode")? {
            Some(m) => m.parse::<AdminMode>().map_err(|e| invalid(e.to_string()))?,
            None => defaults.mode,
        };
        let opts = AdminOptions {
            auth,
            namespace: cstr(o.namespace_name, "namespace_name")?.map_or(defaults.namespace.clone(), str::to_owned),
            read_only: o.readonly,
            server_id: cstr(o.server_id, "server_id")?.map(str::to_owned),
            mode,
            server_stats_interval: Duration::from_millis(u64::from(o.server_stats_interval_ms)),
            ..defaults
        };
        server.inner.instrument(opts)?;
        Ok(())
    })
}
