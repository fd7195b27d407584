//! The core's log records for JavaScript (`lib/log.js` writes them with `debug`): a
//! process-wide sink that queues each record as an event, on the same path as the other
//! events (a weak ThreadsafeFunction: it never keeps the process alive). Nothing is
//! installed until JS asks, so the core's logging costs nothing by default.
use std::sync::Arc;

use napi_derive::napi;
use sio_core::embed::{self, LogLevel, LogRecord};

use crate::event::Ev;
use crate::{deliver, err};

/// Sends the core's records at `level` (1 error, 2 warn, 3 info, 4 debug, 5 trace) or more
/// severe to the dispatcher as `log` events; `null` (or 0) stops.
#[napi]
pub fn set_log_level(level: Option<u32>) -> napi::Result<()> {
    let level = match level {
        None | Some(0) => None,
        Some(1) => Some(LogLevel::Error),
        Some(2) => Some(LogLevel::Warn),
        Some(3) => Some(LogLevel::Info),
        Some(4) => Some(LogLevel::Debug),
        Some(5) => Some(LogLevel::Trace),
        Some(n) => return Err(err("ERR_SIO_INVALID_ARGUMENT", format!("log level {n} is not 0..5"))),
    };
    let sink = level.map(|_| -> embed::LogSink {
        Arc::new(|r: &LogRecord| deliver(Ev::Log { level: r.level, logger: r.logger, message: r.message.clone() }))
    });
    embed::set_log_sink(level, sink).map_err(|e| err("ERR_SIO_RUNTIME", e))
}
