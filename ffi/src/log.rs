//! The library's log records for the host (`sio_set_log_callback`): the core's records
//! passed through as they are, named by logger and level.
use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use sio_core::embed::{set_log_sink, LogLevel, LogRecord};

use crate::args::{c_text, HostPtr};
use crate::error::{guard, guard_void, sio_status, Error};

/// How severe a log record is; a callback set at one level gets that level and the
/// more severe ones.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_log_level {
    /// No records (stops the callback).
    SIO_LOG_OFF = 0,
    /// Something failed.
    SIO_LOG_ERROR = 1,
    /// Something degraded: a Redis outage, a slow client closed.
    SIO_LOG_WARN = 2,
    /// Notable state changes (Redis back).
    SIO_LOG_INFO = 3,
    /// Sessions opened/upgraded/closed, sockets connected and disconnected with their reason.
    SIO_LOG_DEBUG = 4,
    /// Everything.
    SIO_LOG_TRACE = 5,
}

/// Receives one log record: its level, its logger (`"sio.server"`, `"sio.engine"`,
/// `"sio.client"`, `"sio.redis"` or `"sio"`, static) and its message (text then
/// `key=value` fields; NUL-terminated, `message_len` bytes, borrowed for the call).
pub type sio_log_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: sio_log_level,
        logger: *const c_char,
        message: *const c_char,
        message_len: usize,
    ),
>;

fn level_of(level: LogLevel) -> sio_log_level {
    match level {
        LogLevel::Error => sio_log_level::SIO_LOG_ERROR,
        LogLevel::Warn => sio_log_level::SIO_LOG_WARN,
        LogLevel::Info => sio_log_level::SIO_LOG_INFO,
        LogLevel::Debug => sio_log_level::SIO_LOG_DEBUG,
        LogLevel::Trace => sio_log_level::SIO_LOG_TRACE,
    }
}

fn logger_c(logger: &str) -> &'static CStr {
    match logger {
        "sio.server" => c"sio.server",
        "sio.engine" => c"sio.engine",
        "sio.client" => c"sio.client",
        "sio.redis" => c"sio.redis",
        _ => c"sio",
    }
}

/// Sends the library's log records at `level` (an `sio_log_level`) or more severe to
/// `cb(user_data, ...)` from now on, for the whole process; `cb` NULL or SIO_LOG_OFF stops.
/// Nothing is logged until this is called. `cb` runs on the thread that logs (often a
/// runtime thread, sometimes inside a sio call): it must be quick, thread-safe and not
/// call back into sio. `user_data` must stay valid until the callback is replaced or
/// stopped. SIO_ERR_INVALID_ARGUMENT for a level out of range, or when the process
/// already has another Rust `tracing` subscriber. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sio_set_log_callback(level: i32, cb: sio_log_cb, user_data: *mut c_void) -> sio_status {
    guard(|| {
        let level = match level {
            0 => None,
            1 => Some(LogLevel::Error),
            2 => Some(LogLevel::Warn),
            3 => Some(LogLevel::Info),
            4 => Some(LogLevel::Debug),
            5 => Some(LogLevel::Trace),
            _ => return Err(Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, "level is not an sio_log_level")),
        };
        let data = HostPtr(user_data);
        let sink = cb.map(|cb| -> sio_core::embed::LogSink {
            Arc::new(move |r: &LogRecord| {
                let data = data;
                guard_void(|| {
                    let message = c_text(&r.message);
                    let len = message.as_bytes().len();
                    unsafe { cb(data.0, level_of(r.level), logger_c(r.logger).as_ptr(), message.as_ptr(), len) };
                })
            })
        });
        set_log_sink(level, sink).map_err(Error::from)
    })
}
