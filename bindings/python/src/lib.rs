//! `sio_rs._sio`: the native half of the `sio` Python package. It wraps the embedding
//! layer of `sio-core` (`sio_core::embed`); the Python half (python/sio) holds the
//! public API: decorators, handler dispatch, asyncio, exceptions.
//!
//! Threads: each `Runtime` owns a tokio runtime. Python's dispatcher thread pulls
//! events in batches with `Runtime.next_events` (GIL released while waiting, taken once
//! per batch); acknowledgement
//! completions call back into Python on a runtime thread, exactly once.
#![warn(missing_docs)]

mod client;
mod convert;
mod error;
mod host;
mod log;
mod runtime;
mod server;

use pyo3::prelude::*;

#[pymodule]
fn _sio(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<runtime::Runtime>()?;
    m.add_class::<runtime::EventBatch>()?;
    m.add_class::<server::Server>()?;
    m.add_class::<server::SocketHandle>()?;
    m.add_class::<server::ServerSideAck>()?;
    m.add_class::<server::Decision>()?;
    m.add_class::<server::Leaving>()?;
    m.add_class::<server::RemoteSocketHandle>()?;
    m.add_class::<host::HostSocket>()?;
    m.add_class::<host::HostCall>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::ClientAck>()?;
    m.add_function(pyo3::wrap_pyfunction!(log::set_log_sink, m)?)?;
    m.add("RESERVED_EVENTS", sio_core::RESERVED_EVENTS.to_vec())?;
    m.add("SERVER_OPTION_NAMES", sio_core::embed::SERVER_OPTION_NAMES.to_vec())?;
    Ok(())
}
