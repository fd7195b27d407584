//! The core's log records into Python's `logging` (through `sio._log.forward`).
use std::sync::Arc;

use pyo3::prelude::*;
use sio_core::embed::{self, LogLevel, LogRecord};

use crate::error;

/// Forwards the core's records at `level` (1 error .. 5 trace) or more severe to
/// `callback(logger, level, message)`; `None` stops.
#[pyfunction]
#[pyo3(signature = (level, callback))]
pub fn set_log_sink(level: Option<u8>, callback: Option<Py<PyAny>>) -> PyResult<()> {
    let level = match level {
        None => None,
        Some(1) => Some(LogLevel::Error),
        Some(2) => Some(LogLevel::Warn),
        Some(3) => Some(LogLevel::Info),
        Some(4) => Some(LogLevel::Debug),
        Some(5) => Some(LogLevel::Trace),
        Some(n) => return Err(error::BadArgument::new_err(format!("log level {n} is not 1..5"))),
    };
    let sink = callback.map(|cb| -> embed::LogSink {
        Arc::new(move |r: &LogRecord| {
            // Not while the interpreter shuts down: records then are dropped.
            Python::try_attach(|py| {
                if let Err(e) = cb.call1(py, (r.logger, r.level.as_str(), r.message.as_str())) {
                    e.write_unraisable(py, None);
                }
            });
        })
    });
    embed::set_log_sink(level, sink).map_err(error::embed)
}
